from celery import shared_task

from . import services


@shared_task(name="qualification.deliver_outbox")
def deliver_outbox(outbox_id: int) -> int:
    # The id says which commit asked; delivery takes every pending row, this one included
    # (unless another worker already has it).
    return services.outbox_deliver()


@shared_task(name="qualification.sweep_outbox")
def sweep_outbox() -> int:
    return services.outbox_sweep()
