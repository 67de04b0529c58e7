"""What the API routers of contacts and companies share about attribute values: who the actor
is, which values a request sets, and Intercom's 400 for a refused one."""

from typing import Any

from django.http import HttpRequest

from core.api import ApiError

from .models import AttributeTarget
from .results import AttributeWriteError
from .sources import Actor


def api_actor(request: HttpRequest) -> Actor:
    """The token behind a request, as history names it."""
    return Actor("api_token", str(request.auth.pk), request.auth.name)


def attribute_values(
    model: type[AttributeTarget], sent: dict[str, Any], custom: dict[str, Any] | None
) -> dict[str, Any]:
    """A request's attribute values: the top-level standard fields it set, then its custom
    attributes. A standard attribute's name inside custom_attributes is refused."""
    custom = custom or {}
    # Standard attributes are the model's own columns, fixed in code: no query needed.
    standard = sorted(set(custom) & set(model.standard_attribute_fields))
    if standard:
        name = standard[0]
        raise ApiError(
            400,
            "parameter_not_found",
            f"Custom attribute '{name}' does not exist; '{name}' is a standard attribute: "
            "send it as a top-level field.",
        )
    return sent | custom


def attribute_write_error(exc: AttributeWriteError) -> "ApiError":
    """Intercom's 400 for a refused value, naming the attribute."""
    problem = exc.problems[0]
    code = "parameter_not_found" if problem.code == "unknown_attribute" else "parameter_invalid"
    return ApiError(400, code, problem.message)
