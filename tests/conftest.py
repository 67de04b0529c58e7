import hashlib
import importlib
import os
import threading

import pytest
from django.conf import settings

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by the tests
# themselves are still synchronous. Set for the test run only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
ON_REDIS = bool(settings.REDIS_URL)

# Every teammate a test makes has a password ("demo"), and production's hasher spends half a
# second of CPU on each on purpose: half the suite's CPU time. Tests need a password that
# checks, not one that resists guessing.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Sign-in throttling (django-axes) is off for the suite, which signs in thousands of times from
# one address, many of them with a wrong password on purpose; tests/workspace/test_login_throttle.py
# turns it on.
settings.AXES_ENABLED = False

# Each test process keeps its Redis keys apart: the cache's and the Celery broker's (queues,
# unacked messages, bindings, pub/sub channels) all start with this prefix, named after the
# checkout and the pytest-xdist worker ("main" without xdist). So the workers of one run never
# take each other's tasks or delete each other's keys, and other checkouts may run their suites
# against the same Redis database at the same time. It is set here, before the cache and the
# broker connect (pytest-django has configured Django, but nothing has used either yet).
REDIS_KEY_PREFIX = "sbtest-{checkout}-{worker}".format(
    checkout=hashlib.sha256(str(settings.BASE_DIR).encode()).hexdigest()[:8],
    worker=os.environ.get("PYTEST_XDIST_WORKER", "main"),
)
if ON_REDIS:
    from config.celery import app as _celery_app

    settings.CACHES["default"]["KEY_PREFIX"] = REDIS_KEY_PREFIX
    _celery_app.conf.broker_transport_options = {
        **_celery_app.conf.broker_transport_options,
        "global_keyprefix": f"{REDIS_KEY_PREFIX}:",
    }


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("postgres") and not ON_POSTGRES:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))
        if item.get_closest_marker("redis") and not ON_REDIS:
            item.add_marker(pytest.mark.skip(reason="needs Redis (set REDIS_URL)"))
        if item.get_closest_marker("celery_worker") and not ON_REDIS:
            item.add_marker(pytest.mark.skip(reason="needs a Redis broker (set REDIS_URL)"))


@pytest.fixture(autouse=True)
def _migration_data(request):
    """A transactional test empties every table when it ends, including the rows that data
    migrations made (standard attributes, the default qualification list, roles). Put them
    back before each such test, with the migrations' own idempotent functions."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    from core.write_guard import writes_allowed
    from workspace.roles import roles_sync

    with writes_allowed():
        seed = importlib.import_module("qualification.migrations.0002_standard_attributes").seed
        seed(apps, None)
    roles_sync(apps)


@pytest.fixture(autouse=True)
def _fresh_process_state():
    """Each test starts as a fresh process would: having read no data attribute yet (what a
    process keeps is checked before every use, but a stale entry costs a second attempt, and
    query counts would depend on which test ran first), with Redis not known to be down and no
    API requests counted in the process (core.outage), with an empty Celery queue (tasks
    an earlier test queued and no worker ran are not this test's) and no outbox relay state (a
    wake-up no relay took, the lease of a relay that ended with its worker)."""
    from core.outage import redis_breaker
    from qualification.services.validation import forget_seen_attributes
    from workspace.api_auth import process_counts

    forget_seen_attributes()
    redis_breaker.reset()
    process_counts.clear()
    if ON_REDIS:
        from config.celery import app
        from qualification.outbox.relay import relay_forget

        app.control.purge()
        relay_forget()


# A loopback port where nothing listens: connecting is refused at once.
UNREACHABLE_REDIS_URL = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_unreachable(settings):
    """Redis is down for this test: the cache and the Celery broker point at a port where
    nothing listens, and tasks go to that broker (not in-process), as in production. Nothing
    of ours is mocked. Everything is put back afterwards."""
    from config.celery import app
    from core.outage import redis_breaker

    def use_broker(url: str, eager: bool) -> None:
        app.conf.broker_url, app.conf.task_always_eager = url, eager
        # Forget the connection pools made for the previous broker (Celery does so after a fork).
        app._pool = None
        app.amqp._producer_pool = None

    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": UNREACHABLE_REDIS_URL,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    before = (app.conf.broker_url, app.conf.task_always_eager)
    use_broker(UNREACHABLE_REDIS_URL, False)
    redis_breaker.reset()
    yield
    use_broker(*before)
    redis_breaker.reset()


@pytest.fixture(scope="session", autouse=True)
def _clean_redis():
    """Each test process starts with none of its keys in Redis (a run that was killed may have
    left some) and leaves none behind. Only its own keys: see REDIS_KEY_PREFIX."""
    if not ON_REDIS:
        yield
        return
    import redis
    from django.core.cache import cache

    from config.celery import app

    prefix = f"{REDIS_KEY_PREFIX}:"
    with app.connection_for_write() as broker:
        broker_prefix = broker.default_channel.global_keyprefix
    if not (cache.make_key("k").startswith(prefix) and broker_prefix == prefix):
        pytest.exit("The cache or the broker did not take the test key prefix.", returncode=3)
    client = redis.Redis.from_url(settings.REDIS_URL)

    def delete_own_keys():
        batch = []
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            batch.append(key)
            if len(batch) == 1000:
                client.unlink(*batch)
                batch.clear()
        if batch:
            client.unlink(*batch)

    delete_own_keys()
    yield
    delete_own_keys()
    client.close()


@pytest.fixture
def start_celery_worker(django_db_blocker):
    """Start a real Celery worker on the real Redis broker, when the test says so:
    `with start_celery_worker(): ...`, its tasks run by `concurrency` threads, each with a
    database connection of its own. Like a real worker it starts the outbox relay, which holds
    one thread while the worker runs (so two by default). Tests that need "the worker is down"
    simply start it later."""
    from contextlib import contextmanager

    from celery import signals
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    @contextmanager
    def running(concurrency: int = 2):
        with (
            django_db_blocker.unblock(),
            start_worker(
                app, pool="threads", concurrency=concurrency, perform_ping_check=False
            ) as worker,
        ):
            # Sent by `celery worker` once it consumes; the embedded test worker does not.
            signals.worker_ready.send(sender=worker.consumer)
            try:
                yield worker
            finally:
                _stop_warmly()

    return running


def _stop_warmly():
    """Stop the embedded worker as `celery worker` does on SIGTERM, letting running tasks end:
    the relay sees it and ends within a second. (The embedded worker's own exit is a cold
    one, which would leave the relay running into the next test.)"""
    import time

    from celery.worker import state

    from qualification.outbox.relay import relay_running

    state.should_stop = 0
    try:
        deadline = time.monotonic() + 10
        while relay_running() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not relay_running(), "the outbox relay did not stop with its worker"
    finally:
        state.should_stop = None


@pytest.fixture
def celery_worker(start_celery_worker):
    """A real Celery worker for the whole test."""
    with start_celery_worker() as worker:
        yield worker


@pytest.fixture
def finished_tasks():
    """The ids of the Celery tasks that ran to their end in this process (a worker thread's
    included) during the test: a test waits for the tasks it queued to finish, instead of
    sleeping for as long as it guesses they take."""
    from celery.signals import task_postrun

    finished = set()

    def record(task_id=None, **kwargs):
        finished.add(task_id)

    task_postrun.connect(record, weak=False)
    yield finished
    task_postrun.disconnect(record)


@pytest.fixture
def agent():
    """A teammate who may edit contact and company data (the demo's "agent" role)."""
    from tests.factories import UserFactory

    return UserFactory(username="priya", first_name="Priya", last_name="Raman", role="Teammate")


@pytest.fixture
def viewer():
    """A teammate who may read everything and edit nothing."""
    from tests.factories import UserFactory

    return UserFactory(username="victor", role="Viewer")


@pytest.fixture
def recorded_hook_calls():
    """Register an after-change hook that records every event it receives."""
    from qualification.outbox.hooks import register_after_change, unregister_after_change

    calls = []
    lock = threading.Lock()

    def hook(events):
        with lock:
            calls.extend(events)

    register_after_change("tests.recorder", hook)
    yield calls
    unregister_after_change("tests.recorder")


@pytest.fixture
def intercom(live_server):
    """Make an official python-intercom client for a token, pointed at the live server.

    Its connections are closed before the live server stops, so no server thread is left
    waiting on a kept-alive connection when the test database goes away."""
    import httpx
    from intercom import Intercom

    opened: list[httpx.Client] = []

    def make(token: str) -> Intercom:
        http = httpx.Client(timeout=30)
        opened.append(http)
        return Intercom(token=token, base_url=live_server.url + "/api", httpx_client=http)

    yield make
    for http in opened:
        http.close()


# The hostile-input suite's report (tests/hostile): the slowest request it sent. Here, not in
# its own conftest, so the pytest-xdist controller, which collects nothing, runs it too.
def pytest_terminal_summary(terminalreporter):
    worst = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "call":
                continue
            for name, value in getattr(report, "user_properties", ()):
                if name == "hostile_worst":
                    worst.append(value)
    if worst:
        seconds, operation, payload, status = max(worst)
        terminalreporter.write_line(
            f"hostile input: {len(worst)} operations; slowest request {seconds:.3f} s "
            f"({operation}, {payload}, answered {status})"
        )
