from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.counting import page_count
from qualification.models import Tag
from qualification.results import AttributeWriteError
from qualification.sources import Source

from . import services
from .forms import ContactCreateForm
from .models import ContactListEntry, Role, Segment
from .replica import ListSource, contact_list_source, replica_failed, rows_newer_on_primary
from .selectors import (
    SORTS,
    contact_list_filter,
    contact_list_freshness,
    contact_list_page,
    parse_sort,
    pending_contact_ids,
    tag_names,
)
from .services import segment_create

PAGE_SIZE = 50
ARCHIVED_CHOICES = [("no", "Not archived"), ("yes", "Archived"), ("all", "Archived or not")]
OPERATOR_LABELS = [
    ("contains", "contains"),
    ("is", "is"),
    ("eq", "equals"),
    ("gte", "at least / on or after"),
    ("lte", "at most / on or before"),
    ("between", "between"),
    ("true", "is true"),
    ("false", "is false"),
]


@login_required
@permission_required("contacts.view_contactlistentry", raise_exception=True)
@require_GET
def contact_list(request: HttpRequest) -> HttpResponse:
    source = contact_list_source()
    try:
        context = _contact_list_context(request, source)
    except DatabaseError:
        if not source.reads_replica:
            raise
        # The replica failed between its last check and this page: this page, and the next
        # ones until it answers again, come from the primary.
        context = _contact_list_context(request, replica_failed())
    if request.htmx and request.htmx.target == "contact-table":
        return render(request, "contacts/contact_list.html#contact-table", context)
    return render(request, "contacts/contact_list.html", context)


def _contact_list_context(request: HttpRequest, source: ListSource) -> dict:
    filters = contact_list_filter(request.GET, base=ContactListEntry.objects.using(source.alias))
    sort, descending = parse_sort(request.GET.get("sort"))
    if filters.is_valid():
        page = contact_list_page(
            filters.qs,
            sort=sort,
            descending=descending,
            cursor=request.GET.get("cursor"),
            size=PAGE_SIZE,
        )
        count = page_count(
            filters.qs,
            items=page.entries,
            is_first=page.is_first,
            has_more=page.next_cursor is not None,
            id_field="contact_id",
        )
    else:
        page = contact_list_page(
            filters.queryset.none(), sort=sort, descending=descending, cursor=None, size=1
        )
        count = None
    query = request.GET.copy()
    query.pop("cursor", None)
    filter_query = query.copy()
    filter_query.pop("sort", None)
    names = tag_names(page.entries)
    context = {
        "title": "Contacts",
        "section": "contacts",
        "filters": filters,
        "roles": Role.choices,
        "tags": Tag.objects.order_by("name").only("pk", "name"),
        "archived_choices": ARCHIVED_CHOICES,
        "custom": filters.custom,
        "operators": OPERATOR_LABELS,
        "custom_error": getattr(filters, "custom_error", ""),
        "page": page,
        "count": count,
        "rows": [
            {
                "entry": e,
                "tags": [names[t] for t in e.tag_ids if t in names],
            }
            for e in page.entries
        ],
        "pending": pending_contact_ids(page.entries)
        | (rows_newer_on_primary(page.entries) if source.reads_replica else set()),
        "freshness": contact_list_freshness(source=source),
        "query": query.urlencode(),
        "sort": sort,
        "descending": descending,
        "sorts": SORTS,
        **_segments_context(request, filter_query.urlencode()),
        "can_create_contact": request.user.has_perm("contacts.add_contact"),
    }
    return context


@login_required
@require_POST
def segment_save(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("contacts.add_segment"):
        return HttpResponse("You don't have permission to save segments.", status=403)
    name = request.POST.get("name", "").strip()
    query = request.POST.get("query", "").lstrip("?")[:2000]
    if not name:
        messages.error(request, "Give the segment a name; nothing was saved.")
    else:
        try:
            segment_create(name=name[:190], query=query, created_by=request.user)
        except IntegrityError:
            messages.error(request, f"A segment called “{name}” already exists; pick another name.")
        except services.SegmentLimitReached as exc:
            messages.error(request, f"“{name}” was not saved. {exc}")
        else:
            messages.success(
                request, f"Saved segment “{name}”. Its badges appear as its members are found."
            )
    return redirect(f"/contacts/?{query}")


def _segments_context(request: HttpRequest, filter_query: str, **extra) -> dict:
    segments = list(Segment.objects.order_by("name"))
    return {
        "segments": [(s, services.segment_manageable_by(s, request.user)) for s in segments],
        "can_save_segment": request.user.has_perm("contacts.add_segment"),
        "filter_query": filter_query,
        **extra,
    }


def _segments_response(request, *, status=200, message="", **extra) -> HttpResponse:
    query = request.POST.get("query", "").lstrip("?")[:2000]
    if not request.htmx:
        if message:
            (messages.error if status >= 400 else messages.success)(request, message)
        return redirect(f"/contacts/?{query}")
    context = _segments_context(request, query, segment_message=message, **extra)
    return render(request, "contacts/contact_list.html#segments", context, status=status)


def _manageable_segment(request: HttpRequest, pk: int) -> Segment:
    segment = get_object_or_404(Segment, pk=pk)
    if not services.segment_manageable_by(segment, request.user):
        raise PermissionDenied
    return segment


@login_required
@require_POST
def segment_rename(request: HttpRequest, pk: int) -> HttpResponse:
    segment = _manageable_segment(request, pk)
    name = " ".join(request.POST.get("name", "").split())
    error = ""
    if not name:
        error = "Give the segment a name; it was not renamed."
    elif len(name) > Segment._meta.get_field("name").max_length:
        error = "A segment name can be at most 190 characters long."
    else:
        try:
            services.segment_rename(segment=segment, name=name, actor=request.user)
        except services.SegmentNameTaken:
            error = f"A segment called “{name}” already exists; pick another name."
    if error:
        return _segments_response(
            request, status=422, message=error, rename_error=(segment.pk, error, name)
        )
    return _segments_response(request, message=f"Renamed the segment to “{name}”.")


@login_required
@require_POST
def segment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    segment = _manageable_segment(request, pk)
    name = segment.name
    services.segment_delete(segment=segment, actor=request.user)
    return _segments_response(request, message=f"Deleted the segment “{name}”.")


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest) -> HttpResponse:
    """A new user or lead, typed in by a teammate."""
    if not request.user.has_perm("contacts.add_contact"):
        raise PermissionDenied
    form = ContactCreateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                contact = services.contact_create(
                    role=form.cleaned_data["role"],
                    external_id=form.cleaned_data["external_id"] or None,
                    values=form.values(),
                    source=Source.QUALIFICATION,
                    actor=request.user,
                )
            except AttributeWriteError as exc:
                for problem in exc.problems:
                    field = problem.attribute if problem.attribute in form.fields else None
                    form.add_error(field, problem.message)
            except IntegrityError:
                # Another teammate or the API created this user a moment ago.
                form.add_error(None, "A user with this email or user ID was just created.")
            else:
                url = reverse("contact-detail", args=[contact.pk])
                messages.success(request, f"Created {contact}.")
                if request.htmx:
                    response = HttpResponse()
                    response["HX-Redirect"] = url
                    return response
                return redirect(url)
        status = 422
    context = {"title": "New contact", "section": "contacts", "form": form}
    if request.htmx:
        return render(request, "contacts/contact_new.html#form", context, status=status)
    return render(request, "contacts/contact_new.html", context, status=status)
