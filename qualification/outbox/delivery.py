"""Delivering outbox rows to the after-change hooks, and sweeping what is still pending."""

import logging

from django.db import models, transaction
from django.utils import timezone

from ..models import AttributeOutbox
from .hooks import AttributeChangeEvent, after_change_hooks

logger = logging.getLogger(__name__)


# A row whose hooks failed this many times is left for an operator (the admin shows its
# error) instead of being retried forever ahead of healthy rows.
OUTBOX_MAX_ATTEMPTS = 10
OUTBOX_BATCH = 200


def outbox_deliver(*, limit: int = OUTBOX_BATCH, fresh_only: bool = False) -> int:
    """Hand pending changes to every hook, oldest first, up to `limit` at once; returns how
    many rows were delivered.

    Every commit queues one delivery task, and whichever task runs first takes every pending
    row, so under load deliveries batch themselves and the rest find nothing to do. Rows are
    claimed with SKIP LOCKED, so concurrent workers never deliver the same row at once. If
    the batch fails, each row is tried alone so one bad row cannot hold up the others; a row
    that still fails stays pending with its error, for the sweeper to retry. Hooks must be
    idempotent: a row can be delivered again after a crash, never lost.

    `fresh_only` takes only rows no delivery has tried: the delivery task's loop uses it, so a
    row whose hook failed waits for the sweeper (every OUTBOX_SWEEP_SECONDS) instead of being
    retried in a tight loop until its attempts run out.
    """
    pending = AttributeOutbox.objects.filter(
        processed_at__isnull=True, attempts__lt=OUTBOX_MAX_ATTEMPTS
    )
    if fresh_only:
        pending = pending.filter(attempts=0)
    with transaction.atomic():
        rows = list(pending.select_for_update(skip_locked=True).order_by("id")[:limit])
        if not rows:
            return 0
        errors = _run_hooks(rows)
        if errors and len(rows) > 1:
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
        return len(delivered)


def outbox_fresh_rows_exist() -> bool:
    """Whether rows wait that no delivery has tried yet and no other delivery holds."""
    with transaction.atomic():
        free = (
            AttributeOutbox.objects.select_for_update(skip_locked=True)
            .filter(processed_at__isnull=True, attempts=0)
            .values_list("pk", flat=True)[:1]
        )
        return bool(list(free))


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


def outbox_sweep(*, max_rows: int = 20_000) -> int:
    """Deliver whatever is still pending (the broker was down, a worker died, a hook failed);
    run by beat. Returns how many rows were delivered."""
    total = 0
    while total < max_rows:
        delivered = outbox_deliver(limit=500)
        if not delivered:
            break
        total += delivered
    return total
