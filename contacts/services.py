from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from companies.models import Company
from qualification.models import AttributeModel, DataAttribute, Tag
from qualification.services import (
    Actor,
    AttributeWriteError,
    attributes_apply,
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


def contact_archive(*, contact: Contact, archived: bool, source: str) -> None:
    """Archive a contact (it stays, with its history) or bring it back; repeating is a no-op."""
    if contact.archived == archived:
        return
    with transaction.atomic():
        Contact.objects.filter(pk=contact.pk).update(archived=archived)
        contact.archived = archived
        target_touch(target=contact, names=["archived"], source=source)


class MergeError(ValueError):
    """A merge that cannot happen; the message says why."""


# Apps above contacts (the inbox's conversations, say) move what they hold of the lead to the
# user. They register here because contacts may not import them.
MergeStep = Callable[[Contact, Contact], None]
_merge_steps: dict[str, MergeStep] = {}


def register_merge_step(name: str, step: MergeStep) -> None:
    _merge_steps[name] = step


def contact_merge(*, lead: Contact, user: Contact, source: str, actor: Actor | Any) -> Contact:
    """Fold a lead into a user, as Intercom's merge does: the user keeps its own values and
    gains the lead's where it has none, its tags, companies and conversations; the lead is
    deleted. Either all of it happens or none."""
    if lead.pk == user.pk:
        raise MergeError("A contact cannot be merged into itself.")
    if lead.role != Role.LEAD:
        raise MergeError(f"Contact {lead.pk} is a user; only a lead can be merged into a user.")
    if user.role != Role.USER:
        raise MergeError(f"Contact {user.pk} is a lead; a lead can only be merged into a user.")
    with transaction.atomic():
        # Lock both, in id order so two merges of the same pair cannot deadlock.
        locked = {
            c.pk: c
            for c in Contact.objects.select_for_update()
            .filter(pk__in=[lead.pk, user.pk])
            .order_by("pk")
        }
        if len(locked) != 2:
            raise MergeError("One of the contacts was deleted while merging.")
        lead, user = locked[lead.pk], locked[user.pk]
        values = {}
        for attribute in DataAttribute.objects.filter(
            model=AttributeModel.CONTACT, archived=False, api_writable=True
        ):
            mine, theirs = user.attribute_value(attribute), lead.attribute_value(attribute)
            if mine is None and theirs is not None:
                values[attribute.name] = theirs
        try:
            attributes_apply(
                target=user,
                values=values,
                source=source,
                actor=actor,
                reason=f"Merged from lead {lead.pk}",
            )
        except AttributeWriteError as exc:  # a lead's value the user's attribute refuses
            raise MergeError(f"The lead's values cannot be merged: {exc}") from exc
        for tag in lead.tags.all():
            contact_tag(contact=user, tag=tag, source=source)
        for membership in lead.memberships.select_related("company"):
            contact_company_attach(contact=user, company=membership.company, source=source)
        for step in _merge_steps.values():
            step(lead, user)
        contact_delete(contact=lead, source=source)
    user.refresh_from_db()
    return user
