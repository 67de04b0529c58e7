"""`attributes_apply`: THE write path for attribute values of contacts and companies.

It applies each value by its attribute's write policy and precedence, refuses stale edits,
records one history row per applied, skipped or rejected value, and stores the change with the
outbox row that hands it to the hooks, all or nothing. How it stores a write, and the rules
that make that safe:

1. A target's attribute state is its standard attribute columns, `custom_attributes` and
   `attribute_provenance`. Only this module changes it (DESIGN §4), and every change moves the
   target's `version` on, provenance-only ones included (an app value kept pending under a
   manual edit, a teammate confirming the app's value, a re-sync); `services.targets` moves it
   for changes that are not values. So a version names one attribute state of its row. A
   foreign key the database could empty when what it points at is deleted would move no
   version (a contact's owner is PROTECT for that reason), so a write naming a foreign-key
   column takes the locked path anyway.
2. All data attribute definitions share one revision, which a database trigger moves on in the
   same transaction as any change to any of them, by whatever path (migration
   0007_definitions_revision). It comes from a sequence, so a revision names one state of the
   definitions, even across rollbacks. Each process keeps the definitions it read with the
   revision they were read at (`validation.attribute_definitions`).
3. The fast path, on PostgreSQL: the write is worked out on the caller's instance with the kept
   definitions, then stored by one statement (`commit.write_if_current`), a compare-and-swap:
   UPDATE ... WHERE pk = %s AND version = %s AND <definitions revision> = %s, the history and
   outbox INSERTs reading from the UPDATE's result. By 1 and 2 it stores onto exactly the state
   it was worked out on, or stores nothing. A write that changes nothing in the row (values
   already held, or only rejections to record) is checked the same way, by a SELECT.
4. For that the instance must hold its row's attribute state as stored at its version
   (`AttributeTarget.attributes_as_stored`): an instance read or refreshed whole from the
   database does, and so does one this module has just written; setting any of its attribute
   fields (a form filling it in) ends that until the next of those. Only the values and the
   provenance of the attributes the write names are read from the instance, and only their
   keys are written to the JSON columns (merged into the row's own values by the statement),
   so nothing else the instance holds is ever stored.
5. The locked path, taken when the fast path cannot be (SQLite, which serialises writers
   anyway; an instance not as stored; a column excepted in 1) or stored nothing (the row or a
   definition changed meanwhile): read the definitions now, lock the row (SELECT ... FOR
   UPDATE), work the write out on it and store it the same way. Nothing changes a locked row,
   and the definitions used were current during the call. A stale edit found on the instance
   is decided again this way, on the row as it is now; a value refused by kept definitions is
   refused only if the definitions read now refuse it too.
6. Every write that moves the version writes an outbox row in the same statement, naming the
   values it changed (none for a provenance-only change), so the hooks and the contact list's
   record of the version it shows follow every change.
7. Left to the callers: change `custom_attributes` and `attribute_provenance` only by assigning
   a new dict (as this module does), never in place. An instance cannot notice a change in
   place, and the write would take a key it names for the stored value (other keys are safe).

After either path the caller's instance holds what was stored, and may write again at once.
"""

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.request_context import held_attributes_var, request_id_var
from core.write_guard import service

from ..commit import Merge, write_if_current
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
from ..values import to_column
from .validation import (
    REJECTED_ROWS_MAX,
    attribute_definitions,
    storable,
    values_parse,
)


def _provenance(source: str, actor: Actor, now: datetime, version: int) -> dict[str, Any]:
    provenance = {
        "source": source,
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "actor_label": actor.label,
        "at": now.isoformat(),
        "version": version,
    }
    if actor.where:
        provenance |= {"where": actor.where, "where_url": actor.where_url}
    return provenance


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


def _same(old, new, data_type: str) -> bool:
    if data_type == DataType.DATETIME and old is not None and new is not None:
        return parse_datetime(str(old)) == parse_datetime(str(new))
    return old == new and type(old) is type(new)


@service
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

    def parse(kept: bool) -> tuple[int | None, tuple]:
        definitions = attribute_definitions(model_cls.attribute_model, list(values), kept=kept)
        parsed = values_parse(model_cls, values, source, definitions.attributes)
        if parsed[2] and source not in LENIENT_SOURCES:
            if definitions.kept:
                return parse(kept=False)  # refused only on definitions read now
            raise AttributeWriteError(parsed[2])
        return definitions.revision, parsed

    def plan(current: AttributeTarget, parsed: tuple) -> _Plan:
        return _plan(current, *parsed, source, actor, expected, request_id, reason)

    if (
        connection.vendor == "postgresql"
        and target.attributes_as_stored
        and not _columns_nulled_by_database(model_cls).intersection(values)
    ):
        revision, parsed = parse(kept=True)
        try:
            fast = plan(target, parsed)
        except StaleWriteError:
            fast = None  # said on the locked row, with its current values
        if fast is not None and _store(fast, target, revision=revision):
            return _note_held(fast.result)

    _, parsed = parse(kept=False)
    with transaction.atomic():
        current = model_cls._default_manager.select_for_update().get(pk=target.pk)
        slow = plan(current, parsed)
        if not _store(slow, current, locked=True):  # cannot fail under the row's lock
            raise DatabaseError(f"{model_cls.__name__} {target.pk} changed under its lock.")
    _copy_attribute_state(current, target)
    return _note_held(slow.result)


def _note_held(result: ApplyResult) -> ApplyResult:
    """Tell the request (the REST API answers it in a header) which values a manual edit held
    back."""
    held = held_attributes_var.get()
    if held is not None:
        held.extend(c.attribute for c in result.skipped if c.attribute not in held)
    return result


@functools.cache
def _columns_nulled_by_database(model_cls: type[AttributeTarget]) -> frozenset[str]:
    """The standard attributes whose columns the database may change without a new version
    (rule 1): foreign keys."""
    return frozenset(
        name
        for name, field_name in model_cls.standard_attribute_fields.items()
        if model_cls._meta.get_field(field_name).is_relation
    )


@dataclass
class _Plan:
    """What a write does to one attribute state of its target, worked out before anything is
    stored, and without changing the instance it was worked out on."""

    result: ApplyResult
    version: int  # the version of the state it was worked out on
    source: str
    now: datetime
    columns: dict[str, Any] = field(default_factory=dict)  # by field name
    custom: Merge = field(default_factory=lambda: ({}, []))
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)  # entries it sets
    history: list[AttributeChange] = field(default_factory=list)

    @property
    def changes_row(self) -> bool:
        return bool(self.provenance)  # every value written comes with its provenance


def _history_row(target, attribute, name, old, new, outcome, why, source, actor, request_id, now):
    """One history row; its `target_version` is set once the version after the write is known."""
    return AttributeChange(
        target_type=type(target).attribute_model,
        target_id=target.pk,
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
        where=actor.where[:100],
        where_url=actor.where_url[:300],
        request_id=request_id[:64],
        created_at=now,
    )


def _plan(current, attributes, parsed, problems, source, actor, expected, request_id, reason):
    """Apply the parsed values to the attribute state `current` holds, by precedence and write
    policy; reads only the values and provenance of the attributes named."""
    model_cls = type(current)
    stored_provenance = current.attribute_provenance
    if expected is not None:
        conflicts = _conflicts(
            current, stored_provenance, (a for a, _ in parsed.values()), expected
        )
        if conflicts:
            raise StaleWriteError(conflicts)

    now = timezone.now()
    new_version = current.version + 1
    plan = _Plan(
        ApplyResult(version=current.version, rejected=problems), current.version, source, now
    )
    result = plan.result

    def record(attribute, name, old, new, outcome, why=""):
        row = _history_row(
            current, attribute, name, old, new, outcome, why, source, actor, request_id, now
        )
        plan.history.append(row)

    for name, (attribute, new) in parsed.items():
        old = current.attribute_value(attribute)
        held = stored_provenance.get(name) or {}
        manual_wins = attribute.precedence == Precedence.MANUAL_WINS
        if _same(old, new, attribute.data_type):
            if manual_wins and source in MANUAL_SOURCES and held and not held.get("locked"):
                # A teammate confirming the app's value makes it theirs: it now holds.
                plan.provenance[name] = {
                    **_provenance(source, actor, now, held["version"]),
                    "locked": True,
                }
            result.unchanged.append(name)
            continue
        if manual_wins and held.get("locked") and source not in MANUAL_SOURCES:
            result.skipped.append(ValueChange(name, old, new))
            if held.get("pending") != new or held.get("pending_source") != source:
                # Record each new app value once, not every time the app resends it; the
                # panel shows what is held back, who sent it and when.
                plan.provenance[name] = {
                    **held,
                    "pending": new,
                    "pending_source": source,
                    "pending_actor_label": actor.label,
                    "pending_at": now.isoformat(),
                }
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
        if attribute.is_standard:
            column = model_cls.attribute_column(attribute)
            plan.columns[column.name] = to_column(attribute.data_type, new)
        elif new is None:
            plan.custom[1].append(name)
        else:
            plan.custom[0][name] = new
        plan.provenance[name] = {
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

    if plan.changes_row:
        plan.columns["version"] = result.version = new_version
        if result.applied and any(f.name == "updated_at" for f in model_cls._meta.concrete_fields):
            plan.columns["updated_at"] = now
    for row in plan.history:
        row.target_version = result.version
    return plan


def _store(
    plan: _Plan, target: AttributeTarget, *, revision: int | None = None, locked: bool = False
) -> bool:
    """Store what `plan` does, if `target`'s row is still at the version the plan was worked
    out on (and the definitions at `revision`, when given), then bring `target` up to date
    with it; False if nothing was stored. `target` holds its row as stored at that version;
    `locked`: under the row's lock, where a write that stores nothing need not check it."""
    if locked and not (plan.changes_row or plan.history):
        return True
    outbox = None
    if plan.changes_row:
        outbox = outbox_row(
            target, [c.attribute for c in plan.result.applied], plan.source, plan.now
        )
        outbox.target_version = plan.result.version  # the instance still holds the version read
    merges = {
        name: (put, remove)
        for name, (put, remove) in [
            ("custom_attributes", plan.custom),
            ("attribute_provenance", (plan.provenance, [])),
        ]
        if put or remove
    }
    if not write_if_current(
        target=target,
        version=plan.version,
        revision=revision,
        columns=plan.columns,
        merges=merges,
        outbox=outbox,
        history=plan.history,
    ):
        return False
    if outbox is not None:
        deliver_after_commit()
    meta = type(target)._meta
    for name, value in plan.columns.items():
        setattr(target, meta.get_field(name).attname, value)
    for name, (put, remove) in merges.items():
        stored = getattr(target, name)
        setattr(target, name, {k: v for k, v in stored.items() if k not in remove} | put)
    target.mark_attributes_as_stored()
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
    target.mark_attributes_as_stored()


@service
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
        # The teammate's re-sync is history of its own, whether or not the app's value then
        # changes anything; releasing the hold is a change of the row, so its version moves.
        attribute = DataAttribute.objects.get(model=model_cls.attribute_model, name=name)
        value = current.attribute_value(attribute)
        now = timezone.now()
        release = _Plan(
            ApplyResult(version=current.version + 1), current.version, Source.QUALIFICATION, now
        )
        release.provenance[name] = {**held, "locked": False}
        release.columns["version"] = release.result.version
        row = _history_row(
            current,
            attribute,
            name,
            value,
            value,
            Outcome.RELEASED,
            "The manual edit no longer holds the value; the app's values apply again.",
            Source.QUALIFICATION,
            actor,
            request_id_var.get(),
            now,
        )
        row.target_version = release.result.version
        release.history.append(row)
        if not _store(release, current, locked=True):  # cannot fail under the row's lock
            raise DatabaseError(f"{model_cls.__name__} {target.pk} changed under its lock.")
        waiting = (
            AttributeChange.objects.filter(
                target_type=model_cls.attribute_model,
                target_id=current.pk,
                attribute=attribute,  # not a change of the record that shares its name
                outcome__in=[Outcome.APPLIED, Outcome.SKIPPED],
            )
            .exclude(source__in=MANUAL_SOURCES)
            .order_by("-created_at", "-id")
            .first()
        )
        result = release.result
        if waiting is not None:
            result = attributes_apply(
                target=current,
                values={name: waiting.new_value},
                source=waiting.source,
                actor=Actor(waiting.actor_kind, waiting.actor_id, waiting.actor_label),
                reason=f"Re-synced by {actor.label}",
            )
    _copy_attribute_state(current, target)
    return result
