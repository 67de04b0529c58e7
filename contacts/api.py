"""Contacts in Intercom's REST API shape (2.14): create, retrieve, update, delete, list."""

import functools
import json
from contextlib import nullcontext
from typing import Any, Literal

from django.db import IntegrityError, connection, transaction
from django.db.models import Aggregate, JSONField, OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from companies.api import CompanyOut, company_json, get_company
from core.api import ApiError, ResponseSchema, api_errors, unix
from core.cursors import cursor_decode, cursor_encode
from qualification.api_support import api_actor, attribute_values
from qualification.services import attributes_apply
from qualification.sources import Source
from qualification.values import parse_id
from workspace.api_auth import TokenAuth

from .models import CompanyMembership, Contact, Role
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

STANDARD_FIELDS = [
    "email",
    "phone",
    "name",
    "avatar",
    "signed_up_at",
    "last_seen_at",
    "owner_id",
    "unsubscribed_from_emails",
    "language_override",
]


class ContactWrite(Schema):
    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    external_id: str | None = None
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    avatar: str | None = None
    signed_up_at: int | None = None
    last_seen_at: int | None = None
    owner_id: int | None = None
    unsubscribed_from_emails: bool | None = None
    language_override: str | None = None
    custom_attributes: dict[str, Any] | None = None


# Response schemas: exactly what the endpoints send, in the order they send it (Intercom's
# shapes). Fields Switchboard does not record are present and null or empty.


class AddressableRef(ResponseSchema):
    type: Literal["tag", "company"]
    id: str
    url: str


class AddressableList(ResponseSchema):
    type: Literal["list"]
    data: list[AddressableRef]
    url: str
    total_count: int
    has_more: bool


class SocialProfiles(ResponseSchema):
    type: Literal["list"]
    data: list[dict[str, Any]]


class ContactLocation(ResponseSchema):
    type: Literal["location"]
    country: str | None
    region: str | None
    city: str | None
    country_code: str | None
    continent_code: str | None


class ContactOut(ResponseSchema):
    type: Literal["contact"]
    id: str
    workspace_id: str
    external_id: str | None
    role: Literal["user", "lead"]
    email: str | None
    email_domain: str | None
    phone: str | None
    name: str | None
    avatar: str | None
    owner_id: int | None
    social_profiles: SocialProfiles
    has_hard_bounced: bool
    marked_email_as_spam: bool
    unsubscribed_from_emails: bool
    created_at: int
    updated_at: int
    signed_up_at: int | None
    last_seen_at: int | None
    last_replied_at: int | None
    last_contacted_at: int | None
    last_email_opened_at: int | None
    last_email_clicked_at: int | None
    language_override: str | None
    browser: str | None
    browser_version: str | None
    browser_language: str | None
    os: str | None
    location: ContactLocation
    custom_attributes: dict[str, Any]
    tags: AddressableList
    notes: AddressableList
    companies: AddressableList
    archived: bool


class ContactNextPage(ResponseSchema):
    per_page: int
    starting_after: str


class ContactPages(ResponseSchema):
    type: Literal["pages"]
    page: int
    per_page: int
    total_pages: int
    next: ContactNextPage | None


class ContactListOut(ResponseSchema):
    type: Literal["list"]
    data: list[ContactOut]
    total_count: int
    pages: ContactPages


class ContactArchivedOut(ResponseSchema):
    type: Literal["contact"]
    id: str
    external_id: str | None
    archived: bool


class ContactDeletedOut(ResponseSchema):
    type: Literal["contact"]
    id: str
    external_id: str | None
    deleted: bool


class ContactCompaniesPages(ResponseSchema):
    type: Literal["pages"]
    next: None
    page: int
    per_page: int


class ContactCompaniesOut(ResponseSchema):
    type: Literal["list"]
    data: list[CompanyOut]
    companies: list[CompanyOut] = Field(
        description="The same companies as `data`: the official SDK reads this key."
    )
    total_count: int
    pages: ContactCompaniesPages


class CompanyContactsPages(ResponseSchema):
    type: Literal["pages"]
    page: int
    per_page: int
    total_pages: int


class CompanyContactsOut(ResponseSchema):
    type: Literal["list"]
    data: list[ContactOut]
    total_count: int
    pages: CompanyContactsPages


def contact_json(contact: Contact) -> dict[str, Any]:
    """Intercom's contact object, for a contact loaded by `_contacts()` (with its tag and
    company ids)."""
    url = f"/contacts/{contact.pk}"
    tags = [
        {"type": "tag", "id": str(pk), "url": f"/tags/{pk}"} for pk in sorted(contact.tag_ids or [])
    ]
    companies = [
        {"type": "company", "id": str(pk), "url": f"/companies/{pk}"}
        for pk in sorted(contact.company_ids or [])
    ]

    def listed(data, kind):
        return {
            "type": "list",
            "data": data,
            "url": f"{url}/{kind}",
            "total_count": len(data),
            "has_more": False,
        }

    return {
        "type": "contact",
        "id": str(contact.pk),
        "workspace_id": "switchboard",
        "external_id": contact.external_id,
        "role": contact.role,
        "email": contact.email,
        "email_domain": contact.email.rpartition("@")[2] if contact.email else None,
        "phone": contact.phone,
        "name": contact.name,
        "avatar": contact.avatar,
        "owner_id": contact.owner_id,
        "social_profiles": {"type": "list", "data": []},
        "has_hard_bounced": False,
        "marked_email_as_spam": False,
        "unsubscribed_from_emails": contact.unsubscribed_from_emails,
        "created_at": unix(contact.created_at),
        "updated_at": unix(contact.updated_at),
        "signed_up_at": unix(contact.signed_up_at),
        "last_seen_at": unix(contact.last_seen_at),
        "last_replied_at": None,
        "last_contacted_at": None,
        "last_email_opened_at": None,
        "last_email_clicked_at": None,
        "language_override": contact.language_override,
        "browser": contact.browser,
        "browser_version": None,
        "browser_language": contact.browser_language,
        "os": contact.os,
        "location": {
            "type": "location",
            "country": contact.location_country,
            "region": contact.location_region,
            "city": contact.location_city,
            "country_code": None,
            "continent_code": None,
        },
        "custom_attributes": contact.custom_attributes,
        "tags": listed(tags, "tags"),
        "notes": listed([], "notes"),
        "companies": listed(companies, "companies"),
        "archived": contact.archived,
    }


class JSONIds(Aggregate):
    """A group's values as one JSON array: json_agg on PostgreSQL, json_group_array on SQLite."""

    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()

    def as_postgresql(self, compiler, connection, **extra_context):
        # As text, which JSONField decodes (psycopg would hand over a decoded json value).
        return super().as_sql(
            compiler,
            connection,
            function="JSON_AGG",
            template="(%(function)s(%(distinct)s%(expressions)s))::text",
            **extra_context,
        )


def _ids_of(rows: QuerySet, column: str) -> Subquery:
    return Subquery(
        rows.filter(contact_id=OuterRef("pk"))
        .order_by()
        .values("contact_id")
        .annotate(ids=JSONIds(column))
        .values("ids")
    )


def _with_ids(contacts: QuerySet) -> QuerySet:
    return contacts.annotate(
        tag_ids=_ids_of(Contact.tags.through.objects.all(), "tag_id"),
        company_ids=_ids_of(CompanyMembership.objects.all(), "company_id"),
    )


@functools.cache
def _contacts_with_ids() -> QuerySet:
    # Built once: resolving the subqueries costs more than the query itself takes to run.
    return _with_ids(Contact.objects.all())


def _contacts() -> QuerySet:
    """Contacts with their tag and company ids, in one query: the API's contact object lists
    both, and single-contact requests (most of the API's traffic) save two round trips."""
    return _contacts_with_ids().all()  # a fresh clone: the shared one is never evaluated


@functools.cache
def _contact_by_id_sql(vendor: str) -> str:
    # Most API requests load one contact: compiled once, this query costs less than half the
    # CPU it does built through the ORM every time (the id subqueries are most of that).
    sql, params = _contacts().filter(pk=0).query.sql_with_params()
    assert list(params) == [0], params
    return sql


def contact_or_404(contact_id: str) -> Contact:
    """The contact with this id, with its tag and company ids, or Intercom's 404."""
    pk = parse_id(contact_id)
    if pk is None:
        raise ApiError(404, "not_found", "User Not Found")
    found = Contact.objects.raw(_contact_by_id_sql(connection.vendor), [pk])
    contact = next(iter(found), None)
    if contact is None:
        raise ApiError(404, "not_found", "User Not Found")
    # Plain SQL skips the ORM's decoding of the annotations: the id lists arrive as JSON text.
    contact.tag_ids = json.loads(contact.tag_ids or "[]")
    contact.company_ids = json.loads(contact.company_ids or "[]")
    return contact


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
        _with_ids(contacts).filter(pk__gt=_after(starting_after)).order_by("pk")[: per_page + 1]
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


class SearchPagination(Schema):
    per_page: int = 50
    starting_after: str | None = None


class SearchRequest(Schema):
    query: dict[str, Any]
    pagination: SearchPagination | None = None


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


class MergeRequest(Schema):
    from_: str = Field(alias="from")
    into: str


@router.post(
    "/merge",
    summary="Merge a lead into a user",
    response={200: ContactOut, **api_errors(404, 409)},
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
    return contact_json(contact_or_404(str(merged.pk)))


@router.get(
    "/find_by_external_id/{external_id}",
    summary="Find a user by external id",
    response={200: ContactOut, **api_errors(404)},
    auth=TokenAuth("contacts:read"),
)
def find_by_external_id(request: HttpRequest, external_id: str):
    contact = _contacts().filter(role=Role.USER, external_id=external_id).first()
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
    response={200: ContactOut, **api_errors(409)},
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
    return contact_json(contact_or_404(str(contact.pk)))


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
    response={200: ContactOut, **api_errors(404, 409)},
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
    return contact_json(contact)


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


class CompanyRef(Schema):
    id: str | None = None


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
        company_json(m.company) for m in memberships[(page - 1) * per_page : page * per_page]
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
    response={200: CompanyOut, **api_errors(404, 409)},
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
    return company_json(company)


@router.delete(
    "/{contact_id}/companies/{company_id}",
    summary="Detach a contact from a company",
    response={200: CompanyOut, **api_errors(404, 409)},
    auth=TokenAuth("contacts:write"),
)
def detach_company(request: HttpRequest, contact_id: str, company_id: str):
    contact = contact_or_404(contact_id)
    company = get_company(company_id)
    if not contact_company_detach(
        contact=contact, company=company, source=Source.REST_API, actor=api_actor(request)
    ):
        raise ApiError(404, "company_not_found", "The contact is not attached to that company.")
    return company_json(company)


company_contacts_router = Router(tags=["Companies"])


@company_contacts_router.get(
    "/{company_id}/contacts",
    summary="List a company's contacts",
    response={200: CompanyContactsOut, **api_errors(404)},
    auth=TokenAuth("companies:read"),
)
def list_company_contacts(request: HttpRequest, company_id: str):
    company = get_company(company_id)
    contacts = list(_contacts().filter(memberships__company=company).order_by("pk")[:150])
    return {
        "type": "list",
        "data": [contact_json(c) for c in contacts],
        "total_count": len(contacts),
        "pages": {"type": "pages", "page": 1, "per_page": 50, "total_pages": 1},
    }
