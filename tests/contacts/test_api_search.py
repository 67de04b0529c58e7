"""Contact search (Intercom's query language), find by external id, archive and merge."""

from datetime import UTC, datetime

import pytest
from django.test import override_settings

from contacts.models import Contact, Event, EventSummary, Role
from core.write_guard import writes_allowed
from inbox.models import Conversation
from qualification.models import AttributeChange, DataType
from tests.api_helpers import bearer, error_of
from tests.factories import (
    CompanyFactory,
    CompanyMembershipFactory,
    ContactFactory,
    ConversationFactory,
    DataAttributeFactory,
    EventFactory,
    EventSummaryFactory,
    SegmentMembershipFactory,
    TagFactory,
    given_tags,
)
from workspace.tokens import api_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret():
    return api_token_create(name="Search", scopes=["contacts:read", "contacts:write"])[1]


def unix(*args):
    return int(datetime(*args, tzinfo=UTC).timestamp())


@pytest.fixture
def people():
    DataAttributeFactory(name="seats", data_type=DataType.INTEGER)
    DataAttributeFactory(name="plan", data_type=DataType.OPTIONS, options=["Free", "Pro"])
    DataAttributeFactory(name="renews_on", data_type=DataType.DATE)
    DataAttributeFactory(name="trial_ends_at", data_type=DataType.DATETIME)
    DataAttributeFactory(name="vip", data_type=DataType.BOOLEAN)
    found = {
        "ada": ContactFactory(
            values={
                "name": "Ada Lovelace",
                "email": "ada@Analytical.io",
                "seats": 12,
                "plan": "Pro",
                "renews_on": "2026-03-01",
                "trial_ends_at": "2026-02-01T23:30:00Z",
                "vip": True,
            }
        ),
        "grace": ContactFactory(
            values={
                "name": "Grace Hopper",
                "email": "grace@navy.mil",
                "seats": 3,
                "plan": "Free",
                "vip": False,
            }
        ),
        "alan": ContactFactory(
            values={"name": "Alan Turing", "email": "alan@analytical.io", "seats": 40}
        ),
        "lead": ContactFactory(role=Role.LEAD, values={"name": "Anonymous lead"}),
    }
    # Sign-up times come from the customer's app; set them as it would have.
    for key, moment in (("ada", (2026, 1, 10, 9, 30)), ("grace", (2026, 1, 11, 0, 0))):
        with writes_allowed():
            Contact.objects.filter(pk=found[key].pk).update(
                signed_up_at=datetime(*moment, tzinfo=UTC)
            )
    return found


def search(client, secret, query, **pagination):
    body = {"query": query}
    if pagination:
        body["pagination"] = pagination
    return client.post(
        "/api/contacts/search", body, content_type="application/json", headers=bearer(secret)
    )


def names(response):
    assert response.status_code == 200, response.content
    return sorted(c["name"] for c in response.json()["data"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"field": "email", "operator": "=", "value": "ADA@analytical.io"}, ["Ada Lovelace"]),
        (
            {"field": "email_domain", "operator": "=", "value": "analytical.io"},
            ["Ada Lovelace", "Alan Turing"],
        ),
        ({"field": "name", "operator": "~", "value": "hop"}, ["Grace Hopper"]),
        (
            {"field": "name", "operator": "!~", "value": "a"},
            [],
        ),
        ({"field": "name", "operator": "^", "value": "al"}, ["Alan Turing"]),
        ({"field": "name", "operator": "$", "value": "LACE"}, ["Ada Lovelace"]),
        ({"field": "role", "operator": "=", "value": "lead"}, ["Anonymous lead"]),
        (
            {"field": "role", "operator": "!=", "value": "lead"},
            ["Ada Lovelace", "Alan Turing", "Grace Hopper"],
        ),
        (
            {"field": "name", "operator": "IN", "value": ["grace hopper", "Alan Turing"]},
            ["Alan Turing", "Grace Hopper"],
        ),
        (
            {"field": "name", "operator": "NIN", "value": ["Grace Hopper", "Alan Turing"]},
            ["Ada Lovelace", "Anonymous lead"],
        ),
        ({"field": "phone", "operator": "!=", "value": None}, []),
        # Timestamps match whole days in the workspace's time zone.
        ({"field": "signed_up_at", "operator": "=", "value": unix(2026, 1, 10)}, ["Ada Lovelace"]),
        (
            {"field": "signed_up_at", "operator": ">", "value": unix(2026, 1, 10, 18)},
            ["Grace Hopper"],
        ),
        (
            {"field": "signed_up_at", "operator": "<", "value": unix(2026, 1, 11, 12)},
            ["Ada Lovelace"],
        ),
        # Custom attributes take the type they were defined with.
        (
            {"field": "custom_attributes.seats", "operator": ">=", "value": 12},
            ["Ada Lovelace", "Alan Turing"],
        ),
        ({"field": "custom_attributes.seats", "operator": "<", "value": "4"}, ["Grace Hopper"]),
        (
            {"field": "custom_attributes.seats", "operator": "IN", "value": [3, 40]},
            ["Alan Turing", "Grace Hopper"],
        ),
        ({"field": "custom_attributes.plan", "operator": "=", "value": "pro"}, ["Ada Lovelace"]),
        (
            {"field": "custom_attributes.plan", "operator": "=", "value": None},
            ["Alan Turing", "Anonymous lead"],
        ),
        ({"field": "custom_attributes.vip", "operator": "=", "value": True}, ["Ada Lovelace"]),
        (
            {"field": "custom_attributes.vip", "operator": "!=", "value": True},
            ["Alan Turing", "Anonymous lead", "Grace Hopper"],
        ),
        (
            {
                "field": "custom_attributes.renews_on",
                "operator": "=",
                "value": unix(2026, 3, 1, 15),
            },
            ["Ada Lovelace"],
        ),
        (
            {
                "field": "custom_attributes.trial_ends_at",
                "operator": "=",
                "value": unix(2026, 2, 1),
            },
            ["Ada Lovelace"],
        ),
        (
            {
                "field": "custom_attributes.trial_ends_at",
                "operator": ">",
                "value": unix(2026, 2, 1),
            },
            [],
        ),
        # Fields Intercom has and Switchboard does not record: every contact has none.
        (
            {"field": "has_hard_bounced", "operator": "=", "value": False},
            ["Ada Lovelace", "Alan Turing", "Anonymous lead", "Grace Hopper"],
        ),
        ({"field": "last_email_opened_at", "operator": ">", "value": unix(2020, 1, 1)}, []),
        # Groups nest two deep: (Pro OR many seats) AND a domain.
        (
            {
                "operator": "AND",
                "value": [
                    {
                        "operator": "OR",
                        "value": [
                            {"field": "custom_attributes.plan", "operator": "=", "value": "Free"},
                            {"field": "custom_attributes.seats", "operator": ">", "value": 20},
                        ],
                    },
                    {"field": "email", "operator": "$", "value": "analytical.io"},
                ],
            },
            ["Alan Turing"],
        ),
    ],
)
def test_operators_by_field_type(client, secret, people, query, expected):
    assert names(search(client, secret, query)) == expected


def test_timestamps_use_the_workspace_time_zone(client, secret, people):
    # Ada signed up at 09:30 UTC on 10 January: that is still 9 January in Honolulu (UTC-10),
    # where Grace's midnight sign-up on the 11th is the 10th.
    query = {"field": "signed_up_at", "operator": "=", "value": unix(2026, 1, 10, 12)}
    with override_settings(TIME_ZONE="Pacific/Honolulu"):
        assert names(search(client, secret, query)) == ["Grace Hopper"]


def test_tags_and_segments(client, secret, people):
    vip = TagFactory(name="VIP")
    given_tags(people["grace"], vip)
    membership = SegmentMembershipFactory(contact=people["alan"])
    assert names(
        search(client, secret, {"field": "tag_id", "operator": "=", "value": str(vip.pk)})
    ) == ["Grace Hopper"]
    assert (
        len(
            search(
                client, secret, {"field": "tag_id", "operator": "!=", "value": str(vip.pk)}
            ).json()["data"]
        )
        == 3
    )
    assert names(
        search(
            client,
            secret,
            {"field": "segment_id", "operator": "=", "value": str(membership.segment_id)},
        )
    ) == ["Alan Turing"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"field": "signed_up_at", "operator": "!=", "value": 0},
            "The '!=' operator does not work on signed_up_at (date); use one of <, =, >.",
        ),
        (
            {"field": "custom_attributes.seats", "operator": "~", "value": "1"},
            "The '~' operator does not work on custom_attributes.seats (integer)",
        ),
        ({"field": "tag_id", "operator": "IN", "value": ["1"]}, "does not work on tag_id"),
        ({"field": "custom_attributes.nope", "operator": "=", "value": 1}, "'nope' does not exist"),
        ({"field": "shoe_size", "operator": "=", "value": 1}, "'shoe_size' is not a field"),
        ({"field": "created_at", "operator": "=", "value": "yesterday"}, "a Unix timestamp"),
        ({"field": "name", "operator": "IN", "value": "Ada"}, "needs a list of values"),
        ({"operator": "AND", "value": []}, "must be a list of queries"),
        (
            {"operator": "OR", "value": [{"field": "name", "operator": "=", "value": "x"}] * 16},
            "at most 15 queries",
        ),
        (
            {
                "operator": "AND",
                "value": [
                    {
                        "operator": "OR",
                        "value": [
                            {
                                "operator": "AND",
                                "value": [{"field": "name", "operator": "=", "value": "x"}],
                            }
                        ],
                    }
                ],
            },
            "at most 2 levels",
        ),
    ],
)
def test_bad_queries_say_what_to_change(client, secret, people, query, message):
    response = search(client, secret, query)
    assert response.status_code == 400
    code, text = error_of(response)
    assert code == "parameter_invalid" and message in text


def test_search_pages_with_the_cursor_in_the_body(client, secret, django_assert_max_num_queries):
    everyone = ContactFactory.create_batch(7)
    for contact in everyone:
        given_tags(contact, TagFactory(name="t"))
        CompanyMembershipFactory(contact=contact)
    query = {"field": "role", "operator": "=", "value": "user"}
    seen, cursor = [], None
    while True:
        with django_assert_max_num_queries(8):
            page = search(client, secret, query, per_page=3, starting_after=cursor).json()
        assert page["total_count"] == 7
        seen += [c["id"] for c in page["data"]]
        if not page["pages"]["next"]:
            break
        cursor = page["pages"]["next"]["starting_after"]
    assert seen == [str(c.pk) for c in everyone]
    assert page["pages"]["total_pages"] == 3
    assert search(client, secret, query, per_page=151).status_code == 400


def test_search_needs_the_read_scope(client):
    _, other = api_token_create(name="Companies only", scopes=["companies:read"])
    response = search(client, other, {"field": "name", "operator": "=", "value": "x"})
    assert response.status_code == 403


def test_find_by_external_id_finds_users_only(client, secret):
    user = ContactFactory(external_id="cus_42")
    found = client.get("/api/contacts/find_by_external_id/cus_42", headers=bearer(secret))
    assert found.json()["id"] == str(user.pk)
    missing = client.get("/api/contacts/find_by_external_id/cus_43", headers=bearer(secret))
    assert missing.status_code == 404 and error_of(missing) == ("not_found", "User Not Found")


def test_archive_and_unarchive(client, secret):
    contact = ContactFactory(external_id="ext-1")
    archived = client.post(f"/api/contacts/{contact.pk}/archive", headers=bearer(secret))
    assert archived.json() == {
        "type": "contact",
        "id": str(contact.pk),
        "external_id": "ext-1",
        "archived": True,
    }
    contact.refresh_from_db()
    assert contact.archived is True
    version = contact.version
    # Archiving again changes nothing.
    client.post(f"/api/contacts/{contact.pk}/archive", headers=bearer(secret))
    contact.refresh_from_db()
    assert contact.version == version
    unarchived = client.post(f"/api/contacts/{contact.pk}/unarchive", headers=bearer(secret))
    assert unarchived.json()["archived"] is False
    contact.refresh_from_db()
    assert contact.archived is False
    _, reader = api_token_create(name="Reader", scopes=["contacts:read"])
    refused = client.post(f"/api/contacts/{contact.pk}/archive", headers=bearer(reader))
    assert refused.status_code == 403
    contact.refresh_from_db()
    assert contact.archived is False


def test_merge_a_lead_into_a_user(client, secret):
    DataAttributeFactory(name="seats", data_type=DataType.INTEGER)
    DataAttributeFactory(name="source", data_type=DataType.STRING)
    user = ContactFactory(values={"name": "Ada", "email": "ada@example.com", "seats": 3})
    lead = ContactFactory(
        role=Role.LEAD,
        values={"name": "Visitor", "phone": "+44 20 7946 0000", "seats": 99, "source": "ad"},
    )
    webinar = TagFactory(name="Webinar")
    given_tags(lead, webinar)
    company = CompanyFactory()
    CompanyMembershipFactory(contact=lead, company=company)
    conversation = ConversationFactory(contact=lead)
    moment = datetime(2026, 5, 1, 12, tzinfo=UTC)
    later = datetime(2026, 6, 1, 12, tzinfo=UTC)
    # The same event on both (kept once), and one only the lead has.
    EventFactory(contact=lead, event_name="opened-app", created_at=moment)
    EventFactory(contact=user, event_name="opened-app", created_at=moment)
    EventFactory(contact=lead, event_name="opened-app", created_at=later)
    EventSummaryFactory(
        contact=lead, event_name="opened-app", tracked_count=2, first_at=moment, last_at=later
    )
    EventSummaryFactory(
        contact=user, event_name="opened-app", tracked_count=1, first_at=moment, last_at=moment
    )
    EventSummaryFactory(contact=lead, event_name="invited", first_at=moment, last_at=moment)

    response = client.post(
        "/api/contacts/merge",
        {"from": str(lead.pk), "into": str(user.pk)},
        content_type="application/json",
        headers=bearer(secret),
    )
    assert response.status_code == 200, response.content
    merged = response.json()
    # The user keeps its own values and gains the lead's where it had none.
    assert (merged["name"], merged["phone"]) == ("Ada", "+44 20 7946 0000")
    assert merged["custom_attributes"] == {"seats": 3, "source": "ad"}
    assert [t["id"] for t in merged["tags"]["data"]] == [str(webinar.pk)]
    assert [c["id"] for c in merged["companies"]["data"]] == [str(company.pk)]
    assert Conversation.objects.get(pk=conversation.pk).contact_id == user.pk
    assert not Contact.objects.filter(pk=lead.pk).exists()
    assert sorted(Event.objects.filter(contact=user).values_list("created_at", flat=True)) == [
        moment,
        later,
    ]
    summaries = {
        s.event_name: (s.count, s.first_at, s.last_at)
        for s in EventSummary.objects.filter(contact=user)
    }
    assert summaries == {"opened-app": (3, moment, later), "invited": (1, moment, moment)}
    gone = client.get(f"/api/contacts/{lead.pk}", headers=bearer(secret))
    assert gone.status_code == 404
    change = AttributeChange.objects.get(target_id=user.pk, attribute_name="source")
    assert (change.source, change.reason) == ("rest_api", f"Merged from lead {lead.pk}")


@pytest.mark.parametrize("swap", [True, False])
def test_merge_refuses_anything_but_lead_into_user(client, secret, swap):
    user = ContactFactory()
    other = ContactFactory() if not swap else ContactFactory(role=Role.LEAD)
    body = {"from": str(user.pk), "into": str(other.pk)}
    response = client.post(
        "/api/contacts/merge", body, content_type="application/json", headers=bearer(secret)
    )
    assert response.status_code == 400
    assert "only a lead can be merged" in error_of(response)[1]
    assert Contact.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_sdk_searches_with_nested_filters_and_pages_by_hand(intercom):
    from intercom.types import (
        MultipleFilterSearchRequest,
        SingleFilterSearchRequest,
        StartingAfterPaging,
    )

    DataAttributeFactory(name="seats", data_type=DataType.INTEGER)
    for seats in range(1, 8):
        ContactFactory(values={"name": f"Customer {seats}", "seats": seats})
    ContactFactory(role=Role.LEAD, values={"name": "Lead", "seats": 5})
    _, token = api_token_create(name="SDK", scopes=["contacts:read", "contacts:write"])
    client = intercom(token)
    # The SDK's models take a list of filters or a list of groups, never both in one group.
    query = MultipleFilterSearchRequest(
        operator="AND",
        value=[
            MultipleFilterSearchRequest(
                operator="AND",
                value=[SingleFilterSearchRequest(field="role", operator="=", value="user")],
            ),
            MultipleFilterSearchRequest(
                operator="OR",
                value=[
                    SingleFilterSearchRequest(
                        field="custom_attributes.seats", operator="<=", value=2
                    ),
                    SingleFilterSearchRequest(
                        field="custom_attributes.seats", operator=">", value=4
                    ),
                ],
            ),
        ],
    )
    # The SDK's pager re-sends the first page's body forever (its bug), so follow the cursor
    # by hand, as Intercom's own notes advise.
    pager = client.contacts.search(query=query, pagination=StartingAfterPaging(per_page=2))
    found = [c.name for c in pager.response.data]
    cursor = pager.response.pages.next.starting_after
    while cursor:
        pager = client.contacts.search(
            query=query, pagination=StartingAfterPaging(per_page=2, starting_after=cursor)
        )
        found += [c.name for c in pager.response.data]
        cursor = pager.response.pages.next.starting_after if pager.response.pages.next else None
    assert found == [f"Customer {n}" for n in (1, 2, 5, 6, 7)]

    lead = Contact.objects.get(role=Role.LEAD)
    user = Contact.objects.filter(role=Role.USER).first()
    merged = client.contacts.merge_lead_in_user(lead_id=str(lead.pk), contact_id=str(user.pk))
    assert merged.id == str(user.pk)
    user.refresh_from_db()
    archived = client.contacts.archive(str(user.pk))
    assert archived.archived is True
    assert client.contacts.unarchive(str(user.pk)).archived is False
    found = client.contacts.show_contact_by_external_id(user.external_id)
    assert found.id == str(user.pk)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"field": "email", "operator": ["="], "value": "x"}, "operator does not work"),
        ({"field": "owner_id", "operator": "=", "value": "1e999"}, "must be a number"),
        ({"field": "owner_id", "operator": "=", "value": "nan"}, "must be a number"),
        ({"field": "owner_id", "operator": ">", "value": 10**30}, "must be a number"),
        ({"field": "custom_attributes.seats", "operator": "=", "value": "inf"}, "a number"),
        ({"field": "created_at", "operator": "=", "value": 253402300000}, "from 1970 to 9999"),
        ({"field": "name", "operator": "IN", "value": ["x"] * 1001}, "at most 1000 values"),
    ],
)
def test_hostile_values_are_refused_not_server_errors(client, secret, people, query, message):
    response = search(client, secret, query)
    assert response.status_code == 400, response.content
    assert message in error_of(response)[1]


def test_ids_that_only_look_like_digits_match_no_one(client, secret, people):
    # "²".isdigit() is true, but it is no id.
    assert names(search(client, secret, {"field": "id", "operator": "=", "value": "²"})) == []
    assert client.get("/api/contacts/²", headers=bearer(secret)).status_code == 404


# The whole query's cost (issue 16, finding 1) ---------------------------------------------


def _or_of_ands(groups: int, filters: int, values: int, field: str = "name") -> dict:
    return {
        "operator": "OR",
        "value": [
            {
                "operator": "AND",
                "value": [
                    {
                        "field": field,
                        "operator": "IN",
                        "value": [f"v{g}-{f}-{v}" for v in range(values)],
                    }
                    for f in range(filters)
                ],
            }
            for g in range(groups)
        ],
    }


def test_a_search_holds_at_most_100_filters_in_all(client, secret, people):
    # Every group is within Intercom's 15, but 8 groups of 13 name 104 filters in all.
    response = search(client, secret, _or_of_ands(groups=8, filters=13, values=1))
    assert response.status_code == 400, response.content
    assert error_of(response) == (
        "parameter_invalid",
        "A search holds at most 100 filters in all; split the search.",
    )
    assert names(search(client, secret, _or_of_ands(groups=10, filters=10, values=1))) == []


def test_a_search_lists_at_most_1000_values_in_all(client, secret, people):
    # Each IN is far under its own 1,000: 15 x 15 x 100 is the finding's 22,500-value query.
    for query in (
        _or_of_ands(groups=15, filters=15, values=100),
        _or_of_ands(groups=2, filters=2, values=251),
    ):
        response = search(client, secret, query)
        assert response.status_code == 400, response.content
        code, message = error_of(response)
        assert message == (
            "A search lists at most 1000 values in all (IN and NIN together); split the search."
        )
    assert names(search(client, secret, _or_of_ands(groups=2, filters=2, values=250))) == []


def test_building_a_search_names_each_attribute_once(people):
    """An alias per filter or per value made building the query quadratic (15 x 15 x 100
    values on one custom attribute took 35 s of Python); now each attribute is named once and
    each IN list is one SQL IN, so the query grows linearly with what it lists."""
    from contacts.search import ContactSearch

    query = _or_of_ands(groups=5, filters=10, values=20, field="custom_attributes.plan")
    built = ContactSearch(query).queryset().query
    assert len(built.annotations) <= 2  # the attribute's text, and that text upper-cased
    sql, params = built.sql_with_params()
    # One parameter per value, and a few per filter (SQLite repeats a JSON path per use).
    assert len(params) <= 5 * 10 * (20 + 3) and sql.count("UPPER(%s)") == 5 * 10 * 20


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            {"field": "custom_attributes.plan", "operator": "IN", "value": ["PRO", "nope"]},
            ["Ada Lovelace"],
        ),
        (
            {"field": "custom_attributes.plan", "operator": "NIN", "value": ["pro"]},
            ["Alan Turing", "Anonymous lead", "Grace Hopper"],
        ),
        (
            {"field": "custom_attributes.plan", "operator": "NIN", "value": ["pro", None]},
            ["Grace Hopper"],
        ),
        (
            {"field": "custom_attributes.plan", "operator": "IN", "value": [None, "free"]},
            ["Alan Turing", "Anonymous lead", "Grace Hopper"],
        ),
        (
            {"field": "email", "operator": "NIN", "value": ["ADA@analytical.io"]},
            ["Alan Turing", "Anonymous lead", "Grace Hopper"],
        ),
        (
            {"field": "email", "operator": "NIN", "value": ["ada@analytical.io", None]},
            ["Alan Turing", "Grace Hopper"],
        ),
        (
            {"field": "email_domain", "operator": "IN", "value": ["ANALYTICAL.io", "x.io"]},
            ["Ada Lovelace", "Alan Turing"],
        ),
        ({"field": "role", "operator": "IN", "value": ["LEAD"]}, ["Anonymous lead"]),
        (
            {"field": "custom_attributes.vip", "operator": "IN", "value": [False, "false"]},
            ["Grace Hopper"],
        ),
        (
            {"field": "custom_attributes.seats", "operator": "NIN", "value": [3, 40.0]},
            ["Ada Lovelace", "Anonymous lead"],
        ),
    ],
)
def test_in_and_nin_as_one_list(client, secret, people, query, expected):
    assert names(search(client, secret, query)) == expected
