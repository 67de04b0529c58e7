"""Celery finds an app's tasks in `<app>.tasks`; the outbox's live with the outbox."""

from .outbox.tasks import deliver_outbox, sweep_outbox

__all__ = ["deliver_outbox", "sweep_outbox"]
