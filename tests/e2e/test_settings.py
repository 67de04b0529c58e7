"""The settings area in Chromium, by accessible names: what each role sees, adding a teammate
with a role and their invite link, and Your profile's time zone defaulting to the browser's."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_admin_sees_workspace_settings_and_adds_a_teammate(
    live_server, login, teammates, screenshot
):
    page = login("admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    nav = page.get_by_role("navigation", name="Settings")
    for label in ("Teammates", "API tokens", "Messenger", "Apps", "Workflows", "Imports"):
        expect(nav.get_by_role("link", name=label)).to_be_visible()
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)  # not a superuser

    nav.get_by_role("link", name="Teammates").click()
    expect(page.get_by_role("heading", name="Teammates", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="What each role can do")).to_be_visible()
    page.get_by_label("Username").fill("sam")
    page.get_by_label("First name").fill("Sam")
    page.get_by_label("Viewer").check()
    page.get_by_role("button", name="Add teammate").click()
    expect(page.get_by_role("heading", name="Send this invite link to Sam")).to_be_visible()
    link = page.get_by_label("Link for Sam").input_value()
    assert re.match(rf"{re.escape(live_server.url)}/accounts/reset/", link)
    expect(page.get_by_label("Role of Sam", exact=True)).to_have_value("Viewer")
    screenshot(page, "settings-teammates-invite")

    page.get_by_label("Role of Sam", exact=True).select_option("Teammate")
    page.get_by_role("button", name="Change role of Sam").click()
    expect(page.get_by_text("Sam is now Teammate.")).to_be_visible()

    page.get_by_label("Role of Ada Okafor", exact=True).select_option("Viewer")
    page.get_by_role("button", name="Change role of Ada Okafor").click()
    expect(page.get_by_text("Ada Okafor is the only active Admin")).to_be_visible()
    expect(page.get_by_label("Role of Ada Okafor", exact=True)).to_have_value("Admin")


@pytest.mark.parametrize("username", ["agent", "viewer"])
def test_teammates_and_viewers_see_only_their_profile_and_get_403(
    live_server, login, teammates, username
):
    page = login(username)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    nav = page.get_by_role("navigation", name="Settings")
    expect(nav.get_by_role("link", name="Your profile")).to_be_visible()
    expect(nav.get_by_role("link", name="Teammates")).to_have_count(0)
    expect(
        page.get_by_text(
            "Workspace settings (teammates, data attributes, API tokens) are for Admins"
        )
    ).to_be_visible()
    for path in ("teammates", "api-tokens", "messenger"):
        assert page.goto(f"{live_server.url}/settings/{path}/").status == 403
    assert page.goto(f"{live_server.url}/admin/").status == 403


def test_your_profile_follows_the_browsers_time_zone_until_you_choose(
    browser, live_server, teammates
):
    context = browser.new_context(timezone_id="America/New_York")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill("viewer")
        page.get_by_label("Password").fill("demo")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/inbox/")
        page.goto(f"{live_server.url}/settings/profile/")
        zone = page.get_by_label("Time zone")
        expect(zone.locator("option:checked")).to_have_text("Same as my browser (America/New_York)")
        zone.select_option("Europe/Berlin")
        page.get_by_label("First name").fill("Vic")
        page.get_by_role("button", name="Save profile").click()
        expect(page.get_by_text("Saved your profile.")).to_be_visible()
        expect(page.get_by_label("Time zone")).to_have_value("Europe/Berlin")
        expect(page.locator("#user-tools")).to_contain_text("Vic Lind")
    finally:
        context.close()
