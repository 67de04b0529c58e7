"""The Content-Security-Policy holds in a real browser: it blocks an inline script, and the
pages that are not covered by the other browser tests (Django's admin for a superuser, the API
docs) run under it with nothing blocked (the `login` fixture fails a test on any block)."""

import pytest
from playwright.sync_api import expect

from tests.factories import ContactFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_inline_script_is_blocked(browser, live_server):
    UserFactory(username="agent", role="Teammate")
    context = browser.new_context()
    blocked = []
    context.on("console", lambda m: "Content Security Policy" in m.text and blocked.append(m.text))
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    ran = page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.append(script);
            return window.injected === true;
        }"""
    )
    context.close()
    assert ran is False
    assert any("script-src 'self'" in message for message in blocked), blocked


def test_the_admin_and_the_api_docs_run_with_nothing_blocked(live_server, login):
    UserFactory(username="root", role="Admin", is_superuser=True)
    contact = ContactFactory(values={"name": "Lena Park", "email": "lena@example.com"})
    page = login("root")
    page.goto(f"{live_server.url}/admin/")
    expect(page.get_by_role("link", name="Contacts").first).to_be_visible()
    page.goto(f"{live_server.url}/admin/contacts/contact/{contact.pk}/change/")
    expect(page.get_by_role("button", name="Save", exact=True)).to_be_visible()
    page.goto(f"{live_server.url}/api/docs")
    expect(page.get_by_text("Switchboard REST API").first).to_be_visible()
