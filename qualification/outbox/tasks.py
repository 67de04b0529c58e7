import time

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from . import delivery, enqueue

# Under load, a delivery that found rows waits this long for more before its next batch, so a
# burst of commits is delivered as a few batches by one task instead of one task per commit
# (most of a small delivery's cost is the task itself). Well within the contact list's lag
# target of a second.
GATHER_SECONDS = 0.05
# A delivery hands over to a fresh task after this long, well inside Celery's time limits.
DRAIN_SECONDS = 60


@shared_task(name="qualification.deliver_outbox")
def deliver_outbox(outbox_id: int) -> int:
    """Deliver pending outbox rows until none are left.

    The id says which commit asked; delivery takes every pending row, this one included
    (unless another worker already has it). While this task drains, the "queued" mark stays
    set, so commits meanwhile don't queue deliveries of their own: this one takes their rows.
    """
    queued_key, mark_seconds = enqueue.DELIVERY_QUEUED_KEY, enqueue.DELIVERY_MARK_SECONDS
    gather = GATHER_SECONDS if settings.REDIS_URL else 0  # never wait inside a web request
    started, total = time.monotonic(), 0
    while True:
        cache.set(queued_key, outbox_id, timeout=mark_seconds)
        delivered = delivery.outbox_deliver(fresh_only=True)
        total += delivered
        if delivered and time.monotonic() - started > DRAIN_SECONDS:
            cache.delete(queued_key)
            deliver_outbox.delay(outbox_id)
            return total
        if delivered:
            if delivered < delivery.OUTBOX_BATCH and gather:
                time.sleep(gather)
            continue
        # Nothing left that is free. A commit that saw the mark before it is cleared queued
        # nothing: look again after clearing it, and carry on if such a row is there and
        # nobody else has queued a delivery since. Rows another delivery holds are its own;
        # rows that failed before are the sweeper's.
        cache.delete(queued_key)
        if settings.REDIS_URL:
            # Commits that found the mark set just before it was cleared may trust it a while
            # longer and queue nothing: wait that out, then look for their rows.
            time.sleep(enqueue.DELIVERY_LINGER_SECONDS)
        if not delivery.outbox_fresh_rows_exist():
            return total
        if not cache.add(queued_key, outbox_id, timeout=mark_seconds):
            return total


@shared_task(name="qualification.sweep_outbox")
def sweep_outbox() -> int:
    return delivery.outbox_sweep()
