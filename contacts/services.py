from typing import Any

from django.db import transaction
from django.utils import timezone

from companies.models import Company
from qualification.models import Tag
from qualification.services import Actor, attributes_apply, target_deleted, target_touch

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
