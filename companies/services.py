from typing import Any

from django.db import transaction

from core.write_guard import service
from qualification.models import Tag
from qualification.services import (
    RecordChange,
    attributes_apply,
    target_created,
    target_deleted,
    target_tags_change,
    targets_record,
)
from qualification.sources import Actor

from .models import Company


@service
def company_create(
    *, company_id: str, values: dict[str, Any], source: str, actor: Actor | Any
) -> Company:
    """Create a company under the customer's own id and write its attribute values; the
    creation is history and is announced, values or not."""
    with transaction.atomic():
        company = Company.objects.create(company_id=company_id)
        target_created(target=company, source=source, actor=actor, description=company_id)
        attributes_apply(target=company, values=values, source=source, actor=actor)
    return company


@service
def company_delete(*, company: Company, source: str, actor: Actor | Any) -> None:
    """Delete a company (its people stay) and tell the hooks, so the list drops its name. Its
    people lose the link: each records it (and moves its version and updated_at), so API
    clients that sync "updated since" see it."""
    with transaction.atomic():
        members = list(company.contacts.order_by("pk").values_list("pk", flat=True))
        if members:
            targets_record(
                model=company.contacts.model,
                pks=members,
                change=RecordChange("companies", company.name or company.company_id, None),
                source=source,
                actor=actor,
                reason="The company was deleted",
            )
        target_deleted(target=company, source=source, actor=actor)
        company.delete()


@service
def company_tag(*, company: Company, tag: Tag, source: str, actor: Actor | Any) -> None:
    target_tags_change(target=company, tag=tag, add=True, source=source, actor=actor)


@service
def company_untag(*, company: Company, tag: Tag, source: str, actor: Actor | Any) -> None:
    target_tags_change(target=company, tag=tag, add=False, source=source, actor=actor)
