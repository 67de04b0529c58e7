from typing import Any

from django.db import transaction
from django.utils import timezone

from companies.models import Company
from qualification.models import Tag
from qualification.services import Actor, attributes_apply

from .models import CompanyMembership, Contact, Role


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
    membership, _ = CompanyMembership.objects.get_or_create(
        contact=contact, company=company, defaults={"linked_at": timezone.now(), "source": source}
    )
    return membership


def contact_tag(*, contact: Contact, tag: Tag) -> None:
    contact.tags.add(tag)
