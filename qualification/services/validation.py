"""Values checked against their data attributes before anything is written: known, not
archived, writable by the source, parsed into their canonical form and fit for their column.

The data attributes a process last read are kept (`_seen_attributes`) so a write need not
read them again; the write that uses them checks, in its own statement, that they are still
as read (`qualification.commit`).
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models

from ..commit import FINGERPRINT_COLUMN
from ..models import AttributeTarget, DataAttribute
from ..results import AttributeProblem
from ..sources import policy_field, source_label
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
    with its row's fingerprint and is kept for `attributes_seen`."""
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


def forget_seen_attributes() -> None:
    """Forget every data attribute read so far, as a new process would (tests start so)."""
    _seen_attributes.clear()


def attributes_seen(model: str, names: list[str]) -> dict[str, DataAttribute]:
    """The data attributes with these names as last read here; the ones never read, now."""
    seen = {n: a for n in names if (a := _seen_attributes.get((model, n))) is not None}
    if len(seen) < len(names):
        seen.update(_attributes_named(model, [n for n in names if n not in seen]))
    return seen


def values_parse(
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
    return values_parse(model, values, source)[2]
