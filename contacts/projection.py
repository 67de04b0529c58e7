"""The projector: the only writer of the contact list's read model (ContactListEntry).

It runs as an after-change hook of the write path, inside the outbox delivery task, so a change
is marked delivered only once the list has it; the outbox sweeper retries anything that failed
or never ran (worker down, broker down). Projection always reads the contact's *current* state
and writes a row only if it is at least as new as the one there, under a row lock, so a
redelivered or out-of-order task can never move a row backwards.
"""

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from qualification.outbox.hooks import AttributeChangeEvent

from .filters import json_array_has
from .models import CompanyMembership, Contact, ContactListEntry, Segment, SegmentMembership

logger = logging.getLogger(__name__)

OLDEST = datetime(1970, 1, 1, tzinfo=UTC)
BATCH = 500
# Company attributes the list shows: a change to these re-projects the company's people.
COMPANY_FIELDS_SHOWN = {"name"}


def _entry_fields(contact: Contact, memberships: list[CompanyMembership]) -> dict:
    owner = contact.owner
    return {
        "role": contact.role,
        "name": contact.name or "",
        "email": contact.email or "",
        "external_id": contact.external_id or "",
        "owner_id": contact.owner_id,
        "owner_name": (owner.get_full_name() or owner.get_username()) if owner else "",
        "company_ids": [m.company_id for m in memberships],
        "company_names": ", ".join(m.company.name or m.company.company_id for m in memberships),
        "tag_ids": sorted(t.pk for t in contact.tags.all()),
        "custom_attributes": contact.custom_attributes,
        "last_seen_at": contact.last_seen_at,
        "signed_up_at": contact.signed_up_at,
        "created_at": contact.created_at,
        "unsubscribed_from_emails": contact.unsubscribed_from_emails,
        "archived": contact.archived,
        "sort_name": (contact.name or contact.email or "").lower()[:255],
        "sort_last_seen": contact.last_seen_at or OLDEST,
        "sort_signed_up": contact.signed_up_at or OLDEST,
        "source_version": contact.version,
    }


def _load_contacts(contact_ids: Iterable[int]) -> dict[int, tuple[Contact, list]]:
    contacts = (
        Contact.objects.filter(pk__in=list(contact_ids))
        .select_related("owner")
        .prefetch_related("tags")
    )
    memberships: dict[int, list[CompanyMembership]] = {}
    for membership in (
        CompanyMembership.objects.filter(contact_id__in=list(contact_ids))
        .select_related("company")
        .order_by("linked_at", "id")
    ):
        memberships.setdefault(membership.contact_id, []).append(membership)
    return {c.pk: (c, memberships.get(c.pk, [])) for c in contacts}


def contact_list_project(
    *, contact_ids: Iterable[int], changed_at: dict[int, datetime] | None = None
) -> int:
    """Bring the list rows of these contacts up to date; returns how many rows changed.
    `changed_at` gives, per contact, when the change being projected committed (for the lag
    figure); rows without one are stamped with the projection time."""
    ids = sorted(set(contact_ids))
    if not ids:
        return 0
    now = timezone.now()
    changed_at = changed_at or {}
    written = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        with transaction.atomic():
            # Lock existing rows first (sorted, so two projectors never deadlock), then read
            # the contacts: whoever holds the lock writes the newest state it can see.
            existing = {
                e.contact_id: e
                for e in ContactListEntry.objects.select_for_update()
                .filter(contact_id__in=chunk)
                .order_by("contact_id")
            }
            current = _load_contacts(chunk)
            gone = [pk for pk in chunk if pk not in current and pk in existing]
            if gone:
                ContactListEntry.objects.filter(contact_id__in=gone).delete()
                SegmentMembership.objects.filter(contact_id__in=gone).delete()
            to_create, to_update = [], []
            field_names: list[str] = []
            for pk, (contact, memberships) in current.items():
                fields = _entry_fields(contact, memberships)
                field_names = list(fields)
                entry = existing.get(pk)
                if entry is None:
                    to_create.append(
                        ContactListEntry(
                            contact_id=pk,
                            changed_at=changed_at.get(pk, now),
                            projected_at=now,
                            **fields,
                        )
                    )
                elif entry.source_version <= contact.version:
                    for name, value in fields.items():
                        setattr(entry, name, value)
                    entry.changed_at = changed_at.get(pk, now)
                    entry.projected_at = now
                    to_update.append(entry)
            # ignore_conflicts: a concurrent projector may have created the row meanwhile;
            # its version is as new as ours, and the next change projects again anyway.
            ContactListEntry.objects.bulk_create(to_create, ignore_conflicts=True)
            if to_update:
                # One INSERT ... ON CONFLICT UPDATE for the batch: the rows are locked and
                # their versions checked above.
                ContactListEntry.objects.bulk_create(
                    to_update,
                    update_conflicts=True,
                    unique_fields=["contact_id"],
                    update_fields=[*field_names, "changed_at", "projected_at"],
                )
            entries = {e.contact_id: e for e in to_create + to_update}
            segments_evaluate(entries=list(entries.values()))
            written += len(entries)
    return written


def project_after_change(events: list[AttributeChangeEvent]) -> None:
    """The write path's after-change hook (registered in ContactsConfig.ready): one projection
    for the whole batch; each row records when its oldest change in the batch committed."""
    changed_at: dict[int, datetime] = {}

    def note(contact_id: int, moment: datetime) -> None:
        changed_at[contact_id] = min(moment, changed_at.get(contact_id, moment))

    company_changes: dict[int, datetime] = {}
    for event in events:
        if event.target_type == "contact":
            note(event.target_id, event.committed_at)
        elif event.target_type == "company" and (COMPANY_FIELDS_SHOWN | {"deleted"}) & set(
            event.attribute_names
        ):
            company_changes[event.target_id] = min(
                event.committed_at, company_changes.get(event.target_id, event.committed_at)
            )
    if company_changes:
        for contact_id, company_id in CompanyMembership.objects.filter(
            company_id__in=company_changes
        ).values_list("contact_id", "company_id"):
            note(contact_id, company_changes[company_id])
        # A deleted company has no memberships left: its former people are found by the
        # company ids their list rows still carry.
        for company_id, moment in company_changes.items():
            listed = json_array_has(
                ContactListEntry.objects.using("default"), "company_ids", company_id
            )
            for contact_id in listed.values_list("contact_id", flat=True):
                note(contact_id, moment)
    if changed_at:
        contact_list_project(contact_ids=changed_at, changed_at=changed_at)


def contact_list_rebuild(*, batch: int = 2000) -> int:
    """Project every contact, oldest first; rows of deleted contacts are removed."""
    total = 0
    last = 0
    while True:
        ids = list(
            Contact.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch]
        )
        if not ids:
            break
        total += contact_list_project(contact_ids=ids)
        last = ids[-1]
    orphans = ContactListEntry.objects.exclude(contact_id__in=Contact.objects.values("pk"))
    orphans.delete()
    return total


def contact_list_differences(*, batch: int = 2000) -> list[int]:
    """Ids of contacts whose list row is missing, extra or differs from the primary data."""
    differing: list[int] = []
    last = 0
    while True:
        ids = list(
            Contact.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch]
        )
        if not ids:
            break
        current = _load_contacts(ids)
        entries = {e.contact_id: e for e in ContactListEntry.objects.filter(contact_id__in=ids)}
        for pk, (contact, memberships) in current.items():
            entry = entries.get(pk)
            expected = _entry_fields(contact, memberships)
            if entry is None or any(getattr(entry, k) != v for k, v in expected.items()):
                differing.append(pk)
        last = ids[-1]
    differing += list(
        ContactListEntry.objects.exclude(contact_id__in=Contact.objects.values("pk")).values_list(
            "contact_id", flat=True
        )
    )
    return differing


def _fingerprint(custom: dict) -> tuple:
    return tuple((name, a.pk, a.data_type, repr(a.options)) for name, a in custom.items())


# (filter, custom attributes' fingerprint) -> the segment's entries; per process, bounded.
_SEGMENT_FILTERS: dict[tuple[str, tuple], object] = {}


def _segment_entries(query: str, fingerprint: tuple, custom: dict):
    """A segment's filter over the whole list, built once per process for each filter and set
    of custom attributes: building it (django-filter's form) costs more than running it."""
    from .selectors import contact_list_queryset  # the filters live with the list

    key = (query, fingerprint)
    if key not in _SEGMENT_FILTERS:
        if len(_SEGMENT_FILTERS) >= 1024:
            _SEGMENT_FILTERS.clear()
        base = ContactListEntry.objects.using("default")
        _SEGMENT_FILTERS[key] = contact_list_queryset(query, base=base, custom=custom)
    return _SEGMENT_FILTERS[key]


def segments_evaluate(*, entries: list[ContactListEntry], segments=None) -> None:
    """Recompute which segments these contacts belong to, from their freshly projected rows."""
    if not entries:
        return
    from .filters import custom_attributes_for_filters

    segments = list(Segment.objects.all()) if segments is None else segments
    if not segments:
        return
    ids = [e.contact_id for e in entries]
    now = timezone.now()
    custom = custom_attributes_for_filters()
    fingerprint = _fingerprint(custom)
    # One query per segment for its matches, then one read, one delete and one insert for all
    # of them (bench/segments.py measures it; SEGMENTS_MAX bounds the number of segments).
    matching = set()
    for segment in segments:
        entries_matching = _segment_entries(segment.query, fingerprint, custom)
        matching.update(
            (segment.pk, pk)
            for pk in entries_matching.filter(contact_id__in=ids).values_list(
                "contact_id", flat=True
            )
        )
    existing = {
        (segment_id, contact_id): pk
        for pk, segment_id, contact_id in SegmentMembership.objects.filter(
            segment__in=segments, contact_id__in=ids
        ).values_list("pk", "segment_id", "contact_id")
    }
    gone = [pk for pair, pk in existing.items() if pair not in matching]
    if gone:
        SegmentMembership.objects.filter(pk__in=gone).delete()
    SegmentMembership.objects.bulk_create(
        [
            SegmentMembership(segment_id=segment_id, contact_id=pk, evaluated_at=now)
            for segment_id, pk in sorted(matching - existing.keys())
        ],
        ignore_conflicts=True,
    )


def segment_populate(*, segment_id: int, batch: int = 2000) -> int:
    """Evaluate a (new or changed) segment against the whole list; returns its member count."""
    segment = Segment.objects.filter(pk=segment_id).first()
    if segment is None:
        logger.info("Segment %s is gone; nothing to populate.", segment_id)
        return 0
    last = 0
    while True:
        entries = list(
            ContactListEntry.objects.using("default")
            .filter(contact_id__gt=last)
            .order_by("contact_id")[:batch]
        )
        if not entries:
            break
        with transaction.atomic():
            segments_evaluate(entries=entries, segments=[segment])
        last = entries[-1].contact_id
    return SegmentMembership.objects.filter(segment=segment).count()
