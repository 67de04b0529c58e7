import time

import pytest
from django.conf import settings
from django.db import transaction

from contacts.models import Contact
from qualification.models import AttributeOutbox
from qualification.outbox.delivery import outbox_deliver, outbox_sweep
from qualification.outbox.hooks import register_after_change, unregister_after_change
from qualification.services import attributes_apply
from qualification.sources import Actor, Source
from tests.factories import AttributeOutboxFactory, ContactFactory

API = Actor("api_token", "1", "Sync")
ON_REDIS = bool(settings.REDIS_URL)


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db
def test_delivery_hands_the_change_to_every_hook_once(recorded_hook_calls):
    contact = ContactFactory()
    attributes_apply(target=contact, values={"name": "Grace"}, source=Source.REST_API, actor=API)
    row = AttributeOutbox.objects.latest("id")

    AttributeOutbox.objects.exclude(pk=row.pk).update(processed_at=row.created_at)
    assert outbox_deliver() == 1
    assert outbox_deliver() == 0  # already delivered: a redelivery is a no-op
    [event] = recorded_hook_calls
    assert (event.target_type, event.target_id, event.attribute_names, event.source) == (
        "contact",
        contact.pk,
        ("name",),
        Source.REST_API,
    )
    row.refresh_from_db()
    assert row.processed_at is not None and row.attempts == 1


@pytest.mark.django_db
def test_a_failing_hook_keeps_the_row_for_the_sweeper_and_rolls_back_its_own_writes(
    recorded_hook_calls,
):
    contact = ContactFactory()
    AttributeOutbox.objects.all().delete()
    row = AttributeOutboxFactory(target_id=contact.pk, created_at=contact.created_at)
    failures = {"left": 1}

    def flaky(events):
        Contact.objects.filter(pk=events[0].target_id).update(name="written by a failing hook")
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("search index unavailable")

    register_after_change("tests.flaky", flaky)
    try:
        assert outbox_deliver() == 0
        row.refresh_from_db()
        assert row.processed_at is None
        assert "search index unavailable" in row.last_error
        assert Contact.objects.get(pk=contact.pk).name != "written by a failing hook"

        assert outbox_sweep() == 1
        row.refresh_from_db()
        assert row.processed_at is not None and row.attempts == 2 and row.last_error == ""
    finally:
        unregister_after_change("tests.flaky")
    assert len(recorded_hook_calls) == 2  # the healthy hook ran on both attempts


@pytest.mark.django_db
@pytest.mark.skipif(ON_REDIS, reason="in-process delivery is the embedded default's path")
def test_embedded_default_delivers_in_process_after_commit(
    recorded_hook_calls, django_capture_on_commit_callbacks
):
    contact = ContactFactory()
    with django_capture_on_commit_callbacks(execute=True):
        attributes_apply(
            target=contact, values={"name": "Grace"}, source=Source.REST_API, actor=API
        )
        assert recorded_hook_calls == []  # nothing before commit
    assert {e.target_id for e in recorded_hook_calls} == {contact.pk}
    assert AttributeOutbox.objects.latest("id").processed_at is not None


@pytest.mark.django_db(transaction=True)
def test_rolled_back_writes_announce_nothing(recorded_hook_calls):
    contact = ContactFactory()
    AttributeOutbox.objects.all().delete()
    recorded_hook_calls.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        attributes_apply(
            target=contact, values={"name": "Never"}, source=Source.REST_API, actor=API
        )
        raise RuntimeError("the caller failed after writing")
    assert not AttributeOutbox.objects.exists()
    assert recorded_hook_calls == []
    assert Contact.objects.get(pk=contact.pk).name != "Never"


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_committed_changes(celery_worker, recorded_hook_calls):
    contact = ContactFactory()
    attributes_apply(target=contact, values={"name": "Grace"}, source=Source.REST_API, actor=API)
    assert wait_for(
        lambda: not AttributeOutbox.objects.filter(processed_at__isnull=True).exists()
    ), "the worker did not deliver the outbox rows"
    assert contact.pk in {e.target_id for e in recorded_hook_calls}


@pytest.mark.django_db
def test_one_bad_row_does_not_hold_up_the_others(recorded_hook_calls):
    good, bad = ContactFactory(), ContactFactory()
    AttributeOutbox.objects.all().delete()
    recorded_hook_calls.clear()
    rows = [
        AttributeOutboxFactory(target_id=good.pk, created_at=good.created_at),
        AttributeOutboxFactory(target_id=bad.pk, created_at=bad.created_at),
    ]

    def picky(events):
        if any(e.target_id == bad.pk for e in events):
            raise ValueError("cannot handle this one")

    register_after_change("tests.picky", picky)
    try:
        assert outbox_deliver() == 1
    finally:
        unregister_after_change("tests.picky")
    delivered, pending = (AttributeOutbox.objects.get(pk=r.pk) for r in rows)
    assert delivered.processed_at is not None
    assert pending.processed_at is None and "cannot handle this one" in pending.last_error


@pytest.mark.django_db
def test_a_row_that_keeps_failing_is_left_for_an_operator():
    from qualification.outbox.delivery import OUTBOX_MAX_ATTEMPTS

    contact = ContactFactory()
    AttributeOutbox.objects.all().delete()
    AttributeOutboxFactory(
        target_id=contact.pk, created_at=contact.created_at, attempts=OUTBOX_MAX_ATTEMPTS
    )
    assert outbox_deliver() == 0


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_broker_down_during_the_write_loses_nothing(
    recorded_hook_calls, start_celery_worker, caplog
):
    """The write commits even though the task cannot be queued; the sweeper (run by beat)
    delivers it once the broker is back."""
    from config.celery import app

    contact = ContactFactory()
    AttributeOutbox.objects.all().delete()
    real_url = app.conf.broker_url
    try:
        app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
        app._pool = None
        app.amqp._producer_pool = None
        result = attributes_apply(
            target=contact, values={"name": "Written while down"}, source=Source.REST_API, actor=API
        )
    finally:
        app.conf.broker_url = real_url
        app._pool = None
        app.amqp._producer_pool = None
    assert result.applied
    assert Contact.objects.get(pk=contact.pk).name == "Written while down"
    pending = AttributeOutbox.objects.get(target_id=contact.pk)
    assert pending.processed_at is None
    assert recorded_hook_calls == []

    assert "the sweep delivers" in caplog.text

    from qualification.tasks import sweep_outbox

    with start_celery_worker():
        sweep_outbox.delay()
        assert wait_for(lambda: AttributeOutbox.objects.get(pk=pending.pk).processed_at is not None)
    assert contact.pk in {e.target_id for e in recorded_hook_calls}


@pytest.mark.django_db
def test_the_delivery_task_drains_fresh_rows_and_leaves_failed_ones_to_the_sweeper(
    recorded_hook_calls,
):
    from qualification.tasks import deliver_outbox

    good, bad = ContactFactory(), ContactFactory()
    AttributeOutbox.objects.all().delete()
    rows = [
        AttributeOutboxFactory(target_id=contact.pk, created_at=contact.created_at)
        for contact in (good, bad, good)
    ]

    def picky(events):
        if any(e.target_id == bad.pk for e in events):
            raise ValueError("cannot handle this one")

    register_after_change("tests.picky", picky)
    try:
        # Run as a worker runs it (the task's body, here in this thread).
        assert deliver_outbox() == 2
    finally:
        unregister_after_change("tests.picky")
    states = {r.pk: AttributeOutbox.objects.get(pk=r.pk) for r in rows}
    assert [states[r.pk].processed_at is not None for r in rows] == [True, False, True]
    # Tried once, not again and again in the loop: the sweeper retries it later.
    assert states[rows[1].pk].attempts == 1
    assert outbox_sweep() == 1
    assert AttributeOutbox.objects.get(pk=rows[1].pk).processed_at is not None
