"""Tagging contacts (and, through their service, companies), and deleting a tag from all."""

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from companies.models import Company
from companies.services import company_tag, company_untag
from core.write_guard import service
from qualification.models import Tag
from qualification.services import (
    RecordChange,
    tag_find_or_create,
    tag_named,
    target_tags_change,
    targets_record,
)
from qualification.sources import Actor

from ..models import Contact, Segment


@service
def contact_tag(*, contact: Contact, tag: Tag, source: str, actor: Actor | Any) -> None:
    target_tags_change(target=contact, tag=tag, add=True, source=source, actor=actor)


@service
def contact_untag(*, contact: Contact, tag: Tag, source: str, actor: Actor | Any) -> None:
    target_tags_change(target=contact, tag=tag, add=False, source=source, actor=actor)


@service
def tags_apply(
    *,
    name: str,
    tag: Sequence[Contact | Company] = (),
    untag: Sequence[Contact | Company] = (),
    source: str,
    actor: Actor | Any,
) -> Tag | None:
    """Tag and untag contacts and companies with the tag of this name, all or nothing. The tag
    is made when something is to carry it; untagging only, with no such tag, does nothing and
    returns None."""
    with transaction.atomic():
        found = tag_find_or_create(name=name) if tag else tag_named(name)
        if found is None:
            return None
        for target in tag:
            _tag_one(target, found, source, actor, add=True)
        for target in untag:
            _tag_one(target, found, source, actor, add=False)
    return found


def _tag_one(target: Contact | Company, tag: Tag, source: str, actor, *, add: bool) -> None:
    if isinstance(target, Contact):
        (contact_tag if add else contact_untag)(contact=target, tag=tag, source=source, actor=actor)
    else:
        (company_tag if add else company_untag)(company=target, tag=tag, source=source, actor=actor)


class TagInUse(Exception):
    """Segments filter on this tag: deleting it would silently change who is in them."""

    def __init__(self, segments: list[Segment]):
        self.segments = segments
        super().__init__(
            "Unable to delete Tag with dependent objects. Segments: "
            + ", ".join(s.name for s in segments)
            + "."
        )


@service
def tag_delete(*, tag: Tag, source: str, actor: Actor | Any) -> None:
    """Delete a tag after taking it off every contact and company, recording and announcing
    each change so history, the contact list and segments follow. Refused while a segment
    filters on it."""
    from ..selectors import segments_using_tag

    with transaction.atomic():
        # Locked so a concurrent tagging waits and then fails on the missing tag, instead of
        # landing between the untagging below and the delete.
        list(Tag.objects.select_for_update().filter(pk=tag.pk).values_list("pk", flat=True))
        if using := segments_using_tag(tag.pk):
            raise TagInUse(using)
        for model in (Contact, Company):
            pks = list(model.objects.filter(tags=tag).order_by("pk").values_list("pk", flat=True))
            model.tags.through.objects.filter(tag=tag).delete()
            targets_record(
                model=model,
                pks=pks,
                change=RecordChange("tags", tag.name, None),
                source=source,
                actor=actor,
                reason=f"The tag {tag.name} was deleted",
            )
        tag.delete()
