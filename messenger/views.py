"""The messenger's HTTP endpoints, called by messenger.js in the customer's pages (and by the
mobile SDKs): boot or update, and events. No cookies: who the user is comes from the call and
its verification. A page on an origin that is not trusted is refused before anything is read;
browsers get CORS headers only for trusted origins (corsheaders, through `origin_trusted`)."""

import json
from datetime import UTC, datetime

from django.contrib.staticfiles import finders
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from contacts.services import EventInvalid, event_track
from core.api import error_response
from qualification.sources import Actor, Source

from .boot import BootRefused, messenger_boot, user_named
from .client_info import client_from
from .configuration import messenger_settings
from .identity import IdentityRefused, identity_check, named_user_keys
from .models import MessengerSettings

MAX_BODY_BYTES = 64 * 1024  # a boot with every attribute a workspace could have fits in this
PLATFORMS = ("web", "ios", "android")


def settings_for(request: HttpRequest) -> MessengerSettings:
    """The messenger settings, read once per request (the CORS check and the view share it)."""
    if not hasattr(request, "messenger_settings"):
        request.messenger_settings = messenger_settings()
    return request.messenger_settings


def origin_trusted(request: HttpRequest) -> bool:
    """A call with an Origin comes from a browser: only the trusted domains may make it. One
    without (the mobile SDKs, a server) is judged by its verification alone."""
    origin = request.headers.get("Origin")
    return origin is None or origin.lower().rstrip("/") in settings_for(request).trusted_domains


def _body(request: HttpRequest) -> tuple[dict | None, JsonResponse | None]:
    if not origin_trusted(request):
        return None, error_response(
            request,
            403,
            "origin_not_trusted",
            f"{request.headers.get('Origin')} is not a trusted domain of this workspace: an "
            "Admin adds it under Settings > Messenger > Trusted domains.",
        )
    if len(request.body) > MAX_BODY_BYTES:
        return None, error_response(
            request,
            413,
            "request_too_large",
            f"A messenger call is at most {MAX_BODY_BYTES} bytes.",
        )
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return None, error_response(request, 400, "bad_request", "The body must be JSON.")
    if not isinstance(body, dict):
        return None, error_response(request, 400, "bad_request", "The body must be an object.")
    if body.get("app_id") != settings_for(request).app_id:
        return None, error_response(
            request, 404, "app_not_found", "No messenger with this app_id: check intercomSettings."
        )
    if body.get("platform", "web") not in PLATFORMS:
        return None, error_response(
            request, 400, "parameter_invalid", "platform must be web, ios or android."
        )
    return body, None


@csrf_exempt  # no cookies are read or set: nothing for a forged request to ride on
@require_POST
def boot_view(request: HttpRequest) -> JsonResponse:
    body, refused = _body(request)
    if refused is not None:
        return refused
    platform = body.pop("platform", "web")
    client = client_from(request.headers)
    try:
        boot = {"platform": platform, "client": client, "settings": settings_for(request)}
        try:
            result = messenger_boot(body, **boot)
        except IntegrityError:
            # Two first boots of one user at once (two tabs): the other made them; find them.
            result = messenger_boot(body, **boot)
    except IdentityRefused as exc:
        return error_response(request, 401, "identity_verification_failed", str(exc))
    except BootRefused as exc:
        return error_response(request, 400, "parameter_not_found", str(exc))
    contact = result.contact
    return JsonResponse(
        {
            "type": "user",
            "id": str(contact.pk),
            "user_id": contact.external_id,
            "email": contact.email,
            "verified": result.verified,
            "ignored": result.ignored,
        }
    )


@csrf_exempt
@require_POST
def event_view(request: HttpRequest) -> JsonResponse:
    """trackEvent: the booted user did something. The user must exist (boot first)."""
    body, refused = _body(request)
    if refused is not None:
        return refused
    settings = settings_for(request)
    try:
        identity = identity_check(body, platform=body.get("platform", "web"), settings=settings)
    except IdentityRefused as exc:
        return error_response(request, 401, "identity_verification_failed", str(exc))
    user = user_named(*named_user_keys(identity, body))
    if user is None:
        return error_response(
            request, 404, "user_not_found", "No such user: boot the messenger with them first."
        )
    created_at = body.get("created_at")
    at = (
        datetime.fromtimestamp(created_at, tz=UTC)
        if isinstance(created_at, int | float) and not isinstance(created_at, bool)
        else timezone.now()
    )
    source = Source.MESSENGER_VERIFIED if identity.verified else Source.MESSENGER
    try:
        with transaction.atomic():
            event_track(
                contact=user,
                event_name=body.get("event_name"),
                created_at=at.replace(microsecond=0),
                metadata=body.get("metadata"),
                source=source,
                actor=Actor("messenger", settings.app_id, "Messenger"),
            )
    except EventInvalid as exc:
        return error_response(request, 400, "parameter_invalid", str(exc))
    return JsonResponse({"type": "event", "accepted": True}, status=202)


@require_GET
def script_view(request: HttpRequest) -> HttpResponse:
    """/messenger/messenger.js: always the current script, cached briefly, so customers' pages
    pick up a new release within minutes. The versioned copy under /static/ is cached for good
    (whitenoise), for pages that pin it."""
    path = finders.find("messenger/messenger.js")
    with open(path, "rb") as script:
        response = HttpResponse(script.read(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"  # a public script, loaded from any page
    return response
