import re

import pytest
from playwright.sync_api import expect

from contacts.models import Contact
from qualification.models import AttributeChange, DataAttribute, DataType, QualificationItem
from qualification.services import qualification_item_add
from tests.factories import (
    CompanyFactory,
    CompanyMembershipFactory,
    ContactFactory,
    ConversationFactory,
    ConversationPartFactory,
    DataAttributeFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TYPED = [
    # label, type, options, how to enter it, what the row shows
    ("Job title", DataType.STRING, [], "Head of Support", "Head of Support"),
    ("Projects created", DataType.INTEGER, [], "42", "42"),
    ("Satisfaction", DataType.FLOAT, [], "4.5", "4.5"),
    ("Beta tester", DataType.BOOLEAN, [], True, "Yes"),
    ("Trial ends on", DataType.DATE, [], "2026-03-01", "1 Mar 2026"),
    ("Last order at", DataType.DATETIME, [], "2026-03-01T14:30:00", "1 Mar 2026, 14:30 UTC"),
    ("Lead status", DataType.OPTIONS, ["New", "Qualified", "Customer"], "Qualified", "Qualified"),
]


@pytest.fixture
def workspace(teammates):
    UserFactory(username="agent2", first_name="Sam", last_name="Okoye", role="Teammate")
    contact = ContactFactory(values={"name": "Lena Novak", "email": "lena@acme.example"})
    CompanyMembershipFactory(contact=contact, company=CompanyFactory(values={"name": "Acme"}))
    conversation = ConversationFactory(contact=contact, subject="Export is broken")
    ConversationPartFactory(conversation=conversation, body="The export spins forever.")
    for label, data_type, options, _, _ in TYPED:
        attribute = DataAttributeFactory(
            name=label.lower().replace(" ", "_"), label=label, data_type=data_type, options=options
        )
        qualification_item_add(attribute=attribute)
    return conversation


def open_conversation(page, live_server, conversation):
    page.goto(f"{live_server.url}/inbox/conversations/{conversation.pk}/")
    expect(page.get_by_role("heading", name="Export is broken")).to_be_visible()


def start_editing(page, label):
    page.get_by_role("button", name=f"Edit {label}").click()
    expect(page.get_by_role("form", name=f"Edit {label}")).to_be_visible()
    # The input takes focus as soon as the form is ready to submit in place.
    expect(page.get_by_label(label, exact=True)).to_be_focused()


def enter(page, label, value):
    field = page.get_by_label(label, exact=True)
    if value is True:
        field.select_option("Yes")
    elif label == "Lead status":
        field.select_option(value)
    else:
        field.fill(value)


def test_agent_edits_every_type_inline_and_sees_it_after_reload(
    live_server, login, workspace, screenshot
):
    page = login("agent")
    open_conversation(page, live_server, workspace)
    for label, _, _, value, shown in TYPED:
        start_editing(page, label)
        enter(page, label, value)
        page.get_by_label(label, exact=True).press("Enter")  # Enter saves
        row = page.get_by_role("group", name=label, exact=True)
        expect(row).to_contain_text(shown)
        expect(row).to_contain_text("Set by Priya Raman in conversation #")
        # Focus comes back to the row's edit control, ready for the next edit.
        expect(page.get_by_role("button", name=f"Edit {label}")).to_be_focused()
    screenshot(page, "conversation-after-inline-edits")

    page.reload()
    for label, _, _, _, shown in TYPED:
        expect(page.get_by_role("group", name=label, exact=True)).to_contain_text(shown)
    stored = Contact.objects.get(pk=workspace.contact_id).custom_attributes
    assert stored["projects_created"] == 42 and stored["beta_tester"] is True
    assert stored["last_order_at"] == "2026-03-01T14:30:00Z"


def test_escape_cancels_and_save_button_works(live_server, login, workspace):
    page = login("agent")
    open_conversation(page, live_server, workspace)
    start_editing(page, "Name")
    page.get_by_label("Name", exact=True).fill("Someone else")
    page.get_by_label("Name", exact=True).press("Escape")
    expect(page.get_by_role("group", name="Name", exact=True)).to_contain_text("Lena Novak")
    expect(page.get_by_role("button", name="Edit Name")).to_be_focused()

    start_editing(page, "Company name")
    page.get_by_label("Company name", exact=True).fill("Acme Corporation")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("group", name="Company name", exact=True)).to_contain_text(
        "Acme Corporation"
    )


def test_invalid_value_is_refused_with_its_message(live_server, login, workspace, screenshot):
    page = login("agent")
    open_conversation(page, live_server, workspace)
    start_editing(page, "Projects created")
    page.get_by_label("Projects created", exact=True).fill("4.5")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Projects created must be a whole number, like 42."
    )
    expect(page.get_by_label("Projects created", exact=True)).to_have_value("4.5")
    screenshot(page, "inline-edit-invalid-value")
    assert "projects_created" not in Contact.objects.get(pk=workspace.contact_id).custom_attributes


def test_viewer_sees_no_edit_control_and_a_direct_post_is_refused(
    live_server, login, workspace, screenshot
):
    page = login("viewer")
    open_conversation(page, live_server, workspace)
    expect(page.get_by_role("group", name="Name", exact=True)).to_contain_text("Lena Novak")
    expect(page.get_by_role("button", name=re.compile(r"^Edit "))).to_have_count(0)
    expect(page.get_by_role("button", name="Send reply")).to_have_count(0)
    screenshot(page, "conversation-as-viewer")

    name = DataAttribute.objects.get(model="contact", name="name")
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    before = AttributeChange.objects.count()
    response = page.request.post(
        f"{live_server.url}/attributes/contact/{workspace.contact_id}/{name.pk}/",
        form={"value": "Hacked", "version": "999"},
        headers={"X-CSRFToken": csrf, "Referer": live_server.url + "/inbox/"},
    )
    assert response.status == 403
    assert Contact.objects.get(pk=workspace.contact_id).name == "Lena Novak"
    assert AttributeChange.objects.count() == before


def test_admin_adds_an_attribute_to_the_panel_in_the_chosen_position(
    live_server, login, workspace, screenshot
):
    DataAttributeFactory(name="account_manager", label="Account manager")
    page = login("admin")
    page.goto(f"{live_server.url}/settings/qualification/?model=contact")
    page.get_by_label("Attribute to add").select_option(label="Account manager (text)")
    page.get_by_label("Position").select_option(label="After Email")
    page.get_by_role("button", name="Add to qualification data").click()
    expect(
        page.get_by_role("status").filter(has_text="Account manager is now qualification data.")
    ).to_have_count(1)
    screenshot(page, "qualification-settings")

    open_conversation(page, live_server, workspace)
    labels = page.locator("#contact-heading ~ .qd-panel .qd-label").all_inner_texts()
    assert labels[:4] == ["Name", "Email", "Account manager", "Phone"]
    assert QualificationItem.objects.filter(attribute__name="account_manager").exists()


def test_two_teammates_edit_the_same_attribute_and_the_second_chooses(
    live_server, login, workspace, screenshot
):
    first = login("agent")
    second = login("agent2")
    for page in (first, second):
        open_conversation(page, live_server, workspace)
        start_editing(page, "Name")
    first.get_by_label("Name", exact=True).fill("Lena Novak-First")
    first.get_by_role("button", name="Save").click()
    expect(first.get_by_role("group", name="Name", exact=True)).to_contain_text("Lena Novak-First")

    second.get_by_label("Name", exact=True).fill("Lena Second")
    second.get_by_role("button", name="Save").click()
    expect(second.get_by_role("alert")).to_contain_text(
        "Priya Raman changed Name to “Lena Novak-First”"
    )
    expect(second.get_by_role("button", name="Keep theirs")).to_be_visible()
    screenshot(second, "inline-edit-conflict")
    second.get_by_role("button", name="Overwrite with mine").click()
    expect(second.get_by_role("group", name="Name", exact=True)).to_contain_text("Lena Second")
    assert Contact.objects.get(pk=workspace.contact_id).name == "Lena Second"
    names = list(
        AttributeChange.objects.filter(
            target_id=workspace.contact_id, attribute_name="name", source="qualification"
        )
        .order_by("id")
        .values_list("actor_label", "new_value")
    )
    assert names == [("Priya Raman", "Lena Novak-First"), ("Sam Okoye", "Lena Second")]


def test_keep_theirs_discards_my_value(live_server, login, workspace):
    first = login("agent")
    second = login("agent2")
    for page in (first, second):
        open_conversation(page, live_server, workspace)
        start_editing(page, "Name")
    first.get_by_label("Name", exact=True).fill("Theirs")
    first.get_by_role("button", name="Save").click()
    expect(first.get_by_role("group", name="Name", exact=True)).to_contain_text("Theirs")
    second.get_by_label("Name", exact=True).fill("Mine")
    second.get_by_role("button", name="Save").click()
    second.get_by_role("button", name="Keep theirs").click()
    expect(second.get_by_role("group", name="Name", exact=True)).to_contain_text("Theirs")
    assert Contact.objects.get(pk=workspace.contact_id).name == "Theirs"
