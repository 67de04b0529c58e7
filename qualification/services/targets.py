"""Changes to a contact, company or conversation that are not attribute values: who a contact
is (role, user id), archiving, tags, company links, merges, deletion, a conversation's state.

The services of the apps that own those records make the change, then call `target_record`
in the same transaction. It moves the row's version and `updated_at` (API clients that sync
"updated since" see the change), writes one history row per change (who, from which source,
old and new, the request or job), and one outbox row that hands the change to the hooks, so
the contact list and segments follow exactly as they do for a value change.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from core.request_context import request_id_var
from core.write_guard import service

from ..models import AttributeChange, AttributeOutbox, Outcome
from ..outbox.enqueue import deliver_after_commit
from ..outbox.rows import outbox_write
from ..record_fields import record_field_label
from ..results import Conflict, Provenance
from ..sources import Actor, source_kind


@dataclass(frozen=True)
class RecordChange:
    """One change to a record: `field` names what changed ("role", "tags", "state", ...);
    `old` and `new` are what history shows (a tag's name added: old None, new "VIP")."""

    field: str
    old: Any
    new: Any


def _history_row(model, pk, version, change, source, actor, reason, now) -> AttributeChange:
    return AttributeChange(
        target_type=model.history_type,
        target_id=pk,
        attribute=None,
        attribute_name=change.field,
        old_value=change.old,
        new_value=change.new,
        outcome=Outcome.APPLIED,
        reason=reason[:500],
        source=source,
        actor_kind=actor.kind,
        actor_id=actor.id[:64],
        actor_label=actor.label[:200],
        request_id=request_id_var.get()[:64],
        target_version=version,
        created_at=now,
    )


def _bump(model, pks, fields: dict[str, Any], now) -> None:
    updates = {**fields, "version": models.F("version") + 1}
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        updates["updated_at"] = now
    model._default_manager.filter(pk__in=pks).update(**updates)


@service
def target_record(
    *,
    target: models.Model,
    changes: list[RecordChange],
    source: str,
    actor: "Actor | Any",
    fields: dict[str, Any] | None = None,
    reason: str = "",
) -> None:
    """Record `changes` to `target` (a contact, company or conversation), setting its columns
    in `fields` as part of the same UPDATE. Nothing is recorded when `changes` is empty."""
    if not changes:
        return
    source_kind(source)
    actor = Actor.coerce(actor)
    model = type(target)
    now = timezone.now()
    fields = fields or {}
    with transaction.atomic():
        _bump(model, [target.pk], fields, now)
        target.version = (
            model._default_manager.filter(pk=target.pk).values_list("version", flat=True).get()
        )
        for name, value in fields.items():
            setattr(target, name, value)
        if hasattr(target, "updated_at"):
            target.updated_at = now
        AttributeChange.objects.bulk_create(
            _history_row(model, target.pk, target.version, c, source, actor, reason, now)
            for c in changes
        )
        outbox_write(target, sorted({c.field for c in changes}), source, now)


def _stored(field: models.Field, value: Any) -> Any:
    """A column's value as compared and as history keeps it (related rows by id)."""
    return value.pk if isinstance(value, models.Model) else value


def record_conflicts(*, target: models.Model, names: list[str], expected: int) -> list[Conflict]:
    """The fields among `names` (not attribute values) that were changed after version
    `expected` of `target`, each with its current value and who changed it; writes nothing."""
    if not names:
        return []
    latest: dict[str, AttributeChange] = {}
    for change in AttributeChange.objects.filter(
        target_type=type(target).history_type,
        target_id=target.pk,
        attribute__isnull=True,
        attribute_name__in=names,
        target_version__gt=expected,
    ).order_by("id"):
        latest[change.attribute_name] = change
    return [
        Conflict(
            name,
            record_field_label(name),
            change.new_value,
            Provenance(
                source=change.source,
                actor_kind=change.actor_kind,
                actor_id=change.actor_id,
                actor_label=change.actor_label,
                at=change.created_at,
                version=change.target_version,
                locked=False,
            ),
        )
        for name, change in latest.items()
    ]


@service
def target_fields_set(
    *,
    target: models.Model,
    fields: dict[str, Any],
    source: str,
    actor: "Actor | Any",
    reason: str = "",
    shown: Callable[[str, Any], Any] | None = None,
) -> list[RecordChange]:
    """Set columns of a record that are not attribute values (a contact's role, a
    conversation's state), recording each that really changes. The row is locked and old
    values are read from it, so concurrent changes are recorded in order, each with the value
    it replaced. `shown(name, value)` is how history shows a value (default: as stored, dates
    as ISO text). Returns what changed."""
    if not fields:
        return []
    model = type(target)
    show = shown or (
        lambda name, value: value.isoformat() if hasattr(value, "isoformat") else value
    )
    with transaction.atomic():
        columns = {name: model._meta.get_field(name) for name in fields}
        current = (
            model._default_manager.select_for_update()
            .only(*(f.attname for f in columns.values()))
            .get(pk=target.pk)
        )
        changes, changed = [], {}
        for name, value in fields.items():
            old = getattr(current, columns[name].attname)
            if old != _stored(columns[name], value):
                old_shown = getattr(current, name) if columns[name].is_relation else old
                changes.append(RecordChange(name, show(name, old_shown), show(name, value)))
                changed[name] = value
        target_record(
            target=target,
            changes=changes,
            source=source,
            actor=actor,
            fields=changed,
            reason=reason,
        )
    return changes


@service
def target_lock(*, target: models.Model) -> None:
    """Lock a record's row for the rest of the transaction: changes to one record that are
    decided on what it holds (is it tagged already?) then happen one at a time."""
    type(target)._default_manager.select_for_update().filter(pk=target.pk).values_list(
        "pk", flat=True
    ).get()


@service
def target_created(
    *, target: models.Model, source: str, actor: "Actor | Any", description: str = ""
) -> None:
    """Record and announce a record just created (at its first version), whether or not any
    values follow: the read models have it at once, and its history starts with who made it."""
    source_kind(source)
    actor = Actor.coerce(actor)
    now = timezone.now()
    created = RecordChange("created", None, description or str(target))
    AttributeChange.objects.bulk_create(
        [_history_row(type(target), target.pk, target.version, created, source, actor, "", now)]
    )
    outbox_write(target, ["created"], source, now)


@service
def targets_record(
    *,
    model: type[models.Model],
    pks: list[int],
    change: RecordChange,
    source: str,
    actor: "Actor | Any",
    reason: str = "",
) -> None:
    """`target_record` of one change for many records at once (a tag deleted from thousands):
    a few statements per thousand records instead of four per record."""
    if not pks:
        return
    source_kind(source)
    actor = Actor.coerce(actor)
    now = timezone.now()
    with transaction.atomic():
        for start in range(0, len(pks), 1000):
            chunk = pks[start : start + 1000]
            _bump(model, chunk, {}, now)
            versions = list(
                model._default_manager.filter(pk__in=chunk).values_list("pk", "version")
            )
            AttributeChange.objects.bulk_create(
                _history_row(model, pk, version, change, source, actor, reason, now)
                for pk, version in versions
            )
            AttributeOutbox.objects.bulk_create(
                AttributeOutbox(
                    target_type=model.history_type,
                    target_id=pk,
                    target_version=version,
                    attribute_names=[change.field],
                    source=source,
                    created_at=now,
                )
                for pk, version in versions
            )
        deliver_after_commit()


@service
def target_deleted(
    *, target: models.Model, source: str, actor: "Actor | Any", reason: str = ""
) -> None:
    """Record that a record is about to be deleted, in the deleting transaction: its history
    stays (and ends with who deleted it), and the hooks drop it from the read models."""
    source_kind(source)
    actor = Actor.coerce(actor)
    model = type(target)
    now = timezone.now()
    deleted = RecordChange("deleted", str(target), None)
    AttributeChange.objects.bulk_create(
        [_history_row(model, target.pk, 0, deleted, source, actor, reason, now)]
    )
    AttributeOutbox.objects.create(
        target_type=model.history_type,
        target_id=target.pk,
        target_version=0,
        attribute_names=["deleted"],
        source=source,
        created_at=now,
    )
    deliver_after_commit()
