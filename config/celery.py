"""The Celery app: `celery -A config worker` and `celery -A config beat`."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("switchboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    # A task is acknowledged only when it finished, and given back to the queue when its worker
    # dies, so a killed worker loses nothing; every task is written to run twice safely.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    # Publishing happens after a commit; when the broker is down we give up quickly and the
    # outbox sweeper delivers later, instead of holding the request open.
    # After a failure, core.outage skips the broker for a few seconds altogether.
    task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2},
    broker_connection_timeout=2,
    broker_transport_options={"visibility_timeout": 3600},
    beat_schedule={
        "qualification.sweep_outbox": {
            "task": "qualification.sweep_outbox",
            "schedule": float(os.environ.get("OUTBOX_SWEEP_SECONDS", "15")),
        },
    },
)
app.autodiscover_tasks()


@signals.worker_ready.connect
def start_outbox_relay(**kwargs) -> None:
    """Every worker queues the outbox relay as it starts; all but one end at once (the relay
    holds a lease), and beat's sweep starts another if it stops."""
    app.send_task("qualification.deliver_outbox")
