"""Sign-in throttling with django-axes (settings: AXES_*): what a locked-out teammate sees,
which teammates are locked out, and an Admin's unlock."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Sum
from django.shortcuts import render
from django.utils import timezone


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a refused sign-in: the login page again, saying why and what to
    do, with 429 and Retry-After (each failed try during the wait restarts it)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    response = render(
        request,
        "registration/login.html",
        {
            "form": AuthenticationForm(request, initial={"username": username}),
            "locked_out": (
                f"Too many failed sign-ins for this account from here, or from this network. "
                f"Sign-in is "
                f"paused for {minutes} minutes: wait, then try again with the right password. "
                "Locked out for good? Ask an Admin to unlock your account (Settings → "
                "Teammates → Unlock), or to reset your password."
            ),
            "site_header": admin.site.site_header,
            "site_title": "Sign in",
        },
        status=429,
    )
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


def locked_out_usernames(usernames) -> set[str]:
    """Which of these usernames are locked out now: one query."""
    from axes.models import AccessAttempt

    since = timezone.now() - settings.AXES_COOLOFF_TIME
    # An account locks per address it was tried from (AXES_LOCKOUT_PARAMETERS): one row each.
    return set(
        AccessAttempt.objects.filter(
            username__in=list(usernames),
            attempt_time__gte=since,
            failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        ).values_list("username", flat=True)
    )


def account_unlock(username: str) -> int:
    """Forget the failed sign-ins for this account, so it can sign in again at once (an
    address that is locked out stays so: `manage.py axes_reset_ip`). Returns how many records
    were cleared."""
    from axes.utils import reset

    return reset(username=username)


def locked_out_addresses() -> list[tuple[str, int]]:
    """The addresses locked out across accounts now, with their failures: one query."""
    from axes.models import AccessAttempt

    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return list(
        AccessAttempt.objects.filter(attempt_time__gte=since)
        .values("ip_address")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("ip_address")
        .values_list("ip_address", "failures")
    )


def address_unlock(address: str) -> int:
    """Forget the failed sign-ins from this address (every account tried from it)."""
    from axes.utils import reset

    return reset(ip=address)
