"""Tags and segments in Intercom's REST API shape (2.14): /tags in its five POST body shapes,
a contact's tags, and segments with their member counts."""

from typing import Annotated, Any, Literal

from django.db.models import Count
from django.http import HttpRequest, QueryDict
from ninja import Router, Schema
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from companies.models import Company
from core.api import ApiError, api_errors, unix
from qualification.api_support import api_actor
from qualification.models import Tag
from qualification.services import TagNameTaken, tag_find_or_create, tag_rename
from qualification.sources import Source
from qualification.values import parse_id
from workspace.api_auth import TokenAuth

from .api import contact_or_404
from .models import Contact, Role, Segment
from .services import TagInUse, contact_tag, contact_untag, tag_delete, tags_apply

tags_router = Router(tags=["Tags"])
contact_tags_router = Router(tags=["Contacts"])
segments_router = Router(tags=["Segments"])

INVALID = "invalid tag parameters"
# Intercom recommends tagging at most 50 at a time (more can time out) and documents no hard
# limit; each one tagged is a write with its history, so one request takes at most this many.
MAX_TAG_TARGETS = 100


# Responses ----------------------------------------------------------------------------------


class TagOut(Schema):
    type: Literal["tag"]
    id: str
    name: str


class TagListOut(Schema):
    type: Literal["list"]
    data: list[TagOut]


class SegmentOut(Schema):
    type: Literal["segment"]
    id: str
    name: str
    created_at: int
    updated_at: int
    person_type: Literal["user", "contact"]
    count: int | None = Field(
        None, description="Members; sent only when the list is asked for include_count=true."
    )


class SegmentListOut(Schema):
    type: Literal["segment.list"]
    segments: list[SegmentOut]


class ContactSegmentsOut(Schema):
    type: Literal["list"]
    data: list[SegmentOut]


def tag_json(tag: Tag) -> dict[str, Any]:
    return {"type": "tag", "id": str(tag.pk), "name": tag.name}


def segment_json(segment: Segment, count: int | None = None) -> dict[str, Any]:
    # Segment has no updated_at column: its created_at is the best time we can give. Its
    # filter chooses users, leads or both; Intercom's "contact" means leads.
    role = QueryDict(segment.query).get("role")
    return {
        "type": "segment",
        "id": str(segment.pk),
        "name": segment.name,
        "created_at": unix(segment.created_at),
        "updated_at": unix(segment.created_at),
        "person_type": "contact" if role == Role.LEAD else "user",
        "count": count,
    }


# Lookups ------------------------------------------------------------------------------------


def _pk(value: str | int | None) -> int | None:
    """An id as a primary key, or None when it cannot be one (a bigint on PostgreSQL)."""
    text = str(value) if value is not None else ""
    return parse_id(text)


def _tag(tag_id: str | int) -> Tag:
    tag = Tag.objects.filter(pk=pk).first() if (pk := _pk(tag_id)) is not None else None
    if tag is None:
        raise ApiError(404, "not_found", "Resource Not Found")
    return tag


# POST /tags bodies --------------------------------------------------------------------------
# Validated by hand rather than by ninja, so every malformed body gets Intercom's one message;
# the same models describe the body in the OpenAPI document.

TagName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=190)]
AnyId = str | int


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class TagCreateOrRename(_Strict):
    """Create a tag (or find it by name), or rename the tag with this id."""

    name: TagName
    id: AnyId | None = None


class TagCompanyItem(_Strict):
    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": ["id"]}, {"required": ["company_id"]}]}
    )

    id: AnyId | None = Field(None, description="Switchboard's id of the company.")
    company_id: str | None = Field(None, description="Your own id of the company.")
    untag: bool | None = Field(None, description="true: take the tag off this company.")


class TagCompanies(_Strict):
    """Tag (or, item by item, untag) companies; the tag is made if missing."""

    name: TagName
    companies: list[TagCompanyItem] = Field(
        min_length=1, max_length=MAX_TAG_TARGETS, description=f"At most {MAX_TAG_TARGETS}."
    )


class TagUserItem(_Strict):
    id: AnyId = Field(description="Switchboard's id of the contact.")
    untag: bool | None = Field(None, description="true: take the tag off this contact.")


class TagUsers(_Strict):
    """Tag (or, item by item, untag) contacts; the tag is made if missing."""

    name: TagName
    users: list[TagUserItem] = Field(
        min_length=1, max_length=MAX_TAG_TARGETS, description=f"At most {MAX_TAG_TARGETS}."
    )


TAG_BODY = TypeAdapter(TagCreateOrRename | TagCompanies | TagUsers)


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON schema with its $defs substituted in place, for openapi_extra."""
    defs = schema.pop("$defs", {})

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


TAG_BODY_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _inline(TAG_BODY.json_schema())}},
    }
}


def _parse_tag_body(raw: bytes) -> TagCreateOrRename | TagCompanies | TagUsers:
    try:
        return TAG_BODY.validate_json(raw or b"")
    except PydanticValidationError as exc:
        errors = exc.errors()
        if any(e["type"] == "json_invalid" for e in errors):
            raise ApiError(400, "bad_request", "The request body is not valid JSON.") from None
        # The body's shape is a union: each shape it could have been reports its own errors.
        for error in errors:
            if error["type"] == "too_long" and error["loc"][-1] in ("users", "companies"):
                raise ApiError(
                    400,
                    "parameter_invalid",
                    f"{error['loc'][-1]}: at most {MAX_TAG_TARGETS} in one request "
                    f"(this one has {error['ctx']['actual_length']}); send them in batches.",
                ) from None
        raise ApiError(400, "parameter_invalid", INVALID) from None


def _companies(items: list[TagCompanyItem]) -> list[tuple[Company, bool]]:
    """Every company the items name, or 404 for the first one that does not exist."""
    pks = {pk for i in items if (pk := _pk(i.id)) is not None}
    own_ids = {i.company_id for i in items if i.company_id is not None}
    by_pk = Company.objects.in_bulk(pks)
    by_own_id = Company.objects.in_bulk(own_ids, field_name="company_id")
    found = []
    for item in items:
        if item.id is None and item.company_id is None:
            raise ApiError(400, "parameter_invalid", INVALID)
        if item.id is not None:
            company = by_pk.get(_pk(item.id))
            if company and item.company_id is not None and company.company_id != item.company_id:
                company = None
        else:
            company = by_own_id.get(item.company_id)
        if company is None:
            raise ApiError(404, "company_not_found", "Company Not Found")
        found.append((company, item.untag is True))
    return found


def _users(items: list[TagUserItem]) -> list[tuple[Contact, bool]]:
    """Every contact the items name, or 404 for the first one that does not exist."""
    by_pk = Contact.objects.in_bulk({pk for i in items if (pk := _pk(i.id)) is not None})
    found = []
    for item in items:
        contact = by_pk.get(_pk(item.id))
        if contact is None:
            raise ApiError(404, "not_found", "User Not Found")
        found.append((contact, item.untag is True))
    return found


# /tags --------------------------------------------------------------------------------------


@tags_router.get(
    "",
    summary="List all tags",
    response={200: TagListOut, **api_errors()},
    auth=TokenAuth("tags:read"),
)
def list_tags(request: HttpRequest):
    return {"type": "list", "data": [tag_json(t) for t in Tag.objects.order_by("name", "pk")]}


@tags_router.post(
    "",
    summary="Create or rename a tag, tag or untag companies, tag or untag contacts",
    response={200: TagOut, **api_errors(404, 409)},
    openapi_extra=TAG_BODY_OPENAPI,
    auth=TokenAuth("tags:write"),
)
def create_tag(request: HttpRequest):
    body = _parse_tag_body(request.body)
    if isinstance(body, TagCreateOrRename):
        if body.id is None:
            return tag_json(tag_find_or_create(name=body.name))
        tag = _tag(body.id)
        try:
            return tag_json(tag_rename(tag=tag, name=body.name))
        except TagNameTaken as exc:
            raise ApiError(400, "parameter_invalid", str(exc)) from None
    # Every id is checked before anything is written: one unknown id and nothing changes.
    targets = _companies(body.companies) if isinstance(body, TagCompanies) else _users(body.users)
    tag = tags_apply(
        name=body.name,
        tag=[t for t, untag in targets if not untag],
        untag=[t for t, untag in targets if untag],
        source=Source.REST_API,
        actor=api_actor(request),
    )
    if tag is None:
        raise ApiError(404, "not_found", "Resource Not Found")
    return tag_json(tag)


@tags_router.get(
    "/{tag_id}",
    summary="Find a specific tag",
    response={200: TagOut, **api_errors(404)},
    auth=TokenAuth("tags:read"),
)
def find_tag(request: HttpRequest, tag_id: str):
    return tag_json(_tag(tag_id))


@tags_router.delete(
    "/{tag_id}",
    summary="Delete a tag",
    description="Takes the tag off every contact and company first. Refused (400 "
    "tag_has_dependent_objects) while a segment's filter uses the tag.",
    response={200: None, **api_errors(404, 409)},
    auth=TokenAuth("tags:write"),
)
def delete_tag(request: HttpRequest, tag_id: str):
    tag = _tag(tag_id)
    try:
        tag_delete(tag=tag, source=Source.REST_API, actor=api_actor(request))
    except TagInUse as exc:
        raise ApiError(400, "tag_has_dependent_objects", str(exc)) from None
    # Intercom answers 200 with no body.


# /contacts/{id}/tags ------------------------------------------------------------------------


class TagRef(Schema):
    model_config = ConfigDict(strict=True)

    id: AnyId = Field(description="The id of the tag to apply.")


@contact_tags_router.get(
    "/{contact_id}/tags",
    summary="List tags attached to a contact",
    response={200: TagListOut, **api_errors(404)},
    auth=TokenAuth("contacts:read"),
)
def list_contact_tags(request: HttpRequest, contact_id: str):
    contact = contact_or_404(contact_id)
    return {"type": "list", "data": [tag_json(t) for t in contact.tags.order_by("name", "pk")]}


# Tagging a contact needs tags:write, not contacts:write: POST /tags can tag the same contacts
# with tags:write alone, so one effect asks for one scope whichever endpoint does it.
@contact_tags_router.post(
    "/{contact_id}/tags",
    summary="Add tag to a contact",
    response={200: TagOut, **api_errors(404, 409)},
    auth=TokenAuth("tags:write"),
)
def tag_contact(request: HttpRequest, contact_id: str, body: TagRef):
    contact = contact_or_404(contact_id)
    tag = _tag(body.id)
    contact_tag(contact=contact, tag=tag, source=Source.REST_API, actor=api_actor(request))
    # No applied_at / applied_by: Switchboard does not record when or by whom a tag was
    # applied, and a made-up value would be worse than none.
    return tag_json(tag)


@contact_tags_router.delete(
    "/{contact_id}/tags/{tag_id}",
    summary="Remove tag from a contact",
    response={200: TagOut, **api_errors(404, 409)},
    auth=TokenAuth("tags:write"),
)
def untag_contact(request: HttpRequest, contact_id: str, tag_id: str):
    contact = contact_or_404(contact_id)
    tag = _tag(tag_id)
    # Removing a tag the contact does not carry succeeds: the outcome the caller asked for holds.
    contact_untag(contact=contact, tag=tag, source=Source.REST_API, actor=api_actor(request))
    return tag_json(tag)


# Segments -----------------------------------------------------------------------------------


@segments_router.get(
    "",
    summary="List all segments",
    response={200: SegmentListOut, **api_errors()},
    exclude_none=True,
    auth=TokenAuth("contacts:read"),
)
def list_segments(request: HttpRequest, include_count: bool = False):
    segments = Segment.objects.order_by("name", "pk")
    if include_count:
        # Members as the projector last evaluated them: it follows changes through the outbox.
        segments = segments.annotate(member_count=Count("segmentmembership"))
    return {
        "type": "segment.list",
        "segments": [segment_json(s, s.member_count if include_count else None) for s in segments],
    }


@segments_router.get(
    "/{segment_id}",
    summary="Retrieve a segment",
    response={200: SegmentOut, **api_errors(404)},
    exclude_none=True,
    auth=TokenAuth("contacts:read"),
)
def find_segment(request: HttpRequest, segment_id: str):
    pk = _pk(segment_id)
    segment = Segment.objects.filter(pk=pk).first() if pk is not None else None
    if segment is None:
        raise ApiError(404, "not_found", "Resource Not Found")
    return segment_json(segment)


@contact_tags_router.get(
    "/{contact_id}/segments",
    summary="List attached segments for contact",
    response={200: ContactSegmentsOut, **api_errors(404)},
    exclude_none=True,
    auth=TokenAuth("contacts:read"),
)
def list_contact_segments(request: HttpRequest, contact_id: str):
    contact = contact_or_404(contact_id)
    segments = contact.segments.order_by("name", "pk")
    return {"type": "list", "data": [segment_json(s) for s in segments]}
