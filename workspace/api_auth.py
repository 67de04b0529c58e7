"""How a REST API request proves who it is: Intercom's bearer token, its scope per operation,
and its rate limit. Every app's router declares `auth=TokenAuth("contacts:read")` (or its own
scope) on each operation; the OpenAPI document shows the scope (config.api)."""

import math
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.security import HttpBearer

from core.api import ApiError
from core.outage import Unavailable

from .tokens import api_token_check

WINDOW_SECONDS = 10


class RateLimited(ApiError):
    pass


class _ProcessCounts:
    """The fallback while Redis is unreachable (core.outage logs when it starts and ends): each
    process counts its own requests, so a token gets its limit per process rather than none."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._window = -1
        self._counts: dict[int, int] = {}

    def count(self, token_pk: int, window: int) -> int:
        with self._lock:
            if window != self._window:  # a new window: the old counts are done with
                self._window, self._counts = window, {}
            self._counts[token_pk] = used = self._counts.get(token_pk, 0) + 1
            return used

    def clear(self) -> None:
        with self._lock:
            self._window, self._counts = -1, {}


process_counts = _ProcessCounts()


def _rate_limit(request: HttpRequest, token) -> None:
    """A fixed window of ten seconds per token, kept in the cache (Redis in production), or
    counted per process while Redis is unreachable."""
    limit = max(1, settings.API_RATE_LIMIT_PER_MINUTE * WINDOW_SECONDS // 60)
    now = time.time()
    window = int(now) // WINDOW_SECONDS
    key = f"api-rate:{token.pk}:{window}"
    if count_in_window := getattr(cache, "count_in_window", None):  # Redis: one round trip
        try:
            used = count_in_window(key, WINDOW_SECONDS * 2)
        except Unavailable:
            used = process_counts.count(token.pk, window)
    else:  # the embedded default's in-process cache
        try:
            used = cache.incr(key)
        except ValueError:
            used = 1 if cache.add(key, 1, timeout=WINDOW_SECONDS * 2) else cache.incr(key)
    resets_at = (window + 1) * WINDOW_SECONDS
    request.rate_limit = {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(max(0, limit - used)),
        "X-RateLimit-Reset": str(resets_at),
    }
    if used > limit:
        # RFC 9110: how many seconds to wait before trying again.
        request.rate_limit["Retry-After"] = str(max(1, math.ceil(resets_at - now)))
        raise RateLimited(
            429, "rate_limit_exceeded", f"Exceeded rate limit of {limit} in 10_seconds"
        )


def token_may(request: HttpRequest, scope: str) -> bool:
    """Whether the request's token holds `scope`. An operation's own scope is checked before it
    runs; this asks about another, to decide what its answer may show (README, "Scopes")."""
    token = getattr(request, "auth", None)
    return token is not None and scope in token.scopes


def require_scope(request: HttpRequest, scope: str, why: str) -> None:
    """Refuse, in Intercom's 403 shape, a request whose answer would tell what only `scope` may
    read (whether an email is a contact, say)."""
    if not token_may(request, scope):
        raise ApiError(
            403, "token_unauthorized", f"This token may not do this: {why} needs the {scope} scope."
        )


class TokenAuth(HttpBearer):
    """Intercom's bearer token, as one operation's auth: `auth=TokenAuth("contacts:read")`.

    An unknown or revoked token gets 401 and one past its rate limit 429; one without the
    scope gets Intercom's 403. Either way the operation does not run, so nothing is written,
    and its parameters are not even read. The token's use is recorded and counted once."""

    def __init__(self, scope: str | None = None):
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str):
        found = api_token_check(token)
        if found is None:
            return None
        _rate_limit(request, found)
        if self.scope is not None and self.scope not in found.scopes:
            raise ApiError(
                403,
                "token_unauthorized",
                f"This token may not do this: it lacks the {self.scope} scope.",
            )
        return found
