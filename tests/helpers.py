"""Plain helpers shared by test modules (fixtures live in conftest.py, factories in
factories.py, REST API helpers in api_helpers.py)."""

import time

from qualification.outbox.delivery import outbox_deliver
from qualification.sources import Actor

# An API token as the actor of a write, for tests that don't care which token it was.
API = Actor("api_token", "1", "Sync")


def deliver_pending():
    """Deliver every pending outbox row here and now, as a worker would."""
    while outbox_deliver():
        pass


def wait_for(condition, timeout=15.0):
    """Poll `condition` until it holds or `timeout` seconds pass; for outcomes that another
    thread (a Celery worker, the live server) produces. Answers whether it held: assert it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False
