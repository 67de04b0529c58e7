"""The settings page's data attribute form refuses what the services (and so the REST API)
refuse, in plain words with the attribute's label."""

import pytest
from django.http import QueryDict

from core.write_guard import writes_allowed
from qualification.forms import DataAttributeSettingsForm, policy_summary
from qualification.models import DataAttribute, DataType, QualificationItem
from tests.factories import DataAttributeFactory

pytestmark = pytest.mark.django_db


def form_data(**overrides) -> QueryDict:
    data = {
        "name": "seats",
        "label": "Seats",
        "description": "",
        "data_type": DataType.INTEGER,
        "ui_writable": "on",
        "api_writable": "on",
        "precedence": "app_wins",
        **overrides,
    }
    query = QueryDict(mutable=True)
    for key, value in data.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    return query


def test_a_valid_form_gives_the_services_their_arguments():
    form = DataAttributeSettingsForm(form_data(), model="contact")
    assert form.is_valid(), form.errors
    assert form.service_arguments() == {
        "label": "Seats",
        "description": "",
        "policy": {
            "ui_writable": True,
            "api_writable": True,
            "messenger_writable": False,
            "messenger_verified_only": False,
            "import_writable": False,
            "workflow_writable": False,
            "apps_writable": False,
        },
        "precedence": "app_wins",
        "model": "contact",
        "name": "seats",
        "data_type": "integer",
    }
    assert not DataAttribute.objects.filter(name="seats").exists()  # only checked


def test_a_custom_name_is_unique_across_people_and_companies():
    DataAttributeFactory(model="company", name="Seats")
    form = DataAttributeSettingsForm(form_data(), model="contact")
    assert not form.is_valid()
    assert "You already have 'Seats' in your company data" in form.errors["name"][0]


def test_an_attribute_in_the_qualification_list_is_refused_archiving_by_the_service():
    # The form does not archive (the page's Archive button does); the service's own refusal is
    # shown beside the options, the label or at the top, by the field it names.
    from qualification.services import DataAttributeError

    attribute = DataAttributeFactory(name="seats", data_type=DataType.INTEGER)
    with writes_allowed():
        QualificationItem.objects.create(attribute=attribute, position=0)
    form = DataAttributeSettingsForm(form_data(), model="contact", instance=attribute)
    assert form.is_valid()
    form.add_service_error(DataAttributeError("has_dependants", "Something depends on it.", None))
    assert form.non_field_errors() == ["Something depends on it."]


def test_options_are_refused_in_plain_words_with_the_label():
    one = DataAttributeSettingsForm(
        form_data(name="tier", label="Tier", data_type="options", options=["Gold", " "]),
        model="contact",
    )
    assert not one.is_valid()
    assert one.options_errors == ["Tier needs at least 2 options, one per row."]
    too_many = DataAttributeSettingsForm(
        form_data(
            name="tier",
            label="Tier",
            data_type="options",
            options=[f"Option {n}" for n in range(1001)],
        ),
        model="contact",
    )
    assert not too_many.is_valid()
    assert too_many.options_errors == ["Tier can have at most 1000 options."]


def test_a_field_with_an_error_points_at_its_message():
    form = DataAttributeSettingsForm(form_data(label="x" * 101), model="contact")
    assert not form.is_valid()
    assert 'aria-describedby="id_label-errors"' in str(form["label"])
    assert 'aria-invalid="true"' in str(form["label"])


def test_policy_summary():
    attribute = DataAttributeFactory(
        ui_writable=True,
        api_writable=False,
        messenger_writable=False,
        import_writable=False,
        workflow_writable=True,
        apps_writable=False,
        precedence="manual_wins",
    )
    assert policy_summary(attribute) == "Teammates, Workflows · manual edits win"
    for field in ("ui_writable", "workflow_writable"):
        setattr(attribute, field, False)
    assert policy_summary(attribute) == "Nobody · manual edits win"
