"""Redis unreachable (the cache and the Celery broker at a loopback port where nothing listens):
the API and the pages keep working, writes are kept in the outbox for the sweep, rate limits
count per process, and the outage costs a few connection attempts and one log line in all."""

import logging

import pytest
import redis.connection
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from contacts.models import Contact, ContactListEntry, Segment
from inbox.models import DemoLoad
from qualification.models import AttributeOutbox
from qualification.outbox.delivery import outbox_sweep
from tests.api_helpers import bearer, error_of
from tests.factories import ContactFactory, ConversationFactory, DataAttributeFactory
from workspace.tokens import api_token_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_unreachable")]


@pytest.fixture
def connects(monkeypatch):
    """How many times anything (the cache, the relay's wake-up, Celery's publisher) tried to
    open a connection to Redis: each one redis-py makes goes through `connect`."""
    attempts = []
    connect = redis.connection.AbstractConnection.connect

    def counted(self, *args, **kwargs):
        attempts.append(1)
        return connect(self, *args, **kwargs)

    monkeypatch.setattr(redis.connection.AbstractConnection, "connect", counted)
    return attempts


@pytest.fixture
def secret():
    return api_token_create(name="Sync", scopes=["contacts:read", "contacts:write"])[1]


@override_settings(REDIS_RETRY_SECONDS=60)  # one attempt in this whole test
def test_the_api_creates_updates_and_reads_contacts(
    client, secret, connects, caplog, django_capture_on_commit_callbacks
):
    auth = bearer(secret)
    with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            "/api/contacts",
            {"email": "ada@example.com", "name": "Ada"},
            content_type="application/json",
            headers=auth,
        )
        assert created.status_code == 200, created.content
        contact_id = created.json()["id"]
        for n in range(20):
            updated = client.put(
                f"/api/contacts/{contact_id}",
                {"name": f"Ada {n}"},
                content_type="application/json",
                headers=auth,
            )
            assert updated.status_code == 200, updated.content
        read = client.get(f"/api/contacts/{contact_id}", headers=auth)
        listed = client.get("/api/contacts", headers=auth)
    assert read.status_code == 200 and read.json()["name"] == "Ada 19"
    assert listed.status_code == 200 and listed.json()["total_count"] == 1
    # Counted in this process instead of Redis, and said so on every answer.
    assert int(listed["X-RateLimit-Remaining"]) < int(listed["X-RateLimit-Limit"])
    # 23 requests and 21 writes: one try at Redis (a few connects by Celery's publisher, which
    # retries) before the breaker stopped trying, and one line in the log.
    assert 1 <= len(connects) <= 3
    outage = [r for r in caplog.records if r.name == "core.outage"]
    assert len(outage) == 1 and "Redis is unreachable" in outage[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

    # Every write is kept in the outbox; the sweep (beat's, once Redis is back) delivers them.
    contact = Contact.objects.get(pk=contact_id)
    assert AttributeOutbox.objects.filter(processed_at__isnull=True).count() >= 21
    assert not ContactListEntry.objects.filter(contact_id=contact.pk).exists()
    outbox_sweep()
    assert ContactListEntry.objects.get(contact_id=contact.pk).name == "Ada 19"
    assert not AttributeOutbox.objects.filter(processed_at__isnull=True).exists()


@override_settings(API_RATE_LIMIT_PER_MINUTE=12)  # 2 per 10-second window
def test_rate_limits_fall_back_to_a_per_process_count(client, secret):
    auth = bearer(secret)
    first, second, third = (client.get("/api/contacts", headers=auth) for _ in range(3))
    assert (first.status_code, second.status_code) == (200, 200)
    assert (first["X-RateLimit-Remaining"], second["X-RateLimit-Remaining"]) == ("1", "0")
    assert third.status_code == 429
    assert error_of(third) == ("rate_limit_exceeded", "Exceeded rate limit of 2 in 10_seconds")
    assert 1 <= int(third["Retry-After"]) <= 10


def test_pages_and_inline_edits_work(client, agent, django_capture_on_commit_callbacks):
    contact = ContactFactory(values={"name": "Lena"})
    conversation = ConversationFactory(contact=contact)
    job = DataAttributeFactory(name="job_title", label="Job title")
    client.force_login(agent)
    for url in ("/inbox/", f"/inbox/conversations/{conversation.pk}/", "/contacts/"):
        assert client.get(url).status_code == 200, url
    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(
            reverse("attribute-row", args=["contact", contact.pk, job.pk]),
            {"value": "CTO", "version": contact.version},
        )
    assert saved.status_code in (200, 302), saved.content
    contact.refresh_from_db()
    assert contact.custom_attributes["job_title"] == "CTO"
    assert AttributeOutbox.objects.filter(processed_at__isnull=True).exists()


@override_settings(REDIS_RETRY_SECONDS=60)
def test_seed_demo_completes_with_the_broker_down(
    connects, caplog, django_capture_on_commit_callbacks
):
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", contacts=30, companies=6, conversations=15)
    assert DemoLoad.objects.exists()
    assert Contact.objects.count() == 30
    # Its segments could not be queued, so they were worked out in place.
    assert Segment.objects.count() == 3
    assert 1 <= len(connects) <= 3
    assert [r.name for r in caplog.records if r.levelno >= logging.WARNING] == ["core.outage"]


def test_companies_scroll_to_the_end(client):
    from tests.factories import CompanyFactory

    for n in range(3):
        CompanyFactory(values={"name": f"Company {n}"})
    auth = bearer(api_token_create(name="Read", scopes=["companies:read"])[1])
    seen, param = [], None
    for _ in range(5):
        url = "/api/companies/scroll" + (f"?scroll_param={param}" if param else "")
        page = client.get(url, headers=auth)
        assert page.status_code == 200, page.content
        seen += [c["name"] for c in page.json()["data"]]
        param = page.json()["scroll_param"]
        if param is None:
            break
    assert sorted(seen) == ["Company 0", "Company 1", "Company 2"]
