"""Outbox rows: written in the same transaction as the change they announce, and handed to
delivery once that transaction commits."""

from datetime import datetime

from ..models import AttributeOutbox, AttributeTarget
from .enqueue import deliver_after_commit


def outbox_row(target: AttributeTarget, names: list[str], source: str, now: datetime):
    return AttributeOutbox(
        target_type=type(target).history_type,
        target_id=target.pk,
        target_version=target.version,
        attribute_names=names,
        source=source,
        created_at=now,
    )


def outbox_write(target: AttributeTarget, names: list[str], source: str, now: datetime) -> None:
    row = outbox_row(target, names, source, now)
    row.save(force_insert=True)
    deliver_after_commit()
