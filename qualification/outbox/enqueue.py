"""Queueing a delivery after a commit that wrote outbox rows: one task per transaction."""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


class _Transaction:
    """What every after-commit callback of one transaction's outbox rows shares: whether one of
    them has queued the delivery yet."""

    __slots__ = ("queued",)

    def __init__(self) -> None:
        self.queued = False


# On the connection (one per thread): the current transaction's _Transaction, until one of its
# callbacks queues the delivery; the next transaction that writes rows starts a new one.
_CURRENT = "switchboard_outbox_transaction"


def deliver_after_commit(using: str | None = None) -> None:
    """Call where outbox rows are written, inside their transaction: when it commits, one
    delivery is queued, however many rows (and calls) it wrote; if it rolls back, none.

    Each call registers a callback, so a savepoint rolled back with some of them leaves the
    others; the first one to run queues the task and the rest find it queued."""
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        enqueue_delivery()  # autocommit: the write has committed already
        return
    current = connection.__dict__.get(_CURRENT)
    if current is None or current.queued:
        current = connection.__dict__[_CURRENT] = _Transaction()
    transaction.on_commit(lambda: _queue_once(current), using=using)


def _queue_once(current: _Transaction) -> None:
    if not current.queued:
        current.queued = True
        enqueue_delivery()


def enqueue_delivery() -> None:
    """Queue one delivery task now (after the commit whose rows it is for): one message to the
    broker, never a wait for the delivery; in-process on the embedded default, where tasks run
    eagerly. If the broker cannot take it, the rows stay pending for beat's sweep."""
    from .tasks import deliver_outbox

    try:
        deliver_outbox.delay()
    except Exception:
        # Run in-process (the embedded default), a delivery's own error lands here too.
        logger.warning(
            "Outbox delivery not queued (or failed in-process); the sweep delivers.", exc_info=True
        )
