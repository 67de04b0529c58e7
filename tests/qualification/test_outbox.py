import logging
import threading
from collections import Counter

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from contacts.models import Contact
from core.write_guard import writes_allowed
from qualification.models import AttributeOutbox
from qualification.outbox.delivery import outbox_deliver, outbox_sweep
from qualification.outbox.hooks import register_after_change, unregister_after_change
from qualification.services import attributes_apply
from qualification.sources import Source
from tests.factories import AttributeOutboxFactory, ContactFactory
from tests.helpers import API, wait_for

ON_REDIS = bool(settings.REDIS_URL)


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
        with writes_allowed():
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


@pytest.fixture
def picky_rows():
    """Pending outbox rows for a good, a bad and the good contact again, no others, and a hook
    that refuses every batch holding the bad one (registered for the test)."""
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
    yield rows
    unregister_after_change("tests.picky")


@pytest.mark.django_db
def test_one_bad_row_does_not_hold_up_the_others(picky_rows):
    assert outbox_deliver() == 2
    delivered, pending, _ = (AttributeOutbox.objects.get(pk=r.pk) for r in picky_rows)
    assert delivered.processed_at is not None
    assert pending.processed_at is None and "cannot handle this one" in pending.last_error


@pytest.mark.django_db
def test_a_sweep_tries_a_failing_row_once_and_delivers_the_rest(picky_rows):
    assert outbox_sweep() == 2
    assert AttributeOutbox.objects.get(pk=picky_rows[1].pk).attempts == 1  # one pass, one try
    assert outbox_sweep() == 0
    assert AttributeOutbox.objects.get(pk=picky_rows[1].pk).attempts == 2


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
    """The write commits even though the relay cannot be woken; the sweep (run by beat)
    delivers it once the broker is back."""
    from config.celery import app

    # An earlier embedded worker may have set the root logger to errors only.
    caplog.set_level(logging.WARNING, logger="core.outage")
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

    assert "changes wait in the outbox for the periodic sweep" in caplog.text

    from qualification.tasks import sweep_outbox

    with start_celery_worker():
        sweep_outbox.delay()
        assert wait_for(lambda: AttributeOutbox.objects.get(pk=pending.pk).processed_at is not None)
    assert contact.pk in {e.target_id for e in recorded_hook_calls}


@pytest.mark.django_db
def test_a_drain_takes_fresh_rows_and_leaves_failed_ones_to_the_sweeper(picky_rows):
    from qualification.outbox.delivery import outbox_drain

    rows = picky_rows
    assert outbox_drain() == (2, True)
    states = {r.pk: AttributeOutbox.objects.get(pk=r.pk) for r in rows}
    assert [states[r.pk].processed_at is not None for r in rows] == [True, False, True]
    # Tried once, not again and again in the loop: the sweeper retries it later, once the
    # hook accepts it.
    assert states[rows[1].pk].attempts == 1
    unregister_after_change("tests.picky")
    assert outbox_sweep() == 1
    assert AttributeOutbox.objects.get(pk=rows[1].pk).processed_at is not None


def wake_up_set() -> bool:
    from qualification.outbox.relay import _client, wake_key

    return bool(_client().llen(wake_key()))


@pytest.mark.celery_worker  # the wake-up lives in Redis; no worker runs to take it
@pytest.mark.django_db(transaction=True)
def test_a_commit_sets_the_wake_up_and_a_rollback_does_not():
    from qualification.outbox.relay import relay_forget

    contact = ContactFactory()
    relay_forget()
    with pytest.raises(RuntimeError), transaction.atomic():
        attributes_apply(target=contact, values={"name": "A"}, source=Source.REST_API, actor=API)
        raise RuntimeError("the whole transaction is rolled back")
    assert not wake_up_set()
    with transaction.atomic():
        attributes_apply(target=contact, values={"name": "B"}, source=Source.REST_API, actor=API)
        assert not wake_up_set()  # not before commit
    assert wake_up_set()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(ON_REDIS, reason="in-process delivery is the embedded default's path")
def test_one_transaction_asks_for_delivery_once_however_many_rows_it_wrote():
    """On the embedded default every ask runs the delivery task in-process: its runs count the
    asks (one per committed transaction, none for a rolled-back one) and the hook's batches
    show which rows each took."""
    from celery.signals import task_postrun

    from contacts.services import contact_tag
    from tests.factories import TagFactory

    asks, batches = [], []

    def note(sender=None, **kwargs):
        if sender.name == "qualification.deliver_outbox":
            asks.append(sender)

    task_postrun.connect(note, weak=False)
    register_after_change("tests.batches", lambda events: batches.append(events))
    try:
        first, second = ContactFactory(), ContactFactory()
        vip = TagFactory(name="VIP")
        asks.clear(), batches.clear()
        with transaction.atomic():
            for n, contact in enumerate((first, second, first)):
                attributes_apply(
                    target=contact,
                    values={"name": f"Renamed {n}"},
                    source=Source.REST_API,
                    actor=API,
                )
            contact_tag(contact=second, tag=vip, source=Source.ADMIN, actor=API)
            assert (asks, batches) == ([], [])  # nothing before commit
        assert len(asks) == 1
        [batch] = batches
        assert [e.target_id for e in batch] == [first.pk, second.pk, first.pk, second.pk]

        # A savepoint rolled back with the first row (and its callback) still leaves one ask
        # for the rows written after it.
        asks.clear(), batches.clear()
        with transaction.atomic():
            with pytest.raises(RuntimeError), transaction.atomic():
                attributes_apply(
                    target=first, values={"name": "C"}, source=Source.REST_API, actor=API
                )
                raise RuntimeError("the savepoint is rolled back")
            attributes_apply(target=second, values={"name": "D"}, source=Source.REST_API, actor=API)
        assert len(asks) == 1
        [batch] = batches
        assert [e.target_id for e in batch] == [second.pk]

        asks.clear(), batches.clear()
        with pytest.raises(RuntimeError), transaction.atomic():
            attributes_apply(target=first, values={"name": "E"}, source=Source.REST_API, actor=API)
            raise RuntimeError("the whole transaction is rolled back")
        assert (asks, batches) == ([], [])
    finally:
        unregister_after_change("tests.batches")
        task_postrun.disconnect(note)
    assert not AttributeOutbox.objects.filter(processed_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_drain_that_finds_nothing_is_one_query(django_assert_num_queries):
    from qualification.outbox.delivery import outbox_drain

    AttributeOutbox.objects.update(processed_at=timezone.now())
    with django_assert_num_queries(1):  # no transaction, no lock
        assert outbox_drain() == (0, True)


@pytest.mark.django_db
def test_a_drain_claims_batch_after_batch_until_none_is_left(monkeypatch, recorded_hook_calls):
    from qualification.outbox import delivery

    contact = ContactFactory()
    AttributeOutbox.objects.all().delete()
    rows = AttributeOutboxFactory.create_batch(
        5, target_id=contact.pk, created_at=contact.created_at
    )
    monkeypatch.setattr(delivery, "OUTBOX_BATCH", 2)
    assert delivery.outbox_drain() == (5, True)  # claims of two, two, then one: short, done
    assert [e.outbox_id for e in recorded_hook_calls] == [r.pk for r in rows]


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_relay_hands_over_to_a_fresh_one_and_a_second_relay_ends_at_once(
    monkeypatch, recorded_hook_calls, start_celery_worker
):
    from celery.signals import task_postrun

    from qualification.outbox import tasks
    from qualification.outbox.relay import _client, lease_key, relay_running

    monkeypatch.setattr(tasks, "RELAY_SECONDS", 0.5)
    ended = []

    def note(sender=None, **kwargs):
        if sender.name == "qualification.deliver_outbox":
            ended.append(sender)

    task_postrun.connect(note, weak=False)
    try:
        with start_celery_worker():
            assert wait_for(lambda: len(ended) >= 2), "no relay handed over"
            assert wait_for(relay_running)
            lease = _client().get(lease_key())
            # This thread's relay finds the lease taken: it ends at once, delivering nothing
            # and leaving the lease to the relay that holds it.
            assert tasks.deliver_outbox() == 0
            assert _client().get(lease_key()) == lease
            contact = ContactFactory()  # after the handovers: the relay of the moment takes it
            assert wait_for(lambda: contact.pk in {e.target_id for e in recorded_hook_calls})
    finally:
        task_postrun.disconnect(note)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_rows_written_while_a_delivery_drains_are_delivered_without_the_sweep(
    recorded_hook_calls, celery_worker
):
    first, others = ContactFactory(), ContactFactory.create_batch(3)
    assert wait_for(lambda: not AttributeOutbox.objects.filter(processed_at__isnull=True).exists())
    inside, release = threading.Event(), threading.Event()

    def slow(events):
        if any(e.target_id == first.pk for e in events):
            inside.set()
            assert release.wait(timeout=30)

    register_after_change("tests.slow", slow)
    try:
        attributes_apply(target=first, values={"name": "1"}, source=Source.REST_API, actor=API)
        assert inside.wait(timeout=15), "no delivery started"
        # The only worker is busy delivering the first row: these commit meanwhile.
        for contact in others:
            attributes_apply(
                target=contact, values={"name": "2"}, source=Source.REST_API, actor=API
            )
        assert AttributeOutbox.objects.filter(processed_at__isnull=True).count() == 4
        release.set()
        assert wait_for(
            lambda: not AttributeOutbox.objects.filter(processed_at__isnull=True).exists()
        ), "rows written during a delivery were left for the sweep"
    finally:
        release.set()
        unregister_after_change("tests.slow")
    delivered = {e.target_id for e in recorded_hook_calls}
    assert {first.pk, *(c.pk for c in others)} <= delivered


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_two_deliveries_never_deliver_the_same_row(monkeypatch, start_celery_worker):
    from qualification.outbox import delivery
    from qualification.tasks import sweep_outbox

    AttributeOutbox.objects.all().delete()
    # Changes no other hook acts on (the contact list would lock its row of a shared target).
    rows = [
        AttributeOutboxFactory(target_type="company", target_id=n, attribute_names=["plan"])
        for n in range(60)
    ]
    # Many small claims, to interleave: so no delivery takes every row at once.
    monkeypatch.setattr(delivery, "OUTBOX_BATCH", 3)
    monkeypatch.setattr(delivery, "SWEEP_BATCH", 3)
    lock = threading.Lock()
    holding: set[int] = set()
    overlaps, seen, threads = [], Counter(), set()
    side_by_side = threading.Event()

    def watch(events):
        ids = {e.outbox_id for e in events}
        with lock:
            overlaps.extend(ids & holding)
            holding.update(ids)
            seen.update(ids)
            threads.add(threading.get_ident())
            if len(threads) > 1:
                side_by_side.set()
        # The first delivery holds its rows until another one delivers beside it.
        side_by_side.wait(timeout=15)
        with lock:
            holding.difference_update(ids)

    register_after_change("tests.watch", watch)
    try:
        # The relay's first drain, sweeps in two more threads, and this thread's drain.
        with start_celery_worker(concurrency=3):
            for _ in range(6):
                sweep_outbox.delay()
            delivery.outbox_drain()
            assert wait_for(
                lambda: not AttributeOutbox.objects.filter(processed_at__isnull=True).exists()
            )
    finally:
        unregister_after_change("tests.watch")
    assert overlaps == []
    assert seen == Counter({r.pk: 1 for r in rows})  # each exactly once
    assert len(threads) >= 2, "the deliveries did not run side by side"


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_failing_hooks_row_is_retried_by_the_sweep_and_blocks_no_other(
    recorded_hook_calls, celery_worker
):
    from qualification.tasks import sweep_outbox

    good, bad, later = ContactFactory.create_batch(3)
    assert wait_for(lambda: not AttributeOutbox.objects.filter(processed_at__isnull=True).exists())
    broken = {"on": True}

    def picky(events):
        if broken["on"] and any(e.target_id == bad.pk for e in events):
            raise ValueError("cannot handle this one")

    def state(contact):
        row = AttributeOutbox.objects.filter(target_id=contact.pk).latest("id")
        return row.processed_at is not None, row.attempts

    register_after_change("tests.picky", picky)
    try:
        for contact in (bad, good):
            attributes_apply(
                target=contact, values={"name": "x"}, source=Source.REST_API, actor=API
            )
        assert wait_for(lambda: state(good) == (True, 1) and state(bad) == (False, 1))
        # Later deliveries leave the failed row to the sweep: still tried once.
        attributes_apply(target=later, values={"name": "x"}, source=Source.REST_API, actor=API)
        assert wait_for(lambda: state(later) == (True, 1))
        assert state(bad) == (False, 1)
        assert "cannot handle this one" in (
            AttributeOutbox.objects.filter(target_id=bad.pk).latest("id").last_error
        )

        broken["on"] = False
        sweep_outbox.delay()  # what beat does every OUTBOX_SWEEP_SECONDS
        assert wait_for(lambda: state(bad) == (True, 2))
    finally:
        unregister_after_change("tests.picky")
