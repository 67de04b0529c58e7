"""Times and numbers in a teammate's own terms: a browser in New York sees and types New York
time; one asking for German types a decimal comma; nothing typed is ever silently dropped."""

import re

import pytest
from playwright.sync_api import expect

from contacts.models import Contact
from qualification.models import AttributeChange, DataType
from qualification.services import attributes_apply, qualification_item_add
from qualification.sources import Actor, Source
from tests.factories import (
    ContactFactory,
    ConversationFactory,
    ConversationPartFactory,
    DataAttributeFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
NEW_YORK = {"timezone_id": "America/New_York"}
APP = Actor("api_token", "1", "Billing sync")


@pytest.fixture
def conversation(teammates):
    contact = ContactFactory(values={"name": "Lena Novak", "email": "lena@acme.example"})
    conversation = ConversationFactory(contact=contact, subject="Export is broken")
    ConversationPartFactory(conversation=conversation, body="The export spins forever.")
    for name, label, data_type in (
        ("last_order_at", "Last order at", DataType.DATETIME),
        ("renews_on", "Renews on", DataType.DATE),
        ("company_size", "Company size", DataType.INTEGER),
        ("satisfaction", "Satisfaction", DataType.FLOAT),
        ("nickname", "Nickname", DataType.STRING),
    ):
        qualification_item_add(
            attribute=DataAttributeFactory(name=name, label=label, data_type=data_type)
        )
    attributes_apply(
        target=contact,
        values={
            "last_order_at": "2023-11-14T22:13:00Z",
            "renews_on": "2026-01-31",
            "company_size": 40,
        },
        source=Source.REST_API,
        actor=APP,
    )
    return conversation


def open_conversation(page, live_server, conversation):
    page.goto(f"{live_server.url}/inbox/conversations/{conversation.pk}/")
    expect(page.get_by_role("heading", name="Export is broken")).to_be_visible()


def start_editing(page, label):
    page.get_by_role("button", name=f"Edit {label}").click()
    expect(page.get_by_label(label, exact=True)).to_be_focused()


def custom(conversation, name):
    return Contact.objects.get(pk=conversation.contact_id).custom_attributes.get(name)


def test_a_browser_in_new_york_sees_and_types_new_york_time(
    live_server, login, conversation, screenshot
):
    page = login("agent", **NEW_YORK)
    open_conversation(page, live_server, conversation)
    row = page.get_by_role("group", name="Last order at", exact=True)
    expect(row).to_contain_text("14 Nov 2023, 17:13 EST")
    # A date has no zone: the same day in New York as anywhere.
    expect(page.get_by_role("group", name="Renews on", exact=True)).to_contain_text("31 Jan 2026")
    # Provenance says when, in the same format and zone.
    expect(row).to_contain_text("Set through the REST API by Billing sync on ")
    expect(row.locator("time")).to_contain_text(re.compile(r"\d\d:\d\d E[SD]T$"))

    start_editing(page, "Last order at")
    field = page.get_by_label("Last order at", exact=True)
    expect(field).to_have_value("2023-11-14T17:13")  # Chromium drops ":00" seconds
    expect(page.get_by_text("In your time zone, America/New York.")).to_be_visible()
    field.fill("2024-07-01T09:30:00")
    page.get_by_role("button", name="Save").click()
    expect(row).to_contain_text("1 Jul 2024, 09:30 EDT")
    screenshot(page, "values-new-york-datetime")
    # Typed in New York summer time (UTC-4), stored in UTC.
    assert custom(conversation, "last_order_at") == "2024-07-01T13:30:00Z"


def test_an_invalid_number_is_kept_and_explained_and_nothing_is_erased(
    live_server, login, conversation, screenshot
):
    page = login("agent", **NEW_YORK)
    open_conversation(page, live_server, conversation)
    start_editing(page, "Company size")
    field = page.get_by_label("Company size", exact=True)
    field.fill("about fifty")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_have_text("Company size must be a whole number, like 42.")
    expect(field).to_have_value("about fifty")
    expect(field).to_have_attribute("aria-invalid", "true")
    screenshot(page, "values-invalid-number-kept")
    assert custom(conversation, "company_size") == 40
    assert not AttributeChange.objects.filter(
        attribute_name="company_size", source=Source.QUALIFICATION
    ).exists()

    field.fill("50")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("group", name="Company size", exact=True)).to_contain_text("50")
    assert custom(conversation, "company_size") == 50


def test_a_german_browser_types_a_decimal_comma(live_server, login, conversation, screenshot):
    page = login("agent", locale="de-DE", **NEW_YORK)
    open_conversation(page, live_server, conversation)
    start_editing(page, "Satisfaction")
    field = page.get_by_label("Satisfaction", exact=True)
    field.fill("1.500")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Satisfaction could be read two ways: write 1500, or 1,5 for a decimal."
    )
    expect(field).to_have_value("1.500")
    assert custom(conversation, "satisfaction") is None

    field.fill("4,5")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("group", name="Satisfaction", exact=True)).to_contain_text("4.5")
    assert custom(conversation, "satisfaction") == 4.5
    # Edited again, the value comes back the way it was typed.
    start_editing(page, "Satisfaction")
    expect(page.get_by_label("Satisfaction", exact=True)).to_have_value("4,5")
    screenshot(page, "values-decimal-comma")


def test_a_text_limit_is_shown_before_saving(live_server, login, conversation):
    page = login("agent")
    open_conversation(page, live_server, conversation)
    start_editing(page, "Nickname")
    field = page.get_by_label("Nickname", exact=True)
    expect(field).to_have_attribute("maxlength", "1000")
    expect(page.get_by_text("1,000 characters at most.")).to_be_visible()
    field.fill("Lena")
    expect(page.get_by_text("4 of 1,000 characters.")).to_be_visible()
