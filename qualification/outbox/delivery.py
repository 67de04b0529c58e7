"""Delivering outbox rows to the after-change hooks: drains, the relay that runs them, the sweep.

Why every committed outbox row reaches the hooks (the whole argument; no step rests on timing):

1. A transaction that writes outbox rows, once committed, sets the relay's wake-up: one Redis
   command, however many rows it wrote (`enqueue.deliver_after_commit`); a rolled-back one
   sets none. The wake-up is a list kept to one element: set, it stays set until taken.
2. A drain (`outbox_drain`) claims pending rows no delivery has tried yet, lowest id first,
   in batches, with SELECT ... FOR UPDATE SKIP LOCKED; it hands each batch to every hook and
   marks the rows delivered (or, if a hook failed, tried) in the same transaction, and claims
   again until a claim comes back short of its batch: then no row was left free. So each row
   committed before a drain starts is, when it ends, delivered, or tried and failed, or held
   by another delivery, whose to deliver it is.
3. The relay (`relay.outbox_relay`, task `qualification.deliver_outbox`) drains when it
   starts, then waits for the wake-up, takes it and drains again, over and over. A commit's
   wake-up is taken after that commit, so the drain that follows sees its rows. When its
   RELAY_SECONDS are up, in a drain or not, it queues a fresh relay, which drains first.
4. Whatever is still pending (the wake-up could not be set; no relay took it, or the one that
   did died before its drain ended; a drain died holding rows; a hook failed) is claimed by
   beat's sweep (`outbox_sweep`, task `qualification.sweep_outbox`, every
   OUTBOX_SWEEP_SECONDS): one pass over every pending row in id order, after which it starts a
   relay if none runs. A failed row is retried once per sweep until it has failed
   OUTBOX_MAX_ATTEMPTS times, then left for an operator (the admin shows its error).

On the embedded default (no REDIS_URL) step 1 drains in-process instead, right after commit.
SKIP LOCKED means two deliveries never hold the same row at once, and a row marked delivered is
never claimed again. A row can still reach a hook twice (a retry runs every hook again, not only
the one that failed; a delivery can die after its hooks ran and before its commit): hooks are
idempotent, so that is harmless. A row is never skipped.
"""

import logging
import time
from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone

from ..models import AttributeOutbox
from .hooks import AttributeChangeEvent, after_change_hooks

logger = logging.getLogger(__name__)

OUTBOX_MAX_ATTEMPTS = 10
OUTBOX_BATCH = 200
SWEEP_BATCH = 500


@dataclass(frozen=True)
class _Batch:
    claimed: int
    delivered: int
    last_id: int


def _deliver_batch(*, limit: int, fresh_only: bool, after_id: int = 0) -> _Batch:
    """Claim up to `limit` pending rows above `after_id` that no other delivery holds, lowest
    id first, run the hooks on them and record the outcome, all in one transaction."""
    pending = AttributeOutbox.objects.filter(
        processed_at__isnull=True, attempts__lt=OUTBOX_MAX_ATTEMPTS, id__gt=after_id
    )
    if fresh_only:
        pending = pending.filter(attempts=0)
    with transaction.atomic():
        rows = list(pending.select_for_update(skip_locked=True).order_by("id")[:limit])
        if not rows:
            return _Batch(0, 0, after_id)
        errors = _run_hooks(rows)
        if errors and len(rows) > 1:
            # One bad row must not hold up the others: try each alone.
            errors = {}
            for row in rows:
                errors |= _run_hooks([row])
        delivered = [row.pk for row in rows if row.pk not in errors]
        AttributeOutbox.objects.filter(pk__in=delivered).update(
            processed_at=timezone.now(), attempts=models.F("attempts") + 1, last_error=""
        )
        failed = [row for row in rows if row.pk in errors]
        for row in failed:
            row.attempts += 1
            row.last_error = errors[row.pk]
        AttributeOutbox.objects.bulk_update(failed, ["attempts", "last_error"])
        return _Batch(len(rows), len(delivered), rows[-1].pk)


def outbox_deliver(*, limit: int = OUTBOX_BATCH, fresh_only: bool = False) -> int:
    """Deliver one batch of pending rows (up to `limit`, lowest id first, tried or not unless
    `fresh_only`); returns how many were delivered."""
    return _deliver_batch(limit=limit, fresh_only=fresh_only).delivered


def outbox_drain(*, until: float | None = None) -> tuple[int, bool]:
    """Step 2 above: claim untried rows in batches until none is left free. Returns how many
    rows were delivered and whether it got to that end; past `until` (a time.monotonic()
    value) it stops after the batch in hand, unfinished."""
    # A relay woken for rows a drain already took finds nothing: one query, no transaction,
    # says so. It sees rows other deliveries hold too, so "none" means a claim would find none.
    if not AttributeOutbox.objects.filter(processed_at__isnull=True, attempts=0).exists():
        return 0, True
    total = 0
    while True:
        limit = OUTBOX_BATCH
        batch = _deliver_batch(limit=limit, fresh_only=True)
        total += batch.delivered
        if batch.claimed < limit:  # it took every row left free: no need to look again
            return total, True
        if until is not None and time.monotonic() >= until:
            return total, False


def outbox_sweep(*, max_rows: int = 20_000) -> int:
    """Beat's safety net (step 4 above): one pass over the pending rows, tried or not, in id
    order, up to `max_rows` claimed (the next sweep goes on). Returns how many were delivered."""
    claimed = delivered = last_id = 0
    while claimed < max_rows:
        batch = _deliver_batch(
            limit=min(SWEEP_BATCH, max_rows - claimed), fresh_only=False, after_id=last_id
        )
        if not batch.claimed:
            break
        claimed, delivered, last_id = (
            claimed + batch.claimed,
            delivered + batch.delivered,
            batch.last_id,
        )
    return delivered


def _run_hooks(rows: list[AttributeOutbox]) -> dict[int, str]:
    """Run every hook on these rows' events, each hook in its own savepoint; returns the
    error per row id (every row of a failed batch)."""
    events = [
        AttributeChangeEvent(
            outbox_id=row.pk,
            target_type=row.target_type,
            target_id=row.target_id,
            target_version=row.target_version,
            attribute_names=tuple(row.attribute_names),
            source=row.source,
            committed_at=row.created_at,
        )
        for row in rows
    ]
    failures = []
    for name, hook in after_change_hooks():
        try:
            with transaction.atomic():
                hook(events)
        except Exception as exc:
            logger.exception("Hook %s failed for outbox rows %s", name, [r.pk for r in rows])
            failures.append(f"{name}: {exc!r}")
    if not failures:
        return {}
    return {row.pk: "\n".join(failures)[:2000] for row in rows}
