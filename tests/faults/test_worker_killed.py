"""A Celery worker killed with SIGKILL in the middle of a burst of API writes, and again in the
middle of its catch-up: once a worker runs again, every change the API acknowledged reaches the
contact list. Counts sent / acknowledged / found / lost; lost must be 0."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from contacts.models import ContactListEntry, Segment
from contacts.services import SEGMENTS_MAX, contact_create
from qualification.sources import Source
from tests.factories import TEST_ACTOR
from tests.faults.conftest import report, wait_until
from workspace.tokens import api_token_create

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

# Enough that the catch-up takes several sweeps of 500 rows (and can be interrupted).
WRITES = 1200


def _found(expected: dict[int, str]) -> int:
    names = dict(
        ContactListEntry.objects.filter(contact_id__in=expected).values_list("contact_id", "name")
    )
    return sum(names.get(pk) == name for pk, name in expected.items())


def test_no_acknowledged_write_is_lost_when_workers_are_killed(stack):
    people = [
        contact_create(
            external_id=f"fault-{i}",
            values={"name": f"Before {i}"},
            source=Source.REST_API,
            actor=TEST_ACTOR,
        ).pk
        for i in range(WRITES)
    ]
    # As many saved segments as a workspace may keep: each projection evaluates them all, so
    # the catch-up takes long enough to be interrupted.
    Segment.objects.bulk_create(
        Segment(name=f"Plan {i}", query=f"q=Burst {i}") for i in range(SEGMENTS_MAX)
    )
    token = api_token_create(name="Faults", scopes=["contacts:write"])[1]
    stack.start_web()
    stack.start_worker()
    stack.start_beat()
    assert wait_until(lambda: ContactListEntry.objects.count() == WRITES, 60), stack.log("worker")

    acknowledged: dict[int, str] = {}
    sent = 0

    def write(i: int):
        name = f"Burst {i}"
        status, _ = stack.call("PUT", f"/api/contacts/{people[i]}", token, {"name": name})
        return i, name, status

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(write, i) for i in range(WRITES)]
        sent = len(futures)
        for n, future in enumerate(futures):
            i, name, status = future.result()
            if status == 200:
                acknowledged[people[i]] = name
            if n == 100:
                stack.kill("worker")  # mid-burst: the relay dies with it
    found_after_burst = _found(acknowledged)

    # A new worker catches up; kill it too once it has delivered some but not all.
    stack.start_worker()
    caught_some = wait_until(lambda: _found(acknowledged) > found_after_burst, 60, 0.05)
    found_at_second_kill = _found(acknowledged)
    stack.kill("worker")
    assert caught_some, stack.log("worker")

    stack.start_worker()
    wait_until(lambda: _found(acknowledged) == len(acknowledged), 120, 0.5)
    found = _found(acknowledged)
    lost = len(acknowledged) - found
    report(
        "worker killed mid-burst and mid-catch-up",
        sent=sent,
        acknowledged=len(acknowledged),
        found=found,
        lost=lost,
        found_after_burst=found_after_burst,
        found_at_second_kill=found_at_second_kill,
    )
    assert len(acknowledged) == sent  # the API never depended on the worker
    assert found_at_second_kill < len(acknowledged), "the catch-up ended before the kill"
    assert lost == 0
