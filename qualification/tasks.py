from celery import shared_task
from django.core.cache import cache

from . import services


@shared_task(name="qualification.deliver_outbox")
def deliver_outbox(outbox_id: int) -> int:
    # The id says which commit asked; delivery takes every pending row, this one included
    # (unless another worker already has it). Clear the "queued" mark first, so a commit
    # landing after this claim queues a delivery of its own.
    cache.delete(services.DELIVERY_QUEUED_KEY)
    delivered = services.outbox_deliver()
    while delivered >= services.OUTBOX_BATCH:  # a backlog: keep going while it is full
        delivered = services.outbox_deliver()
    return delivered


@shared_task(name="qualification.sweep_outbox")
def sweep_outbox() -> int:
    return services.outbox_sweep()
