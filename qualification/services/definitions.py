"""Data attribute definitions: create custom attributes and change them, with Intercom's rules
and refusals (names, types, options, archiving while something depends on them)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.write_guard import service

from ..dependants import attribute_dependants
from ..models import AttributeModel, DataAttribute, DataType, Precedence


class DataAttributeError(Exception):
    """Nothing was written: a data attribute definition or change was refused. `reason` says
    why, so the REST API can answer with Intercom's code; the message is for people."""

    INVALID = "invalid"
    HAS_DEPENDANTS = "has_dependants"

    def __init__(self, reason: str, message: str, field: str | None = None):
        # `field`: the argument at fault, so a form can show the message beside it.
        self.reason, self.message, self.field = reason, message, field
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


def _invalid(message: str, field: str | None = None) -> DataAttributeError:
    return DataAttributeError(DataAttributeError.INVALID, message, field)


def _clean_options(raw: Any) -> list[str]:
    """Options as Intercom sends them ([{"value": "Gold"}, ...]) or as plain texts."""
    if not isinstance(raw, list):
        raise _invalid("Options isn't an array", "options")
    if len(raw) > MAX_OPTIONS:
        raise _invalid(f"A list attribute has at most {MAX_OPTIONS} options.", "options")
    values: list[str] = []
    seen: set[str] = set()
    for item in raw:
        value = item.get("value") if isinstance(item, dict) else item
        if not isinstance(value, str) or not value.strip():
            raise _invalid(
                'Each option must be an object with a non-empty text "value", '
                'such as {"value": "Gold"}.',
                "options",
            )
        if value in seen:
            raise _invalid(
                f"Each option may appear only once: '{value}' is listed twice.", "options"
            )
        seen.add(value)
        values.append(value)
    if len(values) < MIN_OPTIONS:
        raise _invalid(
            "You must have at least two options on a list type data attribute", "options"
        )
    return values


_LABEL_MAX = DataAttribute._meta.get_field("label").max_length
# Who may write an attribute, one flag per kind of source (qualification.sources).
POLICY_FIELDS = (
    "ui_writable",
    "api_writable",
    "messenger_writable",
    "messenger_verified_only",
    "import_writable",
    "workflow_writable",
    "apps_writable",
)


def _clean_label(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise _invalid("The label is required: it is what teammates see.", "label")
    if len(raw.strip()) > _LABEL_MAX:
        raise _invalid(f"The label must be at most {_LABEL_MAX} characters long.", "label")
    return raw.strip()


def _clean_policy(policy: dict[str, bool] | None, precedence: str | None) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for field_name, allowed in (policy or {}).items():
        if field_name not in POLICY_FIELDS:
            raise _invalid(f"'{field_name}' is not a write policy: use one of {POLICY_FIELDS}.")
        cleaned[field_name] = bool(allowed)
    if precedence is not None:
        if precedence not in Precedence.values:
            raise _invalid(f"Precedence must be one of {', '.join(Precedence.values)}.")
        cleaned["precedence"] = precedence
    return cleaned


def _clean_description(raw: Any) -> str:
    limit = DataAttribute._meta.get_field("description").max_length
    if not isinstance(raw, str):
        raise _invalid("The description must be a text.", "description")
    if len(raw) > limit:
        raise _invalid(f"The description must be at most {limit} characters long.", "description")
    return raw


def _clean_name(name: Any, model: str) -> str:
    field = DataAttribute._meta.get_field("name")
    if not isinstance(name, str) or not name.strip():
        raise _invalid("The name of the attribute is required.", "name")
    try:
        field.run_validators(name)
    except ValidationError:
        raise _invalid(_NAME_RULE.format(max=field.max_length), "name") from None
    noun = _MODEL_NOUN[model]
    standard = DataAttribute.objects.filter(model=model, is_standard=True, name__iexact=name)
    if standard.exists():
        raise _invalid(
            f"'{name}' is one of our standard attributes. "
            f"To save this as new {noun} data, use a different name.",
            "name",
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
        f"To save this as new {_MODEL_NOUN[model]} data, use a different name.",
        "name",
    )


@service
def data_attribute_create(
    *,
    model: str,
    name: str,
    data_type: str,
    options: Any = None,
    description: str | None = None,
    messenger_writable: bool | None = None,
    created_by_id: int | None = None,
    label: str | None = None,
    policy: dict[str, bool] | None = None,
    precedence: str | None = None,
    check_only: bool = False,
) -> DataAttribute:
    """Define a custom attribute of people (`contact`) or companies. Its values can be written
    at once, by every source its write policy allows. Raises DataAttributeError and writes
    nothing when the definition is refused. `check_only`: refuse or return the attribute
    unsaved (forms show the same refusals beside their fields before saving)."""
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
        label=_clean_label(label) if label else name[:_LABEL_MAX],
        description=_clean_description(description) if description is not None else "",
        data_type=data_type,
        options=options if data_type == DataType.OPTIONS else [],
        created_by_id=created_by_id,
    )
    if messenger_writable is not None:
        attribute.messenger_writable = bool(messenger_writable)
    for field_name, value in _clean_policy(policy, precedence).items():
        setattr(attribute, field_name, value)
    if check_only:
        return attribute
    try:
        with transaction.atomic():
            attribute.save()
    except IntegrityError:  # a concurrent request defined the same name first
        raise _duplicate(name, model, model) from None
    return attribute


@service
def data_attribute_update(
    *,
    attribute: DataAttribute,
    archived: bool | None = None,
    description: str | None = None,
    messenger_writable: bool | None = None,
    options: Any = KEEP,
    name: str | None = None,
    data_type: str | None = None,
    label: str | None = None,
    policy: dict[str, bool] | None = None,
    precedence: str | None = None,
    check_only: bool = False,
) -> DataAttribute:
    """Change a data attribute: archive or unarchive it, its label and description, who may
    write it (`policy`, by write-policy flag) and its precedence, or a list attribute's
    options. None (or KEEP) leaves a field as it is; `check_only` refuses or returns without
    saving anything. Its name and data type never change:
    stored values and the customer's code depend on them, so sending different ones is
    refused. A standard attribute's label, description, policy and precedence may change; it
    cannot be archived and has no options.

    Archiving is refused while anything depends on the attribute (the qualification-data list,
    a saved segment's filter). Options may be removed even when values use them: the values
    stay, as in Intercom, and a later write must pick a current option.
    """
    if attribute.is_standard and (archived or options is not KEEP):
        raise _invalid(
            f"{attribute.label} is a standard attribute: it cannot be archived and its "
            "options cannot be changed."
        )
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
    changes: dict[str, Any] = _clean_policy(policy, precedence)
    if label is not None:
        changes["label"] = _clean_label(label)
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
                    "archived",
                )
        if check_only:
            return attribute
        if changed:
            for field_name, value in changed.items():
                setattr(current, field_name, value)
            current.save(update_fields=[*changed, "updated_at"])
    for field in DataAttribute._meta.concrete_fields:
        setattr(attribute, field.attname, getattr(current, field.attname))
    return attribute
