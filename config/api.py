"""The REST API root: Intercom-compatible versions, error bodies and the OpenAPI document.

Routers live in the apps (contacts.api, ...); this module wires them under /api/.
"""

from django.db import IntegrityError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema

from core.api import ApiError, error_body, error_response  # noqa: F401  (the middleware uses these)
from qualification.api_support import attribute_write_error
from qualification.results import AttributeWriteError
from workspace.api_auth import TokenAuth

SUPPORTED_VERSIONS = {
    *(f"1.{minor}" for minor in range(5)),
    *(f"2.{minor}" for minor in range(15)),
    "Unstable",
}
DEFAULT_VERSION = "2.14"
# What each error status means, in the document; every error body is Intercom's error list.
ERROR_RESPONSES = {
    400: "The request is malformed or a value is refused; nothing was changed.",
    401: "The access token is missing, wrong or revoked.",
    403: "The token lacks the scope this operation needs.",
    404: "No such resource.",
    409: "It conflicts with an existing resource or a change made at the same moment.",
    422: "It cannot be done in the resource's present state.",
    429: "The token's rate limit for this 10-second window is spent.",
}


class _Document(OpenAPISchema):
    """ninja's OpenAPI document, with each operation's token scope (in its security
    requirement, and in its description for Swagger UI, which shows scopes only for OAuth2)
    and what each of its error statuses means."""

    def operation_details(self, operation):
        details = super().operation_details(operation)
        scopes = _scopes(operation)
        if scopes:
            needs = f"Needs a token with the `{'` and `'.join(scopes)}` scope."
            details["description"] = "\n\n".join(filter(None, [details.get("description"), needs]))
        for status, response in details["responses"].items():
            if status in ERROR_RESPONSES:
                response["description"] = ERROR_RESPONSES[status]
        return details

    def operation_security(self, operation):
        security = super().operation_security(operation)
        # ninja leaves every requirement's scope list empty; OpenAPI 3.1 lets a bearer
        # scheme's requirement list the roles (here, scopes) it needs.
        for requirement in security or ():
            for name in requirement:
                requirement[name] = _scopes(operation)
        return security


def _scopes(operation) -> list[str]:
    return [auth.scope for auth in operation.auth_callbacks if getattr(auth, "scope", None)]


class SwitchboardApi(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return _Document(self, path_prefix)


api = SwitchboardApi(
    title="Switchboard REST API",
    version=DEFAULT_VERSION,
    description="Compatible with Intercom's REST API 2.14 for the resources it covers.",
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    response = error_response(request, exc.status, exc.code, exc.message)
    for header, value in getattr(request, "rate_limit", {}).items():
        response[header] = value
    return response


@api.exception_handler(AttributeWriteError)
def _refused_value(request, exc: AttributeWriteError):
    """Any refused attribute value, from any endpoint: Intercom's 400 naming the attribute.
    The write path raised before writing anything."""
    return _api_error(request, attribute_write_error(exc))


@api.exception_handler(IntegrityError)
def _raced(request, exc: IntegrityError):
    """A write that lost a race with another (a tag deleted while being applied, two creates
    of one name): the database refused it, so nothing was written. Retrying sees the winner."""
    return _api_error(
        request,
        ApiError(
            409,
            "conflict",
            "It conflicts with a change made at the same moment; nothing was changed. Try again.",
        ),
    )


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc):
    return error_response(request, 401, "unauthorized", "Access Token Invalid")


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    first = exc.errors[0] if exc.errors else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "payload"))
    message = first.get("msg", "Invalid request")
    if first.get("type") == "json_invalid" or "JSON" in message:
        return error_response(request, 400, "bad_request", "The request body is not valid JSON.")
    if first.get("type") == "too_long" and "max_length" in first.get("ctx", {}):
        # A list or object past its limit: say the limit, not pydantic's wording.
        limit, sent = first["ctx"]["max_length"], first["ctx"].get("actual_length")
        message = f"at most {limit} items in one request" + (
            f" (this one has {sent})." if sent is not None else "."
        )
    return error_response(
        request, 400, "parameter_invalid", f"{where}: {message}" if where else message
    )


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}
    return error_response(
        request, exc.status_code, codes.get(exc.status_code, "client_error"), str(exc)
    )


# The apps' routers, imported last: they import the helpers above.
from companies.api import router as companies_router  # noqa: E402
from contacts.api import company_contacts_router  # noqa: E402
from contacts.api import router as contacts_router  # noqa: E402
from contacts.api_events import router as events_router  # noqa: E402
from contacts.api_tags import contact_tags_router, segments_router, tags_router  # noqa: E402
from inbox.api import router as conversations_router  # noqa: E402
from qualification.api import router as data_attributes_router  # noqa: E402

api.add_router("/contacts", contacts_router)
api.add_router("/contacts", contact_tags_router)
api.add_router("/companies", companies_router)
api.add_router("/companies", company_contacts_router)
api.add_router("/data_attributes", data_attributes_router)
api.add_router("/events", events_router)
api.add_router("/tags", tags_router)
api.add_router("/segments", segments_router)
api.add_router("/conversations", conversations_router)
