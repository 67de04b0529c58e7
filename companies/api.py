"""Companies in Intercom's REST API shape (2.14): create-or-update by company_id, retrieve by
id, by company_id or by name, update, delete, list (POST /companies/list) and their people."""

from typing import Any, Literal

from django.core import signing
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from core.api import ApiError, ObjectRef, ResponseSchema, api_errors, unix
from qualification.api_support import api_actor, attribute_values
from qualification.services import attributes_apply
from qualification.sources import Source
from qualification.values import parse_id
from workspace.api_auth import TokenAuth, token_may

from .models import Company
from .services import company_create, company_delete

router = Router(tags=["Companies"])
# Intercom reaches at most 10,000 companies by page; far past that is a mistake, not a page.
MAX_PAGE = 10_000
STANDARD_FIELDS = ["name", "plan", "size", "website", "industry", "monthly_spend"]
COMPANY_ID_MAX = Company._meta.get_field("company_id").max_length


class CompanyWrite(Schema):
    model_config = ConfigDict(extra="forbid")

    company_id: str | None = Field(None, max_length=COMPANY_ID_MAX)
    name: str | None = None
    plan: str | None = None
    size: int | None = None
    website: str | None = None
    industry: str | None = None
    monthly_spend: float | None = None
    remote_created_at: int | None = None
    custom_attributes: dict[str, Any] | None = None


# Response schemas: exactly what the endpoints send, in the order they send it (Intercom's
# shapes). Fields Switchboard does not record are present and null or empty.


class CompanyPlan(ResponseSchema):
    type: Literal["plan"]
    id: str
    name: str


class NoPlan(ResponseSchema):
    """Intercom's plan of a company without one: `{}`."""


class CompanyTag(ResponseSchema):
    type: Literal["tag"]
    id: str
    name: str


class CompanyTags(ResponseSchema):
    type: Literal["tag.list"]
    tags: list[CompanyTag]


class CompanySegments(ResponseSchema):
    type: Literal["segment.list"]
    segments: list[dict[str, Any]] = Field(description="Not recorded for companies: empty.")


class CompanyOut(ResponseSchema):
    type: Literal["company"]
    id: str
    company_id: str
    app_id: str
    name: str | None
    remote_created_at: int | None
    created_at: int
    updated_at: int
    last_request_at: int | None
    monthly_spend: int
    session_count: int
    user_count: int
    size: int | None
    website: str | None
    industry: str | None
    plan: CompanyPlan | NoPlan
    custom_attributes: dict[str, Any]
    tags: CompanyTags
    segments: CompanySegments


class CompanyPages(ResponseSchema):
    type: Literal["pages"]
    next: None
    page: int
    per_page: int
    total_pages: int


class CompanyListOut(ResponseSchema):
    type: Literal["list"]
    data: list[CompanyOut]
    pages: CompanyPages
    total_count: int


class CompanyScrollOut(ResponseSchema):
    type: Literal["list"]
    data: list[CompanyOut]
    pages: None
    total_count: None
    scroll_param: str | None = Field(
        description="Ask again with it for the next page; null once `data` is empty."
    )


class CompanyDeletedOut(ResponseSchema):
    id: str
    object: Literal["company"]
    deleted: bool


def company_json(company: Company, user_count: int | None = None) -> dict[str, Any]:
    tags = [{"type": "tag", "id": str(t.pk), "name": t.name} for t in company.tags.all()]
    return {
        "type": "company",
        "id": str(company.pk),
        "company_id": company.company_id,
        "app_id": "switchboard",
        "name": company.name,
        "remote_created_at": unix(company.remote_created_at),
        "created_at": unix(company.created_at),
        "updated_at": unix(company.updated_at),
        "last_request_at": unix(company.last_request_at),
        "monthly_spend": int(company.monthly_spend or 0),
        "session_count": company.session_count or 0,
        "user_count": user_count if user_count is not None else company.memberships.count(),
        "size": company.size,
        "website": company.website,
        "industry": company.industry,
        "plan": {"type": "plan", "id": company.plan, "name": company.plan} if company.plan else {},
        "custom_attributes": company.custom_attributes,
        "tags": {"type": "tag.list", "tags": tags},
        "segments": {"type": "segment.list", "segments": []},
    }


def company_body(request: HttpRequest, company: Company) -> dict[str, Any]:
    """The company in full for a token that may read companies; otherwise only its type and id,
    so a write-only token learns nothing it did not send (README, "Scopes")."""
    if token_may(request, "companies:read"):
        return company_json(company)
    return {"type": "company", "id": str(company.pk)}


def _values(body: CompanyWrite) -> dict[str, Any]:
    fields = [*STANDARD_FIELDS, "remote_created_at"]
    sent = {name: getattr(body, name) for name in fields if name in body.model_fields_set}
    return attribute_values(Company, sent, body.custom_attributes)


def get_company(company_id: str) -> Company:
    pk = parse_id(company_id)
    company = Company.objects.prefetch_related("tags").filter(pk=pk).first() if pk else None
    if company is None:
        raise ApiError(404, "company_not_found", "Company Not Found")
    return company


@router.post(
    "",
    summary="Create or update a company",
    response={200: CompanyOut | ObjectRef, **api_errors(409)},
    auth=TokenAuth("companies:write"),
)
def create_or_update_company(request: HttpRequest, body: CompanyWrite):
    if not body.company_id:
        raise ApiError(400, "parameter_not_found", "company_id is required.")
    with transaction.atomic():
        company = Company.objects.select_for_update().filter(company_id=body.company_id).first()
        if company is None:
            company = company_create(
                company_id=body.company_id,
                values=_values(body),
                source=Source.REST_API,
                actor=api_actor(request),
            )
        else:
            attributes_apply(
                target=company,
                values=_values(body),
                source=Source.REST_API,
                actor=api_actor(request),
            )
    return company_body(request, get_company(str(company.pk)))


@router.get(
    "",
    summary="Retrieve a company by company_id or name, or list companies",
    description="With `company_id` or `name`, the one company (`type: company`); without "
    "either, a page of all companies (`type: list`).",
    response={200: CompanyOut | CompanyListOut, **api_errors(404)},
    auth=TokenAuth("companies:read"),
)
def find_companies(
    request: HttpRequest,
    company_id: str | None = None,
    name: str | None = None,
    page: int = Query(1, ge=1, le=MAX_PAGE),
    per_page: int = Query(15, ge=1, le=60),
):
    if company_id is not None or name is not None:
        found = Company.objects.prefetch_related("tags")
        found = (
            found.filter(company_id=company_id)
            if company_id is not None
            else found.filter(name=name)
        )
        company = found.first()
        if company is None:
            raise ApiError(404, "company_not_found", "Company Not Found")
        return company_json(company)
    return _company_page(page, per_page, "desc")


# Before /{company_id}, which would otherwise take "list" for an id.
@router.post(
    "/list",
    summary="List companies",
    response={200: CompanyListOut, **api_errors()},
    auth=TokenAuth("companies:read"),
)
def list_companies(
    request: HttpRequest,
    page: int = Query(1, ge=1, le=MAX_PAGE),
    per_page: int = Query(15, ge=1, le=60),
    order: str = "desc",
):
    return _company_page(page, per_page, order)


SCROLL_PAGE_SIZE = 50
SCROLL_SECONDS = 60
SCROLL_SIGNER = signing.TimestampSigner(salt="companies-scroll")


@router.get(
    "/scroll",
    summary="Scroll over all companies",
    response={200: CompanyScrollOut, **api_errors(404)},
    auth=TokenAuth("companies:read"),
)
def scroll_companies(request: HttpRequest, scroll_param: str | None = None):
    """Every company, a page at a time. Each page answers a fresh `scroll_param` that names
    the position after it for a minute, so asking again with the same one repeats that page
    (a retried request loses nothing); past the end, `data` is empty. The param is the position
    itself, signed and timed: no cache to lose it, so scrolling works with Redis down."""
    after = 0
    if scroll_param:
        try:
            after = int(SCROLL_SIGNER.unsign(scroll_param, max_age=SCROLL_SECONDS))
        except (signing.BadSignature, ValueError):
            raise ApiError(
                404,
                "scroll_param_not_found",
                "This scroll_param has expired (they last a minute) or never existed; "
                "start again without one.",
            ) from None
    companies = list(
        Company.objects.prefetch_related("tags")
        .annotate(people=Count("memberships"))
        .filter(pk__gt=after)
        .order_by("pk")[:SCROLL_PAGE_SIZE]
    )
    next_param = None
    if companies:
        next_param = SCROLL_SIGNER.sign(str(companies[-1].pk))
    return {
        "type": "list",
        "data": [company_json(c, user_count=c.people) for c in companies],
        "pages": None,
        "total_count": None,
        "scroll_param": next_param,
    }


@router.get(
    "/{company_id}",
    summary="Retrieve a company",
    response={200: CompanyOut, **api_errors(404)},
    auth=TokenAuth("companies:read"),
)
def retrieve_company(request: HttpRequest, company_id: str):
    return company_json(get_company(company_id))


@router.put(
    "/{company_id}",
    summary="Update a company",
    response={200: CompanyOut | ObjectRef, **api_errors(404, 409)},
    auth=TokenAuth("companies:write"),
)
def update_company(request: HttpRequest, company_id: str, body: CompanyWrite):
    company = get_company(company_id)
    if body.company_id is not None and body.company_id != company.company_id:
        raise ApiError(400, "parameter_invalid", "company_id cannot be changed once set.")
    attributes_apply(
        target=company, values=_values(body), source=Source.REST_API, actor=api_actor(request)
    )
    return company_body(request, get_company(company_id))


@router.delete(
    "/{company_id}",
    summary="Delete a company",
    response={200: CompanyDeletedOut, **api_errors(404, 409)},
    auth=TokenAuth("companies:write"),
)
def delete_company(request: HttpRequest, company_id: str):
    company_delete(
        company=get_company(company_id), source=Source.REST_API, actor=api_actor(request)
    )
    return {"id": company_id, "object": "company", "deleted": True}


def _company_page(page: int, per_page: int, order: str) -> dict[str, Any]:
    """One page; both callers' query parameters bound `page` and `per_page` already."""
    ordering = ("-updated_at", "-id") if order != "asc" else ("updated_at", "id")
    total = Company.objects.count()
    companies = list(
        Company.objects.prefetch_related("tags")
        .annotate(people=Count("memberships"))
        .order_by(*ordering)[(page - 1) * per_page : page * per_page]
    )
    return {
        "type": "list",
        "data": [company_json(c, user_count=c.people) for c in companies],
        "pages": {
            "type": "pages",
            "next": None,
            "page": page,
            "per_page": per_page,
            "total_pages": max(1, -(-total // per_page)),
        },
        "total_count": total,
    }
