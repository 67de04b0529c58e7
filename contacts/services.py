from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from companies.models import Company
from companies.services import company_tag, company_untag
from qualification.models import Tag
from qualification.services import (
    Actor,
    attributes_apply,
    tag_find_or_create,
    tag_named,
    target_deleted,
    target_touch,
)

from .models import CompanyMembership, Contact, Role, Segment


def contact_create(
    *,
    role: str = Role.USER,
    external_id: str | None = None,
    values: dict[str, Any],
    source: str,
    actor: Actor | Any,
) -> Contact:
    """Create a user or lead and write its attribute values through the one write path."""
    with transaction.atomic():
        contact = Contact.objects.create(role=role, external_id=external_id)
        attributes_apply(target=contact, values=values, source=source, actor=actor)
    return contact


def contact_company_attach(*, contact: Contact, company: Company, source: str) -> CompanyMembership:
    """Link a contact to a company once; linking again keeps the first link's time and source."""
    with transaction.atomic():
        membership, created = CompanyMembership.objects.get_or_create(
            contact=contact,
            company=company,
            defaults={"linked_at": timezone.now(), "source": source},
        )
        if created:
            target_touch(target=contact, names=["companies"], source=source)
    return membership


def contact_company_detach(*, contact: Contact, company: Company, source: str) -> bool:
    with transaction.atomic():
        deleted, _ = CompanyMembership.objects.filter(contact=contact, company=company).delete()
        if deleted:
            target_touch(target=contact, names=["companies"], source=source)
    return bool(deleted)


def contact_tag(*, contact: Contact, tag: Tag, source: str = "admin") -> None:
    with transaction.atomic():
        if not contact.tags.filter(pk=tag.pk).exists():
            contact.tags.add(tag)
            target_touch(target=contact, names=["tags"], source=source)


def contact_untag(*, contact: Contact, tag: Tag, source: str = "admin") -> None:
    with transaction.atomic():
        if contact.tags.filter(pk=tag.pk).exists():
            contact.tags.remove(tag)
            target_touch(target=contact, names=["tags"], source=source)


def tags_apply(
    *,
    name: str,
    tag: Sequence[Contact | Company] = (),
    untag: Sequence[Contact | Company] = (),
    source: str,
) -> Tag | None:
    """Tag and untag contacts and companies with the tag of this name, all or nothing. The tag
    is made when something is to carry it; untagging only, with no such tag, does nothing and
    returns None."""
    with transaction.atomic():
        found = tag_find_or_create(name=name) if tag else tag_named(name)
        if found is None:
            return None
        for target in tag:
            _tag_one(target, found, source, add=True)
        for target in untag:
            _tag_one(target, found, source, add=False)
    return found


def _tag_one(target: Contact | Company, tag: Tag, source: str, *, add: bool) -> None:
    if isinstance(target, Contact):
        (contact_tag if add else contact_untag)(contact=target, tag=tag, source=source)
    else:
        (company_tag if add else company_untag)(company=target, tag=tag, source=source)


class TagInUse(Exception):
    """Segments filter on this tag: deleting it would silently change who is in them."""

    def __init__(self, segments: list[Segment]):
        self.segments = segments
        super().__init__(
            "Unable to delete Tag with dependent objects. Segments: "
            + ", ".join(s.name for s in segments)
            + "."
        )


def tag_delete(*, tag: Tag, source: str) -> None:
    """Delete a tag after taking it off every contact and company, announcing each change so
    the contact list and segments follow. Refused while a segment filters on it."""
    from .selectors import segments_using_tag

    with transaction.atomic():
        # Locked so a concurrent tagging waits and then fails on the missing tag, instead of
        # landing between the untagging below and the delete.
        list(Tag.objects.select_for_update().filter(pk=tag.pk).values_list("pk", flat=True))
        if using := segments_using_tag(tag.pk):
            raise TagInUse(using)
        for model in (Contact, Company):
            targets = list(model.objects.filter(tags=tag).order_by("pk").only("pk", "version"))
            model.tags.through.objects.filter(tag=tag).delete()
            for target in targets:
                target_touch(target=target, names=["tags"], source=source)
        tag.delete()


def segment_create(*, name: str, query: str, created_by) -> Segment:
    """Save a contact-list filter as a segment and work out its members in the background."""
    from .tasks import segment_populate

    with transaction.atomic():
        segment = Segment.objects.create(name=name, query=query, created_by=created_by)
        transaction.on_commit(lambda: segment_populate.delay(segment.pk))
    return segment


def contact_identity_update(
    *, contact: Contact, source: str, role: str | None = None, external_id=None
) -> None:
    """Change who a contact is (user or lead, the customer's own id): not attribute values,
    but the list and segments must follow, so the change goes through the outbox too."""
    fields = {}
    if role is not None and role != contact.role:
        fields["role"] = role
    if external_id is not None and external_id != contact.external_id:
        fields["external_id"] = external_id or None
    if not fields:
        return
    with transaction.atomic():
        Contact.objects.filter(pk=contact.pk).update(**fields)
        for name, value in fields.items():
            setattr(contact, name, value)
        target_touch(target=contact, names=sorted(fields), source=source)


def contact_delete(*, contact: Contact, source: str) -> None:
    """Delete a contact; its history stays, and the list drops its row."""
    with transaction.atomic():
        contact_pk = contact.pk
        contact.delete()
        target_deleted(model=Contact, pk=contact_pk, source=source)
