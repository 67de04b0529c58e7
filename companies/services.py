from typing import Any

from django.db import transaction

from qualification.models import Tag
from qualification.services import attributes_apply, target_deleted, target_touch
from qualification.sources import Actor

from .models import Company


def company_create(
    *, company_id: str, values: dict[str, Any], source: str, actor: Actor | Any
) -> Company:
    """Create a company under the customer's own id and write its attribute values."""
    with transaction.atomic():
        company = Company.objects.create(company_id=company_id)
        attributes_apply(target=company, values=values, source=source, actor=actor)
    return company


def company_delete(*, company: Company, source: str) -> None:
    """Delete a company (its people stay) and tell the hooks, so the list drops its name."""
    with transaction.atomic():
        company_pk = company.pk
        company.delete()
        target_deleted(model=Company, pk=company_pk, source=source)


def company_tag(*, company: Company, tag: Tag, source: str = "admin") -> None:
    """Tag a company once; the outbox announces it like an attribute change."""
    with transaction.atomic():
        if not company.tags.filter(pk=tag.pk).exists():
            company.tags.add(tag)
            target_touch(target=company, names=["tags"], source=source)


def company_untag(*, company: Company, tag: Tag, source: str = "admin") -> None:
    with transaction.atomic():
        if company.tags.filter(pk=tag.pk).exists():
            company.tags.remove(tag)
            target_touch(target=company, names=["tags"], source=source)
