"""Tags: found by name without regard to case, made, renamed. Tagging contacts and companies is
their apps' business (they announce it)."""

from typing import Any

from django.db import IntegrityError, transaction

from core.write_guard import service

from ..models import AttributeTarget, Tag
from ..sources import Actor
from .targets import RecordChange, target_lock, target_record


class TagNameTaken(Exception):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f"A tag named {name!r} already exists.")


def tag_named(name: str) -> Tag | None:
    # Intercom treats tag names case-insensitively; an exact match wins if both exist (the
    # admin's unique constraint is case-sensitive).
    return Tag.objects.filter(name=name).first() or Tag.objects.filter(name__iexact=name).first()


@service
def tag_find_or_create(*, name: str) -> Tag:
    """The tag with this name (any case), made if there is none."""
    if (tag := tag_named(name)) is not None:
        return tag
    try:
        with transaction.atomic():
            return Tag.objects.create(name=name)
    except IntegrityError:  # a concurrent request made it first
        return Tag.objects.get(name=name)


@service
def tag_rename(*, tag: Tag, name: str) -> Tag:
    """Rename a tag. Contacts and companies refer to it by id, so nothing else changes."""
    if Tag.objects.filter(name__iexact=name).exclude(pk=tag.pk).exists():
        raise TagNameTaken(name)
    if name != tag.name:
        try:
            with transaction.atomic():
                Tag.objects.filter(pk=tag.pk).update(name=name)
        except IntegrityError as exc:  # a concurrent request took the name
            raise TagNameTaken(name) from exc
        tag.name = name
    return tag


@service
def target_tags_change(
    *, target: AttributeTarget, tag: Tag, add: bool, source: str, actor: "Actor | Any"
) -> bool:
    """Tag or untag a contact or company (anything with `tags`), recorded and announced like
    an attribute change; a no-op when it already is so. The row is locked first, so
    concurrent taggings of one record are recorded once. Returns whether anything changed."""
    with transaction.atomic():
        target_lock(target=target)
        if target.tags.filter(pk=tag.pk).exists() == add:
            return False
        (target.tags.add if add else target.tags.remove)(tag)
        target_record(
            target=target,
            changes=[
                RecordChange("tags", None, tag.name)
                if add
                else RecordChange("tags", tag.name, None)
            ],
            source=source,
            actor=actor,
        )
    return True
