"""What each scope may see (README, "Scopes"), per API operation and per scope: every operation
in the OpenAPI document, so a new endpoint is covered the day it is added.

A token with only an operation's own scope gets its success answer, but nothing of a resource
it may not read: a contact or company it may not read is a reference (type, id and the
caller's own external_id), and
no contact's email appears (except in a conversation's author, Intercom's conversation shape,
for conversations:read)."""

import json

import pytest

from contacts.models import Contact
from inbox import services as inbox_services
from tests.api_helpers import bearer, error_of
from tests.factories import ContactFactory
from tests.test_api_schema import (  # noqa: F401  (world and keep_connection are fixtures)
    PATH_PARAMETERS,
    SUCCESSES,
    _named,
    keep_connection,
    schema,
    world,
)
from workspace.tokens import SCOPES, api_token_create

# Which scope lets a token read which kind of object in an answer.
READ_SCOPE = {
    "contact": "contacts:read",
    "company": "companies:read",
    "conversation": "conversations:read",
}
# What a reference to an object may carry without that scope: Intercom's reference shapes, with
# the caller's own external_id, and the outcome of an archive or delete.
REFERENCE_KEYS = {"type", "id", "url", "external_id", "archived", "deleted"}


def _document_operations() -> dict[tuple[str, str], str]:
    """Every operation in the API's document, with the one scope it needs."""
    document = schema.raw_schema
    return {
        (method, path): operation["security"][0]["TokenAuth"][0]
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }


SCOPE_OF = _document_operations()
OPERATIONS = sorted(SCOPE_OF)


def _unreadable_objects(body, scopes: set[str]):
    """Each contact or company object in `body` that shows more than its type and id to a token
    without the scope that reads it."""
    if isinstance(body, list):
        for item in body:
            yield from _unreadable_objects(item, scopes)
    elif isinstance(body, dict):
        needs = READ_SCOPE.get(body.get("type"))
        if needs and needs not in scopes and set(body) - REFERENCE_KEYS:
            yield body
        for value in body.values():
            yield from _unreadable_objects(value, scopes)


def _send(client, method, path, request_, rows, secret):
    parameters = {name: rows[key] for name, key in PATH_PARAMETERS.items() if f"{{{name}}}" in path}
    request_ = _named(request_, rows)
    url = path.format(**parameters)
    kwargs = {"headers": bearer(secret)}
    if "query" in request_:
        url += "?" + "&".join(f"{k}={str(v).lower()}" for k, v in request_["query"].items())
    if "body" in request_:
        kwargs |= {"data": json.dumps(request_["body"]), "content_type": "application/json"}
    return getattr(client, method.lower())(url, **kwargs)


def test_every_operation_is_below(client):
    assert {(method.lower(), path) for method, path, _ in SUCCESSES} == set(OPERATIONS)


@pytest.mark.django_db
@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_each_scope_reaches_only_its_own_operations(client, method, path, scope):
    needed = SCOPE_OF[(method, path)]
    secret = api_token_create(name="One scope", scopes=[scope])[1]
    url = path.replace("{", "").replace("}", "")  # any id: a 403 comes before the lookup
    response = getattr(client, method)(url, headers=bearer(secret))
    if scope == needed:
        assert response.status_code != 403, response.content
    else:
        assert response.status_code == 403
        assert error_of(response)[0] == "token_unauthorized"


@pytest.mark.django_db  # said here too, so pytest-django orders it among the db tests
@pytest.mark.usefixtures("world")
@pytest.mark.parametrize(("method", "path", "request_"), SUCCESSES)
def test_a_token_with_only_the_operations_scope_sees_nothing_of_what_it_may_not_read(
    client, request, method, path, request_
):
    rows = request.getfixturevalue("world")
    scope = SCOPE_OF[(method.lower(), path)]
    secret = api_token_create(name="Only its scope", scopes=[scope])[1]
    emails = set(Contact.objects.exclude(email=None).values_list("email", flat=True))

    response = _send(client, method, path, request_, rows, secret)

    assert 200 <= response.status_code < 300, response.content
    if not response.content:
        return
    body = response.json()
    assert list(_unreadable_objects(body, {scope})) == []
    if scope not in ("contacts:read", "conversations:read"):
        shown = response.content.decode()
        assert not [email for email in emails if email in shown]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/api/contacts", {"email": "grace@example.com", "name": "Grace"}),
        ("put", "/api/contacts/{contact}", {"name": "Ada L"}),
    ],
)
def test_a_write_only_token_gets_the_contacts_type_and_id(client, method, url, body):
    ada = ContactFactory(values={"name": "Ada", "email": "ada@example.com"})
    secret = api_token_create(name="Writer", scopes=["contacts:write"])[1]

    response = getattr(client, method)(
        url.format(contact=ada.pk),
        data=json.dumps(body),
        content_type="application/json",
        headers=bearer(secret),
    )

    assert response.status_code == 200
    written = Contact.objects.get(name=body["name"])
    assert response.json() == {"type": "contact", "id": str(written.pk)}


@pytest.mark.django_db
def test_a_token_that_may_also_read_gets_the_whole_contact(client):
    secret = api_token_create(name="Both", scopes=["contacts:write", "contacts:read"])[1]
    response = client.post(
        "/api/contacts",
        data={"email": "grace@example.com"},
        content_type="application/json",
        headers=bearer(secret),
    )
    assert response.json()["email"] == "grace@example.com"


@pytest.mark.django_db
@pytest.mark.parametrize("known", [True, False])
def test_an_events_only_token_cannot_ask_whether_an_email_is_a_contact(client, known):
    ContactFactory(values={"email": "ada@example.com"})
    secret = api_token_create(name="Events", scopes=["events:write", "events:read"])[1]
    email = "ada@example.com" if known else "nobody@example.com"

    sent = client.post(
        "/api/events",
        data={"event_name": "paid", "created_at": 1767225600, "email": email},
        content_type="application/json",
        headers=bearer(secret),
    )
    listed = client.get(f"/api/events?type=user&email={email}", headers=bearer(secret))

    # The same answer whether or not the email is a contact's.
    for response in (sent, listed):
        assert response.status_code == 403
        assert error_of(response) == (
            "token_unauthorized",
            "This token may not do this: naming a contact by email needs the contacts:read scope.",
        )


@pytest.mark.django_db
def test_a_conversations_only_token_cannot_ask_whether_an_email_is_a_contact(client):
    ada = ContactFactory(values={"email": "ada@example.com"})
    ContactFactory(values={"email": "grace@example.com"})
    conversation = inbox_services.conversation_start(contact=ada, subject="", body="Hi")
    secret = api_token_create(name="Support", scopes=["conversations:write"])[1]

    answers = [
        client.post(
            f"/api/conversations/{conversation.pk}/reply",
            data={"message_type": "comment", "type": "user", "email": email, "body": "x"},
            content_type="application/json",
            headers=bearer(secret),
        )
        for email in ("grace@example.com", "nobody@example.com")
    ]

    assert [r.status_code for r in answers] == [400, 400]
    assert error_of(answers[0])[1].replace("grace", "X") == error_of(answers[1])[1].replace(
        "nobody", "X"
    )
