import time

from celery import shared_task

from . import delivery, enqueue

# A delivery that is still finding rows after this long queues a fresh task to go on and stops,
# well inside Celery's time limits.
DRAIN_SECONDS = 60


@shared_task(name="qualification.deliver_outbox")
def deliver_outbox(outbox_id: int | None = None) -> int:
    """Deliver untried outbox rows until none are left free (delivery.py says why that loses
    none). Returns how many were delivered. `outbox_id` is ignored: tasks queued by earlier
    versions carry one."""
    delivered, finished = delivery.outbox_drain(until=time.monotonic() + DRAIN_SECONDS)
    if not finished:
        enqueue.enqueue_delivery()
    return delivered


@shared_task(name="qualification.sweep_outbox")
def sweep_outbox() -> int:
    return delivery.outbox_sweep()
