"""Contacts themselves: create one, change who it is (role, user id), archive, delete."""

from typing import Any

from django.db import transaction

from core.write_guard import service
from qualification.services import (
    attributes_apply,
    target_created,
    target_deleted,
    target_fields_set,
)
from qualification.sources import Actor

from ..models import Contact, Role


@service
def contact_create(
    *,
    role: str = Role.USER,
    external_id: str | None = None,
    values: dict[str, Any],
    source: str,
    actor: Actor | Any,
) -> Contact:
    """Create a user or lead and write its attribute values through the one write path. The
    creation itself is history and is announced, values or not, so the contact list and
    segments have the contact at once. A user whose user id or email (any case) another user
    has is refused by the database (IntegrityError): leads may share an email, users may not."""
    with transaction.atomic():
        contact = Contact.objects.create(role=role, external_id=external_id)
        target_created(target=contact, source=source, actor=actor, description=role)
        attributes_apply(target=contact, values=values, source=source, actor=actor)
    return contact


@service
def contact_identity_update(
    *,
    contact: Contact,
    source: str,
    actor: Actor | Any,
    role: str | None = None,
    external_id=None,
) -> None:
    """Change who a contact is (user or lead, the customer's own id): not attribute values,
    but history records it and the list and segments follow. None leaves a field as it is;
    an empty external_id clears it."""
    fields: dict[str, Any] = {}
    if role is not None:
        if role not in Role.values:
            raise ValueError(f"role must be one of {', '.join(Role.values)}, not {role!r}.")
        fields["role"] = role
    if external_id is not None:
        fields["external_id"] = external_id or None
    target_fields_set(target=contact, fields=fields, source=source, actor=actor)


@service
def contact_delete(*, contact: Contact, source: str, actor: Actor | Any) -> None:
    """Delete a contact; its history stays (ending with who deleted it), and the list drops
    its row."""
    with transaction.atomic():
        target_deleted(target=contact, source=source, actor=actor)
        contact.delete()


@service
def contact_archive(*, contact: Contact, archived: bool, source: str, actor: Actor | Any) -> None:
    """Archive a contact (it stays, with its history) or bring it back; repeating is a no-op."""
    target_fields_set(target=contact, fields={"archived": archived}, source=source, actor=actor)
