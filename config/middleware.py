import json
import logging
import re
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
)
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import resolve_url
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django_htmx.http import HttpResponseClientRedirect

from core.proxies import from_trusted_proxy
from core.request_context import held_attributes_var, request_id_var

logger = logging.getLogger(__name__)
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# Names the attributes a write sent but a manual edit held back ("manual edits win").
HELD_ATTRIBUTES_HEADER = "X-Switchboard-Held-Attributes"
# The API's bodies nest a few levels (a search: body, query, group, filter, values); deeper is
# refused before any parser recurses through it.
MAX_JSON_DEPTH = 32


class RequestIdMiddleware:
    """Give every request an id, answer it in `X-Request-Id`, and make it the id that history
    rows written during the request record. A well-formed id is kept only from a trusted proxy
    (settings.TRUSTED_PROXIES): anyone else could write any id into the audit trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-Id", "") if from_trusted_proxy(request) else ""
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-Id"] = request_id
        return response


class ApiMiddleware:
    """For /api/: answer an unsupported Intercom-Version, refuse a request no endpoint can
    take (see `_refused`), put rate-limit headers on every authenticated response, and give
    every error Intercom's JSON shape, whoever produced it (unknown routes, wrong methods,
    server errors). For pages: a NUL in the address is a plain 400, not a database error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            if _nul_in_url(request):
                return HttpResponseBadRequest(
                    "The address contains a NUL character.", content_type="text/plain"
                )
            return self.get_response(request)
        from config.api import SUPPORTED_VERSIONS, error_response

        version = request.headers.get("Intercom-Version")
        if version is not None and version not in SUPPORTED_VERSIONS:
            return error_response(
                request,
                400,
                "intercom_version_invalid",
                f"Intercom-Version {version!r} is not supported; use 2.14 or leave it out.",
            )
        if refused := _refused(request):
            return error_response(request, 400, *refused)
        held = []
        token = held_attributes_var.set(held)
        try:
            response = self.get_response(request)
        finally:
            held_attributes_var.reset(token)
        if held and response.status_code < 300:
            # Intercom's body shape has no place for it: the caller learns it from a header.
            response[HELD_ATTRIBUTES_HEADER] = ", ".join(held)
        for header, value in getattr(request, "rate_limit", {}).items():
            response.setdefault(header, value)
        if response.status_code >= 400 and "json" not in response.get("Content-Type", ""):
            codes = {404: "not_found", 405: "method_not_allowed", 500: "server_error"}
            messages = {
                404: "Resource Not Found",
                405: f"{request.method} is not allowed here.",
                500: "Something went wrong on our side; nothing was changed. Try again.",
            }
            status = response.status_code
            shaped = error_response(
                request,
                status,
                codes.get(status, "client_error"),
                messages.get(status, "The request could not be handled."),
            )
            # A 405 must say which methods would work (RFC 9110); keep what the router said.
            for header in ("Allow", *getattr(request, "rate_limit", {})):
                if header in response:
                    shaped[header] = response[header]
            return shaped
        return response

    def process_exception(self, request, exception):
        if not request.path.startswith("/api/"):
            return None
        if isinstance(exception, Http404 | PermissionDenied | SuspiciousOperation):
            # Django answers these as 404, 403 and 400 (ninja's root raises Http404); the
            # response then gets Intercom's shape on its way out, above.
            return None
        from config.api import error_response

        logger.exception("API error", exc_info=exception)
        return error_response(
            request,
            500,
            "server_error",
            "Something went wrong on our side; nothing was changed. Try again.",
        )


def _nul_in_url(request) -> bool:
    try:
        query = [text for pair in request.GET.lists() for text in (pair[0], *pair[1])]
    except TooManyFieldsSent:
        return False  # answered where the parameters are read
    return "\x00" in request.path or any("\x00" in text for text in query)


def _refused(request) -> tuple[str, str] | None:
    """(code, message) for a request no endpoint can take, refused up front for every
    endpoint at once rather than failing deep in one: a body past the size limit, too many
    parameters, text no database column can hold, JSON nested deeper than any body needs."""
    try:
        request.GET.lists()
    except TooManyFieldsSent:
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return "bad_request", f"The URL has more than {limit} parameters."
    if _nul_in_url(request):
        return "parameter_invalid", "The URL contains a NUL character."
    try:
        body = request.body
    except RequestDataTooBig:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return "bad_request", f"The request body is larger than {limit} bytes."
    if problem := _unstorable_json(body):
        return problem
    return None


def _unstorable_json(body: bytes) -> tuple[str, str] | None:
    """Text no database column can hold: a NUL character, or half of a UTF-16 surrogate pair
    (JSON can spell both as escapes); or nesting deeper than MAX_JSON_DEPTH. The API reads
    every body as JSON whatever its content type says (text/plain, none), so every body is
    checked."""
    if b"\x00" in body:
        return "parameter_invalid", "The request body contains a NUL character."
    lowered = body.lower() if b"\\u" in body else b""
    escaped = b"\\u0000" in lowered or b"\\ud" in lowered
    # Only a body that spells such an escape, or could nest deeply, needs parsing: one cheap
    # scan for the rest.
    if not escaped and body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return None
    too_deep = "bad_request", f"The request body nests JSON more than {MAX_JSON_DEPTH} levels deep."
    try:
        data = json.loads(body)
    except RecursionError:
        return too_deep
    except (ValueError, UnicodeDecodeError):
        return None  # the API's own parser answers malformed JSON
    stack = [(data, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                return too_deep
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, str):
            if "\x00" in item:
                return "parameter_invalid", "The request body contains a NUL character (\\u0000)."
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return (
                    "parameter_invalid",
                    "The request body contains half of a UTF-16 surrogate pair.",
                )
    return None


class PrivatePagesMiddleware:
    """Pages a signed-in teammate sees carry customer data: the browser must neither keep them
    for others (`private`) nor show a kept copy on Back and Forward (`no-store`), which would
    show a value as it was before an inline edit. The API and static files are left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(("/api/", settings.STATIC_URL))
            and "Cache-Control" not in response
        ):
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response


class HtmxLoginRedirectMiddleware:
    """A session that ended while a page was open: an htmx request would follow the redirect to
    the login page and swap the login form into the sidebar. Instead the whole page goes to the
    login page, which then returns to the page the teammate was on (not to the partial's URL)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        htmx = getattr(request, "htmx", None)
        if (
            htmx
            and response.status_code == 302
            and urlsplit(response.get("Location", "")).path == resolve_url(settings.LOGIN_URL)
        ):
            back = htmx.current_url_abs_path or "/"
            return HttpResponseClientRedirect(redirect_to_login(back).url)
        return response
