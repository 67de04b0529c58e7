"""A gunicorn worker killed (SIGKILL) in the middle of a request: the request is applied
whole or not at all (it is one transaction), the client is not told it succeeded, gunicorn
starts a new worker, and the same request sent again is applied whole.

The request is caught in the middle deterministically: the test holds the lock of the last
contact it tags, so the worker waits, inside its transaction, when it is killed."""

import os
import signal
import threading
from pathlib import Path

import pytest
from django.db import connection, transaction

from contacts.models import Contact
from contacts.services import contact_create
from qualification.models import AttributeChange, AttributeOutbox, Tag
from qualification.sources import Source
from tests.factories import TEST_ACTOR
from tests.faults.conftest import report, wait_until
from workspace.tokens import api_token_create

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def _waiting_for_a_lock() -> list[int]:
    """The database backends (other than ours) waiting for a row lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def _backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0] == 1


def test_a_request_whose_worker_is_killed_applies_nothing(stack):
    people = [
        contact_create(
            external_id=f"killed-{i}",
            values={"name": f"P{i}"},
            source=Source.REST_API,
            actor=TEST_ACTOR,
        )
        for i in range(5)
    ]
    token = api_token_create(name="Faults", scopes=["tags:write"])[1]
    body = {"name": "vip", "users": [{"id": str(p.pk)} for p in people]}
    stack.start_web(workers=1)
    master = stack.processes["web"].pid
    changes_before = AttributeChange.objects.count()
    outbox_before = AttributeOutbox.objects.count()

    # The worker's first request loads the API; then the one to kill.
    assert stack.call("POST", "/api/tags", token, {"name": "warm-up"}, 60)[0] == 200
    answers = []
    with transaction.atomic():
        Contact.objects.select_for_update().get(pk=people[-1].pk)
        request = threading.Thread(
            target=lambda: answers.append(stack.call("POST", "/api/tags", token, body, 30))
        )
        request.start()
        blocked = wait_until(_waiting_for_a_lock, 20, 0.05)
        assert blocked, stack.log("web")
        (worker,) = _children(master)
        os.kill(worker, signal.SIGKILL)
    # Our lock released, the request's database session goes on until it next talks to its
    # client and finds it gone: killed before its COMMIT, nothing is applied; killed while the
    # COMMIT waited (PostgreSQL checks Django's deferred foreign keys at COMMIT, and ours is
    # one of them), all of it is. Never a part.
    assert wait_until(lambda: not _backend_alive(blocked[0]), 30, 0.05)
    request.join(30)

    tagged = Contact.objects.filter(tags__name="vip").count()
    status = answers[0][0]
    report(
        "gunicorn worker killed mid-request",
        sent=1,
        acknowledged=int(status == 200),
        contacts_tagged=tagged,
        history_rows=AttributeChange.objects.count() - changes_before,
        contacts_in_request=len(people),
    )
    history = AttributeChange.objects.count() - changes_before
    assert status != 200  # the client was never told it succeeded
    assert tagged in (0, len(people))
    assert history == tagged  # one history row per contact tagged, none for a rolled-back one
    assert Tag.objects.filter(name="vip").exists() == bool(tagged)
    assert (AttributeOutbox.objects.count() - outbox_before > 0) == bool(tagged)

    # gunicorn's master replaced the worker: the same request now applies whole.
    assert wait_until(lambda: len(_children(master)) == 1 and _children(master) != [worker], 30)
    status, answer = wait_until(
        lambda: (r := stack.call("POST", "/api/tags", token, body))[0] == 200 and r, 30
    )
    assert answer["name"] == "vip"
    assert Contact.objects.filter(tags__name="vip").count() == len(people)
