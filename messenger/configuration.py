"""The workspace's messenger settings and signing secrets: read, changed and rotated here only."""

import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import IdentityMode, MessengerSecret, MessengerSettings, SecretKind

# Long enough to deploy the new secret everywhere the old one signs pages.
ROTATION_OVERLAP = timedelta(hours=24)
MAX_TRUSTED_DOMAINS = 50


class MessengerSettingsError(ValueError):
    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message, self.field = message, field


def messenger_settings() -> MessengerSettings:
    """The one settings row, made with a fresh app id the first time it is asked for."""
    found = MessengerSettings.objects.order_by("pk").first()
    if found is not None:
        return found
    with transaction.atomic():
        return MessengerSettings.objects.select_for_update().order_by("pk").first() or (
            MessengerSettings.objects.create()
        )


def trusted_origin(text: str) -> str:
    """`https://shop.example.com` (scheme, host and port only), lower case; ValueError if the
    text is not one."""
    text = text.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"“{text}” is not a web origin: write it like https://shop.example.com "
            "(the scheme and the host, with a port if it has one)."
        )
    if parts.path or parts.query or parts.fragment or parts.username:
        raise ValueError(
            f"“{text}” has more than an origin: keep only the scheme and host, like "
            f"{parts.scheme}://{parts.netloc.lower()}."
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"


@transaction.atomic
def messenger_settings_update(
    *,
    identity_mode: str | None = None,
    prevent_company_updates: bool | None = None,
    allow_new_attributes: bool | None = None,
    trusted_domains: list[str] | None = None,
) -> MessengerSettings:
    """Change what is given; refuses an unknown mode or a malformed origin, changing nothing."""
    settings = MessengerSettings.objects.select_for_update().get(pk=messenger_settings().pk)
    if identity_mode is not None:
        if identity_mode not in IdentityMode.values:
            raise MessengerSettingsError(
                "Choose how identities are verified: off, verify when present, or enforce.",
                "identity_mode",
            )
        if identity_mode == IdentityMode.ENFORCE and not MessengerSecret.objects.exists():
            raise MessengerSettingsError(
                "Make a secret first: enforcing verification with no secret would refuse every "
                "identified user.",
                "identity_mode",
            )
        settings.identity_mode = identity_mode
    if prevent_company_updates is not None:
        settings.prevent_company_updates = prevent_company_updates
    if allow_new_attributes is not None:
        settings.allow_new_attributes = allow_new_attributes
    if trusted_domains is not None:
        origins: list[str] = []
        for text in trusted_domains:
            if not text.strip():
                continue
            try:
                origin = trusted_origin(text)
            except ValueError as exc:
                raise MessengerSettingsError(str(exc), "trusted_domains") from exc
            if origin not in origins:
                origins.append(origin)
        if len(origins) > MAX_TRUSTED_DOMAINS:
            raise MessengerSettingsError(
                f"At most {MAX_TRUSTED_DOMAINS} trusted domains.", "trusted_domains"
            )
        settings.trusted_domains = origins
    settings.save()
    return settings


@transaction.atomic
def messenger_secret_rotate(kind: str, *, overlap: timedelta = ROTATION_OVERLAP) -> str:
    """Make a new current secret of `kind` and return it (it is shown once). The previous one
    keeps verifying until `overlap` has passed."""
    if kind not in SecretKind.values:
        raise MessengerSettingsError(f"Unknown secret: {kind}.", "kind")
    now = timezone.now()
    MessengerSecret.objects.select_for_update().filter(kind=kind, expires_at__isnull=True).update(
        expires_at=now + overlap
    )
    secret = secrets.token_urlsafe(32)
    MessengerSecret.objects.create(kind=kind, secret=secret)
    return secret


def secrets_in_force(kind: str) -> list[str]:
    """The secrets that verify now: the current one first, then any still in their overlap."""
    return list(
        MessengerSecret.objects.filter(kind=kind)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .order_by(F("expires_at").asc(nulls_first=True))
        .values_list("secret", flat=True)
    )
