"""The admin's data attribute form refuses what the REST API refuses."""

import pytest

from qualification.admin import DataAttributeForm
from qualification.models import DataType, QualificationItem
from tests.factories import DataAttributeFactory

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    return {
        "model": "contact",
        "name": "seats",
        "label": "Seats",
        "description": "",
        "data_type": DataType.INTEGER,
        "options": "",
        "ui_writable": True,
        "api_writable": True,
        "import_writable": True,
        "workflow_writable": True,
        "apps_writable": True,
        "precedence": "app_wins",
        **overrides,
    }


def test_a_custom_name_is_unique_across_people_and_companies():
    DataAttributeFactory(model="company", name="Seats")
    form = DataAttributeForm(data=form_data())
    assert not form.is_valid()
    assert "You already have 'Seats' in your company data" in form.errors["name"][0]


def test_an_attribute_in_the_qualification_list_cannot_be_archived():
    attribute = DataAttributeFactory(name="seats", data_type=DataType.INTEGER)
    QualificationItem.objects.create(attribute=attribute, position=0)
    form = DataAttributeForm(data=form_data(archived=True), instance=attribute)
    assert not form.is_valid()
    assert "qualification-data list" in form.errors["archived"][0]
    attribute.refresh_from_db()
    assert attribute.archived is False


def test_the_database_keeps_custom_names_and_tag_names_unique_whatever_their_case():
    from django.db import IntegrityError, transaction

    from qualification.models import DataAttribute, Tag

    DataAttributeFactory(model="contact", name="Plan tier")
    with pytest.raises(IntegrityError), transaction.atomic():
        DataAttribute.objects.create(
            model="company", name="plan TIER", label="x", data_type=DataType.STRING
        )
    Tag.objects.create(name="VIP")
    with pytest.raises(IntegrityError), transaction.atomic():
        Tag.objects.create(name="vip")
