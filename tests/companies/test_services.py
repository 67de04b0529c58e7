import pytest
from django.db import IntegrityError, transaction

from companies.models import Company
from companies.services import company_create, company_tag, company_untag
from qualification.models import AttributeOutbox
from qualification.results import AttributeWriteError
from qualification.sources import Source
from tests.factories import TEST_ACTOR, CompanyFactory, TagFactory
from tests.helpers import API

pytestmark = pytest.mark.django_db


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


def test_company_tag_and_untag_announce_real_changes_only():
    company, tag = CompanyFactory(), TagFactory()
    version = Company.objects.get(pk=company.pk).version

    def touches():
        return list(
            AttributeOutbox.objects.filter(
                target_type="company", target_id=company.pk, attribute_names=["tags"]
            ).values_list("target_version", "source")
        )

    company_tag(company=company, tag=tag, source=Source.REST_API, actor=TEST_ACTOR)
    company_tag(company=company, tag=tag, source=Source.REST_API, actor=TEST_ACTOR)
    assert list(company.tags.all()) == [tag]
    assert touches() == [(version + 1, "rest_api")]
    company_untag(company=company, tag=tag, source=Source.REST_API, actor=TEST_ACTOR)
    company_untag(company=company, tag=tag, source=Source.REST_API, actor=TEST_ACTOR)
    assert not company.tags.exists()
    assert touches() == [(version + 1, "rest_api"), (version + 2, "rest_api")]
    assert Company.objects.get(pk=company.pk).version == version + 2
