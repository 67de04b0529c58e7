"""A contact's company links."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from companies.models import Company
from core.write_guard import service
from qualification.services import (
    RecordChange,
    target_lock,
    target_record,
)
from qualification.sources import Actor

from ..models import CompanyMembership, Contact


def _company_label(company: Company) -> str:
    return company.name or company.company_id


@service
def contact_company_attach(
    *, contact: Contact, company: Company, source: str, actor: Actor | Any
) -> CompanyMembership:
    """Link a contact to a company once; linking again keeps the first link's time and source."""
    with transaction.atomic():
        target_lock(target=contact)  # one change of its links at a time
        membership, created = CompanyMembership.objects.get_or_create(
            contact=contact,
            company=company,
            defaults={"linked_at": timezone.now(), "source": source},
        )
        if created:
            target_record(
                target=contact,
                changes=[RecordChange("companies", None, _company_label(company))],
                source=source,
                actor=actor,
            )
    return membership


@service
def contact_company_detach(
    *, contact: Contact, company: Company, source: str, actor: Actor | Any
) -> bool:
    with transaction.atomic():
        target_lock(target=contact)  # one change of its links at a time
        deleted, _ = CompanyMembership.objects.filter(contact=contact, company=company).delete()
        if deleted:
            target_record(
                target=contact,
                changes=[RecordChange("companies", _company_label(company), None)],
                source=source,
                actor=actor,
            )
    return bool(deleted)
