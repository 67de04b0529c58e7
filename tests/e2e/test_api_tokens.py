import pytest
from playwright.sync_api import expect

from workspace.models import ApiToken

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def api_status(page, live_server, secret):
    response = page.request.get(
        f"{live_server.url}/api/contacts", headers={"Authorization": f"Bearer {secret}"}
    )
    return response.status


def test_admin_creates_a_token_sees_it_once_and_revokes_it(
    live_server, login, teammates, screenshot
):
    page = login("admin")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="No API tokens yet")).to_be_visible()
    screenshot(page, "api-tokens-empty")

    # Nothing ticked: both mistakes are named, and nothing is made.
    page.get_by_role("button", name="Create token").click()
    expect(
        page.get_by_text("Give the token a name, so you can tell later what uses it.")
    ).to_be_visible()
    expect(page.get_by_text("Tick at least one scope")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_be_focused()
    assert not ApiToken.objects.exists()

    page.get_by_label("Name", exact=True).fill("Zapier")
    scopes = page.get_by_role("group", name="Scopes")
    for scope in ("Contacts: read", "Contacts: write", "Tags: read"):
        scopes.get_by_label(scope, exact=True).check()
    page.get_by_role("button", name="Create token").click()

    secret_field = page.get_by_label("Token for Zapier")
    expect(secret_field).to_be_focused()
    expect(page.get_by_text("It won't be shown again.")).to_be_visible()
    secret = secret_field.input_value()
    assert secret.startswith("sb_")
    row = page.get_by_role("row", name="Zapier")
    expect(row).to_contain_text("Contacts: read & write, Tags: read")
    expect(row).to_contain_text("Never")
    expect(row).to_contain_text("Active")

    page.get_by_role("button", name="Copy token").click()
    expect(page.get_by_text("Copied to the clipboard.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    screenshot(page, "api-tokens-created")

    assert api_status(page, live_server, secret) == 200
    page.reload()
    expect(page.get_by_role("row", name="Zapier")).to_be_visible()
    expect(page.get_by_label("Token for Zapier")).to_have_count(0)
    assert secret not in page.content()

    # Dismissing the browser's confirmation keeps the token; accepting revokes it.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Revoke Zapier").click()
    expect(page.get_by_role("row", name="Zapier")).to_contain_text("Active")
    assert ApiToken.objects.get().revoked_at is None

    messages = []

    def accept(dialog):
        messages.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="Revoke Zapier").click()
    row = page.get_by_role("row", name="Zapier")
    expect(row).to_contain_text("Revoked")
    expect(row).to_be_focused()
    expect(page.get_by_role("status").filter(has_text="Revoked “Zapier”.")).to_have_count(1)
    expect(page.get_by_role("button", name="Revoke Zapier")).to_have_count(0)
    assert messages and messages[0].startswith("Revoke “Zapier”?")
    assert api_status(page, live_server, secret) == 401
    screenshot(page, "api-tokens-revoked")


def test_without_javascript_the_same_urls_create_and_revoke_with_a_confirmation_step(
    browser, live_server, teammates, screenshot
):
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1400, "height": 900}
    )
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill("demo")
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{live_server.url}/settings/api-tokens/")
        page.get_by_label("Name", exact=True).fill("Warehouse export")
        page.get_by_label("Events: read", exact=True).check()
        page.get_by_role("button", name="Create token").click()
        secret = page.get_by_label("Token for Warehouse export").input_value()
        assert secret.startswith("sb_")
        # The copy button needs JavaScript, so it stays hidden; the field is there to select.
        expect(page.get_by_role("button", name="Copy token")).to_be_hidden()

        page.get_by_role("button", name="Revoke Warehouse export").click()
        expect(page.get_by_role("heading", name="Revoke “Warehouse export”?")).to_be_visible()
        screenshot(page, "api-tokens-revoke-confirm-no-js")
        assert ApiToken.objects.get().revoked_at is None
        page.get_by_role("button", name="Revoke Warehouse export").click()
        expect(page.get_by_text("Revoked “Warehouse export”.")).to_be_visible()
        expect(page.get_by_role("row", name="Warehouse export")).to_contain_text("Revoked")
        assert api_status(page, live_server, secret) == 401
    finally:
        context.close()


def test_a_viewer_gets_no_link_and_403(live_server, login, teammates, screenshot):
    page = login("viewer")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    nav = page.get_by_role("navigation", name="Settings")
    expect(nav.get_by_role("link", name="Your profile")).to_be_visible()
    expect(nav.get_by_role("link", name="API tokens")).to_have_count(0)
    response = page.goto(f"{live_server.url}/settings/api-tokens/")
    assert response.status == 403
    screenshot(page, "api-tokens-viewer-403")
