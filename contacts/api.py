"""Contacts in Intercom's REST API shape (2.14): create, retrieve, update, delete, list."""

from contextlib import nullcontext
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from ninja import Query, Router

from companies.api import CompanyOut, company_body, get_company
from core.api import ApiError, ObjectRef, api_errors
from core.cursors import cursor_decode, cursor_encode
from qualification.api_support import api_actor, attribute_values
from qualification.services import attributes_apply
from qualification.sources import Source
from workspace.api_auth import TokenAuth, token_may

from .api_queries import contact_or_404, contacts_with_ids, with_ids
from .api_schemas import (
    STANDARD_FIELDS,
    CompanyContactsOut,
    CompanyRef,
    ContactArchivedOut,
    ContactCompaniesOut,
    ContactDeletedOut,
    ContactListOut,
    ContactOut,
    ContactWrite,
    MergeRequest,
    SearchPagination,
    SearchRequest,
    contact_json,
)
from .models import Contact, Role
from .search import SearchError, contact_search
from .services import (
    MergeError,
    contact_archive,
    contact_company_attach,
    contact_company_detach,
    contact_create,
    contact_delete,
    contact_identity_update,
    contact_merge,
)

router = Router(tags=["Contacts"])


def contact_body(request: HttpRequest, contact: Contact) -> dict[str, Any]:
    """The contact in full for a token that may read contacts; otherwise only its type and id,
    so a write-only token learns nothing it did not send (README, "Scopes")."""
    if token_may(request, "contacts:read"):
        return contact_json(contact)
    return {"type": "contact", "id": str(contact.pk)}


def _values(body: ContactWrite) -> dict[str, Any]:
    sent = {name: getattr(body, name) for name in STANDARD_FIELDS if name in body.model_fields_set}
    return attribute_values(Contact, sent, body.custom_attributes)


def _refuse_duplicate(role, external_id, email, exclude: int | None = None) -> None:
    if duplicate := _duplicate(role, external_id, email, exclude=exclude):
        raise ApiError(
            409,
            "conflict",
            f"A contact matching those details already exists with id={duplicate.pk}",
        )


def _duplicate(role: str, external_id: str | None, email: str | None, exclude: int | None = None):
    if role != Role.USER or not (external_id or email):
        return None
    existing = Contact.objects.filter(role=Role.USER)
    if exclude:
        existing = existing.exclude(pk=exclude)
    if external_id and (match := existing.filter(external_id=external_id).first()):
        return match
    if email and (match := existing.filter(email__iexact=email).first()):
        return match
    return None


def _after(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        (pk,) = cursor_decode(cursor) or ()
        return int(pk)
    except ValueError:
        raise ApiError(400, "parameter_invalid", "starting_after is not a valid cursor.") from None


def _page(contacts, per_page: int, starting_after: str | None) -> dict[str, Any]:
    """One page of `contacts` in id order, after the cursor, in Intercom's contact_list shape."""
    if not 1 <= per_page <= 150:
        raise ApiError(400, "parameter_invalid", "per_page must be between 1 and 150.")
    total = contacts.count()
    page = list(
        with_ids(contacts).filter(pk__gt=_after(starting_after)).order_by("pk")[: per_page + 1]
    )
    more = len(page) > per_page
    page = page[:per_page]
    return {
        "type": "list",
        "data": [contact_json(c) for c in page],
        "total_count": total,
        "pages": {
            "type": "pages",
            "page": 1,
            "per_page": per_page,
            "total_pages": -(-total // per_page),
            "next": {"per_page": per_page, "starting_after": cursor_encode(page[-1].pk)}
            if more
            else None,
        },
    }


@router.get(
    "",
    summary="List contacts",
    response={200: ContactListOut, **api_errors()},
    auth=TokenAuth("contacts:read"),
)
def list_contacts(request: HttpRequest, per_page: int = 50, starting_after: str | None = None):
    return _page(Contact.objects.all(), per_page, starting_after)


@router.post(
    "/search",
    summary="Search contacts",
    response={200: ContactListOut, **api_errors()},
    auth=TokenAuth("contacts:read"),
)
def search_contacts(request: HttpRequest, body: SearchRequest):
    """Intercom's query language: filters and nested AND/OR groups, operators by field type,
    `custom_attributes.<name>`, and the cursor in the body's `pagination`."""
    try:
        matches = contact_search(body.query)
    except SearchError as exc:
        raise ApiError(400, "parameter_invalid", str(exc)) from None
    pagination = body.pagination or SearchPagination()
    return _page(matches, pagination.per_page, pagination.starting_after)


@router.post(
    "/merge",
    summary="Merge a lead into a user",
    response={200: ContactOut | ObjectRef, **api_errors(404, 409)},
    auth=TokenAuth("contacts:write"),
)
def merge_contacts(request: HttpRequest, body: MergeRequest):
    lead, user = contact_or_404(body.from_), contact_or_404(body.into)
    try:
        merged = contact_merge(
            lead=lead, user=user, source=Source.REST_API, actor=api_actor(request)
        )
    except MergeError as exc:
        raise ApiError(400, "parameter_invalid", str(exc)) from None
    return contact_body(request, contact_or_404(str(merged.pk)))


@router.get(
    "/find_by_external_id/{external_id}",
    summary="Find a user by external id",
    response={200: ContactOut, **api_errors(404)},
    auth=TokenAuth("contacts:read"),
)
def find_by_external_id(request: HttpRequest, external_id: str):
    contact = contacts_with_ids().filter(role=Role.USER, external_id=external_id).first()
    if contact is None:
        raise ApiError(404, "not_found", "User Not Found")
    return contact_json(contact)


def _archive(request: HttpRequest, contact_id: str, archived: bool) -> dict[str, Any]:
    contact = contact_or_404(contact_id)
    contact_archive(
        contact=contact, archived=archived, source=Source.REST_API, actor=api_actor(request)
    )
    return {
        "type": "contact",
        "id": str(contact.pk),
        "external_id": contact.external_id,
        "archived": archived,
    }


@router.post(
    "/{contact_id}/archive",
    summary="Archive a contact",
    response={200: ContactArchivedOut, **api_errors(404, 409)},
    auth=TokenAuth("contacts:write"),
)
def archive_contact(request: HttpRequest, contact_id: str):
    return _archive(request, contact_id, True)


@router.post(
    "/{contact_id}/unarchive",
    summary="Unarchive a contact",
    response={200: ContactArchivedOut, **api_errors(404, 409)},
    auth=TokenAuth("contacts:write"),
)
def unarchive_contact(request: HttpRequest, contact_id: str):
    return _archive(request, contact_id, False)


@router.post(
    "",
    summary="Create a contact",
    response={200: ContactOut | ObjectRef, **api_errors(409)},
    auth=TokenAuth("contacts:write"),
)
def create_contact(request: HttpRequest, body: ContactWrite):
    if not ({"email", "external_id", "role"} & body.model_fields_set):
        raise ApiError(400, "parameter_not_found", "Send an email, an external_id or a role.")
    role = body.role or Role.USER
    _refuse_duplicate(role, body.external_id, body.email)
    try:
        with transaction.atomic():
            contact = contact_create(
                role=role,
                external_id=body.external_id,
                values=_values(body),
                source=Source.REST_API,
                actor=api_actor(request),
            )
    except IntegrityError as exc:  # a concurrent request made the same contact
        raise ApiError(409, "conflict", "A contact matching those details already exists") from exc
    return contact_body(request, contact_or_404(str(contact.pk)))


@router.get(
    "/{contact_id}",
    summary="Retrieve a contact",
    response={200: ContactOut, **api_errors(404)},
    auth=TokenAuth("contacts:read"),
)
def get_contact(request: HttpRequest, contact_id: str):
    return contact_json(contact_or_404(contact_id))


@router.put(
    "/{contact_id}",
    summary="Update a contact",
    response={200: ContactOut | ObjectRef, **api_errors(404, 409)},
    auth=TokenAuth("contacts:write"),
)
def update_contact(request: HttpRequest, contact_id: str, body: ContactWrite):
    contact = contact_or_404(contact_id)
    role = body.role or contact.role
    _refuse_duplicate(role, body.external_id, body.email, exclude=contact.pk)
    values = _values(body)
    # Only a change of identity needs a transaction around both writes; attribute values alone
    # are one transaction of their own (the common case, kept to as few round trips as it can).
    changes_identity = bool({"role", "external_id"} & body.model_fields_set)
    try:
        with transaction.atomic() if changes_identity else nullcontext():
            contact_identity_update(
                contact=contact,
                source=Source.REST_API,
                actor=api_actor(request),
                role=body.role,
                external_id=body.external_id if "external_id" in body.model_fields_set else None,
            )
            attributes_apply(
                target=contact, values=values, source=Source.REST_API, actor=api_actor(request)
            )
    except IntegrityError as exc:  # a concurrent request made the same contact
        raise ApiError(409, "conflict", "A contact matching those details already exists") from exc
    # The instance is up to date: the write path copies back what it wrote.
    return contact_body(request, contact)


@router.delete(
    "/{contact_id}",
    summary="Delete a contact",
    response={200: ContactDeletedOut, **api_errors(404, 409)},
    auth=TokenAuth("contacts:write"),
)
def delete_contact(request: HttpRequest, contact_id: str):
    contact = contact_or_404(contact_id)
    external_id = contact.external_id
    contact_delete(contact=contact, source=Source.REST_API, actor=api_actor(request))
    return {"type": "contact", "id": contact_id, "external_id": external_id, "deleted": True}


@router.get(
    "/{contact_id}/companies",
    summary="List a contact's companies",
    response={200: ContactCompaniesOut, **api_errors(404)},
    auth=TokenAuth("contacts:read"),
)
def list_contact_companies(
    request: HttpRequest,
    contact_id: str,
    page: int = Query(1, ge=1, le=10_000),
    per_page: int = Query(50, ge=1, le=150),
):
    contact = contact_or_404(contact_id)
    memberships = contact.memberships.select_related("company").order_by("linked_at", "id")
    # The SDK asks for page after page until one comes back empty.
    companies = [
        company_body(request, m.company)
        for m in memberships[(page - 1) * per_page : page * per_page]
    ]
    # The official SDK reads "companies"; Intercom's own example answers "data": send both.
    return {
        "type": "list",
        "data": companies,
        "companies": companies,
        "total_count": memberships.count(),
        "pages": {"type": "pages", "next": None, "page": page, "per_page": per_page},
    }


@router.post(
    "/{contact_id}/companies",
    summary="Attach a contact to a company",
    response={200: CompanyOut | ObjectRef, **api_errors(404, 409)},
    auth=TokenAuth("contacts:write"),
)
def attach_company(request: HttpRequest, contact_id: str, body: CompanyRef):
    contact = contact_or_404(contact_id)
    if not body.id:
        raise ApiError(400, "parameter_not_found", "company not specified")
    company = get_company(body.id)
    contact_company_attach(
        contact=contact, company=company, source=Source.REST_API, actor=api_actor(request)
    )
    return company_body(request, company)


@router.delete(
    "/{contact_id}/companies/{company_id}",
    summary="Detach a contact from a company",
    response={200: CompanyOut | ObjectRef, **api_errors(404, 409)},
    auth=TokenAuth("contacts:write"),
)
def detach_company(request: HttpRequest, contact_id: str, company_id: str):
    contact = contact_or_404(contact_id)
    company = get_company(company_id)
    if not contact_company_detach(
        contact=contact, company=company, source=Source.REST_API, actor=api_actor(request)
    ):
        raise ApiError(404, "company_not_found", "The contact is not attached to that company.")
    return company_body(request, company)


company_contacts_router = Router(tags=["Companies"])


@company_contacts_router.get(
    "/{company_id}/contacts",
    summary="List a company's contacts",
    response={200: CompanyContactsOut, **api_errors(404)},
    auth=TokenAuth("companies:read"),
)
def list_company_contacts(request: HttpRequest, company_id: str):
    company = get_company(company_id)
    contacts = list(contacts_with_ids().filter(memberships__company=company).order_by("pk")[:150])
    return {
        "type": "list",
        "data": [contact_body(request, c) for c in contacts],
        "total_count": len(contacts),
        "pages": {"type": "pages", "page": 1, "per_page": 50, "total_pages": 1},
    }
