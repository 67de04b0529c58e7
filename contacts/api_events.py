"""Data events in Intercom's REST API shape (2.14): submit, list or summarise, import summaries."""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.http import urlencode
from ninja import Router, Schema
from pydantic import BeforeValidator, ConfigDict, Field

from core.api import ApiError, api_errors, unix
from core.cursors import cursor_decode, cursor_encode
from core.pagination import decode_cursor
from qualification.api_support import api_actor
from qualification.sources import Source
from workspace.api_auth import TokenAuth, require_scope, token_may

from .models import Contact, Event, EventSummary
from .selectors import contact_event_summaries, contact_events, contact_find
from .services import (
    EventInvalid,
    SummaryImport,
    event_summaries_import,
    event_track,
)

router = Router(tags=["Data Events"])

# A Unix time Python can turn into a datetime (years 1970 to 9999).
LATEST_UNIX = 253402300799
PER_PAGE_DEFAULT = 15  # the SDK documents 15 as Intercom's default
PER_PAGE_MAX = 150
# Intercom sends every summary at once; a contact may have thousands, so they come in pages as
# long as the longest page of events, in the event list's shape (`pages.next`).
SUMMARY_PER_PAGE_DEFAULT = PER_PAGE_MAX
METADATA_KEYS_SENT_MAX = 100
# Intercom documents no limit; each summary is a write, so one request takes a bounded number.
MAX_SUMMARIES = 100


class EventIn(Schema):
    model_config = ConfigDict(extra="forbid")

    event_name: str | None = None
    created_at: int | None = None
    id: str | int | None = None
    user_id: str | None = None
    email: str | None = None
    # Intercom keeps the first ten keys and ignores the rest; far more is not an event.
    metadata: dict[str, Any] | None = Field(
        None, max_length=METADATA_KEYS_SENT_MAX, description="Ten keys are kept; at most 100 sent."
    )


class EventOut(Schema):
    type: Literal["event"]
    id: str
    event_name: str
    created_at: int
    user_id: str | None
    intercom_user_id: str
    email: str | None
    metadata: dict[str, Any]


class EventPages(Schema):
    next: str | None


class EventListOut(Schema):
    type: Literal["event.list"]
    events: list[EventOut]
    pages: EventPages


class EventSummaryItemOut(Schema):
    name: str
    first: str
    last: str
    count: int
    description: str | None


class EventSummaryOut(Schema):
    type: Literal["event.summary"]
    email: str | None
    intercom_user_id: str
    user_id: str | None
    events: list[EventSummaryItemOut]
    pages: EventPages = Field(
        description=f"The next page of summaries, {SUMMARY_PER_PAGE_DEFAULT} to a page unless "
        "per_page says otherwise; null on the last."
    )


class EventSummaryIn(Schema):
    event_name: str | None = None
    count: int | None = None
    first: int | None = None
    last: int | None = None


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, dict) else value


class EventSummariesIn(Schema):
    user_id: str | None = None
    # Intercom's schema says one object while its description says "a list": take either.
    event_summaries: (
        Annotated[
            list[EventSummaryIn],
            BeforeValidator(_one_or_many),
            Field(
                max_length=MAX_SUMMARIES,
                description=f"At most {MAX_SUMMARIES} summaries; one object is taken as a "
                "list of one.",
            ),
        ]
        | None
    ) = None


def _moment(value: int, name: str) -> datetime:
    if not 0 <= value <= LATEST_UNIX:
        raise ApiError(400, "parameter_invalid", f"{name} must be a Unix time in seconds.")
    return datetime.fromtimestamp(value, tz=UTC)


def _contact(request: HttpRequest, **identifiers: str | None) -> Contact:
    """The one contact named by exactly one identifier; 400 for none or several, 404 unknown.
    By email only for a token that may read contacts: the answer tells whether that email is
    a contact, which an events-only token may not learn (README, "Scopes")."""
    sent = {name: value for name, value in identifiers.items() if value not in (None, "")}
    names = " or ".join(identifiers)
    if len(sent) != 1:
        problem = "Send" if not sent else "Send only one of"
        code = "parameter_not_found" if not sent else "parameter_invalid"
        raise ApiError(400, code, f"{problem} {names} to say whose event this is.")
    ((name, value),) = sent.items()
    if name == "email":
        require_scope(request, "contacts:read", "naming a contact by email")
    lookup = {"id": "contact_id", "intercom_user_id": "contact_id", "user_id": "external_id"}
    contact = contact_find(**{lookup.get(name, name): str(value)})
    if contact is None:
        raise ApiError(404, "not_found", "User Not Found")
    return contact


def _invalid(exc: EventInvalid) -> ApiError:
    return ApiError(400, "parameter_invalid", str(exc))


@router.post(
    "",
    summary="Submit a data event",
    response={202: None, **api_errors(404, 409)},
    auth=TokenAuth("events:write"),
)
def create_event(request: HttpRequest, body: EventIn):
    if not body.event_name:
        raise ApiError(400, "parameter_not_found", "event_name is required.")
    # Intercom's schema requires it and de-duplicates on it; defaulting to "now" would make
    # every retry a new event, so a request without it is refused.
    if body.created_at is None:
        raise ApiError(400, "parameter_not_found", "created_at (Unix seconds) is required.")
    created_at = _moment(body.created_at, "created_at")
    contact = _contact(
        request,
        id=None if body.id is None else str(body.id),
        user_id=body.user_id,
        email=body.email,
    )
    try:
        event_track(
            contact=contact,
            event_name=body.event_name,
            created_at=created_at,
            metadata=body.metadata,
            source=Source.REST_API,
            actor=api_actor(request),
        )
    except EventInvalid as exc:
        raise _invalid(exc) from None
    # Intercom answers 202 with an empty body, for new and duplicate events alike.
    return HttpResponse(status=202)


def _cursor(event: Event) -> str:
    return cursor_encode(unix(event.created_at), event.pk)


def _before(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    try:
        seconds, pk = (int(part) for part in cursor_decode(cursor) or ())
        return _moment(seconds, "before"), pk
    except (ValueError, ApiError):
        raise ApiError(400, "parameter_invalid", "before is not a valid cursor.") from None


def _email(request: HttpRequest, contact: Contact) -> str | None:
    # An event's contact by its email only for a token that may read contacts.
    return contact.email if token_may(request, "contacts:read") else None


def event_json(event: Event, contact: Contact, email: str | None) -> dict[str, Any]:
    return {
        "type": "event",
        "id": str(event.pk),
        "event_name": event.event_name,
        "created_at": unix(event.created_at),
        "user_id": contact.external_id,
        "intercom_user_id": str(contact.pk),
        "email": email,
        "metadata": event.metadata,
    }


def _iso(moment: datetime) -> str:
    # Intercom's own example: 2014-01-16T23:12:21.000+00:00
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def summary_json(summary: EventSummary) -> dict[str, Any]:
    return {
        "name": summary.event_name,
        "first": _iso(summary.first_at),
        "last": _iso(summary.last_at),
        "count": summary.count,
        "description": None,  # Intercom's event descriptions are workspace settings we lack
    }


@router.get(
    "",
    summary="List all data events",
    response={200: EventListOut | EventSummaryOut, **api_errors(404)},
    auth=TokenAuth("events:read"),
)
def list_events(
    request: HttpRequest,
    type: str | None = None,
    user_id: str | None = None,
    email: str | None = None,
    intercom_user_id: str | None = None,
    summary: bool = False,
    per_page: int = PER_PAGE_DEFAULT,
    before: str | None = None,
):
    if type != "user":
        raise ApiError(400, "parameter_invalid", "type must be user.")
    if not 1 <= per_page <= PER_PAGE_MAX:
        raise ApiError(400, "parameter_invalid", f"per_page must be between 1 and {PER_PAGE_MAX}.")
    if summary:
        if before and decode_cursor(before) is None:
            raise ApiError(400, "parameter_invalid", "before is not a valid cursor.")
        contact = _contact(request, user_id=user_id, email=email, intercom_user_id=intercom_user_id)
        size = per_page if "per_page" in request.GET else SUMMARY_PER_PAGE_DEFAULT
        page = contact_event_summaries(contact, size=size, cursor=before)
        return {
            "type": "event.summary",
            "email": _email(request, contact),
            "intercom_user_id": str(contact.pk),
            "user_id": contact.external_id,
            "events": [summary_json(s) for s in page.items],
            "pages": {"next": _next_url(request, page.next_cursor)},
        }
    cursor = _before(before)
    contact = _contact(request, user_id=user_id, email=email, intercom_user_id=intercom_user_id)
    events = contact_events(contact, limit=per_page + 1, before=cursor)
    more = len(events) > per_page
    events = events[:per_page]
    return {
        "type": "event.list",
        "events": [event_json(e, contact, _email(request, contact)) for e in events],
        "pages": {"next": _next_url(request, _cursor(events[-1]) if more else None)},
    }


def _next_url(request: HttpRequest, cursor: str | None) -> str | None:
    """This same query from below the last item shown, or None on the last page."""
    if cursor is None:
        return None
    query = {k: v for k, v in request.GET.items() if k != "before"}
    query["before"] = cursor
    return request.build_absolute_uri(f"{request.path}?{urlencode(query)}")


@router.post(
    "/summaries",
    summary="Create event summaries",
    response={200: None, **api_errors(404, 409)},
    auth=TokenAuth("events:write"),
)
def create_event_summaries(request: HttpRequest, body: EventSummariesIn):
    items = body.event_summaries or []
    if not items:
        raise ApiError(400, "parameter_not_found", "event_summaries is required.")
    summaries = []
    for i, item in enumerate(items):
        for name in ("event_name", "count", "first", "last"):
            if getattr(item, name) is None:
                raise ApiError(
                    400, "parameter_not_found", f"event_summaries[{i}].{name} is required."
                )
        summaries.append(
            SummaryImport(
                event_name=item.event_name,
                count=item.count,
                first=_moment(item.first, f"event_summaries[{i}].first"),
                last=_moment(item.last, f"event_summaries[{i}].last"),
            )
        )
    contact = _contact(request, user_id=body.user_id)
    try:
        event_summaries_import(contact=contact, summaries=summaries)
    except EventInvalid as exc:
        raise _invalid(exc) from None
    return HttpResponse(status=200)
