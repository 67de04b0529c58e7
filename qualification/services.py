"""Every write of attribute values, from every source, goes through `attributes_apply`.

It parses and validates values against their data attributes, enforces each attribute's write
policy per source and its precedence mode, refuses stale edits, records one history row per
applied, skipped or rejected write, bumps the target's version and, in the same transaction,
writes the outbox row that hands the change to the registered hooks after commit.
"""

import contextlib
import logging
import math
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .commit import FINGERPRINT_COLUMN, write_if_current
from .context import request_id_var
from .dependants import attribute_dependants
from .hooks import AttributeChangeEvent, after_change_hooks
from .models import (
    AttributeChange,
    AttributeModel,
    AttributeOutbox,
    AttributeTarget,
    DataAttribute,
    DataType,
    Outcome,
    Precedence,
    QualificationItem,
    Tag,
)
from .values import Canonical, InvalidValue, TextRules, parse_value, to_column

logger = logging.getLogger(__name__)


class Source:
    QUALIFICATION = "qualification"
    ADMIN = "admin"
    MESSENGER = "messenger"
    MESSENGER_VERIFIED = "messenger_verified"
    REST_API = "rest_api"
    CSV_IMPORT = "csv_import"
    WORKFLOW = "workflow"
    APP_PREFIX = "app:"


# Teammates typing a value: in "manual edits win" mode their values hold until re-synced.
MANUAL_SOURCES = frozenset({Source.QUALIFICATION, Source.ADMIN})
# The messenger runs in the customer's users' browsers: a value it may not write, or cannot be
# parsed, is dropped and recorded instead of failing the whole page load.
LENIENT_SOURCES = frozenset({Source.MESSENGER, Source.MESSENGER_VERIFIED})
_POLICY_FIELD = {
    Source.QUALIFICATION: "ui_writable",
    Source.ADMIN: "ui_writable",
    Source.MESSENGER: "messenger_writable",
    Source.MESSENGER_VERIFIED: "messenger_writable",
    Source.REST_API: "api_writable",
    Source.CSV_IMPORT: "import_writable",
    Source.WORKFLOW: "workflow_writable",
}
_SOURCE_LABELS = {
    Source.QUALIFICATION: "Teammate",
    Source.ADMIN: "Admin",
    Source.MESSENGER: "Messenger",
    Source.MESSENGER_VERIFIED: "Messenger (verified)",
    Source.REST_API: "REST API",
    Source.CSV_IMPORT: "CSV import",
    Source.WORKFLOW: "Workflow",
}
_APP_SOURCE = re.compile(r"^app:[a-z0-9][a-z0-9_-]{0,40}$")
_REJECTED_VALUE_MAX = 500
_REJECTED_ROWS_MAX = 20


def _storable(raw: Any) -> Any:
    """A rejected raw value made safe to keep: short, no NUL bytes or lone surrogates."""
    if isinstance(raw, str):
        text = raw[:_REJECTED_VALUE_MAX] + ("..." if len(raw) > _REJECTED_VALUE_MAX else "")
        return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    if isinstance(raw, int | float | bool) or raw is None:
        return raw
    return _storable(repr(raw))


def policy_field(source: str) -> str:
    if source in _POLICY_FIELD:
        return _POLICY_FIELD[source]
    if _APP_SOURCE.match(source):
        return "apps_writable"
    raise ValueError(
        f"Unknown source {source!r}: use one of {', '.join(sorted(_POLICY_FIELD))} or app:<name>."
    )


def source_label(source: str) -> str:
    if source.startswith(Source.APP_PREFIX):
        return source.removeprefix(Source.APP_PREFIX).replace("_", " ").title()
    return _SOURCE_LABELS.get(source, source)


@dataclass(frozen=True)
class Actor:
    """Who is behind a write: a teammate, an API token, an import job, a workflow, an app."""

    kind: str
    id: str
    label: str

    @classmethod
    def teammate(cls, user: Any) -> "Actor":
        return cls("teammate", str(user.pk), user.get_full_name() or user.get_username())

    @classmethod
    def coerce(cls, actor: "Actor | Any") -> "Actor":
        if isinstance(actor, Actor):
            return actor
        if hasattr(actor, "get_username"):
            return cls.teammate(actor)
        raise TypeError(f"actor must be an Actor or a user, not {type(actor).__name__}")


@dataclass(frozen=True)
class AttributeProblem:
    attribute: str
    label: str
    value: Any
    code: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Provenance:
    source: str
    actor_kind: str
    actor_id: str
    actor_label: str
    at: datetime
    version: int
    locked: bool

    @property
    def source_label(self) -> str:
        return source_label(self.source)

    @property
    def is_manual(self) -> bool:
        return self.source in MANUAL_SOURCES

    @classmethod
    def from_stored(cls, stored: dict[str, Any] | None) -> "Provenance | None":
        if not stored:
            return None
        return cls(
            source=stored["source"],
            actor_kind=stored["actor_kind"],
            actor_id=stored.get("actor_id", ""),
            actor_label=stored["actor_label"],
            at=parse_datetime(stored["at"]),
            version=stored["version"],
            locked=stored.get("locked", False),
        )


@dataclass(frozen=True)
class Conflict:
    attribute: str
    label: str
    current_value: Canonical
    set_by: Provenance | None


class AttributeWriteError(Exception):
    """Nothing was written: one or more values were refused, each with its reason."""

    def __init__(self, problems: list[AttributeProblem]):
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


class StaleWriteError(Exception):
    """Nothing was written: someone changed these attributes after the writer read them."""

    def __init__(self, conflicts: list[Conflict]):
        self.conflicts = conflicts
        described = ", ".join(
            f"{c.label} is now {c.current_value!r}"
            + (f" (set by {c.set_by.actor_label} via {c.set_by.source_label})" if c.set_by else "")
            for c in conflicts
        )
        super().__init__(f"Someone else changed this in the meantime: {described}.")


@dataclass(frozen=True)
class ValueChange:
    attribute: str
    old: Canonical
    new: Canonical


@dataclass
class ApplyResult:
    version: int
    applied: list[ValueChange] = field(default_factory=list)
    skipped: list[ValueChange] = field(default_factory=list)
    rejected: list[AttributeProblem] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _show(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 80 else text[:77] + "..."


def _parse_one(
    *,
    model_cls: type[AttributeTarget],
    name: str,
    attribute: DataAttribute | None,
    raw: Any,
    source: str,
) -> tuple[Canonical, AttributeProblem | None]:
    def problem(code: str, message: str) -> tuple[None, AttributeProblem]:
        label = attribute.label if attribute else name
        return None, AttributeProblem(name, label, raw, code, message)

    noun = "company" if model_cls.attribute_model == "company" else "people"
    if attribute is None:
        return problem(
            "unknown_attribute",
            f"Custom attribute '{name}' does not exist. Create it as {noun} data first "
            "(Settings > Data attributes), then send its value.",
        )
    if attribute.archived:
        return problem(
            "archived",
            f"{attribute.label} ('{name}') is archived and takes no new values. "
            "Unarchive it to write to it.",
        )
    if not getattr(attribute, policy_field(source)):
        return problem(
            "not_writable",
            f"{attribute.label} ('{name}') cannot be written by {source_label(source)}. "
            "An admin can change who may write it in its data attribute settings.",
        )
    column = model_cls.attribute_column(attribute) if attribute.is_standard else None
    rules = TextRules()
    if column is not None and column.max_length:
        rules = TextRules(max_length=column.max_length, is_email=attribute.name == "email")
    try:
        value = parse_value(attribute, raw, rules)
    except InvalidValue as exc:
        return problem("invalid_value", f"{attribute.label} ('{name}'): {_show(raw)} {exc}.")
    if column is not None:
        if value is None and not column.null:
            return problem("required", f"{attribute.label} ('{name}') cannot be empty.")
        if value is not None:
            column_problem = _check_column(column, value, attribute)
            if column_problem:
                return problem("invalid_value", f"{attribute.label} ('{name}'): {column_problem}")
    return value, None


def _check_column(column: models.Field, value: Canonical, attribute: DataAttribute) -> str:
    if column.is_relation:
        related = column.related_model
        if not related._default_manager.filter(pk=value).exists():
            return f"{_show(value)} is not the id of a known {related._meta.verbose_name}."
        return ""
    try:
        column.run_validators(to_column(attribute.data_type, value))
    except ValidationError as exc:
        return f"{_show(value)} is not allowed: {' '.join(exc.messages)}"
    return ""


def _attributes_named(model: str, names: list[str]) -> dict[str, DataAttribute]:
    """The data attributes of `model` with these names, read now (as plain SQL: every write
    runs this, and built through the ORM it costs twice the CPU). On PostgreSQL each comes
    with its row's fingerprint and is kept for `_attributes_seen`."""
    if not names:
        return {}
    fingerprinted = connection.vendor == "postgresql"
    found = {
        a.name: a
        for a in DataAttribute.objects.raw(
            f"SELECT d.*{FINGERPRINT_COLUMN if fingerprinted else ''} "  # noqa: S608
            f"FROM {DataAttribute._meta.db_table} AS d "
            f"WHERE model = %s AND name IN ({', '.join(['%s'] * len(names))})",
            [model, *names],
        )
    }
    if fingerprinted:
        for name in names:
            if name in found:
                _seen_attributes[model, name] = found[name]
            else:
                _seen_attributes.pop((model, name), None)
    return found


# The data attributes this process last read, by model and name, each with its row's
# fingerprint. A write may be worked out with them instead of reading them again: it is stored
# only if the rows still have these fingerprints, checked in the writing statement itself
# (`qualification.commit`), so a definition changed anywhere meanwhile is never used to store.
_seen_attributes: dict[tuple[str, str], DataAttribute] = {}


def _attributes_seen(model: str, names: list[str]) -> dict[str, DataAttribute]:
    """The data attributes with these names as last read here; the ones never read, now."""
    seen = {n: a for n in names if (a := _seen_attributes.get((model, n))) is not None}
    if len(seen) < len(names):
        seen.update(_attributes_named(model, [n for n in names if n not in seen]))
    return seen


def _parse_all(
    model_cls: type[AttributeTarget],
    values: dict[str, Any],
    source: str,
    attributes: dict[str, DataAttribute] | None = None,
) -> tuple[
    dict[str, DataAttribute], dict[str, tuple[DataAttribute, Canonical]], list[AttributeProblem]
]:
    if attributes is None:
        attributes = _attributes_named(model_cls.attribute_model, list(values))
    parsed: dict[str, tuple[DataAttribute, Canonical]] = {}
    problems: list[AttributeProblem] = []
    for name, raw in values.items():
        value, problem = _parse_one(
            model_cls=model_cls, name=name, attribute=attributes.get(name), raw=raw, source=source
        )
        if problem:
            problems.append(problem)
        else:
            parsed[name] = (attributes[name], value)
    return attributes, parsed, problems


def attributes_check(
    *, model: type[AttributeTarget], values: dict[str, Any], source: str
) -> list[AttributeProblem]:
    """The problems `attributes_apply` would refuse these values for; writes nothing. Forms use
    it to show errors beside their fields before anything is saved."""
    policy_field(source)
    return _parse_all(model, values, source)[2]


def attributes_conflicts(
    *, target: AttributeTarget, names: list[str], expected: int
) -> list[Conflict]:
    """The attributes among `names` that changed after version `expected`; writes nothing."""
    attributes = DataAttribute.objects.filter(model=type(target).attribute_model, name__in=names)
    return _conflicts(target, target.attribute_provenance, attributes, expected)


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
        seen = _attributes_seen(model_cls.attribute_model, list(values))
        parse = _parse_all(model_cls, values, source, seen)
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

    parse = _parse_all(model_cls, values, source)
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
    for problem in problems[:_REJECTED_ROWS_MAX]:
        record(
            attributes.get(problem.attribute),
            _storable(problem.attribute)[:190],
            None,
            _storable(problem.value),
            Outcome.REJECTED,
            _storable(problem.message),
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
        outbox = _outbox_row(current, names, plan.source, plan.now)
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
        transaction.on_commit(lambda: _enqueue_delivery(outbox.pk))
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


def _outbox_row(target: AttributeTarget, names: list[str], source: str, now: datetime):
    return AttributeOutbox(
        target_type=type(target).attribute_model,
        target_id=target.pk,
        target_version=target.version,
        attribute_names=names,
        source=source,
        created_at=now,
    )


def _write_outbox(target: AttributeTarget, names: list[str], source: str, now: datetime) -> None:
    row = _outbox_row(target, names, source, now)
    row.save(force_insert=True)
    transaction.on_commit(lambda: _enqueue_delivery(row.pk))


def target_touch(*, target: AttributeTarget, names: list[str], source: str) -> None:
    """Announce a change to a contact or company that is not an attribute value (its tags, its
    companies): bump its version and hand the change to the hooks through the outbox, exactly
    like an attribute change, so read models and segments follow."""
    model_cls = type(target)
    with transaction.atomic():
        model_cls._default_manager.filter(pk=target.pk).update(version=models.F("version") + 1)
        target.version = (
            model_cls._default_manager.filter(pk=target.pk).values_list("version", flat=True).get()
        )
        _write_outbox(target, names, source, timezone.now())


def targets_touch(
    *, model: type[AttributeTarget], pks: list[int], names: list[str], source: str
) -> None:
    """`target_touch` for many contacts or companies at once (a tag deleted from thousands):
    a few statements per thousand instead of three per target."""
    if not pks:
        return
    now = timezone.now()
    with transaction.atomic():
        for start in range(0, len(pks), 1000):
            chunk = pks[start : start + 1000]
            model._default_manager.filter(pk__in=chunk).update(version=models.F("version") + 1)
            rows = AttributeOutbox.objects.bulk_create(
                AttributeOutbox(
                    target_type=model.attribute_model,
                    target_id=pk,
                    target_version=version,
                    attribute_names=names,
                    source=source,
                    created_at=now,
                )
                for pk, version in model._default_manager.filter(pk__in=chunk).values_list(
                    "pk", "version"
                )
            )
        # One delivery takes every pending row; SQLite's bulk insert may not return ids.
        first = rows[0].pk if rows and rows[0].pk else 0
        transaction.on_commit(lambda: _enqueue_delivery(first))


# While a delivery is queued or draining, later commits need not queue another: it takes every
# pending row. The mark expires on its own if a worker dies holding it (the sweeper delivers).
# Without a shared cache (the embedded default), every commit delivers in-process.
DELIVERY_QUEUED_KEY = "qualification:outbox-delivery-queued"
DELIVERY_MARK_SECONDS = 5
# A process that found the mark set trusts it this long without asking Redis again (under load,
# asking was a tenth of an API write's CPU). A delivery that clears the mark waits longer than
# that before its last look for rows (tasks.deliver_outbox), so it still takes the rows of
# commits that trusted the mark until just before it was cleared.
DELIVERY_MARK_TRUST_SECONDS = 0.1
DELIVERY_LINGER_SECONDS = 0.25
assert DELIVERY_LINGER_SECONDS > DELIVERY_MARK_TRUST_SECONDS * 2, "the linger must outlast trust"
_delivery_mark_seen_at = -math.inf


def target_deleted(*, model: type[AttributeTarget], pk: int, source: str) -> None:
    """Announce that a contact or company is gone; history rows stay."""
    row = AttributeOutbox.objects.create(
        target_type=model.attribute_model,
        target_id=pk,
        target_version=0,
        attribute_names=["deleted"],
        source=source,
        created_at=timezone.now(),
    )
    transaction.on_commit(lambda: _enqueue_delivery(row.pk))


def _enqueue_delivery(outbox_id: int) -> None:
    global _delivery_mark_seen_at
    from .tasks import deliver_outbox

    # Taken before asking: the mark was set at some moment after it, at the latest.
    asked_at = time.monotonic()
    try:
        if settings.REDIS_URL:
            if asked_at - _delivery_mark_seen_at < DELIVERY_MARK_TRUST_SECONDS:
                return
            if not cache.add(DELIVERY_QUEUED_KEY, outbox_id, timeout=DELIVERY_MARK_SECONDS):
                _delivery_mark_seen_at = asked_at
                return
    except Exception:
        logger.warning("Cache unavailable; queueing outbox delivery %s anyway.", outbox_id)
    try:
        deliver_outbox.delay(outbox_id)
    except Exception:
        # The row is committed; the sweeper delivers it when the broker is back.
        logger.warning(
            "Could not queue outbox row %s; the sweeper will deliver it.", outbox_id, exc_info=True
        )
        with contextlib.suppress(Exception):
            cache.delete(DELIVERY_QUEUED_KEY)


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


# The outbox ------------------------------------------------------------------------------------


# A row whose hooks failed this many times is left for an operator (the admin shows its
# error) instead of being retried forever ahead of healthy rows.
OUTBOX_MAX_ATTEMPTS = 10
OUTBOX_BATCH = 200


def outbox_deliver(*, limit: int = OUTBOX_BATCH, fresh_only: bool = False) -> int:
    """Hand pending changes to every hook, oldest first, up to `limit` at once; returns how
    many rows were delivered.

    Every commit queues one delivery task, and whichever task runs first takes every pending
    row, so under load deliveries batch themselves and the rest find nothing to do. Rows are
    claimed with SKIP LOCKED, so concurrent workers never deliver the same row at once. If
    the batch fails, each row is tried alone so one bad row cannot hold up the others; a row
    that still fails stays pending with its error, for the sweeper to retry. Hooks must be
    idempotent: a row can be delivered again after a crash, never lost.

    `fresh_only` takes only rows no delivery has tried: the delivery task's loop uses it, so a
    row whose hook failed waits for the sweeper (every OUTBOX_SWEEP_SECONDS) instead of being
    retried in a tight loop until its attempts run out.
    """
    pending = AttributeOutbox.objects.filter(
        processed_at__isnull=True, attempts__lt=OUTBOX_MAX_ATTEMPTS
    )
    if fresh_only:
        pending = pending.filter(attempts=0)
    with transaction.atomic():
        rows = list(pending.select_for_update(skip_locked=True).order_by("id")[:limit])
        if not rows:
            return 0
        errors = _run_hooks(rows)
        if errors and len(rows) > 1:
            errors = {}
            for row in rows:
                errors |= _run_hooks([row])
        delivered = [row.pk for row in rows if row.pk not in errors]
        AttributeOutbox.objects.filter(pk__in=delivered).update(
            processed_at=timezone.now(), attempts=models.F("attempts") + 1, last_error=""
        )
        failed = [row for row in rows if row.pk in errors]
        for row in failed:
            row.attempts += 1
            row.last_error = errors[row.pk]
        AttributeOutbox.objects.bulk_update(failed, ["attempts", "last_error"])
        return len(delivered)


def outbox_fresh_rows_exist() -> bool:
    """Whether rows wait that no delivery has tried yet and no other delivery holds."""
    with transaction.atomic():
        free = (
            AttributeOutbox.objects.select_for_update(skip_locked=True)
            .filter(processed_at__isnull=True, attempts=0)
            .values_list("pk", flat=True)[:1]
        )
        return bool(list(free))


def _run_hooks(rows: list[AttributeOutbox]) -> dict[int, str]:
    """Run every hook on these rows' events, each hook in its own savepoint; returns the
    error per row id (every row of a failed batch)."""
    events = [
        AttributeChangeEvent(
            outbox_id=row.pk,
            target_type=row.target_type,
            target_id=row.target_id,
            target_version=row.target_version,
            attribute_names=tuple(row.attribute_names),
            source=row.source,
            committed_at=row.created_at,
        )
        for row in rows
    ]
    failures = []
    for name, hook in after_change_hooks():
        try:
            with transaction.atomic():
                hook(events)
        except Exception as exc:
            logger.exception("Hook %s failed for outbox rows %s", name, [r.pk for r in rows])
            failures.append(f"{name}: {exc!r}")
    if not failures:
        return {}
    return {row.pk: "\n".join(failures)[:2000] for row in rows}


def outbox_sweep(*, max_rows: int = 20_000) -> int:
    """Deliver whatever is still pending (the broker was down, a worker died, a hook failed);
    run by beat. Returns how many rows were delivered."""
    total = 0
    while total < max_rows:
        delivered = outbox_deliver(limit=500)
        if not delivered:
            break
        total += delivered
    return total


# The qualification-data list ---------------------------------------------------------------------


def _ordered_items(model: str) -> list[QualificationItem]:
    return list(
        QualificationItem.objects.select_for_update()
        .filter(attribute__model=model)
        .select_related("attribute")
        .order_by("position", "id")
    )


def _renumber(items: list[QualificationItem]) -> None:
    for index, item in enumerate(items, start=1):
        item.position = index * 10
    QualificationItem.objects.bulk_update(items, ["position"])


def qualification_item_add(
    *, attribute: DataAttribute, after: QualificationItem | None = None, at_top: bool = False
) -> QualificationItem:
    """Put an attribute on its model's qualification-data list: at the end by default, at the
    top, or right after another item."""
    if attribute.archived:
        raise ValidationError(f"{attribute.label} is archived; unarchive it first.")
    with transaction.atomic():
        items = _ordered_items(attribute.model)
        if any(i.attribute_id == attribute.pk for i in items):
            raise ValidationError(f"{attribute.label} is already qualification data.")
        item = QualificationItem.objects.create(attribute=attribute, position=0)
        if at_top:
            items.insert(0, item)
        elif after is not None:
            index = next((n for n, i in enumerate(items) if i.pk == after.pk), len(items) - 1)
            items.insert(index + 1, item)
        else:
            items.append(item)
        _renumber(items)
    return item


def qualification_item_move(*, item: QualificationItem, offset: int) -> None:
    """Move an item up (negative offset) or down the list, stopping at either end."""
    with transaction.atomic():
        items = _ordered_items(item.attribute.model)
        index = next(n for n, i in enumerate(items) if i.pk == item.pk)
        target = max(0, min(len(items) - 1, index + offset))
        items.insert(target, items.pop(index))
        _renumber(items)


def qualification_item_remove(*, item: QualificationItem) -> None:
    with transaction.atomic():
        model = item.attribute.model
        item.delete()
        _renumber(_ordered_items(model))


# Data attribute definitions ---------------------------------------------------------------------


class DataAttributeError(Exception):
    """Nothing was written: a data attribute definition or change was refused. `reason` says
    why, so the REST API can answer with Intercom's code; the message is for people."""

    INVALID = "invalid"
    HAS_DEPENDANTS = "has_dependants"

    def __init__(self, reason: str, message: str):
        self.reason, self.message = reason, message
        super().__init__(message)


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


# An argument the caller did not send: the attribute keeps what it has. None cannot mean that
# where an explicit null must be refused (options).
KEEP: Any = _Keep()
MIN_OPTIONS = 2
MAX_OPTIONS = 1_000  # a pick list, not a table: every form and filter lists them all
_MODEL_NOUN = {"contact": "people", "company": "company"}
_NAME_RULE = (
    "Your name for this attribute must only contain alphanumeric characters, currency "
    "symbols, and hyphens (spaces and underscores are allowed too), start with a letter or "
    "digit, and be at most {max} characters long"
)


def _invalid(message: str) -> DataAttributeError:
    return DataAttributeError(DataAttributeError.INVALID, message)


def _clean_options(raw: Any) -> list[str]:
    """Options as Intercom sends them ([{"value": "Gold"}, ...]) or as plain texts."""
    if not isinstance(raw, list):
        raise _invalid("Options isn't an array")
    if len(raw) > MAX_OPTIONS:
        raise _invalid(f"A list attribute has at most {MAX_OPTIONS} options.")
    values: list[str] = []
    seen: set[str] = set()
    for item in raw:
        value = item.get("value") if isinstance(item, dict) else item
        if not isinstance(value, str) or not value.strip():
            raise _invalid(
                'Each option must be an object with a non-empty text "value", '
                'such as {"value": "Gold"}.'
            )
        if value in seen:
            raise _invalid(f"Each option may appear only once: '{value}' is listed twice.")
        seen.add(value)
        values.append(value)
    if len(values) < MIN_OPTIONS:
        raise _invalid("You must have at least two options on a list type data attribute")
    return values


def _clean_description(raw: Any) -> str:
    limit = DataAttribute._meta.get_field("description").max_length
    if not isinstance(raw, str):
        raise _invalid("The description must be a text.")
    if len(raw) > limit:
        raise _invalid(f"The description must be at most {limit} characters long.")
    return raw


def _clean_name(name: Any, model: str) -> str:
    field = DataAttribute._meta.get_field("name")
    if not isinstance(name, str) or not name.strip():
        raise _invalid("The name of the attribute is required.")
    try:
        field.run_validators(name)
    except ValidationError:
        raise _invalid(_NAME_RULE.format(max=field.max_length)) from None
    noun = _MODEL_NOUN[model]
    standard = DataAttribute.objects.filter(model=model, is_standard=True, name__iexact=name)
    if standard.exists():
        raise _invalid(
            f"'{name}' is one of our standard attributes. "
            f"To save this as new {noun} data, use a different name."
        )
    # Intercom keeps custom names unique across people and companies, whatever the case: one
    # name meaning two things in filters and imports only confuses.
    existing = (
        DataAttribute.objects.filter(name__iexact=name, is_standard=False).order_by("pk").first()
    )
    if existing is not None:
        raise _duplicate(existing.name, existing.model, model)
    return name


def data_attribute_name_check(*, name: str, model: str) -> None:
    """Raise DataAttributeError if a new custom attribute may not take this name (the admin's
    form asks the same question the API's create does)."""
    _clean_name(name, model)


def _duplicate(name: str, existing_model: str, model: str) -> DataAttributeError:
    return _invalid(
        f"You already have '{name}' in your {_MODEL_NOUN[existing_model]} data. "
        f"To save this as new {_MODEL_NOUN[model]} data, use a different name."
    )


def data_attribute_create(
    *,
    model: str,
    name: str,
    data_type: str,
    options: Any = None,
    description: str | None = None,
    messenger_writable: bool | None = None,
    created_by_id: int | None = None,
) -> DataAttribute:
    """Define a custom attribute of people (`contact`) or companies. Its values can be written
    at once, by every source its write policy allows. Raises DataAttributeError and writes
    nothing when the definition is refused."""
    if model not in AttributeModel.values:
        raise _invalid("The Data Attribute model field must be either contact or company")
    if data_type not in DataType.values:
        raise _invalid(f"Data Type isn't an option: use one of {', '.join(DataType.values)}.")
    name = _clean_name(name, model)
    if data_type == DataType.OPTIONS:
        if options is None:
            raise _invalid(
                'A list attribute needs its options: send at least two, as [{"value": "..."}].'
            )
        options = _clean_options(options)
    elif options:
        raise _invalid('Only a list attribute (data_type "options") has options.')
    attribute = DataAttribute(
        model=model,
        name=name,
        label=name[: DataAttribute._meta.get_field("label").max_length],
        description=_clean_description(description) if description is not None else "",
        data_type=data_type,
        options=options if data_type == DataType.OPTIONS else [],
        created_by_id=created_by_id,
    )
    if messenger_writable is not None:
        attribute.messenger_writable = bool(messenger_writable)
    try:
        with transaction.atomic():
            attribute.save()
    except IntegrityError:  # a concurrent request defined the same name first
        raise _duplicate(name, model, model) from None
    return attribute


def data_attribute_update(
    *,
    attribute: DataAttribute,
    archived: bool | None = None,
    description: str | None = None,
    messenger_writable: bool | None = None,
    options: Any = KEEP,
    name: str | None = None,
    data_type: str | None = None,
) -> DataAttribute:
    """Change a custom attribute: archive or unarchive it, its description, whether the
    messenger may write it, or a list attribute's options. None (or KEEP) leaves a field as it
    is. Its name and data type never change: stored values and the customer's code depend on
    them, so sending different ones is refused.

    Archiving is refused while anything depends on the attribute (the qualification-data list,
    a saved segment's filter). Options may be removed even when values use them: the values
    stay, as in Intercom, and a later write must pick a current option.
    """
    if attribute.is_standard:
        raise _invalid(f"{attribute.label} is a standard attribute; it cannot be changed.")
    if name is not None and name != attribute.name:
        raise _invalid(
            f"The name of a data attribute cannot be changed ('{attribute.name}'): stored values "
            "and your code refer to it by name. Create a new attribute instead."
        )
    if data_type is not None and data_type != attribute.data_type:
        raise _invalid(
            f"The data type of a data attribute cannot be changed ('{attribute.name}' is "
            f"{attribute.data_type}): values stored in it would no longer fit."
        )
    changes: dict[str, Any] = {}
    if description is not None:
        changes["description"] = _clean_description(description)
    if messenger_writable is not None:
        changes["messenger_writable"] = bool(messenger_writable)
    if options is not KEEP:
        cleaned = _clean_options(options)
        if attribute.data_type != DataType.OPTIONS:
            raise _invalid(
                f"Only a list attribute has options; '{attribute.name}' is {attribute.data_type}."
            )
        changes["options"] = cleaned
    if archived is not None:
        changes["archived"] = bool(archived)

    with transaction.atomic():
        current = DataAttribute.objects.select_for_update().get(pk=attribute.pk)
        changed = {f: v for f, v in changes.items() if getattr(current, f) != v}
        if changed.get("archived"):
            dependants = attribute_dependants(current)
            if dependants:
                raise DataAttributeError(
                    DataAttributeError.HAS_DEPENDANTS,
                    "The Data Attribute you are trying to archive has a dependant object: "
                    f"{'; '.join(dependants)}. Remove it from there first.",
                )
        if changed:
            for field_name, value in changed.items():
                setattr(current, field_name, value)
            current.save(update_fields=[*changed, "updated_at"])
    for field_name in ("description", "messenger_writable", "options", "archived", "updated_at"):
        setattr(attribute, field_name, getattr(current, field_name))
    return attribute


# Tags ----------------------------------------------------------------------------------------


class TagNameTaken(Exception):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f"A tag named {name!r} already exists.")


def tag_named(name: str) -> Tag | None:
    # Intercom treats tag names case-insensitively; an exact match wins if both exist (the
    # admin's unique constraint is case-sensitive).
    return Tag.objects.filter(name=name).first() or Tag.objects.filter(name__iexact=name).first()


def tag_find_or_create(*, name: str) -> Tag:
    """The tag with this name (any case), made if there is none."""
    if (tag := tag_named(name)) is not None:
        return tag
    try:
        with transaction.atomic():
            return Tag.objects.create(name=name)
    except IntegrityError:  # a concurrent request made it first
        return Tag.objects.get(name=name)


def tag_rename(*, tag: Tag, name: str) -> Tag:
    """Rename a tag. Contacts and companies refer to it by id, so nothing else changes."""
    if Tag.objects.filter(name__iexact=name).exclude(pk=tag.pk).exists():
        raise TagNameTaken(name)
    if name != tag.name:
        try:
            with transaction.atomic():
                Tag.objects.filter(pk=tag.pk).update(name=name)
        except IntegrityError as exc:  # a concurrent request took the name
            raise TagNameTaken(name) from exc
        tag.name = name
    return tag
