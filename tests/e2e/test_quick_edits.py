"""Working fast: tags, a new contact, a contact's companies and segments, changed in place
from the product's own pages, by accessible names."""

import pytest
from playwright.sync_api import expect

from contacts.models import Contact, Segment
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    ConversationFactory,
    ConversationPartFactory,
    SegmentFactory,
    TagFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def lena(teammates):
    contact = ContactFactory(values={"name": "Lena Novak", "email": "lena@acme.example"})
    conversation = ConversationFactory(contact=contact, subject="Export is broken")
    ConversationPartFactory(conversation=conversation, body="The export spins forever.")
    TagFactory(name="VIP")
    return contact, conversation


@pytest.mark.parametrize("where", ["contact", "company", "conversation"])
def test_tags_added_and_removed_in_place(live_server, login, lena, where, screenshot):
    contact, conversation = lena
    company = CompanyFactory(values={"name": "Acme"})
    url = {
        "contact": f"/contacts/{contact.pk}/",
        "company": f"/companies/{company.pk}/",
        "conversation": f"/inbox/conversations/{conversation.pk}/",
    }[where]
    page = login("agent")
    page.goto(live_server.url + url)
    tags = page.get_by_role("region", name="Tags")
    field = tags.get_by_label("Add tag")
    field.fill("VIP")
    field.press("Enter")
    expect(tags.get_by_role("button", name="Remove tag VIP")).to_be_visible()
    # A new name makes a new tag.
    tags.get_by_label("Add tag").fill("Needs follow-up")
    tags.get_by_role("button", name="Add", exact=True).click()
    expect(tags.get_by_role("button", name="Remove tag Needs follow-up")).to_be_visible()
    screenshot(page, f"quick-edits-tags-{where}")
    tags.get_by_role("button", name="Remove tag VIP").click()
    expect(tags.get_by_role("button", name="Remove tag VIP")).to_have_count(0)
    expect(tags.get_by_role("listitem")).to_have_text(["Needs follow-up ×"])
    # Empty input: said next to the field, nothing changes.
    tags.get_by_role("button", name="Add", exact=True).click()
    expect(tags.get_by_text("Type a tag name to add.")).to_be_visible()
    expect(tags.get_by_label("Add tag")).to_have_attribute("aria-invalid", "true")
    page.reload()
    expect(page.get_by_role("region", name="Tags").get_by_role("listitem")).to_have_text(
        ["Needs follow-up ×"]
    )


def test_viewer_sees_tags_without_controls(live_server, login, lena):
    contact, _ = lena
    page = login("viewer")
    page.goto(f"{live_server.url}/contacts/{contact.pk}/")
    tags = page.get_by_role("region", name="Tags")
    expect(tags).to_contain_text("No tags.")
    expect(tags.get_by_label("Add tag")).to_have_count(0)


def test_new_contact_from_the_contact_list(live_server, login, lena, screenshot):
    contact, _ = lena
    page = login("agent")
    page.goto(f"{live_server.url}/contacts/")
    page.get_by_role("link", name="New contact").click()
    expect(page.get_by_role("heading", name="New contact")).to_be_visible()
    form = page.get_by_role("form", name="New contact")
    form.get_by_label("User", exact=True).check()
    form.get_by_label("Name").fill("Lena Twin")
    form.get_by_label("Email").fill("LENA@acme.example")
    form.get_by_role("button", name="Create contact").click()
    expect(form.get_by_text("A user with this email already exists.")).to_be_visible()
    expect(form.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "quick-edits-new-contact-duplicate")
    form.get_by_role("link", name="Open Lena Novak").click()
    expect(page.get_by_role("heading", name="Lena Novak", level=1)).to_be_visible()
    page.go_back()
    form = page.get_by_role("form", name="New contact")
    form.get_by_label("Lead", exact=True).check()
    form.get_by_label("Name").fill("Visitor from Berlin")
    form.get_by_label("Email").fill("")
    form.get_by_role("button", name="Create contact").click()
    expect(page.get_by_role("heading", name="Visitor from Berlin", level=1)).to_be_visible()
    assert Contact.objects.get(name="Visitor from Berlin").role == "lead"


def test_contact_companies_changed_from_its_page(live_server, login, lena, screenshot):
    contact, _ = lena
    CompanyFactory(company_id="acme", values={"name": "Acme"})
    CompanyFactory(company_id="globex", values={"name": "Globex"})
    page = login("agent")
    page.goto(f"{live_server.url}/contacts/{contact.pk}/")
    companies = page.get_by_role("region", name="Companies")
    expect(companies).to_contain_text("Not linked to a company.")
    field = companies.get_by_label("Add to company")
    field.press_sequentially("Acm")
    # The suggestions arrive as the teammate types.
    expect(page.locator("#company-names option")).to_have_count(1)
    field.fill("Acme")
    companies.get_by_role("button", name="Add", exact=True).click()
    expect(companies.get_by_role("link", name="Acme")).to_be_visible()
    companies.get_by_label("Add to company").fill("Initech")
    companies.get_by_role("button", name="Add", exact=True).click()
    expect(companies.get_by_text("There is no company called “Initech”.")).to_be_visible()
    companies.get_by_label("Add to company").fill("globex")
    companies.get_by_role("button", name="Add", exact=True).click()
    expect(companies.get_by_role("link", name="Globex")).to_be_visible()
    screenshot(page, "quick-edits-companies")
    companies.get_by_role("button", name="Remove from Acme").click()
    expect(companies.get_by_role("link", name="Acme")).to_have_count(0)
    page.reload()
    expect(page.get_by_role("region", name="Companies").get_by_role("link")).to_have_text(
        ["Globex"]
    )


def test_segments_renamed_and_deleted_by_their_owner(live_server, login, teammates, screenshot):
    SegmentFactory(name="Pro users", created_by=teammates["agent"])
    SegmentFactory(name="Admins' picks", created_by=teammates["admin"])
    page = login("agent")
    page.goto(f"{live_server.url}/contacts/")
    segments = page.get_by_role("region", name="Segments")
    expect(segments.get_by_text("Rename or delete Admins' picks")).to_have_count(0)
    segments.get_by_text("Rename or delete Pro users").click()
    segments.get_by_label("New name for Pro users").fill("Admins' picks")
    segments.get_by_role("button", name="Rename").click()
    expect(segments.get_by_role("alert")).to_have_text(
        "A segment called “Admins' picks” already exists; pick another name."
    )
    segments.get_by_label("New name for Pro users").fill("Paying users")
    segments.get_by_role("button", name="Rename").click()
    expect(segments.get_by_role("link", name="Paying users")).to_be_visible()
    screenshot(page, "quick-edits-segments")
    page.once("dialog", lambda dialog: dialog.accept())
    segments.get_by_text("Rename or delete Paying users").click()
    segments.get_by_role("button", name="Delete segment Paying users").click()
    expect(segments.get_by_role("link", name="Paying users")).to_have_count(0)
    assert list(Segment.objects.values_list("name", flat=True)) == ["Admins' picks"]


def test_quick_edit_forms_show_progress_and_say_a_failure_in_the_form(
    live_server, login, lena, screenshot
):
    contact, _ = lena
    page = login("agent")
    page.goto(f"{live_server.url}/contacts/{contact.pk}/")
    held, mode = [], {"now": "hold"}

    def intercept(route):
        if route.request.method != "POST":
            route.continue_()
        elif mode["now"] == "hold":
            held.append(route)
        else:
            route.fulfill(status=500, body="Server Error")

    page.route("**/tags/**", intercept)
    tags = page.get_by_role("region", name="Tags")
    tags.get_by_label("Add tag").fill("VIP")
    add = tags.get_by_role("button", name="Add", exact=True)
    add.click()
    expect(add).to_be_disabled()
    held.pop().continue_()
    expect(tags.get_by_role("button", name="Remove tag VIP")).to_be_visible()

    mode["now"] = "fail"
    tags.get_by_label("Add tag").fill("Renewal")
    tags.get_by_role("button", name="Add", exact=True).click()
    expect(tags.get_by_role("alert")).to_contain_text(
        "Couldn't save: something went wrong on the server (500)."
    )
    expect(tags.get_by_label("Add tag")).to_have_value("Renewal")
    expect(page.locator("#sb-alert")).to_be_hidden()
    screenshot(page, "quick-edits-failed-in-form")
