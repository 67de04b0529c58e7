"""Redis unreachable: every caller of Redis (the API's rate limit, the cache, the outbox relay's
wake-up, queueing a task) goes through one circuit breaker per process, so an outage costs one
failed attempt every few seconds instead of one per request, and is logged once, not per request.

While the breaker is open, callers skip Redis at once and fall back: the rate limit counts per
process, a cache read is a miss, and a change's delivery waits in the outbox for the periodic
sweep (the outbox row, written with the change, is the durable record). After `cooldown`
seconds one caller tries again; if it succeeds, everyone uses Redis again.

Hand-written rather than pybreaker's: that one holds a process-wide lock across the guarded call,
which would queue every thread's Redis round trip behind the slowest one.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import redis.exceptions
from django.conf import settings
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)
T = TypeVar("T")

# What "Redis is unreachable" looks like from redis-py and from Celery's publisher (kombu).
UNREACHABLE = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    OperationalError,
    OSError,
)


class Unavailable(Exception):
    """Redis could not be reached now, or recently: the caller falls back."""


class Breaker:
    def __init__(self, name: str, *, fallback: str):
        self.name = name
        self.fallback = fallback
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._retry_at = 0.0

    @property
    def cooldown(self) -> float:
        return settings.REDIS_RETRY_SECONDS

    @property
    def is_down(self) -> bool:
        return self._down_since is not None

    def call(self, operation: Callable[..., T], *args, **kwargs) -> T:
        """Run `operation` unless Redis is known to be down; raise Unavailable if it is, or if
        the operation could not reach it."""
        if not self._may_try():
            raise Unavailable(self.name)
        try:
            result = operation(*args, **kwargs)
        except UNREACHABLE as exc:
            self._failed(exc)
            raise Unavailable(self.name) from exc
        if self._down_since is not None:
            self._recovered()
        return result

    def reset(self) -> None:
        """Forget any outage, as a fresh process would (tests start so)."""
        with self._lock:
            self._down_since = None
            self._retry_at = 0.0

    def _may_try(self) -> bool:
        if self._down_since is None:
            return True
        now = time.monotonic()
        with self._lock:
            if self._down_since is None:
                return True
            if now < self._retry_at:
                return False
            # This caller is the one trial: the others keep skipping until it is done.
            self._retry_at = now + self.cooldown
            return True

    def _failed(self, exc: Exception) -> None:
        now = time.monotonic()
        with self._lock:
            first = self._down_since is None
            if first:
                self._down_since = now
            self._retry_at = now + self.cooldown
        if first:
            logger.warning(
                "%s is unreachable (%s). Until it answers: %s. Trying again every %g s; "
                "logged once per outage.",
                self.name,
                exc,
                self.fallback,
                self.cooldown,
            )

    def _recovered(self) -> None:
        with self._lock:
            since, self._down_since, self._retry_at = self._down_since, None, 0.0
        if since is not None:
            logger.warning(
                "%s answers again, after %.0f s unreachable.", self.name, time.monotonic() - since
            )


redis_breaker = Breaker(
    "Redis",
    fallback="API rate limits are counted per process, cache reads miss, and changes wait in "
    "the outbox for the periodic sweep to deliver them",
)


def task_send(task, *args) -> bool:
    """Queue `task` with `args` unless the broker is unreachable. Returns whether it was queued.
    In-process tasks (the embedded default) just run."""
    if task.app.conf.task_always_eager:
        task.delay(*args)
        return True
    try:
        redis_breaker.call(task.delay, *args)
    except Unavailable:
        return False
    return True
