"""`attributes_apply`: THE write path for attribute values of contacts and companies.

It applies each value by its attribute's write policy and precedence, refuses stale edits,
records one history row per applied, skipped or rejected value, bumps the target's version
and, in the same transaction, writes the outbox row that hands the change to the hooks.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.request_context import request_id_var

from ..commit import write_if_current
from ..models import AttributeChange, AttributeTarget, DataAttribute, DataType, Outcome, Precedence
from ..outbox.enqueue import deliver_after_commit
from ..outbox.rows import outbox_row
from ..results import (
    ApplyResult,
    AttributeWriteError,
    Conflict,
    Provenance,
    StaleWriteError,
    ValueChange,
)
from ..sources import LENIENT_SOURCES, MANUAL_SOURCES, Actor, Source, policy_field
from ..values import Canonical, to_column
from .validation import (
    REJECTED_ROWS_MAX,
    attributes_seen,
    storable,
    values_parse,
)


def _provenance(source: str, actor: Actor, now: datetime, version: int) -> dict[str, Any]:
    return {
        "source": source,
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "actor_label": actor.label,
        "at": now.isoformat(),
        "version": version,
    }


def _conflicts(
    target: AttributeTarget, provenance: dict, attributes, expected: int
) -> list[Conflict]:
    conflicts = []
    for attribute in attributes:
        held = Provenance.from_stored(provenance.get(attribute.name))
        if held is not None and held.version > expected:
            conflicts.append(
                Conflict(attribute.name, attribute.label, target.attribute_value(attribute), held)
            )
    return conflicts


def attributes_conflicts(
    *, target: AttributeTarget, names: list[str], expected: int
) -> list[Conflict]:
    """The attributes among `names` that changed after version `expected`; writes nothing."""
    attributes = DataAttribute.objects.filter(model=type(target).attribute_model, name__in=names)
    return _conflicts(target, target.attribute_provenance, attributes, expected)


def _write_value(target: AttributeTarget, attribute: DataAttribute, value: Canonical) -> str:
    """Set the value on `target` and return the name of the column that changed."""
    if attribute.is_standard:
        column = type(target).attribute_column(attribute)
        setattr(target, column.attname, to_column(attribute.data_type, value))
        return column.name
    # A new dict, never a change in place: the one read may still be needed as it was read.
    custom = {k: v for k, v in target.custom_attributes.items() if k != attribute.name}
    if value is not None:
        custom[attribute.name] = value
    target.custom_attributes = custom
    return "custom_attributes"


def _same(old: Canonical, new: Canonical, data_type: str) -> bool:
    if data_type == DataType.DATETIME and old is not None and new is not None:
        return parse_datetime(str(old)) == parse_datetime(str(new))
    return old == new and type(old) is type(new)


def attributes_apply(
    *,
    target: AttributeTarget,
    values: dict[str, Any],
    source: str,
    actor: "Actor | Any",
    expected: int | None = None,
    request_id: str | None = None,
    reason: str = "",
) -> ApplyResult:
    """Write attribute values of a contact or company, standard and custom alike.

    `expected` is the target version the writer saw (a teammate's form sends it): the write is
    refused with StaleWriteError when any attribute it touches changed after that version.
    Strict sources get AttributeWriteError with every problem and nothing written; lenient
    sources (the messenger) have the bad values dropped and recorded as rejected.
    """
    policy_field(source)  # an unknown source is a programming error: fail before anything
    actor = Actor.coerce(actor)
    model_cls = type(target)
    request_id = request_id if request_id is not None else request_id_var.get()
    if not values:
        return ApplyResult(version=target.version)

    def plan(current: AttributeTarget, parse: tuple) -> _Plan:
        return _plan(current, *parse, source, actor, expected, request_id, reason)

    # Optimistically, on the row as the caller read it and the data attributes as this
    # process last read them: stored only if none of them changed since, checked in the
    # writing statement (PostgreSQL). A problem or a conflict found that way is decided again
    # on what is read now, as is the write if anything did change.
    if (snapshot := _working_copy(target)) is not None:
        seen = attributes_seen(model_cls.attribute_model, list(values))
        parse = values_parse(model_cls, values, source, seen)
        if not parse[2]:
            try:
                optimistic = plan(snapshot, parse)
            except StaleWriteError:
                optimistic = None  # said on what is read now, with its current values
            if optimistic and _store(
                optimistic, snapshot, locked=False, attributes=list(seen.values())
            ):
                _copy_attribute_state(snapshot, target)
                return optimistic.result

    parse = values_parse(model_cls, values, source)
    if parse[2] and source not in LENIENT_SOURCES:
        raise AttributeWriteError(parse[2])
    with transaction.atomic():
        current = model_cls._default_manager.select_for_update().get(pk=target.pk)
        stored = plan(current, parse)
        if not _store(stored, current, locked=True):  # cannot happen under the row's lock
            raise DatabaseError(f"{model_cls.__name__} {target.pk} changed under its lock.")
    _copy_attribute_state(current, target)
    return stored.result


@dataclass
class _Plan:
    """What a write does to one state of its target, worked out before anything is stored."""

    result: ApplyResult
    old_version: int
    changed_columns: set[str]
    provenance_changed: bool
    history: list[AttributeChange]
    source: str
    now: datetime
    # What the plan rests on, as it read it: the provenance and every column it read values
    # from. The optimistic path stores only if the row still holds exactly this.
    as_read: dict[str, Any]


def _working_copy(target: AttributeTarget) -> AttributeTarget | None:
    """A new instance holding the target's row as it was read, to work a write out on
    without reading it again; None if the instance was never read whole."""
    stored = getattr(target, "stored_state", None)
    model_cls = type(target)
    # PostgreSQL only: there the check that the row is unchanged and the write are one
    # statement. SQLite serialises writers anyway, and takes the locked path.
    if (
        stored is None
        or connection.vendor != "postgresql"
        or len(stored[0]) != len(model_cls._meta.concrete_fields)
    ):
        return None
    return model_cls.from_db(target._state.db, *stored)


def _plan(current, attributes, parsed, problems, source, actor, expected, request_id, reason):
    """Apply the parsed values to `current` (in memory) by precedence and write policy."""
    model_cls = type(current)
    as_read = {"attribute_provenance": current.attribute_provenance}
    for attribute, _ in parsed.values():
        if attribute.is_standard:
            column = model_cls.attribute_column(attribute)
            as_read[column.name] = getattr(current, column.attname)
        else:
            as_read["custom_attributes"] = current.custom_attributes
    provenance = dict(current.attribute_provenance)
    if expected is not None:
        conflicts = _conflicts(current, provenance, (a for a, _ in parsed.values()), expected)
        if conflicts:
            raise StaleWriteError(conflicts)

    now = timezone.now()
    old_version = current.version
    new_version = old_version + 1
    result = ApplyResult(version=old_version, rejected=problems)
    changed_columns: set[str] = set()
    history: list[AttributeChange] = []

    def record(attribute, name, old, new, outcome, why=""):
        history.append(
            AttributeChange(
                target_type=model_cls.attribute_model,
                target_id=current.pk,
                attribute=attribute,
                attribute_name=name,
                old_value=old,
                new_value=new,
                outcome=outcome,
                reason=why[:500],
                source=source,
                actor_kind=actor.kind,
                actor_id=actor.id,
                actor_label=actor.label[:200],
                request_id=request_id[:64],
                target_version=new_version,
                created_at=now,
            )
        )

    provenance_changed = False
    for name, (attribute, new) in parsed.items():
        old = current.attribute_value(attribute)
        held = provenance.get(name) or {}
        manual_wins = attribute.precedence == Precedence.MANUAL_WINS
        if _same(old, new, attribute.data_type):
            if manual_wins and source in MANUAL_SOURCES and held and not held.get("locked"):
                # A teammate confirming the app's value makes it theirs: it now holds.
                provenance[name] = {
                    **_provenance(source, actor, now, held["version"]),
                    "locked": True,
                }
                provenance_changed = True
            result.unchanged.append(name)
            continue
        if manual_wins and held.get("locked") and source not in MANUAL_SOURCES:
            result.skipped.append(ValueChange(name, old, new))
            if held.get("pending") != new or held.get("pending_source") != source:
                # Record each new app value once, not every time the app resends it.
                provenance[name] = {**held, "pending": new, "pending_source": source}
                provenance_changed = True
                record(
                    attribute,
                    name,
                    old,
                    new,
                    Outcome.SKIPPED,
                    f"Held by a manual edit from {held.get('actor_label', 'a teammate')}; "
                    "re-sync to take the app's value.",
                )
            continue
        changed_columns.add(_write_value(current, attribute, new))
        provenance[name] = {
            **_provenance(source, actor, now, new_version),
            "locked": manual_wins and source in MANUAL_SOURCES,
        }
        result.applied.append(ValueChange(name, old, new))
        record(attribute, name, old, new, Outcome.APPLIED, reason)

    # Rejections come from untrusted input (anyone can load a page with the messenger):
    # keep a bounded, storable record of them.
    for problem in problems[:REJECTED_ROWS_MAX]:
        record(
            attributes.get(problem.attribute),
            storable(problem.attribute)[:190],
            None,
            storable(problem.value),
            Outcome.REJECTED,
            storable(problem.message),
        )

    if provenance_changed or result.applied:
        current.attribute_provenance = provenance
    if result.applied:
        current.version = new_version
        result.version = new_version
        if any(f.name == "updated_at" for f in model_cls._meta.concrete_fields):
            current.updated_at = now
            changed_columns.add("updated_at")
    else:
        for row in history:
            row.target_version = old_version
    return _Plan(
        result,
        old_version,
        changed_columns,
        provenance_changed,
        history,
        source,
        now,
        as_read=as_read,
    )


def _store(
    plan: _Plan,
    current: AttributeTarget,
    *,
    locked: bool,
    attributes: list[DataAttribute] | None = None,
) -> bool:
    """Store what `plan` did to `current`; False (nothing stored) if the row, or one of the
    `attributes` the plan used (when given), changed since it was read. `locked`: the caller
    holds the row's lock, so the row cannot have."""
    if plan.result.applied:
        names = [c.attribute for c in plan.result.applied]
        outbox = outbox_row(current, names, plan.source, plan.now)
        columns = sorted(plan.changed_columns | {"attribute_provenance", "version"})
        if not write_if_current(
            target=current,
            # Every write of values bumps the version, but not everything that changes a row
            # does (a held value's pending app value, an owner's account deleted): the values
            # the plan read must be as read, too.
            version=plan.old_version,
            as_read=None if locked else plan.as_read,
            attributes=attributes,
            columns=columns,
            outbox=outbox,
            history=plan.history,
        ):
            return False
        deliver_after_commit()
        return True
    if not locked:
        # Nothing to store with the check that the row is as read, so the outcome may rest on
        # an outdated row: work it out again on the locked one.
        return False
    if plan.provenance_changed:
        current.save(update_fields=["attribute_provenance"])
    AttributeChange.objects.bulk_create(plan.history)
    return True


def _copy_attribute_state(source: AttributeTarget, target: AttributeTarget) -> None:
    """Bring the caller's instance up to date with what was just written."""
    if source is target:
        return
    for name in type(source).standard_attribute_fields.values():
        column = type(source)._meta.get_field(name)
        setattr(target, column.attname, getattr(source, column.attname))
    for name in ("custom_attributes", "attribute_provenance", "version"):
        setattr(target, name, getattr(source, name))
    if hasattr(source, "updated_at"):
        target.updated_at = source.updated_at
    # What the row now holds, as if read again, for the next write on this instance.
    names = [f.attname for f in type(source)._meta.concrete_fields]
    target.stored_state = (tuple(names), tuple(getattr(source, name) for name in names))


def attribute_resync(*, target: AttributeTarget, name: str, actor: "Actor | Any") -> ApplyResult:
    """Release a manual edit's hold on an attribute and take the app's latest value.

    The app's latest value is the last one any automatic source sent, applied or skipped while
    the value was held; if the app never sent one, the manual value stays, no longer held.
    Later app values apply again as they arrive.
    """
    actor = Actor.coerce(actor)
    model_cls = type(target)
    with transaction.atomic():
        current = model_cls._default_manager.select_for_update().get(pk=target.pk)
        held = current.attribute_provenance.get(name)
        if not held or not held.get("locked"):
            _copy_attribute_state(current, target)
            return ApplyResult(version=current.version)
        provenance = dict(current.attribute_provenance)
        provenance[name] = {**held, "locked": False}
        current.attribute_provenance = provenance
        current.save(update_fields=["attribute_provenance"])
        # The teammate's re-sync is history of its own, whether or not the app's value then
        # changes anything.
        attribute = DataAttribute.objects.get(model=model_cls.attribute_model, name=name)
        value = current.attribute_value(attribute)
        AttributeChange.objects.create(
            target_type=model_cls.attribute_model,
            target_id=current.pk,
            attribute=attribute,
            attribute_name=name,
            old_value=value,
            new_value=value,
            outcome=Outcome.RELEASED,
            reason="The manual edit no longer holds the value; the app's values apply again.",
            source=Source.QUALIFICATION,
            actor_kind=actor.kind,
            actor_id=actor.id,
            actor_label=actor.label[:200],
            request_id=request_id_var.get()[:64],
            target_version=current.version,
            created_at=timezone.now(),
        )
        waiting = (
            AttributeChange.objects.filter(
                target_type=model_cls.attribute_model,
                target_id=current.pk,
                attribute_name=name,
                outcome__in=[Outcome.APPLIED, Outcome.SKIPPED],
            )
            .exclude(source__in=MANUAL_SOURCES)
            .order_by("-created_at", "-id")
            .first()
        )
        if waiting is None:
            _copy_attribute_state(current, target)
            return ApplyResult(version=current.version)
        result = attributes_apply(
            target=current,
            values={name: waiting.new_value},
            source=waiting.source,
            actor=Actor(waiting.actor_kind, waiting.actor_id, waiting.actor_label),
            reason=f"Re-synced by {actor.label}",
        )
    _copy_attribute_state(current, target)
    return result
