"""The Redis circuit breaker: an outage costs one attempt every few seconds and one log line."""

import logging
import time

import pytest
import redis

from core.outage import Breaker, Unavailable
from tests.conftest import UNREACHABLE_REDIS_URL


@pytest.fixture
def breaker(settings):
    settings.REDIS_RETRY_SECONDS = 0.2
    return Breaker("Redis", fallback="the test falls back")


@pytest.fixture
def dead_redis():
    client = redis.Redis.from_url(UNREACHABLE_REDIS_URL, socket_connect_timeout=1)
    yield client
    client.close()


def test_one_failure_opens_it_and_later_calls_skip_redis(breaker, dead_redis, caplog):
    attempts = []

    def ping():
        attempts.append(1)
        return dead_redis.ping()

    with caplog.at_level(logging.WARNING, logger="core.outage"):
        for _ in range(50):
            with pytest.raises(Unavailable):
                breaker.call(ping)
    assert len(attempts) == 1 and breaker.is_down
    (logged,) = caplog.records
    assert logged.getMessage().startswith("Redis is unreachable (Error 111")
    assert "the test falls back" in logged.getMessage()


def test_after_the_cooldown_one_caller_tries_and_recovery_is_logged(breaker, dead_redis, caplog):
    with pytest.raises(Unavailable):
        breaker.call(dead_redis.ping)
    caplog.clear()
    time.sleep(0.25)
    with caplog.at_level(logging.WARNING, logger="core.outage"):
        with pytest.raises(Unavailable):
            breaker.call(dead_redis.ping)  # the trial fails: still the same outage, no new line
        assert caplog.records == []
        time.sleep(0.25)
        assert breaker.call(lambda: "answered") == "answered"
    assert not breaker.is_down
    (logged,) = caplog.records
    assert logged.getMessage().startswith("Redis answers again, after")


def test_other_errors_pass_through_and_do_not_open_it(breaker):
    def refuse():
        raise redis.exceptions.ResponseError("WRONGTYPE")

    with pytest.raises(redis.exceptions.ResponseError):
        breaker.call(refuse)
    assert not breaker.is_down


def test_the_cache_misses_while_redis_is_unreachable(redis_unreachable, caplog):
    from django.core.cache import cache

    with caplog.at_level(logging.WARNING, logger="core.outage"):
        cache.set("k", 1)
        assert cache.get("k", "missing") == "missing"
        assert cache.add("k", 1) is False
        assert cache.get_many(["k"]) == {}
        with pytest.raises(Unavailable):
            cache.count_in_window("k", 10)
    assert [r.name for r in caplog.records] == ["core.outage"]
