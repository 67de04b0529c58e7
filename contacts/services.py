import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Exists, F, OuterRef, Value
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from companies.models import Company
from companies.services import company_tag, company_untag
from core.request_context import request_id_var
from core.write_guard import service
from qualification.models import AttributeModel, DataAttribute, Tag
from qualification.results import AttributeWriteError
from qualification.services import (
    RecordChange,
    attributes_apply,
    tag_find_or_create,
    tag_named,
    target_created,
    target_deleted,
    target_record,
    targets_record,
)
from qualification.sources import Actor

from .models import CompanyMembership, Contact, Event, EventSummary, Role, Segment


@service
def contact_create(
    *,
    role: str = Role.USER,
    external_id: str | None = None,
    values: dict[str, Any],
    source: str,
    actor: Actor | Any,
) -> Contact:
    """Create a user or lead and write its attribute values through the one write path. The
    creation itself is history and is announced, values or not, so the contact list and
    segments have the contact at once. A user whose user id or email (any case) another user
    has is refused by the database (IntegrityError): leads may share an email, users may not."""
    with transaction.atomic():
        contact = Contact.objects.create(role=role, external_id=external_id)
        target_created(target=contact, source=source, actor=actor, description=role)
        attributes_apply(target=contact, values=values, source=source, actor=actor)
    return contact


def _company_label(company: Company) -> str:
    return company.name or company.company_id


@service
def contact_company_attach(
    *, contact: Contact, company: Company, source: str, actor: Actor | Any
) -> CompanyMembership:
    """Link a contact to a company once; linking again keeps the first link's time and source."""
    with transaction.atomic():
        membership, created = CompanyMembership.objects.get_or_create(
            contact=contact,
            company=company,
            defaults={"linked_at": timezone.now(), "source": source},
        )
        if created:
            target_record(
                target=contact,
                changes=[RecordChange("companies", None, _company_label(company))],
                source=source,
                actor=actor,
            )
    return membership


@service
def contact_company_detach(
    *, contact: Contact, company: Company, source: str, actor: Actor | Any
) -> bool:
    with transaction.atomic():
        deleted, _ = CompanyMembership.objects.filter(contact=contact, company=company).delete()
        if deleted:
            target_record(
                target=contact,
                changes=[RecordChange("companies", _company_label(company), None)],
                source=source,
                actor=actor,
            )
    return bool(deleted)


@service
def contact_tag(*, contact: Contact, tag: Tag, source: str, actor: Actor | Any) -> None:
    with transaction.atomic():
        if not contact.tags.filter(pk=tag.pk).exists():
            contact.tags.add(tag)
            target_record(
                target=contact,
                changes=[RecordChange("tags", None, tag.name)],
                source=source,
                actor=actor,
            )


@service
def contact_untag(*, contact: Contact, tag: Tag, source: str, actor: Actor | Any) -> None:
    with transaction.atomic():
        if contact.tags.filter(pk=tag.pk).exists():
            contact.tags.remove(tag)
            target_record(
                target=contact,
                changes=[RecordChange("tags", tag.name, None)],
                source=source,
                actor=actor,
            )


@service
def tags_apply(
    *,
    name: str,
    tag: Sequence[Contact | Company] = (),
    untag: Sequence[Contact | Company] = (),
    source: str,
    actor: Actor | Any,
) -> Tag | None:
    """Tag and untag contacts and companies with the tag of this name, all or nothing. The tag
    is made when something is to carry it; untagging only, with no such tag, does nothing and
    returns None."""
    with transaction.atomic():
        found = tag_find_or_create(name=name) if tag else tag_named(name)
        if found is None:
            return None
        for target in tag:
            _tag_one(target, found, source, actor, add=True)
        for target in untag:
            _tag_one(target, found, source, actor, add=False)
    return found


def _tag_one(target: Contact | Company, tag: Tag, source: str, actor, *, add: bool) -> None:
    if isinstance(target, Contact):
        (contact_tag if add else contact_untag)(contact=target, tag=tag, source=source, actor=actor)
    else:
        (company_tag if add else company_untag)(company=target, tag=tag, source=source, actor=actor)


class TagInUse(Exception):
    """Segments filter on this tag: deleting it would silently change who is in them."""

    def __init__(self, segments: list[Segment]):
        self.segments = segments
        super().__init__(
            "Unable to delete Tag with dependent objects. Segments: "
            + ", ".join(s.name for s in segments)
            + "."
        )


@service
def tag_delete(*, tag: Tag, source: str, actor: Actor | Any) -> None:
    """Delete a tag after taking it off every contact and company, recording and announcing
    each change so history, the contact list and segments follow. Refused while a segment
    filters on it."""
    from .selectors import segments_using_tag

    with transaction.atomic():
        # Locked so a concurrent tagging waits and then fails on the missing tag, instead of
        # landing between the untagging below and the delete.
        list(Tag.objects.select_for_update().filter(pk=tag.pk).values_list("pk", flat=True))
        if using := segments_using_tag(tag.pk):
            raise TagInUse(using)
        for model in (Contact, Company):
            pks = list(model.objects.filter(tags=tag).order_by("pk").values_list("pk", flat=True))
            model.tags.through.objects.filter(tag=tag).delete()
            targets_record(
                model=model,
                pks=pks,
                change=RecordChange("tags", tag.name, None),
                source=source,
                actor=actor,
                reason=f"The tag {tag.name} was deleted",
            )
        tag.delete()


@service
def segment_create(*, name: str, query: str, created_by) -> Segment:
    """Save a contact-list filter as a segment and work out its members in the background."""
    from .tasks import segment_populate

    with transaction.atomic():
        segment = Segment.objects.create(name=name, query=query, created_by=created_by)
        transaction.on_commit(lambda: segment_populate.delay(segment.pk))
    return segment


@service
def contact_identity_update(
    *,
    contact: Contact,
    source: str,
    actor: Actor | Any,
    role: str | None = None,
    external_id=None,
) -> None:
    """Change who a contact is (user or lead, the customer's own id): not attribute values,
    but history records it and the list and segments follow. None leaves a field as it is;
    an empty external_id clears it."""
    fields = {}
    if role is not None and role != contact.role:
        if role not in Role.values:
            raise ValueError(f"role must be one of {', '.join(Role.values)}, not {role!r}.")
        fields["role"] = role
    if external_id is not None and (external_id or None) != contact.external_id:
        fields["external_id"] = external_id or None
    target_record(
        target=contact,
        changes=[
            RecordChange(name, getattr(contact, name), value) for name, value in fields.items()
        ],
        source=source,
        actor=actor,
        fields=fields,
    )


@service
def contact_delete(*, contact: Contact, source: str, actor: Actor | Any) -> None:
    """Delete a contact; its history stays (ending with who deleted it), and the list drops
    its row."""
    with transaction.atomic():
        target_deleted(target=contact, source=source, actor=actor)
        contact.delete()


@service
def contact_archive(*, contact: Contact, archived: bool, source: str, actor: Actor | Any) -> None:
    """Archive a contact (it stays, with its history) or bring it back; repeating is a no-op."""
    if contact.archived == archived:
        return
    target_record(
        target=contact,
        changes=[RecordChange("archived", contact.archived, archived)],
        source=source,
        actor=actor,
        fields={"archived": archived},
    )


class MergeError(ValueError):
    """A merge that cannot happen; the message says why."""


# Apps above contacts (the inbox's conversations, say) move what they hold of the lead to the
# user. They register here because contacts may not import them.
# A step is called as step(lead, user, source=..., actor=...) inside the merge's transaction.
MergeStep = Callable[..., None]
_merge_steps: dict[str, MergeStep] = {}


def register_merge_step(name: str, step: MergeStep) -> None:
    _merge_steps[name] = step


def _events_move(lead: Contact, user: Contact) -> None:
    """The lead's events become the user's; an event the user already has (same name, same
    moment) is the same event, kept once. Summaries add up."""
    theirs = Event.objects.filter(contact=user)
    Event.objects.filter(contact=lead).filter(
        Exists(theirs.filter(event_name=OuterRef("event_name"), created_at=OuterRef("created_at")))
    ).delete()
    Event.objects.filter(contact=lead).update(contact=user)
    for summary in EventSummary.objects.filter(contact=lead):
        merged = EventSummary.objects.filter(contact=user, event_name=summary.event_name).update(
            tracked_count=F("tracked_count") + summary.tracked_count,
            imported_count=F("imported_count") + summary.imported_count,
            first_at=Least("first_at", Value(summary.first_at)),
            last_at=Greatest("last_at", Value(summary.last_at)),
        )
        if merged:
            summary.delete()
        else:
            EventSummary.objects.filter(pk=summary.pk).update(contact=user)


@service
def contact_merge(*, lead: Contact, user: Contact, source: str, actor: Actor | Any) -> Contact:
    """Fold a lead into a user, as Intercom's merge does: the user keeps its own values and
    gains the lead's where it has none, its tags, companies and conversations; the lead is
    deleted. Either all of it happens or none."""
    if lead.pk == user.pk:
        raise MergeError("A contact cannot be merged into itself.")
    if lead.role != Role.LEAD:
        raise MergeError(f"Contact {lead.pk} is a user; only a lead can be merged into a user.")
    if user.role != Role.USER:
        raise MergeError(f"Contact {user.pk} is a lead; a lead can only be merged into a user.")
    with transaction.atomic():
        # Lock both, in id order so two merges of the same pair cannot deadlock.
        locked = {
            c.pk: c
            for c in Contact.objects.select_for_update()
            .filter(pk__in=[lead.pk, user.pk])
            .order_by("pk")
        }
        if len(locked) != 2:
            raise MergeError("One of the contacts was deleted while merging.")
        lead, user = locked[lead.pk], locked[user.pk]
        # Checked again on the locked rows: a concurrent update may have changed a role.
        if lead.role != Role.LEAD or user.role != Role.USER:
            raise MergeError("A contact's role changed while merging; check both and retry.")
        values = {}
        for attribute in DataAttribute.objects.filter(
            model=AttributeModel.CONTACT, archived=False, api_writable=True
        ):
            mine, theirs = user.attribute_value(attribute), lead.attribute_value(attribute)
            if mine is None and theirs is not None:
                values[attribute.name] = theirs
        try:
            attributes_apply(
                target=user,
                values=values,
                source=source,
                actor=actor,
                reason=f"Merged from lead {lead.pk}",
            )
        except AttributeWriteError as exc:  # a lead's value the user's attribute refuses
            raise MergeError(f"The lead's values cannot be merged: {exc}") from exc
        for tag in lead.tags.all():
            contact_tag(contact=user, tag=tag, source=source, actor=actor)
        for membership in lead.memberships.select_related("company"):
            contact_company_attach(
                contact=user, company=membership.company, source=source, actor=actor
            )
        _events_move(lead, user)
        for step in _merge_steps.values():
            step(lead, user, source=source, actor=Actor.coerce(actor))
        target_record(
            target=user,
            changes=[RecordChange("merged", None, f"Lead {lead.pk} ({lead})")],
            source=source,
            actor=actor,
        )
        contact_delete(contact=lead, source=source, actor=actor)
    user.refresh_from_db()
    return user


# Events ------------------------------------------------------------------------------------------

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
