"""The teammate UI: the inbox, a conversation with the customer's data beside it, and the
contact and company pages. Thin views: reads come from selectors, writes from services."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from companies.models import Company
from contacts.models import CompanyMembership, Contact
from contacts.selectors import contact_event_summaries, contact_events
from core.counting import page_count
from core.pagination import keyset_page
from qualification.selectors import (
    HISTORY_SOURCES,
    all_attributes,
    attribute_history,
    attribute_rows,
)

from . import services
from .edits import company_links, tag_editor
from .filters import ConversationFilter
from .forms import AssignForm, PartForm, SnoozeForm
from .models import Conversation
from .selectors import (
    conversation_for_page,
    conversation_neighbours,
    customer_panel,
    inbox_conversations,
    teammate_names,
    teammates,
)

PAGE_SIZE = 25


@login_required
@permission_required("inbox.view_conversation", raise_exception=True)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    filters = ConversationFilter(request.GET, queryset=inbox_conversations(), user=request.user)
    if filters.is_valid():
        page = keyset_page(
            filters.qs, field="last_activity_at", cursor=request.GET.get("cursor"), size=PAGE_SIZE
        )
        count = page_count(
            filters.qs,
            items=page.items,
            is_first=page.is_first,
            has_more=page.next_cursor is not None,
        )
    else:
        page = keyset_page(
            Conversation.objects.none(), field="last_activity_at", cursor=None, size=1
        )
        count = None
    query = _inbox_query(request.GET)
    context = {
        "title": "Inbox",
        "section": "inbox",
        "filters": filters,
        "page": page,
        "count": count,
        "query": query,
    }
    if request.htmx and request.htmx.target == "conversation-list":
        return render(request, "inbox/inbox.html#conversation-list", context)
    return render(request, "inbox/inbox.html", context)


def _inbox_query(data: QueryDict) -> str:
    """The inbox's filters alone (no cursor, nothing else), as a query string: conversation
    links carry it so that the conversation page can step through the same filtered list and
    lead back to it."""
    kept = QueryDict(mutable=True)
    for name in ConversationFilter.Meta.fields:
        values = [v for v in data.getlist(name) if v]
        if values:
            kept.setlist(name, values[:1])
    return kept.urlencode()


def _neighbours(request: HttpRequest, conversation: Conversation, inbox_query: str) -> dict:
    """Links to the previous and next conversation of the inbox list this one was opened from."""
    filters = ConversationFilter(
        QueryDict(inbox_query), queryset=Conversation.objects.all(), user=request.user
    )
    previous_id, next_id = (
        conversation_neighbours(filters.qs, conversation) if filters.is_valid() else (None, None)
    )
    return {
        "inbox_query": inbox_query,
        "from_inbox": f"?{urlencode({'inbox': inbox_query})}" if inbox_query else "",
        "previous_id": previous_id,
        "next_id": next_id,
    }


def _company_id(request: HttpRequest) -> int | None:
    try:
        return int(request.GET.get("company", ""))
    except ValueError:
        return None


def _conversation_context(request: HttpRequest, conversation: Conversation) -> dict:
    users = teammates()
    names = teammate_names(users)
    return {
        "title": conversation.subject or f"Conversation with {conversation.contact}",
        "section": "inbox",
        "conversation": conversation,
        "parts": list(conversation.parts.all()),
        "teammates": users,
        "can_act": request.user.has_perm("inbox.change_conversation"),
        "can_write": request.user.has_perm("inbox.add_conversationpart"),
        "part_form": PartForm(),
        "assign_form": AssignForm(teammates=users, initial={"assignee": conversation.assignee_id}),
        "snooze_form": SnoozeForm(),
        "tag_editor": tag_editor(request.user, "conversation", conversation),
        **customer_panel(
            contact=conversation.contact,
            company_id=_company_id(request),
            can_edit_contact=request.user.has_perm("contacts.change_contact"),
            can_edit_company=request.user.has_perm("companies.change_company"),
            names=names,
        ),
    }


@login_required
@permission_required("inbox.view_conversation", raise_exception=True)
@require_GET
def conversation(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = conversation_for_page(pk)
    context = _conversation_context(request, conversation)
    if request.htmx and request.htmx.target == "company-panel":
        return render(request, "inbox/conversation.html#company-panel", context)
    inbox_query = _inbox_query(QueryDict(request.GET.get("inbox", "")))
    context.update(_neighbours(request, conversation, inbox_query))
    return render(request, "inbox/conversation.html", context)


@login_required
@require_POST
def conversation_part_create(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm("inbox.add_conversationpart"):
        raise PermissionDenied
    conversation = get_object_or_404(Conversation, pk=pk)
    form = PartForm(request.POST)
    if form.is_valid():
        services.conversation_part_add(
            conversation=conversation,
            kind=form.cleaned_data["kind"],
            body=form.cleaned_data["body"],
            author=request.user,
        )
        if not request.htmx:
            return redirect("conversation", pk=pk)
        form = PartForm()
    context = _conversation_context(request, conversation_for_page(pk))
    context["part_form"] = form
    status = 422 if form.errors else 200
    return render(request, "inbox/conversation.html#thread", context, status=status)


@login_required
@require_POST
def conversation_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if not request.user.has_perm("inbox.change_conversation"):
        raise PermissionDenied
    conversation = get_object_or_404(Conversation, pk=pk)
    status = 200
    error = ""
    if action == "assign":
        users = teammates()
        form = AssignForm(request.POST, teammates=users)
        if form.is_valid():
            assignee_id = form.cleaned_data["assignee"]
            assignee = next((u for u in users if u.pk == assignee_id), None)
            try:
                services.conversation_assign(
                    conversation=conversation, assignee=assignee, actor=request.user
                )
            except services.AssigneeRefused as exc:  # their role changed since the page
                status, error = 422, str(exc)
        else:
            status, error = 422, "Pick a teammate who can reply (a Viewer can't be assigned)."
    elif action == "snooze":
        form = SnoozeForm(request.POST)
        if form.is_valid():
            services.conversation_snooze(
                conversation=conversation, until=form.snooze_until(), actor=request.user
            )
        else:
            status, error = 422, "Pick how long to snooze for."
    elif action == "close":
        services.conversation_close(conversation=conversation, actor=request.user)
    elif action == "reopen":
        services.conversation_reopen(conversation=conversation, actor=request.user)
    else:
        return HttpResponse(status=404)
    if not request.htmx:
        return redirect("conversation", pk=pk)
    context = _conversation_context(request, conversation_for_page(pk))
    context["action_error"] = error
    return render(request, "inbox/conversation.html#header", context, status=status)


def _history_context(request: HttpRequest, target_type: str, target_id: int) -> dict:
    source = request.GET.get("source", "")
    before = request.GET.get("before", "")
    return {
        "changes": attribute_history(
            target_type=target_type,
            target_id=target_id,
            source=source or None,
            before_id=int(before) if before.isdigit() else None,
        ),
        "sources": HISTORY_SOURCES,
        "source": source,
    }


# The contact page shows the latest events in full; the API lists the rest.
RECENT_EVENTS = 10
# Event names on the contact page, a page at a time (a contact may have thousands).
SUMMARIES_PER_PAGE = 25


@login_required
@permission_required("contacts.view_contact", raise_exception=True)
@require_GET
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(
        Contact.objects.select_related("owner").prefetch_related(
            "tags",
            Prefetch(
                "memberships",
                queryset=CompanyMembership.objects.select_related("company").order_by(
                    "linked_at", "id"
                ),
            ),
        ),
        pk=pk,
    )
    history = _history_context(request, "contact", contact.pk)
    if request.htmx and request.htmx.target == "timeline":
        return render(request, "qualification/timeline.html#timeline", history)
    summaries = contact_event_summaries(
        contact, size=SUMMARIES_PER_PAGE, cursor=request.GET.get("events")
    )
    users = teammates()
    context = {
        "title": str(contact),
        "contact": contact,
        "rows": attribute_rows(
            target=contact,
            attributes=all_attributes("contact"),
            can_edit=request.user.has_perm("contacts.change_contact"),
            teammates=teammate_names(users),
        ),
        "tag_editor": tag_editor(request.user, "contact", contact),
        "company_links": company_links(request.user, contact),
        "segments": contact.segments.order_by("name"),
        "conversations": contact.conversations.select_related("assignee").order_by(
            "-last_activity_at"
        )[:50],
        "event_summaries": summaries.items,
        "more_summaries": summaries.next_cursor,
        "later_summaries_page": not summaries.is_first,
        "recent_events": contact_events(contact, limit=RECENT_EVENTS, within=None),
        **history,
    }
    return render(request, "inbox/contact_detail.html", context)


@login_required
@permission_required("companies.view_company", raise_exception=True)
@require_GET
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(Company.objects.prefetch_related("tags"), pk=pk)
    history = _history_context(request, "company", company.pk)
    if request.htmx and request.htmx.target == "timeline":
        return render(request, "qualification/timeline.html#timeline", history)
    context = {
        "title": str(company),
        "company": company,
        "rows": attribute_rows(
            target=company,
            attributes=all_attributes("company"),
            can_edit=request.user.has_perm("companies.change_company"),
        ),
        "memberships": company.memberships.select_related("contact").order_by("linked_at")[:200],
        "people_count": company.memberships.count(),
        "tag_editor": tag_editor(request.user, "company", company),
        **history,
    }
    return render(request, "inbox/company_detail.html", context)
