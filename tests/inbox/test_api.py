"""Conversations over the REST API: plain HTTP for every shape, error and scope, the inbox
showing what the API made, and the official python-intercom SDK against a live server."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from inbox import services
from inbox.models import Conversation, ConversationPart, ConversationState, PartKind
from tests.api_helpers import bearer, error_of
from tests.factories import (
    TEST_ACTOR,
    ContactFactory,
    ConversationFactory,
    UserFactory,
)
from workspace.tokens import api_token_create

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def secret():
    # contacts:read too: a reply naming someone else then learns whether they exist (404).
    return api_token_create(
        name="Support sync", scopes=["conversations:read", "conversations:write", "contacts:read"]
    )[1]


def post(client, secret, path, payload):
    return client.post(path, payload, content_type=JSON, headers=bearer(secret))


def started(contact, body="Hello there", *, at=None, subject=""):
    return services.conversation_start(contact=contact, subject=subject, body=body, at=at)


def snapshot():
    """Everything a conversation write could change."""
    return (
        list(Conversation.objects.order_by("pk").values()),
        list(ConversationPart.objects.order_by("pk").values()),
    )


# Create ----------------------------------------------------------------------------------------


def test_create_starts_a_conversation_that_the_inbox_shows(client, secret, agent):
    contact = ContactFactory(external_id="u-7", values={"name": "Ada", "email": "ada@example.com"})
    response = post(
        client,
        secret,
        "/api/conversations",
        {"from": {"type": "user", "id": str(contact.pk)}, "body": "My invoice is wrong"},
    )
    assert response.status_code == 200, response.content
    conversation = Conversation.objects.get()
    part = conversation.parts.get()
    assert response.json() == {
        "type": "user_message",
        "id": str(part.pk),
        "created_at": int(part.created_at.timestamp()),
        "body": "My invoice is wrong",
        "message_type": "inapp",
        "conversation_id": str(conversation.pk),
    }
    assert (conversation.contact, conversation.state, conversation.subject) == (contact, "open", "")
    assert (part.kind, part.author_contact, part.author_user) == (
        PartKind.CUSTOMER_MESSAGE,
        contact,
        None,
    )

    client.force_login(agent)
    inbox = client.get("/inbox/")
    assert [c.pk for c in inbox.context["page"].items] == [conversation.pk]
    assert f'href="/inbox/conversations/{conversation.pk}/"' in inbox.content.decode()
    assert "My invoice is wrong" in inbox.content.decode()
    page = client.get(f"/inbox/conversations/{conversation.pk}/")
    assert page.status_code == 200
    assert '<div class="part-body">My invoice is wrong</div>' in page.content.decode()


def test_markup_sent_over_the_api_never_reaches_the_inbox_as_markup(client, secret, agent):
    contact = ContactFactory()
    created = post(
        client,
        secret,
        "/api/conversations",
        {
            "from": {"type": "user", "id": str(contact.pk)},
            "body": '<script>alert("x")</script><b>bold</b>',
        },
    )
    conversation_id = created.json()["conversation_id"]
    # A new conversation's body is text (Intercom: "HTML is not supported"): kept as sent.
    assert ConversationPart.objects.get().body == '<script>alert("x")</script><b>bold</b>'
    replied = post(
        client,
        secret,
        f"/api/conversations/{conversation_id}/reply",
        {
            "message_type": "comment",
            "type": "admin",
            "admin_id": str(agent.pk),
            "body": '<p>Hi <img src=x onerror="alert(1)"><script>alert(2)</script></p>'
            "<p>&lt;script&gt;not code&lt;/script&gt;</p>",
        },
    )
    assert replied.status_code == 200, replied.content
    # A reply's body is HTML (as in Intercom) and is kept as the text it shows.
    reply = ConversationPart.objects.get(kind=PartKind.REPLY)
    assert reply.body == "Hi\n\n<script>not code</script>"
    assert replied.json()["conversation_parts"]["conversation_parts"][0]["body"] == (
        "<p>Hi</p><p>&lt;script&gt;not code&lt;/script&gt;</p>"
    )
    assert replied.json()["source"]["body"] == (
        "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;</p>"
    )

    client.force_login(agent)
    for path in ("/inbox/", f"/inbox/conversations/{conversation_id}/"):
        html = client.get(path).content.decode()
        assert "<script>alert" not in html and "<b>bold" not in html
        assert "<script>not code" not in html and "onerror" not in html
    page = client.get(f"/inbox/conversations/{conversation_id}/").content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in page
    assert "&lt;script&gt;not code&lt;/script&gt;" in page


@pytest.mark.parametrize("sent_type", ["user", "lead", "contact"])
def test_any_from_type_names_the_contact_by_id(client, secret, sent_type):
    lead = ContactFactory(role="lead")
    response = post(
        client,
        secret,
        "/api/conversations",
        {
            "from": {"type": sent_type, "id": str(lead.pk)},
            "body": "Is there a free plan?",
            "subject": "Pricing",
            "created_at": 1767225600,
        },
    )
    assert response.status_code == 200, response.content
    conversation = Conversation.objects.get()
    assert (conversation.contact, conversation.subject) == (lead, "Pricing")
    assert conversation.last_activity_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert response.json()["created_at"] == 1767225600


@pytest.mark.parametrize(
    ("payload", "status", "code", "message"),
    [
        (
            {"from": {"type": "user", "id": "999999"}, "body": "Hi"},
            404,
            "not_found",
            "User Not Found",
        ),
        ({"from": {"type": "user", "id": "abc"}, "body": "Hi"}, 404, "not_found", "User Not Found"),
        (
            {"from": {"type": "user", "id": "{contact}"}, "body": ""},
            400,
            "parameter_invalid",
            "body",
        ),
        (
            {"from": {"type": "user", "id": "{contact}"}, "body": "  \n"},
            400,
            "parameter_invalid",
            "body",
        ),
        (
            {"from": {"type": "user", "id": "{contact}"}, "body": "x" * 20_001},
            400,
            "parameter_invalid",
            "longer than",
        ),
        ({"from": {"type": "user", "id": "{contact}"}}, 400, "parameter_invalid", "body"),
        ({"body": "Hi"}, 400, "parameter_invalid", "from"),
        (
            {"from": {"type": "admin", "id": "{contact}"}, "body": "Hi"},
            400,
            "parameter_invalid",
            "type",
        ),
        (
            {
                "from": {"type": "user", "id": "{contact}"},
                "body": "Hi",
                "attachment_urls": ["https://x.example/a.png"],
            },
            400,
            "parameter_invalid",
            "attachment_urls",
        ),
        (
            {"from": {"type": "user", "id": "{contact}"}, "body": "Hi", "created_at": -5},
            400,
            "parameter_invalid",
            "created_at",
        ),
    ],
)
def test_create_refusals_write_nothing(client, secret, payload, status, code, message):
    contact = ContactFactory()
    if "from" in payload:
        payload["from"]["id"] = payload["from"]["id"].replace("{contact}", str(contact.pk))
    before = snapshot()
    response = post(client, secret, "/api/conversations", payload)
    assert response.status_code == status, response.content
    got_code, got_message = error_of(response)
    assert got_code == code and message in got_message
    assert snapshot() == before == ([], [])


# Retrieve --------------------------------------------------------------------------------------


def test_retrieve_answers_intercoms_conversation_object(client, secret, agent):
    contact = ContactFactory(external_id="u-9", values={"name": "Ada", "email": "ada@example.com"})
    t0 = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    conversation = started(contact, "First line\nsecond line", at=t0, subject="Refund")
    reply = services.conversation_part_add(
        conversation=conversation,
        kind=PartKind.REPLY,
        body="On it",
        author=agent,
        at=t0 + timedelta(minutes=1),
    )
    note = services.conversation_part_add(
        conversation=conversation,
        kind=PartKind.NOTE,
        body="Check Stripe",
        author=agent,
        at=t0 + timedelta(minutes=2),
    )
    again = services.conversation_part_add(
        conversation=conversation,
        kind=PartKind.CUSTOMER_MESSAGE,
        body="Thanks & bye",
        at=t0 + timedelta(minutes=3),
    )
    services.conversation_assign(conversation=conversation, assignee=agent, actor=TEST_ACTOR)
    conversation.refresh_from_db()
    source = conversation.parts.order_by("created_at").first()

    response = client.get(f"/api/conversations/{conversation.pk}", headers=bearer(secret))
    assert response.status_code == 200, response.content
    body = response.json()
    ts = int(t0.timestamp())
    teammate = {
        "type": "admin",
        "id": str(agent.pk),
        "name": "Priya Raman",
        "email": "priya@example.com",
    }
    customer = {"type": "user", "id": str(contact.pk), "name": "Ada", "email": "ada@example.com"}

    def part(p, part_type, html, author, minute):
        return {
            "type": "conversation_part",
            "id": str(p.pk),
            "part_type": part_type,
            "body": html,
            "created_at": ts + 60 * minute,
            "updated_at": ts + 60 * minute,
            "notified_at": None,
            "assigned_to": None,
            "author": author,
            "attachments": [],
            "external_id": None,
            "redacted": False,
        }

    assert body == {
        "type": "conversation",
        "id": str(conversation.pk),
        "title": "Refund",
        "created_at": int(conversation.created_at.timestamp()),
        "updated_at": int(conversation.updated_at.timestamp()),
        "waiting_since": ts + 180,
        "snoozed_until": None,
        "open": True,
        "state": "open",
        "read": None,
        "priority": "not_priority",
        "admin_assignee_id": agent.pk,
        "team_assignee_id": None,
        "tags": {"type": "tag.list", "tags": []},
        "conversation_rating": None,
        "source": {
            "type": "conversation",
            "id": str(source.pk),
            "delivered_as": "customer_initiated",
            "subject": "Refund",
            "body": "<p>First line<br>second line</p>",
            "author": customer,
            "attachments": [],
            "url": None,
            "redacted": False,
        },
        "contacts": {
            "type": "contact.list",
            "contacts": [{"type": "contact", "id": str(contact.pk), "external_id": "u-9"}],
        },
        "teammates": {"type": "admin.list", "teammates": [{"type": "admin", "id": str(agent.pk)}]},
        "custom_attributes": {},
        "first_contact_reply": {"created_at": ts, "type": "conversation", "url": None},
        "sla_applied": None,
        "statistics": None,
        "linked_objects": {"type": "list", "data": [], "total_count": 0, "has_more": False},
        "ai_agent_participated": False,
        "ai_agent": None,
        "conversation_parts": {
            "type": "conversation_part.list",
            "conversation_parts": [
                part(reply, "comment", "<p>On it</p>", teammate, 1),
                part(note, "note", "<p>Check Stripe</p>", teammate, 2),
                part(again, "comment", "<p>Thanks &amp; bye</p>", customer, 3),
            ],
            "total_count": 3,
        },
    }

    plain = client.get(
        f"/api/conversations/{conversation.pk}?display_as=plaintext", headers=bearer(secret)
    ).json()
    assert plain["source"]["body"] == "First line\nsecond line"
    assert [p["body"] for p in plain["conversation_parts"]["conversation_parts"]] == [
        "On it",
        "Check Stripe",
        "Thanks & bye",
    ]


def test_retrieve_state_waiting_and_missing_authors(client, secret, agent):
    contact = ContactFactory(role="lead")
    conversation = started(contact)
    services.conversation_part_add(
        conversation=conversation, kind=PartKind.REPLY, body="Hello", author=agent
    )
    agent.delete()  # the reply stays, without its author
    services.conversation_snooze(
        conversation=conversation, until=timezone.now() + timedelta(hours=1), actor=TEST_ACTOR
    )
    body = client.get(f"/api/conversations/{conversation.pk}", headers=bearer(secret)).json()
    assert (body["state"], body["open"], body["waiting_since"]) == ("snoozed", True, None)
    assert body["snoozed_until"] == int(conversation.snoozed_until.timestamp())
    assert body["source"]["author"]["type"] == "lead"
    assert body["conversation_parts"]["conversation_parts"][0]["author"] == {
        "type": "admin",
        "id": None,
        "name": None,
        "email": None,
    }
    assert body["teammates"]["teammates"] == []
    services.conversation_close(conversation=conversation, actor=TEST_ACTOR)
    closed = client.get(f"/api/conversations/{conversation.pk}", headers=bearer(secret)).json()
    assert (closed["state"], closed["open"]) == ("closed", False)


def test_retrieve_query_count_does_not_grow_with_parts(
    client, secret, django_assert_max_num_queries
):
    contact = ContactFactory()
    conversation = started(contact)
    teammates = UserFactory.create_batch(3)
    for i in range(30):
        services.conversation_part_add(
            conversation=conversation,
            kind=[PartKind.REPLY, PartKind.NOTE, PartKind.CUSTOMER_MESSAGE][i % 3],
            body=f"Part {i}",
            author=teammates[i % 3],
        )
    client.get("/api/conversations", headers=bearer(secret))  # the token's last use is recorded
    # token, conversation, source, parts, teammates
    with django_assert_max_num_queries(5):
        body = client.get(f"/api/conversations/{conversation.pk}", headers=bearer(secret)).json()
    assert body["conversation_parts"]["total_count"] == 30
    assert len(body["teammates"]["teammates"]) == 2


@pytest.mark.parametrize("conversation_id", ["999999", "abc", "last"])
def test_retrieve_unknown_is_not_found(client, secret, conversation_id):
    response = client.get(f"/api/conversations/{conversation_id}", headers=bearer(secret))
    assert response.status_code == 404
    assert error_of(response) == ("not_found", "Resource Not Found")


# List ------------------------------------------------------------------------------------------


def test_list_pages_newest_activity_first(client, secret):
    now = timezone.now()
    conversations = [
        ConversationFactory(last_activity_at=now - timedelta(minutes=m)) for m in (5, 1, 9, 3, 7)
    ]
    same_moment = ConversationFactory(last_activity_at=now - timedelta(minutes=3))
    expected = [
        str(c.pk)
        for c in sorted([*conversations, same_moment], key=lambda c: (c.last_activity_at, c.pk))
    ][::-1]
    page = client.get("/api/conversations?per_page=2", headers=bearer(secret)).json()
    assert (page["type"], page["total_count"]) == ("conversation.list", 6)
    assert page["pages"] | {"next": None} == {
        "type": "pages",
        "page": 1,
        "per_page": 2,
        "total_pages": 3,
        "next": None,
    }
    seen = [c["id"] for c in page["conversations"]]
    while page["pages"]["next"]:
        assert page["pages"]["next"]["per_page"] == 2
        cursor = page["pages"]["next"]["starting_after"]
        page = client.get(
            f"/api/conversations?per_page=2&starting_after={cursor}", headers=bearer(secret)
        ).json()
        seen += [c["id"] for c in page["conversations"]]
    assert seen == expected
    # Intercom lists conversations without their parts.
    assert "conversation_parts" not in page["conversations"][0]
    default = client.get("/api/conversations", headers=bearer(secret)).json()
    assert default["pages"]["per_page"] == 20 and default["pages"]["next"] is None


@pytest.mark.parametrize(
    "query", ["per_page=151", "per_page=0", "per_page=x", "starting_after=not-a-cursor"]
)
def test_list_refuses_bad_paging(client, secret, query):
    response = client.get(f"/api/conversations?{query}", headers=bearer(secret))
    assert response.status_code == 400 and error_of(response)[0] == "parameter_invalid"


def test_list_query_count_does_not_grow_with_rows(client, secret, django_assert_max_num_queries):
    teammates = UserFactory.create_batch(3)
    for i in range(40):
        conversation = started(ContactFactory(), f"Message {i}")
        for teammate in teammates:
            services.conversation_part_add(
                conversation=conversation, kind=PartKind.REPLY, body="Reply", author=teammate
            )
    client.get("/api/conversations", headers=bearer(secret))  # the token's last use is recorded
    # token, page, sources, teammates, count
    with django_assert_max_num_queries(5):
        page = client.get("/api/conversations?per_page=150", headers=bearer(secret)).json()
    assert len(page["conversations"]) == 40
    assert all(len(c["teammates"]["teammates"]) == 3 for c in page["conversations"])
    assert all(c["source"]["body"].startswith("<p>Message") for c in page["conversations"])


# Reply -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("message_type", "kind"), [("comment", "reply"), ("note", "note")])
def test_a_teammate_replies_or_notes_and_a_closed_conversation_stays_closed(
    client, secret, agent, message_type, kind
):
    conversation = started(ContactFactory())
    services.conversation_close(conversation=conversation, actor=TEST_ACTOR)
    response = post(
        client,
        secret,
        f"/api/conversations/{conversation.pk}/reply",
        {
            "message_type": message_type,
            "type": "admin",
            "admin_id": str(agent.pk),
            "body": "<p>We refunded you.</p>",
        },
    )
    assert response.status_code == 200, response.content
    part = ConversationPart.objects.get(kind=kind)
    assert (part.author_user, part.body) == (agent, "We refunded you.")
    body = response.json()
    assert body["state"] == "closed"  # only a customer writing reopens (inbox.services)
    assert body["conversation_parts"]["conversation_parts"][-1]["part_type"] == message_type
    assert body["teammates"]["teammates"] == [{"type": "admin", "id": str(agent.pk)}]


@pytest.mark.parametrize(
    ("field", "value"),
    [("intercom_user_id", "{pk}"), ("user_id", "u-42"), ("email", "ADA@example.com")],
)
@pytest.mark.parametrize("state", ["closed", "snoozed"])
def test_the_contact_replies_and_reopens_the_conversation(client, secret, field, value, state):
    contact = ContactFactory(external_id="u-42", values={"email": "ada@example.com"})
    conversation = started(contact)
    if state == "closed":
        services.conversation_close(conversation=conversation, actor=TEST_ACTOR)
    else:
        services.conversation_snooze(
            conversation=conversation, until=timezone.now() + timedelta(days=1), actor=TEST_ACTOR
        )
    response = post(
        client,
        secret,
        f"/api/conversations/{conversation.pk}/reply",
        {
            "message_type": "comment",
            "type": "user",
            field: value.replace("{pk}", str(contact.pk)),
            "body": "Still broken",
        },
    )
    assert response.status_code == 200, response.content
    conversation.refresh_from_db()
    assert (conversation.state, conversation.snoozed_until) == (ConversationState.OPEN, None)
    part = ConversationPart.objects.order_by("pk").last()
    assert (part.kind, part.author_contact, part.body) == (
        PartKind.CUSTOMER_MESSAGE,
        contact,
        "Still broken",
    )
    body = response.json()
    assert (body["state"], body["open"]) == ("open", True)
    # No teammate has answered yet: the customer has been waiting since their first message.
    first = ConversationPart.objects.order_by("pk").first()
    assert body["waiting_since"] == int(first.created_at.timestamp())


@pytest.mark.parametrize(
    ("payload", "status", "code", "message"),
    [
        ({"type": "admin", "admin_id": "999999"}, 404, "not_found", "Admin Not Found"),
        ({"type": "admin", "admin_id": "abc"}, 404, "not_found", "Admin Not Found"),
        ({"type": "admin", "admin_id": "{inactive}"}, 404, "not_found", "Admin Not Found"),
        (
            {"type": "admin", "admin_id": "{viewer}"},
            400,
            "parameter_invalid",
            "their role can't write",
        ),
        ({"type": "admin"}, 400, "parameter_invalid", "admin_id is required"),
        (
            {"type": "admin", "admin_id": "{agent}", "email": "a@example.com"},
            400,
            "parameter_invalid",
            "only for replies from a contact",
        ),
        ({"type": "admin", "admin_id": "{agent}", "body": ""}, 400, "parameter_invalid", "body"),
        (
            {"type": "admin", "admin_id": "{agent}", "body": "<p> </p><script>x</script>"},
            400,
            "parameter_invalid",
            "body",
        ),
        (
            {"type": "admin", "admin_id": "{agent}", "message_type": "quick_reply"},
            400,
            "parameter_invalid",
            "quick_reply",
        ),
        (
            {"type": "admin", "admin_id": "{agent}", "message_type": "close"},
            400,
            "parameter_invalid",
            "message_type",
        ),
        (
            {"type": "admin", "admin_id": "{agent}", "created_at": 10**13},
            400,
            "parameter_invalid",
            "created_at",
        ),
        (
            {"type": "user", "intercom_user_id": "{other}"},
            400,
            "parameter_invalid",
            "is not part of conversation",
        ),
        (
            {"type": "user", "email": "other@example.com"},
            400,
            "parameter_invalid",
            "is not part of conversation",
        ),
        ({"type": "user", "user_id": "nobody"}, 404, "not_found", "User Not Found"),
        ({"type": "user", "intercom_user_id": "999999"}, 404, "not_found", "User Not Found"),
        ({"type": "user"}, 400, "parameter_invalid", "exactly one of"),
        (
            {"type": "user", "user_id": "u-1", "email": "ada@example.com"},
            400,
            "parameter_invalid",
            "exactly one of",
        ),
        (
            {"type": "user", "user_id": "u-1", "admin_id": "{agent}"},
            400,
            "parameter_invalid",
            "admin_id is only",
        ),
        (
            {"type": "user", "user_id": "u-1", "message_type": "note"},
            400,
            "parameter_invalid",
            "only reply with a comment",
        ),
        ({"type": "user", "user_id": "u-1", "colour": "red"}, 400, "parameter_invalid", "colour"),
        ({"type": "team", "user_id": "u-1"}, 400, "parameter_invalid", "type"),
    ],
)
def test_reply_refusals_write_nothing(client, secret, agent, payload, status, code, message):
    contact = ContactFactory(external_id="u-1", values={"email": "ada@example.com"})
    ContactFactory(values={"email": "other@example.com"})
    conversation = started(contact)
    services.conversation_close(conversation=conversation, actor=TEST_ACTOR)
    makers = {
        "{agent}": lambda: agent,
        "{viewer}": lambda: UserFactory(role="Viewer"),
        "{inactive}": lambda: UserFactory(role="Teammate", is_active=False),
        "{other}": ContactFactory,
    }
    sent = {"message_type": "comment", "body": "Hello"} | payload
    for key, value in sent.items():
        if isinstance(value, str) and value in makers:
            sent[key] = str(makers[value]().pk)
    before = snapshot()
    response = post(client, secret, f"/api/conversations/{conversation.pk}/reply", sent)
    assert response.status_code == status, response.content
    got_code, got_message = error_of(response)
    assert got_code == code and message in got_message, got_message
    assert snapshot() == before


@pytest.mark.parametrize("conversation_id", ["999999", "abc"])
def test_reply_to_an_unknown_conversation(client, secret, agent, conversation_id):
    response = post(
        client,
        secret,
        f"/api/conversations/{conversation_id}/reply",
        {"message_type": "comment", "type": "admin", "admin_id": str(agent.pk), "body": "Hi"},
    )
    assert response.status_code == 404
    assert error_of(response) == ("not_found", "Resource Not Found")
    assert not ConversationPart.objects.exists()


# Scopes ----------------------------------------------------------------------------------------


def test_scopes_are_enforced_and_refusals_write_nothing(client, agent):
    contact = ContactFactory()
    conversation = started(contact)
    _, reader = api_token_create(name="Reader", scopes=["conversations:read"])
    _, writer = api_token_create(name="Writer", scopes=["conversations:write"])
    _, other = api_token_create(name="Contacts", scopes=["contacts:read", "contacts:write"])
    create = {"from": {"type": "user", "id": str(contact.pk)}, "body": "Hi"}
    reply = {"message_type": "comment", "type": "admin", "admin_id": str(agent.pk), "body": "Hi"}
    before = snapshot()
    for token in (reader, other):
        for path, payload in (
            ("/api/conversations", create),
            (f"/api/conversations/{conversation.pk}/reply", reply),
        ):
            refused = post(client, token, path, payload)
            assert refused.status_code == 403, (path, refused.content)
            assert error_of(refused)[0] == "token_unauthorized"
            assert "conversations:write" in error_of(refused)[1]
    for token in (writer, other):
        for path in ("/api/conversations", f"/api/conversations/{conversation.pk}"):
            refused = client.get(path, headers=bearer(token))
            assert refused.status_code == 403 and error_of(refused)[0] == "token_unauthorized"
    assert snapshot() == before
    assert client.get("/api/conversations", headers=bearer(reader)).status_code == 200
    assert post(client, writer, "/api/conversations", create).status_code == 200
    unauthenticated = client.get("/api/conversations")
    assert unauthenticated.status_code == 401
    assert error_of(unauthenticated) == ("unauthorized", "Access Token Invalid")


# The OpenAPI document --------------------------------------------------------------------------


def test_openapi_document_describes_every_conversation_operation(client):
    document = client.get("/api/openapi.json").json()
    operations = {
        (path, method): operation
        for path, methods in document["paths"].items()
        if path.startswith("/api/conversations")
        for method, operation in methods.items()
    }
    assert {(path, method) for path, method in operations} == {
        ("/api/conversations", "get"),
        ("/api/conversations", "post"),
        ("/api/conversations/{conversation_id}", "get"),
        ("/api/conversations/{conversation_id}/reply", "post"),
    }
    assert all(operation.get("summary") for operation in operations.values())
    assert all("200" in op["responses"] and "403" in op["responses"] for op in operations.values())
    # Each names something that may not exist (a conversation, the contact it is from), except
    # the list.
    assert {key for key, op in operations.items() if "404" in op["responses"]} == set(
        operations
    ) - {("/api/conversations", "get")}
    schemas = document["components"]["schemas"]

    def refs(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for ref in refs(document):
        assert ref.startswith("#/components/schemas/") and ref.split("/")[-1] in schemas, ref
    create = schemas["ConversationCreate"]
    assert "from" in create["properties"] and "from" in create["required"]


# The official SDK ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_official_sdk_works_against_the_api(intercom):
    from intercom.conversations import CreateConversationRequestFrom
    from intercom.core.api_error import ApiError
    from intercom.errors import NotFoundError
    from intercom.types import (
        AdminReplyConversationRequest,
        ContactReplyEmailRequest,
        ContactReplyIntercomUserIdRequest,
        ContactReplyUserIdRequest,
    )

    agent = UserFactory(username="sdk-agent", role="Teammate")
    contact = ContactFactory(external_id="sdk-1", values={"email": "sdk@example.com"})
    _, secret = api_token_create(name="SDK", scopes=["conversations:read", "conversations:write"])
    client = intercom(secret)

    message = client.conversations.create(
        from_=CreateConversationRequestFrom(type="user", id=str(contact.pk)), body="From the SDK"
    )
    assert (message.type, message.body, message.message_type) == (
        "user_message",
        "From the SDK",
        "inapp",
    )
    found = client.conversations.find(message.conversation_id)
    assert found.source.body == "<p>From the SDK</p>" and found.state == "open"
    assert found.contacts.contacts[0].id == str(contact.pk)

    replied = client.conversations.reply(
        message.conversation_id,
        request=AdminReplyConversationRequest(
            message_type="note", admin_id=str(agent.pk), body="<p>VIP</p>"
        ),
    )
    assert replied.conversation_parts.conversation_parts[-1].part_type == "note"
    client.conversations.reply(
        message.conversation_id,
        request=AdminReplyConversationRequest(
            message_type="comment", admin_id=str(agent.pk), body="Hello!"
        ),
    )
    for request in (
        ContactReplyIntercomUserIdRequest(intercom_user_id=str(contact.pk), body="one"),
        ContactReplyUserIdRequest(user_id="sdk-1", body="two"),
        ContactReplyEmailRequest(email="sdk@example.com", body="three"),
    ):
        client.conversations.reply(message.conversation_id, request=request)
    thread = client.conversations.find(message.conversation_id, display_as="plaintext")
    assert [p.body for p in thread.conversation_parts.conversation_parts] == [
        "VIP",
        "Hello!",
        "one",
        "two",
        "three",
    ]
    assert thread.conversation_parts.total_count == 5

    for i in range(4):
        client.conversations.create(
            from_=CreateConversationRequestFrom(type="contact", id=str(contact.pk)),
            body=f"more {i}",
        )
    # The list pager follows pages.next.starting_after (unlike contacts.search's).
    listed = [c.id for c in client.conversations.list(per_page=2)]
    assert len(listed) == 5 and len(set(listed)) == 5
    assert listed == [str(pk) for pk in Conversation.objects.values_list("pk", flat=True)]

    with pytest.raises(NotFoundError):
        client.conversations.find("999999")
    with pytest.raises(NotFoundError):
        client.conversations.create(
            from_=CreateConversationRequestFrom(type="user", id="999999"), body="Hi"
        )
    with pytest.raises(ApiError) as refused:
        client.conversations.reply(
            message.conversation_id,
            request=ContactReplyEmailRequest(email="sdk@example.com", body=""),
        )
    assert refused.value.status_code == 400


def test_a_back_dated_reply_never_moves_a_conversation_down_and_the_future_is_refused(
    client, secret, agent
):
    conversation = started(ContactFactory())
    activity = Conversation.objects.get(pk=conversation.pk).last_activity_at
    payload = {
        "message_type": "comment",
        "type": "admin",
        "admin_id": str(agent.pk),
        "body": "Late note",
        "created_at": int(activity.timestamp()) - 86_400,
    }
    response = post(client, secret, f"/api/conversations/{conversation.pk}/reply", payload)
    assert response.status_code == 200, response.content
    assert Conversation.objects.get(pk=conversation.pk).last_activity_at == activity
    future = payload | {"created_at": 253402300000}
    response = post(client, secret, f"/api/conversations/{conversation.pk}/reply", future)
    assert response.status_code == 400
    assert error_of(response) == ("parameter_invalid", "created_at is in the future.")
