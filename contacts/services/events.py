"""Events the customer's app tracks for a contact, and their summaries."""

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connections, router, transaction
from django.db.models import F
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from core.request_context import request_id_var
from core.write_guard import service
from qualification.sources import Actor

from ..models import Contact, Event, EventSummary

EVENT_NAME_MAX = 255
METADATA_MAX_KEYS = 10  # Intercom keeps the first ten keys sent and ignores the rest.
METADATA_KEY_MAX = 255
METADATA_TEXT_MAX = 2000


class EventInvalid(ValueError):
    """A refused event or summary; `field` names the parameter or metadata key at fault."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class TrackResult:
    inserted: bool  # False: the same contact, name and time were already recorded
    dropped_metadata_keys: list[str]


def event_name_clean(name: Any, field: str = "event_name") -> str:
    if not isinstance(name, str) or not name.strip():
        raise EventInvalid(field, f"{field} must be a non-empty string.")
    if len(name) > EVENT_NAME_MAX:
        raise EventInvalid(field, f"{field} is longer than {EVENT_NAME_MAX} characters.")
    return name


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


MAX_UNIX_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z


def _metadata_value_clean(key: str, value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if _is_number(value):
        if not math.isfinite(value) or abs(value) >= 2**63:
            raise EventInvalid(key, f"Metadata '{key}' must be a finite number below 2^63.")
        if key.endswith("_date") and not 0 <= value <= MAX_UNIX_SECONDS:
            # Intercom's date metadata: a key ending in _date holds Unix seconds. Milliseconds
            # (a common slip) would be a date thousands of years away.
            raise EventInvalid(
                key,
                f"Metadata '{key}' is a date: send Unix seconds (0 to {MAX_UNIX_SECONDS}), "
                "not milliseconds.",
            )
        return value
    if isinstance(value, str):
        if len(value) > METADATA_TEXT_MAX:
            raise EventInvalid(
                key, f"Metadata '{key}' is longer than {METADATA_TEXT_MAX} characters."
            )
        return value
    if isinstance(value, dict) and set(value) == {"url", "value"}:
        url, text = value["url"], value["value"]
        # The contact page renders a rich link as a link: only web addresses may become one.
        if not (isinstance(url, str) and url.lower().startswith(("http://", "https://"))):
            raise EventInvalid(key, f"Metadata '{key}' is a rich link: its url must be http(s).")
        if not isinstance(text, str) or len(url) > METADATA_TEXT_MAX or len(text) > 1000:
            raise EventInvalid(key, f"Metadata '{key}' is a rich link: its value must be text.")
        return {"url": url, "value": text}
    if isinstance(value, dict) and set(value) == {"amount", "currency"}:
        amount, currency = value["amount"], value["currency"]
        if not (isinstance(amount, int) and not isinstance(amount, bool) and 0 <= amount < 2**63):
            raise EventInvalid(
                key,
                f"Metadata '{key}' is a monetary amount: amount must be whole cents, 0 or more.",
            )
        if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha()):
            raise EventInvalid(
                key, f"Metadata '{key}' is a monetary amount: currency must be a 3-letter code."
            )
        return {"amount": amount, "currency": currency.lower()}
    raise EventInvalid(
        key,
        f"Metadata '{key}' must be a string, number, boolean, null, a rich link "
        '{"url", "value"} or a monetary amount {"amount", "currency"}; nested JSON is not '
        "supported.",
    )


def event_metadata_clean(metadata: Any) -> tuple[dict[str, Any], list[str]]:
    """The metadata kept (the first ten keys, in the order sent, each value checked) and the
    keys dropped. Dropped keys are not checked: they are ignored, as Intercom does."""
    if metadata is None:
        return {}, []
    if not isinstance(metadata, dict):
        raise EventInvalid("metadata", "metadata must be a JSON object.")
    keys = list(metadata)
    kept = {}
    for key in keys[:METADATA_MAX_KEYS]:
        if not key.strip() or len(key) > METADATA_KEY_MAX:
            raise EventInvalid(
                "metadata", f"Metadata keys must be 1 to {METADATA_KEY_MAX} characters."
            )
        kept[key] = _metadata_value_clean(key, metadata[key])
    return kept, keys[METADATA_MAX_KEYS:]


def _insert_unless_duplicate(event: Event, using: str) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: the new row's id, or None when the same
    occurrence already exists (or is being inserted by a concurrent transaction that then
    commits: PostgreSQL waits for it). The ORM's ignore_conflicts cannot say which happened,
    and the summary must count only rows really inserted. PostgreSQL and SQLite >= 3.35 both
    speak this SQL."""
    connection = connections[using]
    quote = connection.ops.quote_name
    fields = [f for f in Event._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(quote(f.column) for f in fields)
    target = ", ".join(quote(c) for c in ("contact_id", "event_name", "created_at"))
    placeholders = ", ".join(["%s"] * len(fields))
    # Only the model's own table and column names are interpolated; values go as parameters.
    table, pk = quote(Event._meta.db_table), quote(Event._meta.pk.column)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) ON CONFLICT ({target}) "  # noqa: S608
    sql += f"DO NOTHING RETURNING {pk}"
    params = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def _summary_merge(
    *, contact: Contact, event_name: str, first: datetime, last: datetime, using: str, **counts
) -> None:
    """Make sure the summary row exists (a concurrent first event of the same name just waits
    and skips), then move it with F() in one UPDATE so concurrent writers never lose a count."""
    EventSummary.objects.using(using).bulk_create(
        [EventSummary(contact=contact, event_name=event_name, first_at=first, last_at=last)],
        ignore_conflicts=True,
    )
    EventSummary.objects.using(using).filter(contact=contact, event_name=event_name).update(
        first_at=Least("first_at", first),
        last_at=Greatest("last_at", last),
        updated_at=timezone.now(),
        **counts,
    )


@service
def event_track(
    *,
    contact: Contact,
    event_name: str,
    created_at: datetime,
    metadata: dict[str, Any] | None,
    source: str,
    actor: Actor | Any,
) -> TrackResult:
    """Record that a contact did something. A duplicate (same contact, name and time) is
    accepted and ignored, metadata and all; only a new row counts in the summary."""
    event_name = event_name_clean(event_name)
    kept, dropped = event_metadata_clean(metadata)
    actor = Actor.coerce(actor)
    using = router.db_for_write(Event)
    event = Event(
        contact=contact,
        event_name=event_name,
        created_at=created_at,
        metadata=kept,
        dropped_metadata_keys=dropped,
        source=source,
        actor_kind=actor.kind,
        actor_id=actor.id[:64],
        actor_label=actor.label[:200],
        request_id=request_id_var.get()[:64],
        received_at=timezone.now(),
    )
    with transaction.atomic(using=using):
        event.pk = _insert_unless_duplicate(event, using)
        if event.pk is not None:
            _summary_merge(
                contact=contact,
                event_name=event_name,
                first=created_at,
                last=created_at,
                using=using,
                tracked_count=F("tracked_count") + 1,
            )
    return TrackResult(inserted=event.pk is not None, dropped_metadata_keys=dropped)


@dataclass(frozen=True)
class SummaryImport:
    event_name: str
    count: int
    first: datetime
    last: datetime


@service
def event_summaries_import(*, contact: Contact, summaries: list[SummaryImport]) -> None:
    """Merge counts of events that happened elsewhere (POST /events/summaries) into the
    contact's summaries: the imported count replaces the previous import for that name, so a
    retried request does not double it, and adds to the events tracked here; first and last
    widen to cover both."""
    cleaned = []
    for i, summary in enumerate(summaries):
        name = event_name_clean(summary.event_name, f"event_summaries[{i}].event_name")
        if not 0 <= summary.count < 2**63:
            raise EventInvalid(
                "count", f"event_summaries[{i}].count must be 0 or more, and below 2^63."
            )
        if summary.first > summary.last:
            raise EventInvalid("first", f"event_summaries[{i}].first is after its last.")
        cleaned.append((name, summary))
    using = router.db_for_write(EventSummary)
    with transaction.atomic(using=using):
        for name, summary in cleaned:
            _summary_merge(
                contact=contact,
                event_name=name,
                first=summary.first,
                last=summary.last,
                using=using,
                imported_count=summary.count,
            )
