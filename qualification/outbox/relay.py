"""The relay: the one delivery task that keeps running, woken after every commit that wrote
outbox rows (delivery.py says why that loses no row).

Its Redis state, on the broker's Redis: the wake-up, a list that commits keep at one element
and the relay pops, and the lease that keeps relays to one at a time (more are safe, only
wasteful: each would hold a worker process).
"""

import functools
import time
import uuid
from collections.abc import Callable

import redis
from celery import current_app

from core.outage import redis_breaker

from .delivery import outbox_drain

_WAKE = "switchboard:outbox:wake"
_LEASE = "switchboard:outbox:relay"
# Kept up to date by the running relay; lets a new one start this long after one died.
LEASE_SECONDS = 30
# How long one wait for a wake-up blocks, so the relay keeps its lease and sees a worker stop.
WAIT_SECONDS = 1.0
# After a wake-up, how long commits may gather before the drain (well within the contact
# list's lag target of a second).
GATHER_SECONDS = 0.05

_KEEP = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end return 0"  # noqa: E501
_DROP = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"  # noqa: E501
)


def _prefixed(name: str) -> str:
    # The broker's own key prefix, if it has one (each test worker has its own), so relays of
    # different workspaces or test workers sharing a Redis never meet.
    prefix = (current_app.conf.broker_transport_options or {}).get("global_keyprefix", "")
    return f"{prefix}{name}"


def wake_key() -> str:
    return _prefixed(_WAKE)


def lease_key() -> str:
    return _prefixed(_LEASE)


@functools.cache
def _redis(url: str, *, blocking: bool) -> redis.Redis:
    if blocking:  # waits for a wake-up: no read timeout of its own
        return redis.Redis.from_url(url, socket_connect_timeout=5)
    # A request sets the wake-up after its commit: a sick Redis must not hold it long.
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def _client(*, blocking: bool = False) -> redis.Redis:
    return _redis(current_app.conf.broker_url, blocking=blocking)


def relay_wake() -> None:
    """Set the wake-up: one round trip (two commands, pipelined), however often it is set.
    Raises core.outage.Unavailable at once while Redis is known to be unreachable."""
    pipe = _client().pipeline(transaction=False)
    pipe.lpush(wake_key(), 1)
    pipe.ltrim(wake_key(), 0, 0)
    redis_breaker.call(pipe.execute)


def relay_running() -> bool:
    return bool(_client().exists(lease_key()))


def relay_forget() -> None:
    """Drop the wake-up and the lease, as on a fresh Redis (tests start so)."""
    _client().delete(wake_key(), lease_key())


def outbox_relay(*, seconds: float, stopping: Callable[[], bool]) -> tuple[int, bool]:
    """Be the relay for up to `seconds`, unless another one holds the lease: drain once, then
    again after each wake-up taken, until the time is up, `stopping()` says the worker is
    stopping, or the lease went to another relay. Returns how many rows were delivered and
    whether the time ran out (the caller then queues a successor)."""
    client, token = _client(blocking=True), uuid.uuid4().hex
    if not client.set(lease_key(), token, nx=True, ex=LEASE_SECONDS):
        return 0, False
    kept_at = time.monotonic()  # the lease was just taken
    deadline = kept_at + seconds
    try:
        delivered = outbox_drain(until=deadline)[0]
        while not stopping():
            now = time.monotonic()
            if now - kept_at > LEASE_SECONDS / 3:
                if not client.eval(_KEEP, 1, lease_key(), token, LEASE_SECONDS):
                    return delivered, False  # it expired and another relay took it
                kept_at = now
            if now >= deadline:
                return delivered, True
            if client.blpop([wake_key()], timeout=min(WAIT_SECONDS, deadline - now)) is not None:
                # Let a burst of commits gather into one batch: most of a small drain's cost is
                # the drain itself. Only lag rests on this wait, never delivery (the wake-up is
                # taken, and the drain below comes after it).
                time.sleep(GATHER_SECONDS)
                delivered += outbox_drain(until=deadline)[0]
        return delivered, False
    finally:
        client.eval(_DROP, 1, lease_key(), token)
