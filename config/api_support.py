"""What the apps' API routers share: Intercom's error shape, the token auth that holds each
operation's scope, who the actor is, and how values and times are sent. It imports no app
above qualification, so every app's router can use it without depending, through config.api,
on the others."""

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, JsonResponse
from ninja.security import HttpBearer
from pydantic import BaseModel, ConfigDict

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


# Finds the active token behind a secret (None if there is none), records its use and counts
# the request against its rate limit. config.api sets it: tokens are kept by an app above the
# ones whose routers use TokenAuth, and the rate limit is the API root's.
_token_check: Callable[[HttpRequest, str], Any] | None = None


def token_check_set(check: Callable[[HttpRequest, str], Any]) -> None:
    global _token_check
    _token_check = check


class TokenAuth(HttpBearer):
    """Intercom's bearer token, as one operation's auth: `auth=TokenAuth("contacts:read")`.

    An unknown or revoked token gets 401 and one past its rate limit 429 (from the check);
    one without the scope gets Intercom's 403. Either way the operation does not run, so
    nothing is written, and its parameters are not even read. The OpenAPI document shows the
    scope in the operation's security requirement and description (config.api)."""

    def __init__(self, scope: str | None = None):
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str):
        found = _token_check(request, token)
        if found is not None and self.scope is not None and self.scope not in found.scopes:
            raise ApiError(
                403,
                "token_unauthorized",
                f"This token may not do this: it lacks the {self.scope} scope.",
            )
        return found


# Response schemas ---------------------------------------------------------------------------


class ResponseSchema(BaseModel):
    """The schema of a response body that ninja builds from the dict an endpoint returns: every
    key sent is declared (an undeclared one fails the response instead of silently vanishing)
    and every value goes out as it is, never converted (strict). A plain pydantic model, not a
    ninja Schema: it validates a dict without wrapping each level for attribute access, in a
    fifth of the time (a contact: 33 us against 150), on the API's busiest answers."""

    model_config = ConfigDict(extra="forbid", strict=True)


# Errors in the OpenAPI document ---------------------------------------------------------------


class ErrorItem(ResponseSchema):
    code: str
    message: str


class Error(ResponseSchema):
    """Intercom's error list: what went wrong, for which request."""

    type: Literal["error.list"]
    request_id: str
    errors: list[ErrorItem]


# Any operation can answer these: a refused Intercom-Version or unstorable text (400), no
# valid token (401), a token without the scope (403), past the rate limit (429).
EVERY_OPERATION_ERRORS = (400, 401, 403, 429)


def api_errors(*statuses: int) -> dict[int, type[Error]]:
    """The error answers of an operation, for its `response=`: those every operation can give
    and `statuses` (404 for something named that may not exist, 409 for a write that may lose
    a race, 422 for a state that forbids it)."""
    return dict.fromkeys(sorted({*EVERY_OPERATION_ERRORS, *statuses}), Error)
