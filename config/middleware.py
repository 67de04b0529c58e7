import json
import logging
import re
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import resolve_url
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django_htmx.http import HttpResponseClientRedirect

from core.proxies import from_trusted_proxy
from core.request_context import held_attributes_var, request_id_var

logger = logging.getLogger(__name__)
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# Names the attributes a write sent but a manual edit held back ("manual edits win").
HELD_ATTRIBUTES_HEADER = "X-Switchboard-Held-Attributes"


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
    """For /api/: answer an unsupported Intercom-Version, put rate-limit headers on every
    authenticated response, and give every error Intercom's JSON shape, whoever produced it
    (unknown routes, wrong methods, server errors)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
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
        if problem := _unstorable_text(request):
            return error_response(request, 400, "parameter_invalid", problem)
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
        from config.api import error_response

        logger.exception("API error", exc_info=exception)
        return error_response(
            request,
            500,
            "server_error",
            "Something went wrong on our side; nothing was changed. Try again.",
        )


def _unstorable_text(request) -> str | None:
    """Text no database column can hold: a NUL character, or half of a UTF-16 surrogate pair
    (JSON can spell both as escapes). Refused up front, for every endpoint at once, rather than
    failing as a database error deep in a write."""
    query = (value for _, values in request.GET.lists() for value in values)
    if "\x00" in request.path or any("\x00" in value for value in query):
        return "The URL contains a NUL character."
    body = request.body if request.method in ("POST", "PUT", "PATCH") else b""
    # Only a body that spells such an escape needs a closer look: one cheap scan for the rest.
    if b"\x00" in body:
        return "The request body contains a NUL character."
    if b"\\u" not in body or "json" not in request.content_type:
        return None
    lowered = body.lower()
    if b"\\u0000" not in lowered and b"\\ud" not in lowered:
        return None
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None  # the API's own parser answers malformed JSON
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return "The request body contains a NUL character (\\u0000)."
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "The request body contains half of a UTF-16 surrogate pair."
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
