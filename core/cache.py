"""The Redis cache backend, as Django's, with two differences that matter on every API request.

- One client per connection pool. Django's backend builds a new `redis.Redis` on every call,
  and building one fills its table of ~170 response callbacks: more CPU than the round trip.
  A client holds no connection of its own (the pool does), so sharing it is safe.
- `count_in_window`, a counter that expires, in one round trip. Django's `incr` is two (it
  checks that the key exists first) and has no expiry, so a window counter needed a third.

And a Redis that cannot be reached is not an error (core.outage): reads miss, writes are dropped,
and `count_in_window` raises `Unavailable` for its caller to count some other way.
"""

import functools

from django.core.cache.backends import redis as django_redis

from .outage import Unavailable, redis_breaker


def _misses_when_unreachable(miss):
    """Run a cache operation through the Redis breaker; while Redis is unreachable it answers
    `miss(*args)` instead (what an empty cache would answer)."""

    def decorate(method):
        @functools.wraps(method)
        def guarded(self, *args):
            try:
                return redis_breaker.call(method, self, *args)
            except Unavailable:
                return miss(*args)

        return guarded

    return decorate


_Client = django_redis.RedisCacheClient


class _PooledClient(_Client):
    add = _misses_when_unreachable(lambda key, value, timeout: False)(_Client.add)
    get = _misses_when_unreachable(lambda key, default: default)(_Client.get)
    set = _misses_when_unreachable(lambda key, value, timeout: None)(_Client.set)
    touch = _misses_when_unreachable(lambda key, timeout: False)(_Client.touch)
    delete = _misses_when_unreachable(lambda key: False)(_Client.delete)
    get_many = _misses_when_unreachable(lambda keys: {})(_Client.get_many)
    has_key = _misses_when_unreachable(lambda key: False)(_Client.has_key)
    set_many = _misses_when_unreachable(lambda data, timeout: [])(_Client.set_many)
    delete_many = _misses_when_unreachable(lambda keys: None)(_Client.delete_many)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _PooledClient

    def count_in_window(self, key: str, seconds: int) -> int:
        """Add one to the counter at `key` and return it; a new counter expires after
        `seconds` (a running one keeps its expiry, so a window never stretches). Raises
        `Unavailable` when Redis cannot be reached."""
        key = self.make_and_validate_key(key)
        pipeline = self._cache.get_client(key, write=True).pipeline(transaction=True)
        # Start the counter at 0 with its expiry unless it runs already (SET NX works on every
        # Redis; EXPIRE NX needs 7.0), then count: both in one MULTI, one round trip.
        pipeline.set(key, 0, ex=seconds, nx=True)
        pipeline.incr(key)
        return redis_breaker.call(pipeline.execute)[1]
