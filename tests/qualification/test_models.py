"""What the database and the write guard hold for data attributes, whatever page or API asks."""

import pytest
from django.db import IntegrityError, transaction

from core.write_guard import WriteOutsideService, writes_allowed
from qualification.models import DataAttribute, DataType, Tag
from tests.factories import DataAttributeFactory

pytestmark = pytest.mark.django_db


def test_the_database_keeps_custom_names_and_tag_names_unique_whatever_their_case():
    DataAttributeFactory(model="contact", name="Plan tier")
    with writes_allowed():
        with pytest.raises(IntegrityError), transaction.atomic():
            DataAttribute.objects.create(
                model="company", name="plan TIER", label="x", data_type=DataType.STRING
            )
        Tag.objects.create(name="VIP")
        with pytest.raises(IntegrityError), transaction.atomic():
            Tag.objects.create(name="vip")


def test_nothing_outside_a_service_writes_data_attributes():
    attribute = DataAttributeFactory(name="tier")
    attribute.archived = True
    with pytest.raises(WriteOutsideService, match="qualification.DataAttribute"):
        attribute.save()
    with pytest.raises(WriteOutsideService):
        DataAttribute.objects.filter(pk=attribute.pk).update(archived=True)
