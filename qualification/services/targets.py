"""Announcing changes to a contact or company that are not attribute values (its tags, its
companies, its identity, its deletion): the version moves and the outbox tells the hooks, as for
a value change."""

from django.db import models, transaction
from django.utils import timezone

from ..models import AttributeOutbox, AttributeTarget
from ..outbox.enqueue import deliver_after_commit
from ..outbox.rows import outbox_write


def target_touch(*, target: AttributeTarget, names: list[str], source: str) -> None:
    """Announce a change to a contact or company that is not an attribute value (its tags, its
    companies): bump its version and hand the change to the hooks through the outbox, exactly
    like an attribute change, so read models and segments follow."""
    model_cls = type(target)
    with transaction.atomic():
        model_cls._default_manager.filter(pk=target.pk).update(version=models.F("version") + 1)
        target.version = (
            model_cls._default_manager.filter(pk=target.pk).values_list("version", flat=True).get()
        )
        outbox_write(target, names, source, timezone.now())


def targets_touch(
    *, model: type[AttributeTarget], pks: list[int], names: list[str], source: str
) -> None:
    """`target_touch` for many contacts or companies at once (a tag deleted from thousands):
    a few statements per thousand instead of three per target."""
    if not pks:
        return
    now = timezone.now()
    with transaction.atomic():
        for start in range(0, len(pks), 1000):
            chunk = pks[start : start + 1000]
            model._default_manager.filter(pk__in=chunk).update(version=models.F("version") + 1)
            AttributeOutbox.objects.bulk_create(
                AttributeOutbox(
                    target_type=model.attribute_model,
                    target_id=pk,
                    target_version=version,
                    attribute_names=names,
                    source=source,
                    created_at=now,
                )
                for pk, version in model._default_manager.filter(pk__in=chunk).values_list(
                    "pk", "version"
                )
            )
        deliver_after_commit()


def target_deleted(*, model: type[AttributeTarget], pk: int, source: str) -> None:
    """Announce that a contact or company is gone; history rows stay."""
    AttributeOutbox.objects.create(
        target_type=model.attribute_model,
        target_id=pk,
        target_version=0,
        attribute_names=["deleted"],
        source=source,
        created_at=timezone.now(),
    )
    deliver_after_commit()
