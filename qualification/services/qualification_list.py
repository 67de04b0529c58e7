"""The qualification-data list: which attributes the inbox panel offers, in which order."""

from django.core.exceptions import ValidationError
from django.db import transaction

from core.write_guard import service

from ..models import DataAttribute, QualificationItem


def _ordered_items(model: str) -> list[QualificationItem]:
    return list(
        QualificationItem.objects.select_for_update()
        .filter(attribute__model=model)
        .select_related("attribute")
        .order_by("position", "id")
    )


def _renumber(items: list[QualificationItem]) -> None:
    for index, item in enumerate(items, start=1):
        item.position = index * 10
    QualificationItem.objects.bulk_update(items, ["position"])


@service
def qualification_item_add(
    *, attribute: DataAttribute, after: QualificationItem | None = None, at_top: bool = False
) -> QualificationItem:
    """Put an attribute on its model's qualification-data list: at the end by default, at the
    top, or right after another item."""
    if attribute.archived:
        raise ValidationError(f"{attribute.label} is archived; unarchive it first.")
    with transaction.atomic():
        items = _ordered_items(attribute.model)
        if any(i.attribute_id == attribute.pk for i in items):
            raise ValidationError(f"{attribute.label} is already qualification data.")
        item = QualificationItem.objects.create(attribute=attribute, position=0)
        if at_top:
            items.insert(0, item)
        elif after is not None:
            index = next((n for n, i in enumerate(items) if i.pk == after.pk), len(items) - 1)
            items.insert(index + 1, item)
        else:
            items.append(item)
        _renumber(items)
    return item


@service
def qualification_item_move(*, item: QualificationItem, offset: int) -> None:
    """Move an item up (negative offset) or down the list, stopping at either end."""
    with transaction.atomic():
        items = _ordered_items(item.attribute.model)
        index = next(n for n, i in enumerate(items) if i.pk == item.pk)
        target = max(0, min(len(items) - 1, index + offset))
        items.insert(target, items.pop(index))
        _renumber(items)


@service
def qualification_item_remove(*, item: QualificationItem) -> None:
    with transaction.atomic():
        model = item.attribute.model
        item.delete()
        _renumber(_ordered_items(model))
