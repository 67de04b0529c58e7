"""Quick edits on the contact, company and conversation pages: tags, and a contact's
companies. Each is a small form that htmx swaps in place (the section comes back, with an
error next to the field when there is one); without JavaScript the form posts and the page
comes back. Permissions are checked here, on the server; writes go through the services."""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from companies.models import Company
from companies.selectors import companies_matching, company_suggestions
from companies.services import company_tag, company_untag
from contacts.models import Contact
from contacts.services import (
    contact_company_attach,
    contact_company_detach,
    contact_tag,
    contact_untag,
)
from qualification.models import Tag
from qualification.services import tag_find_or_create, tag_named
from qualification.sources import Source

from . import services
from .models import Conversation

TAG_NAME_MAX = Tag._meta.get_field("name").max_length


@dataclass(frozen=True)
class Taggable:
    """What the tag editor needs to know about one kind of record."""

    kind: str
    model: type[models.Model]
    permission: str  # needed to tag and untag it
    page: str  # the URL name of its page
    noun: str  # "contact", in "Add a tag to this contact"

    def tag(self, target, tag: Tag, actor) -> None:
        if self.kind == "contact":
            contact_tag(contact=target, tag=tag, source=Source.QUALIFICATION, actor=actor)
        elif self.kind == "company":
            company_tag(company=target, tag=tag, source=Source.QUALIFICATION, actor=actor)
        else:
            services.conversation_tag(conversation=target, tag=tag, actor=actor)

    def untag(self, target, tag: Tag, actor) -> None:
        if self.kind == "contact":
            contact_untag(contact=target, tag=tag, source=Source.QUALIFICATION, actor=actor)
        elif self.kind == "company":
            company_untag(company=target, tag=tag, source=Source.QUALIFICATION, actor=actor)
        else:
            services.conversation_untag(conversation=target, tag=tag, actor=actor)


TAGGABLES = {
    "contact": Taggable("contact", Contact, "contacts.change_contact", "contact-detail", "person"),
    "company": Taggable(
        "company", Company, "companies.change_company", "company-detail", "company"
    ),
    "conversation": Taggable(
        "conversation", Conversation, "inbox.change_conversation", "conversation", "conversation"
    ),
}


def tag_editor(
    user, kind: str, target, *, error: str = "", value: str = "", tags=None
) -> dict[str, Any]:
    """The context of inbox/_tags.html for one record. `target.tags.all()` should be
    prefetched; the suggestions cost one query, and only for those who may add tags."""
    taggable = TAGGABLES[kind]
    can_edit = user.has_perm(taggable.permission)
    return {
        "kind": kind,
        "noun": taggable.noun,
        "tags": [
            (tag, reverse(f"{kind}-tag-remove", args=[target.pk, tag.pk]))
            for tag in (target.tags.all() if tags is None else tags)
        ],
        "add_url": reverse(f"{kind}-tag-add", args=[target.pk]),
        "can_edit": can_edit,
        "can_create": can_edit and user.has_perm("qualification.add_tag"),
        "suggestions": list(Tag.objects.order_by("name").values_list("name", flat=True))
        if can_edit
        else [],
        "max_length": TAG_NAME_MAX,
        "error": error,
        "value": value,
    }


def _respond(request, kind, target, *, error="", value="", status=200) -> HttpResponse:
    taggable = TAGGABLES[kind]
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(taggable.page, pk=target.pk)
    target = taggable.model.objects.prefetch_related("tags").get(pk=target.pk)
    context = {"editor": tag_editor(request.user, kind, target, error=error, value=value)}
    return render(request, "inbox/_tags.html", context, status=status)


def _taggable_target(request, kind: str, pk: int):
    taggable = TAGGABLES[kind]  # the URLs name only these kinds
    if not request.user.has_perm(taggable.permission):
        raise PermissionDenied
    return taggable, get_object_or_404(taggable.model, pk=pk)


@login_required
@require_POST
def tag_add(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    taggable, target = _taggable_target(request, kind, pk)
    name = " ".join(request.POST.get("name", "").split())
    error = ""
    tag = None
    if not name:
        error = "Type a tag name to add."
    elif len(name) > TAG_NAME_MAX:
        error = f"A tag name can be at most {TAG_NAME_MAX} characters long."
    elif (tag := tag_named(name)) is None and not request.user.has_perm("qualification.add_tag"):
        error = f"There is no tag called “{name}”, and your role cannot create tags."
    if error:
        return _respond(request, kind, target, error=error, value=name, status=422)
    if tag is None:
        tag = tag_find_or_create(name=name)
    taggable.tag(target, tag, request.user)
    return _respond(request, kind, target)


@login_required
@require_POST
def tag_remove(request: HttpRequest, kind: str, pk: int, tag_pk: int) -> HttpResponse:
    taggable, target = _taggable_target(request, kind, pk)
    tag = get_object_or_404(Tag, pk=tag_pk)
    taggable.untag(target, tag, request.user)
    return _respond(request, kind, target)


# A contact's companies.

COMPANY_PERMISSION = "contacts.change_companymembership"


def company_links(user, contact: Contact, *, error: str = "", value: str = "") -> dict[str, Any]:
    """The context of inbox/_contact_companies.html; `contact.memberships` with their
    companies should be prefetched or passed in order."""
    return {
        "contact": contact,
        "memberships": [
            (m, reverse("contact-company-remove", args=[contact.pk, m.company_id]))
            for m in contact.memberships.all()
        ],
        "can_edit": user.has_perm(COMPANY_PERMISSION),
        "error": error,
        "value": value,
    }


def _companies_response(request, contact, *, error="", value="", status=200) -> HttpResponse:
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("contact-detail", pk=contact.pk)
    contact = Contact.objects.prefetch_related(
        models.Prefetch(
            "memberships",
            queryset=contact.memberships.model.objects.select_related("company").order_by(
                "linked_at", "id"
            ),
        )
    ).get(pk=contact.pk)
    context = {"links": company_links(request.user, contact, error=error, value=value)}
    return render(request, "inbox/_contact_companies.html", context, status=status)


@login_required
@require_POST
def contact_company_add(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm(COMPANY_PERMISSION):
        raise PermissionDenied
    contact = get_object_or_404(Contact, pk=pk)
    typed = " ".join(request.POST.get("company", "").split())
    found = companies_matching(typed)
    if not typed:
        error = "Type the name of a company to add this person to."
    elif not found:
        error = f"There is no company called “{typed}”. Pick one of the suggestions."
    elif len(found) > 1:
        error = (
            f"More than one company is called “{typed}”. Type its company ID instead, as "
            "the suggestions show it."
        )
    else:
        contact_company_attach(
            contact=contact, company=found[0], source=Source.QUALIFICATION, actor=request.user
        )
        return _companies_response(request, contact)
    return _companies_response(request, contact, error=error, value=typed, status=422)


@login_required
@require_POST
def contact_company_remove(request: HttpRequest, pk: int, company_pk: int) -> HttpResponse:
    if not request.user.has_perm(COMPANY_PERMISSION):
        raise PermissionDenied
    contact = get_object_or_404(Contact, pk=pk)
    company = get_object_or_404(Company, pk=company_pk)
    contact_company_detach(
        contact=contact, company=company, source=Source.QUALIFICATION, actor=request.user
    )
    return _companies_response(request, contact)


@login_required
@permission_required("companies.view_company", raise_exception=True)
@require_GET
def company_suggest(request: HttpRequest) -> HttpResponse:
    """The options of the "Add to company" field, as the teammate types."""
    companies = company_suggestions(request.GET.get("company", ""))
    return render(request, "inbox/_contact_companies.html#options", {"companies": companies})
