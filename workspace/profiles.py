"""A teammate's own settings: name and time zone. The zone in force for a request is kept in the
session (set at sign-in and when the profile is saved), so showing times in a teammate's terms
costs no query; with no zone chosen, the browser's (a cookie the page sets) is used."""

import zoneinfo
from functools import cache
from urllib.parse import unquote

from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver

from .models import Profile

SESSION_KEY = "sb_time_zone"
BROWSER_COOKIE = "sb_browser_tz"


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(time_zone_names())]


def valid_time_zone(name: str | None) -> str | None:
    """`name` if it is a known IANA zone, else None: a cookie or a form is never trusted."""
    return name if name and name in time_zone_names() else None


def profile_for(user) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def profile_update(*, user, first_name: str, last_name: str, time_zone: str, request=None) -> None:
    """Save a teammate's name and zone ("" follows the browser). Names appear in history by
    the label recorded at the time of each change, so renaming rewrites nothing."""
    if time_zone and not valid_time_zone(time_zone):
        raise ValueError(f"Unknown time zone: {time_zone}")
    user.first_name, user.last_name = first_name.strip(), last_name.strip()
    user.save(update_fields=["first_name", "last_name"])
    profile = profile_for(user)
    profile.time_zone = time_zone
    profile.save(update_fields=["time_zone"])
    if request is not None:
        remember_time_zone(request, time_zone)


def remember_time_zone(request, time_zone: str) -> None:
    if time_zone:
        request.session[SESSION_KEY] = time_zone
    else:
        request.session.pop(SESSION_KEY, None)


@receiver(user_logged_in)
def _time_zone_at_sign_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        zone = Profile.objects.filter(user=user).values_list("time_zone", flat=True).first()
        remember_time_zone(request, zone or "")


def time_zone_for(request) -> str | None:
    """The teammate's chosen zone, else their browser's, else None (the server's default)."""
    session = getattr(request, "session", None)
    chosen = valid_time_zone(session.get(SESSION_KEY)) if session is not None else None
    return chosen or browser_time_zone(request)


def browser_time_zone(request) -> str | None:
    """The zone timezone.js found in the browser, if it is a real one."""
    # The script percent-encodes it ("America%2FNew_York"); Django does not decode cookies.
    return valid_time_zone(unquote(request.COOKIES.get(BROWSER_COOKIE, "")))
