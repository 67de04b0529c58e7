"""Queueing a delivery of the outbox after a commit, at most one at a time per burst."""

import contextlib
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

# While a delivery is queued or draining, later commits need not queue another: it takes every
# pending row. The mark expires on its own if a worker dies holding it (the sweeper delivers).
# Without a shared cache (the embedded default), every commit delivers in-process.
DELIVERY_QUEUED_KEY = "qualification:outbox-delivery-queued"
DELIVERY_MARK_SECONDS = 5
# A process that found the mark set trusts it this long without asking Redis again (under load,
# asking was a tenth of an API write's CPU). A delivery that clears the mark waits longer than
# that before its last look for rows (tasks.deliver_outbox), so it still takes the rows of
# commits that trusted the mark until just before it was cleared.
DELIVERY_MARK_TRUST_SECONDS = 0.1
DELIVERY_LINGER_SECONDS = 0.25
assert DELIVERY_LINGER_SECONDS > DELIVERY_MARK_TRUST_SECONDS * 2, "the linger must outlast trust"
_delivery_mark_seen_at = -math.inf


def enqueue_delivery(outbox_id: int) -> None:
    global _delivery_mark_seen_at
    from .tasks import deliver_outbox

    # Taken before asking: the mark was set at some moment after it, at the latest.
    asked_at = time.monotonic()
    try:
        if settings.REDIS_URL:
            if asked_at - _delivery_mark_seen_at < DELIVERY_MARK_TRUST_SECONDS:
                return
            if not cache.add(DELIVERY_QUEUED_KEY, outbox_id, timeout=DELIVERY_MARK_SECONDS):
                _delivery_mark_seen_at = asked_at
                return
    except Exception:
        logger.warning("Cache unavailable; queueing outbox delivery %s anyway.", outbox_id)
    try:
        deliver_outbox.delay(outbox_id)
    except Exception:
        # The row is committed; the sweeper delivers it when the broker is back.
        logger.warning(
            "Could not queue outbox row %s; the sweeper will deliver it.", outbox_id, exc_info=True
        )
        with contextlib.suppress(Exception):
            cache.delete(DELIVERY_QUEUED_KEY)


def forget_delivery_mark() -> None:
    """Forget having seen a delivery queued, here and in the cache, as at a fresh start (tests
    start so: a delivery queued by an earlier test must not be trusted to take their rows)."""
    global _delivery_mark_seen_at
    _delivery_mark_seen_at = -math.inf
    with contextlib.suppress(Exception):
        cache.delete(DELIVERY_QUEUED_KEY)
