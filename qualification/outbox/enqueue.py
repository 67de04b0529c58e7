"""Asking for delivery after a commit that wrote outbox rows: once per transaction."""

import logging

from celery import current_app
from django.db import transaction

from core.outage import Unavailable

logger = logging.getLogger(__name__)


class _Transaction:
    """What every after-commit callback of one transaction's outbox rows shares: whether one of
    them has asked for delivery yet."""

    __slots__ = ("asked",)

    def __init__(self) -> None:
        self.asked = False


# On the connection (one per thread): the current transaction's _Transaction, until one of its
# callbacks asks for delivery; the next transaction that writes rows starts a new one.
_CURRENT = "switchboard_outbox_transaction"


def deliver_after_commit(using: str | None = None) -> None:
    """Call where outbox rows are written, inside their transaction: when it commits, delivery
    is asked for once, however many rows (and calls) it wrote; if it rolls back, never.

    Each call registers a callback, so a savepoint rolled back with some of them leaves the
    others; the first one to run asks and the rest find it done."""
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        enqueue_delivery()  # autocommit: the write has committed already
        return
    current = connection.__dict__.get(_CURRENT)
    if current is None or current.asked:
        current = connection.__dict__[_CURRENT] = _Transaction()
    transaction.on_commit(lambda: _ask_once(current), using=using)


def _ask_once(current: _Transaction) -> None:
    if not current.asked:
        current.asked = True
        enqueue_delivery()


def enqueue_delivery() -> None:
    """Ask for the rows just committed to be delivered. With a broker: set the relay's wake-up,
    one Redis round trip, never a wait for the delivery; if Redis cannot take it, the rows stay
    pending for beat's sweep. While Redis is unreachable this costs nothing: the breaker skips
    it (core.outage, which logs the outage once). On the embedded default (tasks run
    in-process): deliver now."""
    try:
        if current_app.conf.task_always_eager:
            from .tasks import deliver_outbox

            deliver_outbox.delay()
        else:
            from .relay import relay_wake

            relay_wake()
    except Unavailable:
        pass  # the rows are pending in the outbox: the sweep delivers them
    except Exception:
        logger.warning(
            "Could not ask for outbox delivery (or, in-process, it failed); the sweep delivers.",
            exc_info=True,
        )
