"""The registry of what depends on a data attribute: checks may give a link as well."""

import pytest

from qualification.dependants import (
    Dependant,
    attribute_dependants,
    attribute_dependants_linked,
    register_dependants_check,
    unregister_dependants_check,
)
from qualification.services import qualification_item_add
from tests.factories import DataAttributeFactory, SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def plain_check():
    register_dependants_check("tests.plain", lambda attribute: ["the report 'Weekly'"])
    yield
    unregister_dependants_check("tests.plain")


def test_checks_give_descriptions_or_linked_dependants(plain_check):
    plan = DataAttributeFactory(name="plan", label="Plan")
    qualification_item_add(attribute=plan)
    SegmentFactory(name="Gold customers", query="cf=plan&op=eq&v=gold")
    assert attribute_dependants_linked(plan) == [
        Dependant(
            "the qualification-data list for people", "/settings/qualification/?model=contact"
        ),
        Dependant("the segment 'Gold customers'", "/contacts/?cf=plan&op=eq&v=gold"),
        Dependant("the report 'Weekly'"),
    ]
    assert attribute_dependants(plan) == [
        "the qualification-data list for people",
        "the segment 'Gold customers'",
        "the report 'Weekly'",
    ]
