from celery import current_app, shared_task

from . import delivery, relay

# A relay queues a fresh one and stops after this long: a worker's warm shutdown waits for it,
# and so does any task queued behind it on a worker with a single process.
RELAY_SECONDS = 10


@shared_task(name="qualification.deliver_outbox")
def deliver_outbox(outbox_id: int | None = None) -> int:
    """The relay (delivery.py says why no row is lost): deliver what is pending, then again
    after every wake-up, for RELAY_SECONDS, then hand over to a fresh task. It ends at once if
    another relay holds the lease. Queued by every worker as it starts and by beat's sweep when
    no relay runs. Returns how many rows it delivered. `outbox_id` is ignored: tasks queued by
    earlier versions carry one.

    On the embedded default, where tasks run in-process, it delivers what is pending and ends.
    """
    if current_app.conf.task_always_eager:
        return delivery.outbox_drain()[0]
    delivered, time_is_up = relay.outbox_relay(seconds=RELAY_SECONDS, stopping=_worker_stopping)
    if time_is_up:
        deliver_outbox.delay()
    return delivered


@shared_task(name="qualification.sweep_outbox")
def sweep_outbox() -> int:
    """Beat's safety net: deliver what is still pending, and start a relay if none runs."""
    delivered = delivery.outbox_sweep()
    if not current_app.conf.task_always_eager and not relay.relay_running():
        deliver_outbox.delay()
    return delivered


def _worker_stopping() -> bool:
    """Whether the worker this runs in is shutting down (seen by a thread pool's tasks; a
    process pool's children run to the end of RELAY_SECONDS)."""
    from celery.worker import state

    return any(
        flag is not None and flag is not False
        for flag in (state.should_stop, state.should_terminate)
    )
