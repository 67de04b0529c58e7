"""Data attributes in Intercom's REST API shape (2.14): list, create and update.

Type names on the wire. Requests take Intercom's names, which are ours: string, integer,
float, boolean, date, datetime and options. Responses report a list attribute the way Intercom
does, as `"data_type": "string"` with its `options`; every other type keeps its own name, so a
datetime attribute reads back as "datetime" (Intercom's response enum has only "date"; keeping
the distinction lets a client round-trip what it created).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from pydantic import ConfigDict, WithJsonSchema

from core.api import ApiError, api_errors, unix
from workspace.api_auth import TokenAuth

from .models import AttributeModel, DataAttribute, DataType
from .selectors import data_attributes_listed
from .services import KEEP, DataAttributeError, data_attribute_create, data_attribute_update

router = Router(tags=["Data Attributes"])

API_DATA_TYPES = {DataType.OPTIONS: "string"}
# Standard attributes the API's contact and company objects nest: their path in that object.
STANDARD_FULL_NAMES = {
    ("company", "plan"): "plan.name",
    ("contact", "location_city"): "location.city",
    ("contact", "location_region"): "location.region",
    ("contact", "location_country"): "location.country",
}
NOT_FOUND = "We couldn't find that data attribute to update"

_OPTIONS_SCHEMA = {
    "type": "array",
    "description": 'The options of a list attribute, at least two: [{"value": "Gold"}, ...].',
    "items": {
        "type": "object",
        "properties": {"value": {"type": "string"}},
        "required": ["value"],
    },
}
# Options, model and data type are checked by the service, so a wrong one gets Intercom's own
# message ("Options isn't an array", "Data Type isn't an option") instead of a schema error;
# the document still says what is allowed.
Options = Annotated[Any, WithJsonSchema(_OPTIONS_SCHEMA)]


class DataAttributeOut(Schema):
    type: Literal["data_attribute"]
    id: int | None = Field(None, description="Custom attributes only.")
    model: Literal["contact", "company"]
    name: str
    full_name: str
    label: str
    description: str
    data_type: Literal["string", "integer", "float", "boolean", "date", "datetime"]
    options: list[str] | None = Field(None, description="List attributes only.")
    api_writable: bool
    messenger_writable: bool
    ui_writable: bool
    custom: bool
    archived: bool
    created_at: int | None = Field(None, description="Custom attributes only.")
    updated_at: int | None = Field(None, description="Custom attributes only.")
    admin_id: str | None = Field(
        None,
        description="Custom attributes only: the teammate who created it, or who issued the "
        "API token that did; null when neither is known.",
    )


class DataAttributeList(Schema):
    type: Literal["list"]
    data: list[DataAttributeOut]


class DataAttributeCreate(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str
    model: Annotated[str, WithJsonSchema({"type": "string", "enum": AttributeModel.values})]
    data_type: Annotated[str, WithJsonSchema({"type": "string", "enum": DataType.values})]
    options: Options = None
    description: str | None = None
    messenger_writable: bool | None = None


class DataAttributeUpdate(Schema):
    model_config = ConfigDict(extra="forbid")

    archived: bool | None = None
    description: str | None = None
    messenger_writable: bool | None = None
    options: Options = None
    name: str | None = Field(None, description="Cannot change; a different name is refused.")
    data_type: str | None = Field(
        None, description="Cannot change; a different data type is refused."
    )


def data_attribute_json(attribute: DataAttribute) -> dict[str, Any]:
    custom = not attribute.is_standard
    body: dict[str, Any] = {
        "type": "data_attribute",
        "model": attribute.model,
        "name": attribute.name,
        "full_name": f"custom_attributes.{attribute.name}"
        if custom
        else STANDARD_FULL_NAMES.get((attribute.model, attribute.name), attribute.name),
        "label": attribute.label,
        "description": attribute.description,
        "data_type": API_DATA_TYPES.get(attribute.data_type, attribute.data_type),
        "api_writable": attribute.api_writable,
        "messenger_writable": attribute.messenger_writable,
        "ui_writable": attribute.ui_writable,
        "custom": custom,
        "archived": attribute.archived,
    }
    if attribute.data_type == DataType.OPTIONS:
        body["options"] = list(attribute.options)
    if custom:
        # Intercom gives ids, times and the creator for custom attributes only; standard ones
        # cannot be updated through the API, so they need no id.
        body |= {
            "id": attribute.pk,
            "created_at": unix(attribute.created_at),
            "updated_at": unix(attribute.updated_at),
            "admin_id": str(attribute.created_by_id) if attribute.created_by_id else None,
        }
    return body


@contextmanager
def _refusals() -> Iterator[None]:
    """The service's refusals as Intercom's errors; it wrote nothing."""
    try:
        yield
    except DataAttributeError as exc:
        if exc.reason == DataAttributeError.HAS_DEPENDANTS:
            raise ApiError(422, "data_invalid", exc.message) from exc
        raise ApiError(400, "parameter_invalid", exc.message) from exc


@router.get(
    "",
    response={200: DataAttributeList, **api_errors()},
    exclude_unset=True,
    summary="List all data attributes",
    description="Standard and custom attributes of people (`contact`) and companies; both "
    "when `model` is not given. Archived ones only with `include_archived=true`. "
    "Conversations have no data attributes here: `model=conversation` lists none.",
    auth=TokenAuth("data_attributes:read"),
)
def list_data_attributes(
    request: HttpRequest,
    model: Literal["contact", "company", "conversation"] | None = None,
    include_archived: bool = False,
):
    models = AttributeModel.values if model is None else [model]
    attributes = data_attributes_listed(models=models, include_archived=include_archived)
    return {"type": "list", "data": [data_attribute_json(a) for a in attributes]}


@router.post(
    "",
    response={200: DataAttributeOut, **api_errors(409)},
    exclude_unset=True,
    summary="Create a data attribute",
    auth=TokenAuth("data_attributes:write"),
)
def create_data_attribute(request: HttpRequest, body: DataAttributeCreate):
    with _refusals():
        attribute = data_attribute_create(
            model=body.model,
            name=body.name,
            data_type=body.data_type,
            options=body.options,
            description=body.description,
            messenger_writable=body.messenger_writable,
            created_by_id=request.auth.created_by_id,
        )
    return data_attribute_json(attribute)


@router.put(
    "/{data_attribute_id}",
    response={200: DataAttributeOut, **api_errors(404, 409, 422)},
    exclude_unset=True,
    summary="Update a data attribute",
    description="Archive or unarchive a custom attribute, change its description, whether the "
    "Messenger may write it, or a list attribute's options. Its name and data type cannot "
    "change. Archiving is refused (422) while it is qualification data or a saved segment "
    "filters on it. Removing an option keeps the values that use it.",
    auth=TokenAuth("data_attributes:write"),
)
def update_data_attribute(request: HttpRequest, data_attribute_id: int, body: DataAttributeUpdate):
    attribute = DataAttribute.objects.filter(pk=data_attribute_id, is_standard=False).first()
    if attribute is None:
        raise ApiError(404, "field_not_found", NOT_FOUND)
    sent = body.model_fields_set
    data_type = body.data_type
    if data_type == API_DATA_TYPES.get(attribute.data_type):
        data_type = attribute.data_type  # the type as we reported it, sent back unchanged
    with _refusals():
        data_attribute_update(
            attribute=attribute,
            archived=body.archived,
            description=""
            if "description" in sent and body.description is None
            else body.description,
            messenger_writable=body.messenger_writable,
            options=body.options if "options" in sent else KEEP,
            name=body.name,
            data_type=data_type,
        )
    return data_attribute_json(attribute)
