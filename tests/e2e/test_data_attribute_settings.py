"""Settings → Data attributes and Settings → Qualification data in Chromium, by accessible
names: creating and editing attributes, options as a list, archiving with its dependants
linked, and reordering the qualification-data list by drag and drop and by keyboard."""

import re

import pytest
from playwright.sync_api import expect

from qualification.models import DataAttribute, QualificationItem
from qualification.services import qualification_item_add
from tests.factories import DataAttributeFactory, SegmentFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def order(model="contact"):
    return list(
        QualificationItem.objects.filter(attribute__model=model)
        .order_by("position", "id")
        .values_list("attribute__label", flat=True)
    )


def item_labels(page):
    return page.locator("[data-reorder-item] strong").all_inner_texts()


def test_admin_creates_a_list_attribute_with_options_edited_as_rows_then_edits_its_policy(
    live_server, login, teammates, screenshot
):
    page = login("admin")
    page.goto(f"{live_server.url}/settings/")
    page.get_by_role("navigation", name="Settings").get_by_role(
        "link", name="Data attributes"
    ).click()
    page.get_by_role("link", name="Companies").click()
    page.get_by_role("link", name="New companies attribute").click()
    page.get_by_label("API name").fill("tier")
    page.get_by_label("Label").fill("Tier")
    options = page.get_by_role("group", name="Options")
    expect(options).to_be_hidden()  # only for a list of options
    page.get_by_label("Type").select_option(label="List of options")
    expect(options).to_be_visible()
    options.get_by_label("Option 1", exact=True).fill("Silver")
    options.get_by_role("button", name="Add option").click()
    expect(options.get_by_label("Option 2", exact=True)).to_be_focused()
    options.get_by_label("Option 2", exact=True).fill("Gold")
    options.get_by_role("button", name="Add option").click()
    options.get_by_label("Option 3", exact=True).fill("Tin")
    options.get_by_role("button", name="Move option Gold up").click()
    expect(options.get_by_role("button", name="Move option Gold up")).to_be_disabled()
    options.get_by_role("button", name="Remove option Tin").click()
    expect(options.get_by_label("Option 1", exact=True)).to_have_value("Gold")
    expect(options.get_by_label("Option 2", exact=True)).to_have_value("Silver")
    expect(options.get_by_role("textbox")).to_have_count(2)
    page.get_by_role("checkbox", name=re.compile(r"^Messenger")).check()
    screenshot(page, "settings-data-attribute-new")
    page.get_by_role("button", name="Create attribute").click()

    expect(page.get_by_text("Created Tier.")).to_be_visible()
    row = page.get_by_role("row", name="Tier")
    expect(row).to_contain_text("List of options")
    expect(row).to_contain_text("Custom")
    tier = DataAttribute.objects.get(model="company", name="tier")
    assert (tier.options, tier.messenger_writable, tier.created_by.username) == (
        ["Gold", "Silver"],
        True,
        "admin",
    )

    row.get_by_role("link", name="Edit Tier").click()
    expect(
        page.get_by_text("If your app sends Tier, it replaces a teammate's edit.")
    ).to_be_visible()
    page.get_by_role("checkbox", name="REST API").uncheck()
    page.get_by_role("radio", name="Manual edits win").check()
    page.get_by_role("button", name="Save Tier").click()
    expect(page.get_by_role("row", name="Tier")).to_contain_text(
        "Teammates, Messenger, CSV imports, Workflows, Apps · manual edits win"
    )
    tier.refresh_from_db()
    assert (tier.api_writable, tier.precedence) == (False, "manual_wins")


def test_bad_input_is_explained_next_to_the_field(live_server, login, teammates):
    page = login("admin")
    page.goto(f"{live_server.url}/settings/data-attributes/new/?model=contact")
    page.get_by_label("API name").fill("plan")
    page.get_by_label("Label").fill("Plan")
    page.get_by_label("Type").select_option(label="List of options")
    page.get_by_label("Option 1", exact=True).fill("Pro")
    page.get_by_role("button", name="Create attribute").click()
    expect(page.get_by_role("group", name="Options")).to_contain_text(
        "Plan needs at least 2 options, one per row."
    )
    expect(page.get_by_label("Option 1", exact=True)).to_have_value("Pro")
    assert not DataAttribute.objects.filter(model="contact", name="plan").exists()


def test_archiving_an_attribute_a_segment_uses_shows_the_segment_linked(
    live_server, login, teammates, screenshot
):
    plan = DataAttributeFactory(name="plan_tier", label="Plan tier")
    SegmentFactory(name="Gold customers", query="cf=plan_tier&op=eq&v=gold")
    page = login("admin")
    page.goto(f"{live_server.url}/settings/data-attributes/")
    page.get_by_role("link", name="Edit Plan tier").click()
    link = page.get_by_role("link", name="The segment 'Gold customers'")
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", "/contacts/?cf=plan_tier&op=eq&v=gold")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Archive Plan tier").click()
    expect(
        page.get_by_text("Plan tier was not archived because it is still in use by")
    ).to_be_visible()
    screenshot(page, "settings-data-attribute-archive-refused")
    plan.refresh_from_db()
    assert plan.archived is False
    link.click()
    expect(page).to_have_url(f"{live_server.url}/contacts/?cf=plan_tier&op=eq&v=gold")


def test_archiving_and_unarchiving_an_unused_attribute(live_server, login, teammates):
    DataAttributeFactory(name="old_score", label="Old score")
    page = login("admin")
    page.goto(f"{live_server.url}/settings/data-attributes/")
    page.get_by_role("link", name="Edit Old score").click()
    expect(page.get_by_text("Nothing depends on Old score.")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Archive Old score").click()
    expect(page.get_by_role("row", name="Old score")).to_contain_text("Archived")
    page.get_by_role("link", name="Edit Old score").click()
    page.get_by_role("button", name="Unarchive Old score").click()
    expect(page.get_by_role("row", name="Old score")).to_contain_text("Active")


@pytest.fixture
def five_items(teammates):
    for name, label in (("plan", "Plan"), ("seats", "Seats")):
        qualification_item_add(attribute=DataAttributeFactory(name=name, label=label))
    assert order() == ["Name", "Email", "Phone", "Plan", "Seats"]


def test_drag_and_drop_reorders_without_a_reload(live_server, login, five_items, screenshot):
    page = login("admin")
    page.goto(f"{live_server.url}/settings/qualification/")
    page.evaluate("window.reorderMarker = 'still here'")
    page.get_by_role("button", name="Move Plan", exact=True).drag_to(
        page.get_by_role("button", name="Move Email", exact=True),
        target_position={"x": 4, "y": 2},  # the upper half: before Email
    )
    status = page.get_by_role("status").filter(has_text="Plan moved to position 2 of 5.")
    expect(status).to_have_count(1)
    assert item_labels(page) == ["Name", "Plan", "Email", "Phone", "Seats"]
    assert order() == ["Name", "Plan", "Email", "Phone", "Seats"]
    expect(page.get_by_role("button", name="Move Plan", exact=True)).to_be_focused()
    assert page.evaluate("window.reorderMarker") == "still here"
    screenshot(page, "settings-qualification-dragged")


def test_keyboard_reorders_and_keeps_focus_on_the_moved_item(live_server, login, five_items):
    page = login("admin")
    page.goto(f"{live_server.url}/settings/qualification/")
    page.evaluate("window.reorderMarker = 'still here'")
    handle = page.get_by_role("button", name="Move Seats", exact=True)
    handle.focus()
    page.keyboard.press("Alt+ArrowUp")
    expect(
        page.get_by_role("status").filter(has_text="Seats moved to position 4 of 5.")
    ).to_have_count(1)
    expect(page.get_by_role("button", name="Move Seats", exact=True)).to_be_focused()
    page.keyboard.press("Alt+ArrowUp")
    expect(
        page.get_by_role("status").filter(has_text="Seats moved to position 3 of 5.")
    ).to_have_count(1)
    assert order() == ["Name", "Email", "Seats", "Phone", "Plan"]

    # The buttons too: focus stays on the same button of the moved item.
    page.get_by_role("button", name="Move Name down").click()
    expect(
        page.get_by_role("status").filter(has_text="Name moved to position 2 of 5.")
    ).to_have_count(1)
    expect(page.get_by_role("button", name="Move Name down")).to_be_focused()
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("status").filter(has_text="Name moved to position 3 of 5.")
    ).to_have_count(1)
    assert order() == ["Email", "Seats", "Name", "Phone", "Plan"]
    assert item_labels(page) == ["Email", "Seats", "Name", "Phone", "Plan"]
    assert page.evaluate("window.reorderMarker") == "still here"


def test_removing_and_adding_without_a_reload(live_server, login, five_items):
    page = login("admin")
    page.goto(f"{live_server.url}/settings/qualification/")
    page.evaluate("window.reorderMarker = 'still here'")
    page.get_by_role("button", name="Remove Plan").click()
    expect(page.get_by_role("status").filter(has_text="Plan was removed")).to_have_count(1)
    assert "Plan" not in item_labels(page)
    page.get_by_label("Attribute to add").select_option(label="Plan (text)")
    page.get_by_label("Position").select_option(label="At the top")
    page.get_by_role("button", name="Add to qualification data").click()
    expect(
        page.get_by_role("status").filter(has_text="Plan is now qualification data.")
    ).to_have_count(1)
    expect(page.get_by_role("button", name="Move Plan", exact=True)).to_be_focused()
    assert order() == ["Plan", "Name", "Email", "Phone", "Seats"]
    assert page.evaluate("window.reorderMarker") == "still here"


@pytest.mark.parametrize("username", ["agent", "viewer"])
def test_teammates_and_viewers_are_refused_both_pages(live_server, login, teammates, username):
    page = login(username)
    for path in ("/settings/data-attributes/", "/settings/qualification/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 403
