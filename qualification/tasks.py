from celery import shared_task

from . import services


@shared_task(name="qualification.deliver_outbox")
def deliver_outbox(outbox_id: int) -> None:
    services.outbox_deliver(outbox_id=outbox_id)


@shared_task(name="qualification.sweep_outbox")
def sweep_outbox() -> int:
    return services.outbox_sweep()
