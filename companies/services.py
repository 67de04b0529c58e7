from typing import Any

from django.db import transaction

from qualification.services import Actor, attributes_apply

from .models import Company


def company_create(
    *, company_id: str, values: dict[str, Any], source: str, actor: Actor | Any
) -> Company:
    """Create a company under the customer's own id and write its attribute values."""
    with transaction.atomic():
        company = Company.objects.create(company_id=company_id)
        attributes_apply(target=company, values=values, source=source, actor=actor)
    return company
