"""Data attribute definitions: create custom attributes and change them, with Intercom's rules
and refusals (names, types, options, archiving while something depends on them)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ..dependants import attribute_dependants
from ..models import AttributeModel, DataAttribute, DataType


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
