"""The admin's data attribute form refuses what the REST API refuses."""

import pytest

from core.write_guard import writes_allowed
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
    with writes_allowed():
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
    with writes_allowed():
        with pytest.raises(IntegrityError), transaction.atomic():
            DataAttribute.objects.create(
                model="company", name="plan TIER", label="x", data_type=DataType.STRING
            )
        Tag.objects.create(name="VIP")
        with pytest.raises(IntegrityError), transaction.atomic():
            Tag.objects.create(name="vip")


def test_the_admin_refuses_what_the_service_refuses_for_options():
    one = DataAttributeForm(data=form_data(name="tier", data_type=DataType.OPTIONS, options="Gold"))
    assert not one.is_valid()
    assert "at least two options" in one.errors["options"][0]
    many = "\n".join(f"Option {n}" for n in range(1001))
    too_many = DataAttributeForm(
        data=form_data(name="tier", data_type=DataType.OPTIONS, options=many)
    )
    assert not too_many.is_valid()
    assert "at most 1000 options" in too_many.errors["options"][0]


@pytest.fixture
def admin_client(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_superuser=True, role="Admin"))
    return client


def test_the_admin_creates_and_changes_attributes_through_the_services(admin_client):
    from qualification.models import DataAttribute

    data = form_data(
        name="tier", label="Tier", data_type=DataType.OPTIONS, options="Gold\nSilver", _save="Save"
    )
    data.pop("import_writable")  # unticked
    response = admin_client.post("/admin/qualification/dataattribute/add/", data)
    assert response.status_code == 302, response.content[:3000]
    tier = DataAttribute.objects.get(name="tier")
    assert (tier.options, tier.import_writable, tier.created_by.username) == (
        ["Gold", "Silver"],
        False,
        "root",
    )
    change = form_data(
        label="Tier of service",
        options="Gold\nSilver\nBronze",
        precedence="manual_wins",
        archived="on",
        _save="Save",
    )
    with writes_allowed():
        QualificationItem.objects.create(attribute=tier, position=1)
    refused = admin_client.post(f"/admin/qualification/dataattribute/{tier.pk}/change/", change)
    assert refused.status_code == 200  # the form again, with the reason
    assert "qualification-data list" in refused.content.decode()
    tier.refresh_from_db()
    assert (tier.label, tier.archived) == ("Tier", False)
    change.pop("archived")
    response = admin_client.post(f"/admin/qualification/dataattribute/{tier.pk}/change/", change)
    assert response.status_code == 302, response.content[:3000]
    tier.refresh_from_db()
    assert (tier.label, tier.options, tier.precedence) == (
        "Tier of service",
        ["Gold", "Silver", "Bronze"],
        "manual_wins",
    )


def test_nothing_outside_a_service_writes_data_attributes():
    from core.write_guard import WriteOutsideService
    from qualification.models import DataAttribute

    attribute = DataAttributeFactory(name="tier")
    attribute.archived = True
    with pytest.raises(WriteOutsideService, match="qualification.DataAttribute"):
        attribute.save()
    with pytest.raises(WriteOutsideService):
        DataAttribute.objects.filter(pk=attribute.pk).update(archived=True)
