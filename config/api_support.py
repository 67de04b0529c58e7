"""What the apps' API routers share: Intercom's error shape, scopes, who the actor is, and
how values and times are sent. It imports no app above qualification, so every app's router
can use it without depending, through config.api, on the others."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest, JsonResponse

from qualification.models import AttributeTarget
from qualification.services import Actor, AttributeWriteError


def error_body(request: HttpRequest, code: str, message: str) -> dict:
    return {
        "type": "error.list",
        "request_id": getattr(request, "request_id", ""),
        "errors": [{"code": code, "message": message}],
    }


def error_response(request: HttpRequest, status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(request, code, message), status=status)


class ApiError(Exception):
    """An error answered in Intercom's shape."""

    def __init__(self, status: int, code: str, message: str):
        self.status, self.code, self.message = status, code, message
        super().__init__(message)


def api_actor(request: HttpRequest) -> Actor:
    """The token behind a request, as history names it."""
    return Actor("api_token", str(request.auth.pk), request.auth.name)


def unix(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment else None


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


def require_scope(request: HttpRequest, scope: str) -> None:
    if scope not in request.auth.scopes:
        raise ApiError(
            403,
            "token_unauthorized",
            f"This token may not do this: it lacks the {scope} scope.",
        )
