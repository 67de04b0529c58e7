"""core.cache: Django's Redis cache, sharing its clients, with a one-round-trip window counter."""

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.redis


def test_clients_are_built_once_per_connection_pool():
    client = cache._cache.get_client("a", write=True)
    assert cache._cache.get_client("b", write=True) is client
    cache.set("shared", 1)
    assert cache.get("shared") == 1


def test_window_counter_counts_and_keeps_its_first_expiry():
    redis = cache._cache.get_client("w", write=True)
    key = cache.make_and_validate_key("window-test")
    assert [cache.count_in_window("window-test", 20) for _ in range(3)] == [1, 2, 3]
    assert 0 < redis.ttl(key) <= 20
    redis.expire(key, 5)
    cache.count_in_window("window-test", 20)
    assert redis.ttl(key) <= 5  # a running window is not stretched
