import pytest
from django.db import IntegrityError, transaction

from companies.models import Company
from companies.services import company_create
from qualification.services import Actor, AttributeWriteError, Source
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db
API = Actor("api_token", "1", "Sync")


def test_company_create_keys_on_company_id_and_writes_values():
    company = company_create(
        company_id="acme", values={"name": "Acme", "plan": "Pro"}, source=Source.REST_API, actor=API
    )
    assert (company.company_id, company.name, company.plan, company.version) == (
        "acme",
        "Acme",
        "Pro",
        2,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        CompanyFactory(company_id="acme")


def test_company_create_with_a_bad_value_creates_nothing():
    with pytest.raises(AttributeWriteError, match="Company size"):
        company_create(company_id="x", values={"size": "big"}, source=Source.REST_API, actor=API)
    assert not Company.objects.exists()
