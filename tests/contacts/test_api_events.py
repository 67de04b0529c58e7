"""Data events over the REST API: plain HTTP for codes, shapes and limits; the official
python-intercom SDK against a live server; concurrent duplicates on PostgreSQL."""

import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.utils import timezone

from contacts.models import Event, EventSummary, Role
from contacts.services import event_track
from qualification.sources import Actor, Source
from tests.api_helpers import bearer, error_of
from tests.factories import ContactFactory, EventFactory
from workspace.tokens import api_token_create

pytestmark = pytest.mark.django_db

ACTOR = Actor("api_token", "1", "Test token")


@pytest.fixture
def secret():
    return api_token_create(
        name="Product", scopes=["events:read", "events:write", "contacts:read"]
    )[1]


@pytest.fixture
def ada():
    return ContactFactory(external_id="u-ada", values={"name": "Ada", "email": "ada@example.com"})


def now_unix(minus_minutes=0):
    return int((timezone.now() - timedelta(minutes=minus_minutes)).timestamp())


def post_event(client, secret, **body):
    return client.post("/api/events", body, content_type="application/json", headers=bearer(secret))


def nothing_written():
    return not Event.objects.exists() and not EventSummary.objects.exists()


# POST /events ------------------------------------------------------------------------------------


@pytest.mark.parametrize("identifier", ["id", "user_id", "email"])
def test_each_identifier_records_the_event_with_202_and_an_empty_body(
    client, secret, ada, identifier
):
    value = {"id": str(ada.pk), "user_id": "u-ada", "email": "ADA@example.com"}[identifier]
    at = now_unix(5)
    response = post_event(
        client,
        secret,
        event_name="invited-friend",
        created_at=at,
        metadata={"invite_code": "ADDAFRIEND"},
        **{identifier: value},
    )
    assert response.status_code == 202 and response.content == b""
    event = Event.objects.get()
    assert (event.contact, event.event_name, event.created_at, event.metadata) == (
        ada,
        "invited-friend",
        datetime.fromtimestamp(at, tz=UTC),
        {"invite_code": "ADDAFRIEND"},
    )
    assert (event.source, event.actor_label, event.request_id) == (
        "rest_api",
        "Product",
        response["X-Request-Id"],
    )
    summary = EventSummary.objects.get()
    assert (summary.contact, summary.event_name, summary.count) == (ada, "invited-friend", 1)
    assert summary.first_at == summary.last_at == event.created_at


def test_a_lead_is_found_by_id_but_not_by_email(client, secret):
    lead = ContactFactory(role=Role.LEAD, values={"email": "lead@example.com"})
    by_email = post_event(
        client, secret, event_name="x", created_at=now_unix(), email="lead@example.com"
    )
    assert by_email.status_code == 404 and error_of(by_email) == ("not_found", "User Not Found")
    assert nothing_written()
    by_id = post_event(client, secret, event_name="x", created_at=now_unix(), id=lead.pk)
    assert by_id.status_code == 202 and Event.objects.get().contact == lead


def test_duplicates_are_accepted_silently_and_counted_once(client, secret, ada):
    at = now_unix(10)
    first = {"event_name": "ordered", "created_at": at, "user_id": "u-ada", "metadata": {"n": 1}}
    assert post_event(client, secret, **first).status_code == 202
    again = post_event(client, secret, **(first | {"metadata": {"n": 2}}))
    assert again.status_code == 202 and again.content == b""
    # Same name at another second, and another name at the same second, are new events.
    assert post_event(client, secret, **(first | {"created_at": at + 1})).status_code == 202
    assert post_event(client, secret, **(first | {"event_name": "paid"})).status_code == 202
    assert Event.objects.count() == 3
    first_kept = Event.objects.get(event_name="ordered", created_at=datetime.fromtimestamp(at, UTC))
    assert first_kept.metadata == {"n": 1}  # the first one sent wins, as at Intercom
    counts = dict(EventSummary.objects.values_list("event_name", "tracked_count"))
    assert counts == {"ordered": 2, "paid": 1}
    ordered = EventSummary.objects.get(event_name="ordered")
    assert unix_of(ordered.first_at) == at and unix_of(ordered.last_at) == at + 1


def unix_of(moment):
    return int(moment.timestamp())


def test_an_older_event_moves_first_back_and_leaves_last(ada):
    at = timezone.now().replace(microsecond=0)
    for offset in (0, -3600, -60):
        event_track(
            contact=ada,
            event_name="logged-in",
            created_at=at + timedelta(seconds=offset),
            metadata=None,
            source=Source.REST_API,
            actor=ACTOR,
        )
    summary = EventSummary.objects.get()
    assert (summary.count, summary.first_at, summary.last_at) == (
        3,
        at - timedelta(hours=1),
        at,
    )


def test_metadata_keeps_the_first_ten_keys_sent_and_records_the_rest(client, secret, ada):
    # Sent from k11 down to k00: the first ten sent are not the first ten in any sort order.
    metadata = {f"k{i:02d}": i for i in reversed(range(12))}
    metadata["k00"] = {"deeply": {"nested": True}}  # ignored, so not refused either
    response = post_event(
        client, secret, event_name="big", created_at=now_unix(), id=str(ada.pk), metadata=metadata
    )
    assert response.status_code == 202
    event = Event.objects.get()
    # PostgreSQL's jsonb keeps keys in its own order; which keys were kept is what matters.
    assert event.metadata == {f"k{i:02d}": i for i in range(2, 12)}
    assert event.dropped_metadata_keys == ["k01", "k00"]


def test_every_supported_metadata_type_is_kept(client, secret, ada):
    metadata = {
        "source": "desktop",
        "load": 3.67,
        "seats": 4,
        "contact_date": 1392036272,
        "article": {"url": "https://example.org/ab1de.html", "value": "the dude abides"},
        "price": {"amount": 34999, "currency": "EUR"},
        "beta": True,
        "coupon": None,
    }
    response = post_event(
        client,
        secret,
        event_name="bought",
        created_at=now_unix(),
        email="ada@example.com",
        metadata=metadata,
    )
    assert response.status_code == 202, response.content
    stored = Event.objects.get().metadata
    assert stored == metadata | {"price": {"amount": 34999, "currency": "eur"}}


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"plan": {"name": "Pro"}}, "Metadata 'plan' must be a string, number"),
        ({"tags": ["a", "b"]}, "Metadata 'tags' must be a string, number"),
        ({"price": {"amount": -5, "currency": "eur"}}, "Metadata 'price' is a monetary amount"),
        ({"price": {"amount": 9.5, "currency": "eur"}}, "whole cents"),
        ({"price": {"amount": 100, "currency": "euro"}}, "3-letter code"),
        ({"doc": {"url": "javascript:alert(1)", "value": "x"}}, "its url must be http(s)"),
        ({"doc": {"url": "https://x.example", "value": 3}}, "its value must be text"),
        ({"note": "x" * 2001}, "Metadata 'note' is longer than 2000"),
        ({"": "blank key"}, "Metadata keys must be 1 to 255"),
        # Milliseconds where seconds belong would be a date 50,000 years away.
        ({"signup_date": 1700000000000}, "send Unix seconds"),
        ({"price": {"amount": 10**400, "currency": "usd"}}, "whole cents"),
        ({"seats": 10**30}, "finite number below 2^63"),
    ],
)
def test_bad_metadata_is_refused_naming_the_key_and_nothing_is_written(
    client, secret, ada, metadata, message
):
    response = post_event(
        client, secret, event_name="x", created_at=now_unix(), user_id="u-ada", metadata=metadata
    )
    assert response.status_code == 400
    code, got = error_of(response)
    assert code == "parameter_invalid" and message in got
    assert nothing_written()


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        ({"event_name": "x", "created_at": 1}, 400, "parameter_not_found", "Send id or user_id"),
        (
            {"event_name": "x", "created_at": 1, "user_id": "u-ada", "email": "ada@example.com"},
            400,
            "parameter_invalid",
            "Send only one of id or user_id or email",
        ),
        ({"created_at": 1, "user_id": "u-ada"}, 400, "parameter_not_found", "event_name"),
        ({"event_name": "   ", "created_at": 1, "user_id": "u-ada"}, 400, "parameter_invalid", ""),
        ({"event_name": "x" * 256, "created_at": 1, "user_id": "u-ada"}, 400, "", "255"),
        ({"event_name": "x", "user_id": "u-ada"}, 400, "parameter_not_found", "created_at"),
        ({"event_name": "x", "created_at": -1, "user_id": "u-ada"}, 400, "", "Unix time"),
        ({"event_name": "x", "created_at": "soon", "user_id": "u-ada"}, 400, "", "created_at"),
        ({"event_name": "x", "created_at": 1, "user_id": "u-ada", "metadata": "a=b"}, 400, "", ""),
        (
            {"event_name": "x", "created_at": 1, "user_id": "u-ada", "colour": "b"},
            400,
            "",
            "colour",
        ),
        ({"event_name": "x", "created_at": 1, "user_id": "nobody"}, 404, "not_found", "User Not"),
        ({"event_name": "x", "created_at": 1, "id": "999999"}, 404, "not_found", "User Not"),
        ({"event_name": "x", "created_at": 1, "id": "abc"}, 404, "not_found", "User Not"),
        ({"event_name": "x", "created_at": 1, "email": "no@one.example"}, 404, "not_found", ""),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_written(
    client, secret, ada, body, status, code, message
):
    response = post_event(client, secret, **body)
    assert response.status_code == status, response.content
    got_code, got_message = error_of(response)
    assert code in got_code and message in got_message
    assert nothing_written()


def test_scopes_are_enforced_and_nothing_is_written(client, ada):
    _, read_only = api_token_create(name="Reader", scopes=["events:read"])
    _, write_only = api_token_create(name="Writer", scopes=["events:write"])
    _, contacts = api_token_create(name="Contacts", scopes=["contacts:read", "contacts:write"])
    body = {"event_name": "x", "created_at": now_unix(), "user_id": "u-ada"}
    for token in (read_only, contacts):
        refused = post_event(client, token, **body)
        assert refused.status_code == 403 and error_of(refused)[0] == "token_unauthorized"
        summaries = client.post(
            "/api/events/summaries",
            {
                "user_id": "u-ada",
                "event_summaries": {"event_name": "x", "count": 1, "first": 1, "last": 1},
            },
            content_type="application/json",
            headers=bearer(token),
        )
        assert summaries.status_code == 403
    assert nothing_written()
    for token in (write_only, contacts):
        listed = client.get("/api/events?type=user&user_id=u-ada", headers=bearer(token))
        assert listed.status_code == 403 and error_of(listed)[0] == "token_unauthorized"
    assert post_event(client, "sb_nope", **body).status_code == 401
    assert nothing_written()


# GET /events -------------------------------------------------------------------------------------


def test_list_is_newest_first_within_90_days_and_pages_by_next_link(
    client, secret, ada, django_assert_max_num_queries
):
    now = timezone.now().replace(microsecond=0)
    made = [
        EventFactory(
            contact=ada, event_name=f"e{i}", created_at=now - timedelta(hours=i), metadata={"i": i}
        )
        for i in range(7)
    ]
    # Two events in the same second: the cursor must not skip or repeat either.
    made.append(EventFactory(contact=ada, event_name="tie", created_at=now - timedelta(hours=3)))
    EventFactory(contact=ada, event_name="ancient", created_at=now - timedelta(days=91))
    EventFactory(event_name="someone-else")
    expected = [e.pk for e in sorted(made, key=lambda e: (e.created_at, e.pk), reverse=True)]

    url = "/api/events?type=user&user_id=u-ada&per_page=3"
    seen, pages = [], 0
    while url:
        with django_assert_max_num_queries(6):  # token, its last use, contact, events
            response = client.get(url, headers=bearer(secret))
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["type"] == "event.list" and len(body["events"]) <= 3
        seen += [int(e["id"]) for e in body["events"]]
        url = body["pages"]["next"]
        if url:
            assert url.startswith("http://testserver/api/events?")
            assert parse_qs(urlsplit(url).query)["user_id"] == ["u-ada"]
        pages += 1
    assert seen == expected and pages == 3
    first = client.get("/api/events?type=user&email=ada@example.com", headers=bearer(secret))
    item = first.json()["events"][0]
    assert item == {
        "type": "event",
        "id": str(made[0].pk),
        "event_name": "e0",
        "created_at": unix_of(now),
        "user_id": "u-ada",
        "intercom_user_id": str(ada.pk),
        "email": "ada@example.com",
        "metadata": {"i": 0},
    }
    by_id = client.get(f"/api/events?type=user&intercom_user_id={ada.pk}", headers=bearer(secret))
    assert [e["id"] for e in by_id.json()["events"]] == [str(pk) for pk in expected]


def test_list_query_count_does_not_grow_with_events(
    client, secret, ada, django_assert_max_num_queries
):
    EventFactory.create_batch(40, contact=ada)
    with django_assert_max_num_queries(6):
        body = client.get(
            "/api/events?type=user&user_id=u-ada&per_page=150", headers=bearer(secret)
        ).json()
    assert len(body["events"]) == 40 and body["pages"]["next"] is None


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("user_id=u-ada", 400, "parameter_invalid"),  # no type
        ("type=lead&user_id=u-ada", 400, "parameter_invalid"),
        ("type=user", 400, "parameter_not_found"),
        ("type=user&user_id=u-ada&email=ada@example.com", 400, "parameter_invalid"),
        ("type=user&user_id=u-ada&per_page=0", 400, "parameter_invalid"),
        ("type=user&user_id=u-ada&per_page=151", 400, "parameter_invalid"),
        ("type=user&user_id=u-ada&before=!!notacursor", 400, "parameter_invalid"),
        ("type=user&user_id=ghost", 404, "not_found"),
        ("type=user&intercom_user_id=999999", 404, "not_found"),
    ],
)
def test_list_refuses_bad_queries(client, secret, ada, query, status, code):
    response = client.get(f"/api/events?{query}", headers=bearer(secret))
    assert response.status_code == status and error_of(response)[0] == code


def test_summary_counts_every_tracked_and_imported_event(
    client, secret, ada, django_assert_max_num_queries
):
    at = now_unix(60)
    for offset in (0, 30, 60):
        post_event(client, secret, event_name="ordered", created_at=at + offset, user_id="u-ada")
    post_event(client, secret, event_name="ordered", created_at=at, user_id="u-ada")  # duplicate
    post_event(client, secret, event_name="logged-in", created_at=at - 3600, user_id="u-ada")
    # Events older than the 90-day list window still count in the summary.
    old = int((timezone.now() - timedelta(days=200)).timestamp())
    post_event(client, secret, event_name="logged-in", created_at=old, user_id="u-ada")
    with django_assert_max_num_queries(6):
        response = client.get(
            "/api/events?type=user&user_id=u-ada&summary=true", headers=bearer(secret)
        )
    body = response.json()
    assert {k: body[k] for k in ("type", "email", "intercom_user_id", "user_id")} == {
        "type": "event.summary",
        "email": "ada@example.com",
        "intercom_user_id": str(ada.pk),
        "user_id": "u-ada",
    }

    def iso(seconds):
        return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000+00:00")

    assert body["events"] == [
        {
            "name": "ordered",
            "first": iso(at),
            "last": iso(at + 60),
            "count": 3,
            "description": None,
        },
        {
            "name": "logged-in",
            "first": iso(old),
            "last": iso(at - 3600),
            "count": 2,
            "description": None,
        },
    ]


# POST /events/summaries --------------------------------------------------------------------------


def test_summaries_merge_idempotently_with_tracked_events(client, secret, ada):
    at = now_unix(60)
    post_event(client, secret, event_name="ordered", created_at=at, user_id="u-ada")
    earlier = at - 86400 * 365
    payload = {
        "user_id": "u-ada",
        "event_summaries": {"event_name": "ordered", "count": 41, "first": earlier, "last": at - 5},
    }
    for _ in range(2):  # a retried import does not double the count
        response = client.post(
            "/api/events/summaries",
            payload,
            content_type="application/json",
            headers=bearer(secret),
        )
        assert response.status_code == 200 and response.content == b""
    summary = EventSummary.objects.get(event_name="ordered")
    assert (summary.tracked_count, summary.imported_count, summary.count) == (1, 41, 42)
    assert (unix_of(summary.first_at), unix_of(summary.last_at)) == (earlier, at)
    # A list of summaries is taken too, and a new name needs no tracked event.
    client.post(
        "/api/events/summaries",
        {
            "user_id": "u-ada",
            "event_summaries": [
                {"event_name": "ordered", "count": 10, "first": earlier, "last": at - 5},
                {"event_name": "exported", "count": 3, "first": earlier, "last": earlier + 60},
            ],
        },
        content_type="application/json",
        headers=bearer(secret),
    )
    counts = {s.event_name: s.count for s in EventSummary.objects.all()}
    assert counts == {"ordered": 11, "exported": 3}
    assert Event.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        (
            {"event_summaries": {"event_name": "x", "count": 1, "first": 1, "last": 1}},
            400,
            "Send user_id",
        ),
        ({"user_id": "u-ada"}, 400, "event_summaries is required"),
        (
            {"user_id": "u-ada", "event_summaries": {"event_name": "x", "first": 1, "last": 1}},
            400,
            "event_summaries[0].count is required",
        ),
        (
            {
                "user_id": "u-ada",
                "event_summaries": {"event_name": "x", "count": -1, "first": 1, "last": 1},
            },
            400,
            "0 or more",
        ),
        (
            {
                "user_id": "u-ada",
                "event_summaries": {"event_name": "x", "count": 1, "first": 9, "last": 1},
            },
            400,
            "first is after its last",
        ),
        (
            {
                "user_id": "u-ada",
                "event_summaries": [
                    {"event_name": "ok", "count": 1, "first": 1, "last": 1},
                    {"event_name": "", "count": 1, "first": 1, "last": 1},
                ],
            },
            400,
            "event_summaries[1].event_name",
        ),
        (
            {
                "user_id": "ghost",
                "event_summaries": {"event_name": "x", "count": 1, "first": 1, "last": 1},
            },
            404,
            "User Not Found",
        ),
        (
            {
                "user_id": "u-ada",
                "event_summaries": {"event_name": "x", "count": 10**20, "first": 1, "last": 1},
            },
            400,
            "below 2^63",
        ),
    ],
)
def test_bad_summaries_are_refused_and_nothing_is_written(
    client, secret, ada, payload, status, message
):
    response = client.post(
        "/api/events/summaries", payload, content_type="application/json", headers=bearer(secret)
    )
    assert response.status_code == status, response.content
    assert message in error_of(response)[1]
    assert nothing_written()


def test_openapi_documents_the_event_endpoints(client):
    doc = client.get("/api/openapi.json").json()
    create = doc["paths"]["/api/events"]["post"]
    assert create["summary"] == "Submit a data event"
    assert "content" not in create["responses"]["202"]  # 202 with an empty body
    listed = doc["paths"]["/api/events"]["get"]["responses"]["200"]["content"]
    refs = {s["$ref"] for s in listed["application/json"]["schema"]["anyOf"]}
    assert refs == {"#/components/schemas/EventListOut", "#/components/schemas/EventSummaryOut"}
    summaries = doc["paths"]["/api/events/summaries"]["post"]
    assert summaries["summary"] == "Create event summaries"
    assert "content" not in summaries["responses"]["200"]


# The official SDK --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_official_sdk_tracks_lists_and_summarises_events(intercom):
    from intercom import (
        CreateDataEventRequestWithEmail,
        CreateDataEventRequestWithId,
        CreateDataEventRequestWithUserId,
    )
    from intercom.events import CreateDataEventSummariesRequestEventSummaries

    ada = ContactFactory(external_id="u-ada", values={"name": "Ada", "email": "ada@example.com"})
    _, secret = api_token_create(
        name="SDK", scopes=["events:read", "events:write", "contacts:read"]
    )
    client = intercom(secret)
    at = now_unix(30)
    client.events.create(
        request=CreateDataEventRequestWithUserId(
            user_id="u-ada",
            event_name="invited-friend",
            created_at=at,
            metadata={"invite_code": "ADDAFRIEND"},
        )
    )
    client.events.create(
        request=CreateDataEventRequestWithId(
            id=str(ada.pk), event_name="invited-friend", created_at=at + 1
        )
    )
    client.events.create(
        request=CreateDataEventRequestWithEmail(
            email="ada@example.com", event_name="invited-friend", created_at=at
        )
    )  # a duplicate of the first: accepted, not counted
    # The typed requests only allow string metadata; a plain dict sends any JSON.
    client.events.create(
        request={
            "user_id": "u-ada",
            "event_name": "ordered",
            "created_at": at + 2,
            "metadata": {"price": {"amount": 34999, "currency": "eur"}, "items": 3},
        }
    )
    client.events.summaries(
        user_id="u-ada",
        event_summaries=CreateDataEventSummariesRequestEventSummaries(
            event_name="ordered", count=9, first=at - 86400, last=at - 3600
        ),
    )

    summary = client.events.list(type="user", user_id="u-ada", summary=True)
    assert (summary.type, summary.user_id, summary.email) == (
        "event.summary",
        "u-ada",
        "ada@example.com",
    )
    counts = {item.name: item.count for item in summary.events}
    assert counts == {"invited-friend": 2, "ordered": 10}

    listed = client.events.list(type="user", email="ada@example.com", per_page=2)
    raw = listed.dict() if hasattr(listed, "dict") else dict(listed)
    assert [e["event_name"] for e in raw["events"]] == ["ordered", "invited-friend"]
    assert raw["events"][0]["metadata"] == {
        "price": {"amount": 34999, "currency": "eur"},
        "items": 3,
    }
    assert raw["pages"]["next"]

    from intercom.core.api_error import ApiError as SdkError

    with pytest.raises(SdkError) as missing:
        client.events.create(
            request=CreateDataEventRequestWithUserId(user_id="ghost", event_name="x", created_at=at)
        )
    assert missing.value.status_code == 404
    assert Event.objects.count() == 3


# Concurrency (PostgreSQL) ------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_and_distinct_events_are_counted_exactly():
    contact = ContactFactory()
    at = timezone.now().replace(microsecond=0)
    writers, rounds = 6, 15
    barrier = threading.Barrier(writers)
    errors = []

    def writer(n):
        try:
            barrier.wait()
            for i in range(rounds):
                # Every writer sends the same `rounds` events (duplicates of each other) and
                # one of its own, all of a name that has no summary row yet.
                for seconds in (i, 1000 + n * rounds + i):
                    event_track(
                        contact=contact,
                        event_name="clicked",
                        created_at=at + timedelta(seconds=seconds),
                        metadata={"writer": n},
                        source=Source.REST_API,
                        actor=ACTOR,
                    )
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    expected = rounds + writers * rounds
    assert Event.objects.count() == expected
    summary = EventSummary.objects.get()
    assert summary.tracked_count == expected
    assert summary.first_at == at
    assert summary.last_at == at + timedelta(seconds=1000 + (writers - 1) * rounds + rounds - 1)


def test_the_contact_page_survives_metadata_stored_before_it_was_checked(client):
    from tests.factories import EventFactory, EventSummaryFactory, UserFactory

    event = EventFactory(metadata={"signup_date": 1700000000000, "price": {"amount": 10**30}})
    EventSummaryFactory(contact=event.contact, event_name=event.event_name)
    client.force_login(UserFactory(role="Viewer"))
    response = client.get(f"/contacts/{event.contact_id}/")
    assert response.status_code == 200
    assert b"1700000000000" in response.content


def test_summaries_are_at_most_100_in_one_request(client, secret, ada):
    """30,000 summaries ran into the worker timeout; now the list is refused before any
    write, naming the limit (issue 16, finding 3)."""
    item = {"event_name": "x", "count": 1, "first": 1, "last": 1}
    for sent in (101, 30_000):
        response = client.post(
            "/api/events/summaries",
            {"user_id": "u-ada", "event_summaries": [item] * sent},
            content_type="application/json",
            headers=bearer(secret),
        )
        assert response.status_code == 400, response.content
        assert error_of(response) == (
            "parameter_invalid",
            f"event_summaries: at most 100 items in one request (this one has {sent}).",
        )
    assert not EventSummary.objects.exists()
    response = client.post(
        "/api/events/summaries",
        {"user_id": "u-ada", "event_summaries": [item] * 100},
        content_type="application/json",
        headers=bearer(secret),
    )
    assert response.status_code == 200, response.content


def test_summaries_come_in_pages_that_link_to_the_next(client, secret, ada):
    """A contact with thousands of event names got them all in one answer (issue 16, finding
    4); now a page at a time, `pages.next` naming the next as the event list does."""
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    EventSummary.objects.bulk_create(
        EventSummary(
            contact=ada,
            event_name=f"did-{n:03}",
            first_at=moment,
            last_at=moment + timedelta(minutes=n % 7),  # ties on the time: the id decides
            tracked_count=1,
        )
        for n in range(160)
    )
    first = client.get("/api/events?type=user&user_id=u-ada&summary=true", headers=bearer(secret))
    assert first.status_code == 200, first.content
    body = first.json()
    assert len(body["events"]) == 150  # the longest page of events
    seen = [e["name"] for e in body["events"]]
    url = body["pages"]["next"]
    while url:
        parts = urlsplit(url)
        assert parse_qs(parts.query)["summary"] == ["true"]
        page = client.get(f"{parts.path}?{parts.query}", headers=bearer(secret)).json()
        assert len(page["events"]) <= 150
        seen += [e["name"] for e in page["events"]]
        url = page["pages"]["next"]
    assert sorted(seen) == [f"did-{n:03}" for n in range(160)]
    small = client.get(
        "/api/events?type=user&user_id=u-ada&summary=true&per_page=40", headers=bearer(secret)
    ).json()
    assert len(small["events"]) == 40 and small["pages"]["next"]
    # Most recently done first, across pages.
    lasts = [e["last"] for e in body["events"]]
    assert lasts == sorted(lasts, reverse=True)
    bad = client.get(
        "/api/events?type=user&user_id=u-ada&summary=true&before=nope", headers=bearer(secret)
    )
    assert bad.status_code == 400 and error_of(bad) == (
        "parameter_invalid",
        "before is not a valid cursor.",
    )


def test_metadata_of_more_than_100_keys_is_refused(client, secret, ada):
    """Intercom keeps ten keys and ignores the rest, which Switchboard lists as ignored: 20,000
    keys were all stored as ignored names. Up to 100 are taken as before."""
    for keys, status in ((101, 400), (100, 202)):
        response = post_event(
            client,
            secret,
            event_name=f"sent-{keys}",
            created_at=now_unix(1),
            user_id="u-ada",
            metadata={f"k{n}": n for n in range(keys)},
        )
        assert response.status_code == status, response.content
    assert error_of(
        post_event(
            client,
            secret,
            event_name="wide",
            created_at=now_unix(1),
            user_id="u-ada",
            metadata={f"k{n}": n for n in range(20_000)},
        )
    ) == ("parameter_invalid", "metadata: at most 100 items in one request.")
    assert Event.objects.get().dropped_metadata_keys == [f"k{n}" for n in range(10, 100)]
