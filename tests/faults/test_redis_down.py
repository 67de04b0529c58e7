"""Redis unreachable: the web app and the API keep working (reads, and writes kept in the
outbox), and once Redis is back every one of those writes reaches the contact list."""

import httpx
import pytest
from django.test import Client
from django.urls import reverse

from contacts.models import Contact, ContactListEntry
from contacts.services import contact_create
from qualification.sources import Source
from tests.factories import TEST_ACTOR, DataAttributeFactory, UserFactory
from tests.faults.conftest import report, wait_until
from workspace.tokens import api_token_create

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

API_WRITES = 20


def _teammate_session(stack) -> httpx.Client:
    """A signed-in teammate's browser, against gunicorn (the session is in the database)."""
    login = Client()
    login.force_login(UserFactory(username="priya", role="Teammate"))
    browser = httpx.Client(base_url=f"http://127.0.0.1:{stack.web_port}", timeout=10)
    browser.cookies.set("sessionid", login.cookies["sessionid"].value)
    return browser


def test_with_redis_down_writes_are_kept_and_delivered_once_it_is_back(stack, redis_server):
    tier = DataAttributeFactory(name="tier", label="Tier")
    people = [
        contact_create(
            external_id=f"outage-{i}",
            values={"name": f"Before {i}"},
            source=Source.REST_API,
            actor=TEST_ACTOR,
        )
        for i in range(API_WRITES)
    ]
    token = api_token_create(name="Outage", scopes=["contacts:read", "contacts:write"])[1]
    stack.start_web()
    stack.start_worker()
    stack.start_beat()
    assert wait_until(lambda: ContactListEntry.objects.count() == API_WRITES, 60)
    browser = _teammate_session(stack)
    ada = people[0]
    row = reverse("attribute-row", args=["contact", ada.pk, tier.pk])
    edit_form = browser.get(reverse("attribute-edit", args=["contact", ada.pk, tier.pk]))
    assert edit_form.status_code == 200

    redis_server.stop()
    reads = [stack.call("GET", f"/api/contacts/{p.pk}", token)[0] for p in people[:5]]
    acknowledged = {}
    for i, person in enumerate(people):
        status, _ = stack.call("PUT", f"/api/contacts/{person.pk}", token, {"name": f"Down {i}"})
        if status == 200:
            acknowledged[person.pk] = f"Down {i}"
    page = browser.get(f"/contacts/{ada.pk}/")
    saved = browser.post(
        row,
        data={"value": "Gold", "version": Contact.objects.get(pk=ada.pk).version},
        headers={"HX-Request": "true", "X-CSRFToken": browser.cookies["csrftoken"]},
    )

    redis_server.start()

    def found() -> int:
        stack.supervise()
        names = dict(ContactListEntry.objects.values_list("contact_id", "name"))
        return sum(names.get(pk) == name for pk, name in acknowledged.items())

    wait_until(lambda: found() == len(acknowledged), 60, 0.5)
    tier_listed = wait_until(
        lambda: (
            (ContactListEntry.objects.get(contact_id=ada.pk).custom_attributes or {}).get("tier")
            == "Gold"
        ),
        30,
    )
    report(
        "Redis down, then back",
        sent=API_WRITES,
        acknowledged=len(acknowledged),
        found=found(),
        lost=len(acknowledged) - found(),
        restarted_processes=stack.restarts,
    )
    assert reads == [200] * 5
    assert (page.status_code, saved.status_code) == (200, 200)
    assert len(acknowledged) == API_WRITES
    assert found() == len(acknowledged)
    assert tier_listed
