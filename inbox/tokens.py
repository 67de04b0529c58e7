"""API tokens: made, checked and revoked here; the API's auth class calls `api_token_check`."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .models import ApiToken

RESOURCES = ["contacts", "companies", "data_attributes", "events", "tags", "conversations"]
SCOPES = [f"{resource}:{access}" for resource in RESOURCES for access in ("read", "write")]
TOKEN_PREFIX = "sb_"
# Recording every use would write on every request; a minute is precise enough to tell
# whether a token is still in use.
LAST_USED_PRECISION = timedelta(minutes=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(*, name: str, scopes: list[str], created_by=None) -> tuple[ApiToken, str]:
    """Make a token; returns it and its secret, which is never stored and shown only now."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValueError(f"Unknown scopes {', '.join(unknown)}; use: {', '.join(SCOPES)}.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        digest=_digest(secret),
        scopes=sorted(set(scopes)),
        created_by=created_by,
    )
    return token, secret


def api_token_check(secret: str) -> ApiToken | None:
    """The active token with this secret, or None. Compared in constant time."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    digest = _digest(secret)
    candidates = ApiToken.objects.filter(
        prefix=secret[: len(TOKEN_PREFIX) + 6], revoked_at__isnull=True
    )
    token = next((t for t in candidates if hmac.compare_digest(t.digest, digest)), None)
    if token is not None:
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
    return token


def api_token_revoke(*, token: ApiToken) -> None:
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        token.refresh_from_db(fields=["revoked_at"])
