"""API tokens: made, checked and revoked here; the API's auth class calls `api_token_check`."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import ApiToken

RESOURCES = ["contacts", "companies", "data_attributes", "events", "tags", "conversations"]
ACCESS = ("read", "write")
SCOPES = [f"{resource}:{access}" for resource in RESOURCES for access in ACCESS]
RESOURCE_LABELS = {
    "contacts": "Contacts",
    "companies": "Companies",
    "data_attributes": "Data attributes",
    "events": "Events",
    "tags": "Tags",
    "conversations": "Conversations",
}
TOKEN_PREFIX = "sb_"
# Recording every use would write on every request; a minute is precise enough to tell
# whether a token is still in use.
LAST_USED_PRECISION = timedelta(minutes=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenNameTaken(ValueError):
    def __init__(self, name: str):
        self.name = name
        super().__init__(
            f"An active token is already named “{name}”. "
            "Pick another name, or revoke the old token first."
        )


def describe_scopes(scopes: list[str]) -> str:
    """Scopes in plain words, in the order of RESOURCES: "Contacts: read & write, Tags: read"."""
    granted = set(scopes)
    parts = []
    for resource in RESOURCES:
        access = [a for a in ACCESS if f"{resource}:{a}" in granted]
        if access:
            parts.append(f"{RESOURCE_LABELS[resource]}: {' & '.join(access)}")
    return ", ".join(parts)


def api_token_create(*, name: str, scopes: list[str], created_by=None) -> tuple[ApiToken, str]:
    """Make a token; returns it and its secret, which is never stored and shown only now.
    Read and write are separate scopes, as in Intercom: write does not imply read."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValueError(f"Unknown scopes {', '.join(unknown)}; use: {', '.join(SCOPES)}.")
    if not scopes:
        raise ValueError("A token needs at least one scope, or it could do nothing.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        # The savepoint keeps an enclosing transaction usable after the refusal.
        with transaction.atomic():
            token = ApiToken.objects.create(
                name=name,
                prefix=secret[: len(TOKEN_PREFIX) + 6],
                digest=_digest(secret),
                scopes=sorted(set(scopes)),
                created_by=created_by,
            )
    except IntegrityError:
        # The only constraint a fresh random digest can meet is the active-name one.
        raise ApiTokenNameTaken(name) from None
    return token, secret


def _active_with_prefix(secret: str):
    # Every API request runs this: as plain SQL it costs a third of the CPU the query built
    # through the ORM does (issue 5's throughput target).
    table = ApiToken._meta.db_table
    return ApiToken.objects.raw(
        f"SELECT * FROM {table} WHERE prefix = %s AND revoked_at IS NULL",  # noqa: S608
        [secret[: len(TOKEN_PREFIX) + 6]],
    )


def api_token_check(secret: str) -> ApiToken | None:
    """The active token with this secret, or None. Compared in constant time."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    digest = _digest(secret)
    token = next(
        (t for t in _active_with_prefix(secret) if hmac.compare_digest(t.digest, digest)), None
    )
    if token is not None:
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
    return token


def api_token_revoke(*, token: ApiToken) -> bool:
    """Revoke the token from now on; True if this call revoked it, False if it already was."""
    now = timezone.now()
    # One conditional UPDATE: a concurrent or repeated revoke keeps the first revocation time.
    if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now):
        token.revoked_at = now
        return True
    token.refresh_from_db(fields=["revoked_at"])
    return False
