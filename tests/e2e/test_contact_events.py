from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from contacts.services import event_track
from qualification.sources import Actor, Source
from tests.factories import ContactFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_contact_page_shows_events_and_the_empty_state(live_server, teammates, login, screenshot):
    tracked = ContactFactory(values={"name": "Lena Novak", "email": "lena@acme.example"})
    quiet = ContactFactory(values={"name": "Omar Quiet", "email": "omar@acme.example"})
    at = timezone.now().replace(microsecond=0) - timedelta(minutes=5)
    for seconds, metadata in (
        (0, {"plan": "Pro"}),
        (60, {"price": {"amount": 34999, "currency": "eur"}}),
    ):
        event_track(
            contact=tracked,
            event_name="upgraded-plan",
            created_at=at + timedelta(seconds=seconds),
            metadata=metadata,
            source=Source.REST_API,
            actor=Actor("api_token", "1", "Billing"),
        )

    page = login("agent")
    page.goto(f"{live_server.url}/contacts/{tracked.pk}/")
    events = page.get_by_role("region", name="Events")
    expect(events).to_be_visible()
    summary = events.get_by_role("table", name="Event summary")
    row = summary.get_by_role("row", name="upgraded-plan")
    expect(row).to_contain_text("2")
    last = at + timedelta(seconds=60)
    expect(row.get_by_role("cell").nth(2)).to_have_text(f"{last:%-d %b %Y, %H:%M} UTC")
    expect(row.locator("time").last).to_have_attribute("title", "4\xa0minutes ago")
    recent = events.get_by_role("list", name="Most recent")
    expect(recent.get_by_role("listitem")).to_have_count(2)
    expect(recent.get_by_role("listitem").first).to_contain_text("349.99 EUR")
    screenshot(page, "contact-events")

    page.goto(f"{live_server.url}/contacts/{quiet.pk}/")
    expect(page.get_by_role("region", name="Events")).to_contain_text(
        "No events yet — your app records them with POST /api/events or trackEvent."
    )
    screenshot(page, "contact-events-empty")
