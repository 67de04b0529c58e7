"""Custom datetime values are stored in one fixed-width form, so comparing texts compares
moments; the contact list's filters and the REST search count whole days the same way."""

from datetime import UTC, datetime

import pytest

from contacts.models import Contact
from core.write_guard import writes_allowed
from qualification import canonical_datetimes
from qualification.outbox.delivery import outbox_deliver
from qualification.services import attributes_apply
from qualification.sources import Actor, Source
from qualification.values import format_datetime
from tests.factories import ContactFactory, DataAttributeFactory, UserFactory
from workspace.tokens import api_token_create

pytestmark = pytest.mark.django_db
API = Actor("api_token", "1", "Sync")


@pytest.fixture
def renewal():
    return DataAttributeFactory(name="renewal_at", label="Renewal", data_type="datetime")


@pytest.fixture
def people(renewal):
    """Renewals at half a second past midnight on 2 January, late on 2 January, and on 3."""
    found = {}
    for key, moment in (
        ("half", "2024-01-02T00:00:00.5Z"),
        ("late", "2024-01-02T23:59:59.75Z"),
        ("next", "2024-01-03T08:00:00Z"),
    ):
        found[key] = ContactFactory(values={"name": key})
        attributes_apply(
            target=found[key], values={"renewal_at": moment}, source=Source.REST_API, actor=API
        )
    while outbox_deliver():
        pass
    return found


def test_datetimes_are_stored_to_the_second_in_one_width():
    assert format_datetime(datetime(2024, 1, 2, 0, 0, 0, 500000, tzinfo=UTC)) == (
        "2024-01-02T00:00:00Z"
    )
    assert format_datetime(datetime(5, 1, 2, tzinfo=UTC)) == "0005-01-02T00:00:00Z"


def test_stored_values_are_canonical(people):
    assert Contact.objects.get(pk=people["half"].pk).custom_attributes == {
        "renewal_at": "2024-01-02T00:00:00Z"
    }


def search_ids(client, query) -> set[int]:
    _, secret = api_token_create(name=f"Search {query['operator']}", scopes=["contacts:read"])
    response = client.post(
        "/api/contacts/search",
        {"query": query},
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 200, response.content
    return {int(c["id"]) for c in response.json()["data"]}


def list_ids(client, query: str) -> set[int]:
    response = client.get(f"/contacts/?cf=renewal_at&{query}")
    assert response.status_code == 200
    return {e.contact_id for e in response.context["page"].entries}


def test_the_list_and_the_search_count_whole_days_alike(client, people):
    client.force_login(UserFactory(role="Viewer"))
    half, late, following = (people[k].pk for k in ("half", "late", "next"))
    day = "2024-01-02"
    field = "custom_attributes.renewal_at"
    noon = int(datetime(2024, 1, 2, 12, tzinfo=UTC).timestamp())  # the search takes Unix times
    assert search_ids(client, {"field": field, "operator": "=", "value": noon}) == {half, late}
    assert list_ids(client, f"op=lte&v={day}") == {half, late}
    assert list_ids(client, f"op=gte&v={day}") == {half, late, following}
    assert list_ids(client, "op=gte&v=2024-01-03") == {following}
    assert list_ids(client, f"op=between&v={day}&v2={day}") == {half, late}
    assert list_ids(client, "op=between&v=2024-01-01&v2=2024-01-03") == {half, late, following}
    before = {"field": field, "operator": "<", "value": noon + 86400}
    assert search_ids(client, before) == {half, late}


def test_the_data_migration_makes_stored_values_canonical(renewal):
    contact = ContactFactory()
    with writes_allowed():  # a value stored before the canonical form was fixed-width
        Contact.objects.filter(pk=contact.pk).update(
            custom_attributes={"renewal_at": "2024-01-02T00:00:00.500000Z", "other": "x"}
        )
    from django.apps import apps

    with writes_allowed():
        canonical_datetimes.rewrite(Contact, ["renewal_at"])
    contact.refresh_from_db()
    assert contact.custom_attributes == {"renewal_at": "2024-01-02T00:00:00Z", "other": "x"}
    assert canonical_datetimes.datetime_attributes(apps, "contact") == ["renewal_at"]
