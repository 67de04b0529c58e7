"""What a teammate sees is current: Back and Forward after an inline edit, one edit shown
everywhere on the page, a save after the session ended, a value an app sent held back, and
where an edit was made."""

import re

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from qualification.models import DataAttribute, Precedence, QualificationItem
from qualification.services import attributes_apply, qualification_item_add
from qualification.sources import Actor, Source
from tests.factories import (
    ContactFactory,
    ConversationFactory,
    ConversationPartFactory,
    DataAttributeFactory,
)
from tests.helpers import deliver_pending

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BILLING = Actor("api_token", "7", "Billing sync")


@pytest.fixture
def conversation(teammates):
    contact = ContactFactory(values={"name": "Lena Novak", "email": "lena@acme.example"})
    conversation = ConversationFactory(contact=contact, subject="Export is broken")
    ConversationPartFactory(conversation=conversation, body="The export spins forever.")
    name = DataAttribute.objects.get(model="contact", name="name")
    if not QualificationItem.objects.filter(attribute=name).exists():
        qualification_item_add(attribute=name)
    job = DataAttributeFactory(name="job_title", label="Job title")
    qualification_item_add(attribute=job)
    plan = DataAttributeFactory(
        name="plan", label="Plan", precedence=Precedence.MANUAL_WINS, api_writable=True
    )
    qualification_item_add(attribute=plan)
    return conversation


def open_conversation(page, live_server, conversation):
    page.goto(f"{live_server.url}/inbox/conversations/{conversation.pk}/")
    expect(page.get_by_role("heading", name="Export is broken")).to_be_visible()


def save_inline(page, label, value):
    page.get_by_role("button", name=f"Edit {label}").click()
    # Until the editor arrives the label names the row itself, so wait for the field.
    expect(page.get_by_label(label, exact=True)).to_be_focused()
    page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("group", name=label, exact=True)).to_contain_text(value)


def test_back_and_forward_after_an_inline_edit_show_the_new_value(
    live_server, login, conversation, screenshot
):
    page = login("agent")
    open_conversation(page, live_server, conversation)
    # The contact page is seen first, before the edit: Forward must not bring back that copy.
    page.get_by_role("link", name="Lena Novak").first.click()
    expect(page.get_by_role("heading", name="Lena Novak", level=1)).to_be_visible()
    expect(page.get_by_role("group", name="Job title", exact=True)).to_contain_text("Unknown")
    page.go_back()
    expect(page.get_by_role("heading", name="Export is broken")).to_be_visible()

    save_inline(page, "Job title", "Head of Support")
    page.go_forward()
    expect(page.get_by_role("heading", name="Lena Novak", level=1)).to_be_visible()
    expect(page.get_by_role("group", name="Job title", exact=True)).to_contain_text(
        "Head of Support"
    )
    page.go_back()
    expect(page.get_by_role("heading", name="Export is broken")).to_be_visible()
    expect(page.get_by_role("group", name="Job title", exact=True)).to_contain_text(
        "Head of Support"
    )

    # Navigate away after the edit, then Back: the conversation as it is now.
    save_inline(page, "Job title", "CTO")
    page.get_by_role("link", name="Contacts", exact=True).click()
    expect(page.get_by_role("heading", name="Contacts", level=1)).to_be_visible()
    page.go_back()
    expect(page.get_by_role("group", name="Job title", exact=True)).to_contain_text("CTO")
    screenshot(page, "current-back-after-edit")


def test_an_inline_edit_of_the_name_updates_every_place_on_the_page(
    live_server, login, conversation, screenshot
):
    page = login("agent")
    open_conversation(page, live_server, conversation)
    sidebar = page.get_by_role("complementary", name="Customer data")
    thread = page.get_by_role("list", name="Messages")
    expect(sidebar.get_by_role("heading", name="Lena Novak")).to_be_visible()
    expect(thread.get_by_role("listitem", name="Customer message from Lena Novak")).to_be_visible()

    # Counted page loads: the update must come from the save's answer, not a reload.
    page.evaluate("window.sbNoReload = true")
    save_inline(page, "Name", "Lena Horvat")
    expect(sidebar.get_by_role("heading", name="Lena Horvat")).to_be_visible()
    message = thread.get_by_role("listitem", name="Customer message from Lena Horvat")
    expect(message).to_be_visible()
    expect(message.locator("strong")).to_have_text("Lena Horvat")
    expect(page.get_by_text("Lena Novak")).to_have_count(0)
    assert page.evaluate("window.sbNoReload") is True
    screenshot(page, "current-name-everywhere")


def test_a_save_after_the_session_ended_signs_in_and_keeps_the_typed_value(
    live_server, login, conversation, screenshot
):
    page = login("agent")
    open_conversation(page, live_server, conversation)
    page.get_by_role("button", name="Edit Job title").click()
    page.get_by_role("textbox", name="Job title", exact=True).fill("Head of Support")
    Session.objects.all().delete()  # the session ends while the editor is open

    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    expect(page.get_by_role("complementary", name="Customer data")).to_have_count(0)
    page.get_by_label("Username").fill("agent")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()

    page.wait_for_url(f"{live_server.url}/inbox/conversations/{conversation.pk}/")
    expect(page.get_by_role("status").filter(has_text="Restored what you typed")).to_be_visible()
    field = page.get_by_role("textbox", name="Job title", exact=True)
    expect(field).to_have_value("Head of Support")
    expect(field).to_be_focused()
    screenshot(page, "current-restored-after-login")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("group", name="Job title", exact=True)).to_contain_text(
        "Head of Support"
    )
    # Saved: the next visit opens no editor.
    page.reload()
    expect(page.get_by_role("button", name="Edit Job title")).to_be_visible()


def test_a_value_held_back_shows_what_who_and_when_beside_resync(
    live_server, login, conversation, teammates, screenshot
):
    contact = conversation.contact
    attributes_apply(
        target=contact,
        values={"plan": "Enterprise"},
        source=Source.QUALIFICATION,
        actor=teammates["agent"],
    )
    attributes_apply(target=contact, values={"plan": "Pro"}, source=Source.REST_API, actor=BILLING)
    page = login("agent")
    open_conversation(page, live_server, conversation)
    row = page.get_by_role("group", name="Plan", exact=True)
    expect(row).to_contain_text("Enterprise")
    expect(row).to_contain_text(
        re.compile(r"Held back: “Pro”, sent through the REST API by Billing sync on \d+ \w+ \d{4}")
    )
    screenshot(page, "current-held-back")
    row.get_by_role("button", name="Re-sync Plan").click()
    expect(row).to_contain_text("Pro")
    expect(row).to_contain_text("Set through the REST API by Billing sync")
    expect(row).not_to_contain_text("Held back")


def test_provenance_says_where_and_history_leads_back(live_server, login, conversation):
    page = login("agent")
    open_conversation(page, live_server, conversation)
    save_inline(page, "Job title", "CTO")
    row = page.get_by_role("group", name="Job title", exact=True)
    place = f"in conversation #{conversation.pk}"
    expect(row).to_contain_text(f"Set by Priya Raman {place}")
    expect(row.get_by_role("link", name=place)).to_have_attribute(
        "href", f"/inbox/conversations/{conversation.pk}/"
    )

    row.get_by_role("link", name="History of Job title").click()
    expect(page.get_by_role("heading", name=re.compile("History of Job title"))).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text(f"Priya Raman {place}")
    page.get_by_role("link", name=f"← Back to conversation #{conversation.pk}").click()
    expect(page.get_by_role("heading", name="Export is broken")).to_be_visible()


@pytest.mark.skipif(
    not settings.REDIS_URL, reason="the embedded default delivers at commit: nothing is pending"
)
def test_the_contact_list_row_catches_up_without_a_reload(live_server, login, conversation):
    deliver_pending()
    attributes_apply(
        target=conversation.contact,
        values={"name": "Lena Horvat"},
        source=Source.REST_API,
        actor=BILLING,
    )
    page = login("agent")
    page.goto(f"{live_server.url}/contacts/")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Lena Novak"))
    expect(row).to_contain_text("Update pending")
    page.evaluate("window.sbNoReload = true")

    deliver_pending()  # the list's copy is brought up to date, as the worker would
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Lena Horvat"))
    expect(row).to_be_visible()
    expect(row).not_to_contain_text("Update pending")
    assert page.evaluate("window.sbNoReload") is True
