"""Settings → Messenger in the browser, by accessible names: trusted domains, a secret shown
once, identity verification."""

import re

import pytest
from playwright.sync_api import expect

from messenger.configuration import messenger_settings
from messenger.models import MessengerSecret

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_admin_sets_up_the_messengers_security(live_server, login, teammates, screenshot):
    page = login("admin")
    page.goto(f"{live_server.url}/settings/")
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Messenger").click()
    expect(page.get_by_role("heading", name="Messenger", level=1)).to_be_visible()
    app_id = messenger_settings().app_id
    expect(page.get_by_text(app_id, exact=True)).to_be_visible()
    snippet = page.get_by_role("textbox", name="Install snippet")
    expect(snippet).to_have_value(re.compile(rf'app_id: "{app_id}"'))
    expect(snippet).to_have_value(re.compile(rf'src="{live_server.url}/messenger/messenger.js"'))

    page.get_by_role("textbox", name="Trusted domains").fill("shop.example.com/login")
    page.get_by_role("button", name="Save trusted domains").click()
    expect(page.get_by_text("is not a web origin")).to_be_visible()
    expect(page.get_by_role("textbox", name="Trusted domains")).to_have_value(
        "shop.example.com/login"
    )
    page.get_by_role("textbox", name="Trusted domains").fill(
        "https://shop.example.com\nhttps://app.example.com"
    )
    page.get_by_role("button", name="Save trusted domains").click()
    expect(page.get_by_text("Saved the trusted domains.")).to_be_visible()
    expect(page.get_by_role("textbox", name="Trusted domains")).to_have_value(
        "https://shop.example.com\nhttps://app.example.com"
    )

    page.get_by_role("button", name="Make Messenger API secret (JWT)").click()
    field = page.get_by_label("Messenger API secret (JWT)", exact=True)
    expect(field).to_have_value(MessengerSecret.objects.get(kind="jwt").secret)
    screenshot(page, "settings-messenger-secret-once")
    page.reload()
    expect(page.get_by_role("heading", name="Messenger", level=1)).to_be_visible()
    expect(page.get_by_label("Messenger API secret (JWT)", exact=True)).to_have_count(0)
    assert MessengerSecret.objects.count() == 1

    page.get_by_label("Enforce").check()
    page.get_by_label("Prevent company attribute updates on Messenger").check()
    page.get_by_role("button", name="Save security settings").click()
    expect(page.get_by_text("Saved the messenger's security settings.")).to_be_visible()
    saved = messenger_settings()
    assert (saved.identity_mode, saved.prevent_company_updates) == ("enforce", True)
    screenshot(page, "settings-messenger")
