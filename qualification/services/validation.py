"""Values checked against their data attributes before anything is written: known, not
archived, writable by the source, parsed into their canonical form and fit for their column.

On PostgreSQL the data attributes a process read are kept, with the one revision of all
definitions they were read at (`attribute_definitions`), so a write need not read them again;
the write that uses them checks, in its own statement, that the revision is unchanged
(`qualification.commit`).
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, models

from ..commit import DEFINITIONS_REVISION
from ..models import AttributeTarget, DataAttribute
from ..results import AttributeProblem
from ..sources import Source, policy_field, source_label
from ..values import Canonical, InvalidValue, TextRules, parse_value, to_column

_REJECTED_VALUE_MAX = 500
REJECTED_ROWS_MAX = 20


def storable(raw: Any) -> Any:
    """A rejected raw value made safe to keep: short, no NUL bytes or lone surrogates."""
    if isinstance(raw, str):
        text = raw[:_REJECTED_VALUE_MAX] + ("..." if len(raw) > _REJECTED_VALUE_MAX else "")
        return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    if isinstance(raw, int | float | bool) or raw is None:
        return raw
    return storable(repr(raw))


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
            f"{attribute.label} is archived and takes no new values. "
            "Unarchive it in its data attribute settings to write to it.",
        )
    if not getattr(attribute, policy_field(source)):
        return problem(
            "not_writable",
            f"{attribute.label} cannot be written by {source_label(source)}. "
            "An admin can change who may write it in its data attribute settings.",
        )
    if source == Source.MESSENGER and attribute.messenger_verified_only:
        return problem(
            "not_verified",
            f"{attribute.label} takes only verified messenger values (a user_hash or an "
            "intercom_user_jwt signed on your server); this one was not verified.",
        )
    column = model_cls.attribute_column(attribute) if attribute.is_standard else None
    rules = text_rules(model_cls, attribute)
    try:
        value = parse_value(attribute, raw, rules)
    except InvalidValue as exc:
        return problem("invalid_value", exc.sentence(attribute.label))
    if column is not None:
        if value is None and not column.null:
            return problem("required", f"{attribute.label} cannot be empty.")
        if value is not None:
            column_problem = _check_column(column, value, attribute)
            if column_problem:
                return problem("invalid_value", f"{attribute.label} {column_problem}")
    return value, None


def text_rules(model_cls: type[AttributeTarget], attribute: DataAttribute) -> TextRules:
    """How long text for this attribute may be, and whether it is an email address: a
    standard attribute's column decides, custom text has the common limit. Forms show it."""
    column = model_cls.attribute_column(attribute) if attribute.is_standard else None
    if column is not None and column.max_length:
        return TextRules(max_length=column.max_length, is_email=attribute.name == "email")
    return TextRules()


def _check_column(column: models.Field, value: Canonical, attribute: DataAttribute) -> str:
    if column.is_relation:
        related = column.related_model
        if not related._default_manager.filter(pk=value).exists():
            noun = "teammate" if related is get_user_model() else related._meta.verbose_name
            return f"must be a {noun} in this workspace."
        return ""
    try:
        column.run_validators(to_column(attribute.data_type, value))
    except ValidationError as exc:
        return "is not allowed: " + " ".join(exc.messages)
    return ""


@dataclass(frozen=True)
class Definitions:
    """Data attributes by name, as of `revision` of all definitions (None on SQLite, which
    keeps none); `kept`: taken from what this process read earlier, not read now."""

    attributes: dict[str, DataAttribute]
    revision: int | None
    kept: bool


# The data attributes this process read, by model and name, all as of one revision of the
# definitions: a write may use them instead of reading them again, and is stored only if the
# definitions are still at that revision (checked in the writing statement), so a definition
# changed anywhere meanwhile is never used to store. Replaced whole, never changed in place, so
# a thread always sees attributes and revision that go together. Names that are not data
# attributes are not kept (anyone can send any name through the messenger): a write naming one
# reads them all.
_kept: tuple[int | None, dict[tuple[str, str], DataAttribute]] = (None, {})


def forget_seen_attributes() -> None:
    """Forget every data attribute read so far, as a new process would (tests start so)."""
    global _kept
    _kept = (None, {})


def attribute_definitions(model: str, names: list[str], *, kept: bool) -> Definitions:
    """The data attributes of `model` with these names: those kept if `kept` and all of them
    are, else read now."""
    revision, attributes = _kept
    if kept and revision is not None:
        found = {n: a for n in names if (a := attributes.get((model, n))) is not None}
        if len(found) == len(names):
            return Definitions(found, revision, kept=True)
    return _definitions_read(model, names)


def _definitions_read(model: str, names: list[str]) -> Definitions:
    """Read now (as plain SQL: every write runs this, and built through the ORM it costs twice
    the CPU), on PostgreSQL with the definitions' revision from the same snapshot."""
    global _kept
    if not names:
        return Definitions({}, None, kept=False)
    table = DataAttribute._meta.db_table
    match = f"d.model = %s AND d.name IN ({', '.join(['%s'] * len(names))})"
    if connection.vendor != "postgresql":
        rows = DataAttribute.objects.raw(
            f"SELECT d.* FROM {table} AS d WHERE {match}",  # noqa: S608
            [model, *names],
        )
        return Definitions({a.name: a for a in rows}, None, kept=False)
    # One row even when no name matches, to carry the revision.
    rows = list(
        DataAttribute.objects.raw(
            f"SELECT d.*, {DEFINITIONS_REVISION} AS definitions_revision "  # noqa: S608
            f"FROM (SELECT 1) AS one LEFT JOIN {table} AS d ON {match}",
            [model, *names],
        )
    )
    revision = rows[0].definitions_revision
    found = {a.name: a for a in rows if a.pk is not None}
    kept_revision, kept_attributes = _kept
    read = {(model, name): attribute for name, attribute in found.items()}
    _kept = (revision, kept_attributes | read if revision == kept_revision else read)
    return Definitions(found, revision, kept=False)


def values_parse(
    model_cls: type[AttributeTarget],
    values: dict[str, Any],
    source: str,
    attributes: dict[str, DataAttribute] | None = None,
) -> tuple[
    dict[str, DataAttribute], dict[str, tuple[DataAttribute, Canonical]], list[AttributeProblem]
]:
    if attributes is None:
        attributes = _definitions_read(model_cls.attribute_model, list(values)).attributes
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
    return values_parse(model, values, source)[2]
