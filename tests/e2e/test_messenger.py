"""The messenger installed on a customer's page on another origin, as the Install snippet says:
the boot and a queued event arrive, and the conversation sidebar says "Messenger"; a page on an
origin that is not trusted writes nothing."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from contacts.models import Contact, Event
from messenger.configuration import messenger_settings, messenger_settings_update
from qualification.services import qualification_item_add
from tests.factories import ConversationFactory, DataAttributeFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAGE = """<!doctype html><html><head><title>Acme app</title></head><body>
<h1>Acme dashboard</h1>
<script>
  window.intercomSettings = {
    api_base: "%(api_base)s",
    app_id: "%(app_id)s",
    user_id: "u-1",
    email: "ada@acme.example",
    name: "Ada Lovelace",
    plan: "Pro",
    company: { company_id: "acme", name: "Acme" }
  };
  (function (w) {
    if (typeof w.Intercom !== "function") {
      var queue = function () { queue.q.push(arguments); };
      queue.q = [];
      w.Intercom = queue;
    }
  })(window);
  Intercom("trackEvent", "viewed-pricing", { tier: "Pro" });
</script>
<script async src="%(api_base)s/messenger/messenger.js"></script>
</body></html>"""


def until(page, condition, seconds: float = 30.0) -> None:
    """Let the page run (Playwright delivers its events meanwhile) until `condition` holds."""
    for _ in range(int(seconds * 10)):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"Waited {seconds:.0f} s in vain.")


@pytest.fixture
def customer_site():
    """A customer's page, served from 127.0.0.1 (the app is on localhost: another origin)."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield pages, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_customer_page_boots_the_messenger_and_the_sidebar_says_messenger(
    live_server, browser, login, teammates, customer_site, screenshot
):
    pages, origin = customer_site
    plan = DataAttributeFactory(
        name="plan", label="Plan", data_type="string", messenger_writable=True
    )
    qualification_item_add(attribute=plan)
    messenger_settings_update(trusted_domains=[origin])
    pages["/app"] = PAGE % {"api_base": live_server.url, "app_id": messenger_settings().app_id}

    visitor = browser.new_context()
    try:
        customer = visitor.new_page()
        with customer.expect_response(lambda r: r.url.endswith("/messenger/api/events")) as sent:
            customer.goto(f"{origin}/app")
        assert sent.value.status == 202  # queued before the script loaded, sent after the boot
        assert Event.objects.filter(event_name="viewed-pricing").exists()
    finally:
        visitor.close()
    ada = Contact.objects.get(external_id="u-1")
    assert ada.custom_attributes.get("plan") == "Pro"
    assert ada.companies.get().company_id == "acme"

    conversation = ConversationFactory(contact=ada, subject="Pricing question")
    page = login("agent")
    page.goto(f"{live_server.url}/inbox/conversations/{conversation.pk}/")
    row = page.get_by_role("group", name="Plan", exact=True)
    expect(row).to_contain_text("Pro")
    expect(row).to_contain_text("Set by Messenger")
    screenshot(page, "messenger-sidebar")


def test_a_page_on_an_untrusted_origin_writes_nothing(
    live_server, browser, customer_site, teammates
):
    pages, origin = customer_site
    messenger_settings_update(trusted_domains=["https://shop.example.com"])
    pages["/app"] = PAGE % {"api_base": live_server.url, "app_id": messenger_settings().app_id}
    visitor = browser.new_context()
    try:
        page = visitor.new_page()
        # The server answers 403 without CORS headers; the browser says so in the console.
        with page.expect_event("console", lambda m: "CORS policy" in m.text):
            page.goto(f"{origin}/app")
    finally:
        visitor.close()
    assert not Contact.objects.exists() and not Event.objects.exists()


def test_updates_past_twenty_in_half_an_hour_are_coalesced_never_lost(
    live_server, browser, customer_site
):
    pages, origin = customer_site
    messenger_settings_update(trusted_domains=[origin])
    pages["/app"] = PAGE % {"api_base": live_server.url, "app_id": messenger_settings().app_id}
    visitor = browser.new_context()
    try:
        page = visitor.new_page()
        page.clock.install()
        sent = []
        page.on("request", lambda r: r.url.endswith("/boot") and sent.append(r.post_data_json))
        with page.expect_response(lambda r: r.url.endswith("/messenger/api/events")):
            page.goto(f"{origin}/app")
        page.evaluate("for (let n = 1; n <= 25; n++) Intercom('update', {job_title: 'Job ' + n})")
        # They go out one after another: wait for them, however busy the machine.
        until(page, lambda: len(sent) >= 21)
        page.wait_for_timeout(1000)
        assert len(sent) == 21  # the boot, then 20 updates: Intercom's limit
        assert sent[-1]["job_title"] == "Job 20"
        page.clock.run_for("30:01")  # the window moves on: the latest values go out once
        until(page, lambda: len(sent) >= 22)
        page.wait_for_timeout(1000)
        assert len(sent) == 22 and sent[-1]["job_title"] == "Job 25"
    finally:
        visitor.close()
