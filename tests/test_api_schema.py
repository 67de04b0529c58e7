"""The REST API against its own OpenAPI document: every operation declares its answers and
its token scope; a token without the scope changes nothing; and no request schemathesis can
make gets a server error or a response, success or error, that the document does not
describe."""

import json

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import checks

from companies.models import Company
from config.wsgi import application
from contacts.models import Contact, Event
from inbox import services as inbox_services
from inbox.models import ConversationPart
from qualification.models import AttributeChange, AttributeOutbox, DataAttribute, DataType, Tag
from tests.api_helpers import bearer
from tests.factories import (
    CompanyFactory,
    CompanyMembershipFactory,
    ContactFactory,
    DataAttributeFactory,
    SegmentFactory,
    TagFactory,
    given_tags,
)
from workspace.models import ApiToken
from workspace.tokens import SCOPES, api_token_create

# The operations that answer success with no body, as Intercom's do.
EMPTY_BODIES = {
    ("post", "/api/events"),
    ("post", "/api/events/summaries"),
    ("delete", "/api/tags/{tag_id}"),
}
EVERY_OPERATION_ERRORS = {"400", "401", "403", "429"}


@pytest.fixture
def document(client):
    return client.get("/api/openapi.json").json()


def _operations(document):
    return {
        (method, path): operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }


# The document ---------------------------------------------------------------------------------


def test_every_operation_declares_its_success_body_and_its_errors(document):
    operations = _operations(document)
    for key, operation in operations.items():
        responses = operation["responses"]
        successes = {status: r for status, r in responses.items() if status.startswith("2")}
        assert len(successes) == 1, key
        (success,) = successes.values()
        if key in EMPTY_BODIES:
            assert "content" not in success, key
        else:
            body = success["content"]["application/json"]["schema"]
            assert body.get("$ref") or body.get("anyOf"), key
        errors = {status for status in responses if not status.startswith("2")}
        assert errors >= EVERY_OPERATION_ERRORS, key
        for status in errors:
            error = responses[status]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/Error"}, (key, status)
    assert document["components"]["schemas"]["Error"]["required"] == [
        "type",
        "request_id",
        "errors",
    ]


def test_every_operation_declares_its_scope(document):
    assert document["components"]["securitySchemes"] == {
        "TokenAuth": {"type": "http", "scheme": "bearer"}
    }
    for key, operation in _operations(document).items():
        requirement = operation["security"]
        assert len(requirement) == 1 and len(requirement[0]["TokenAuth"]) == 1, key
        (scope,) = requirement[0]["TokenAuth"]
        assert scope in SCOPES, key
        assert f"Needs a token with the `{scope}` scope." in operation["description"], key
    # Read and write are separate scopes: a read needs read, a write needs write.
    scopes = {key: op["security"][0]["TokenAuth"][0] for key, op in _operations(document).items()}
    reads = {key for key in scopes if key[0] == "get"}
    assert all(scopes[key].endswith(":read") for key in reads)
    assert scopes[("get", "/api/contacts/{contact_id}/segments")] == "contacts:read"
    assert scopes[("post", "/api/contacts/{contact_id}/tags")] == "tags:write"
    assert scopes[("post", "/api/companies/list")] == "companies:read"
    assert scopes[("post", "/api/contacts/search")] == "contacts:read"


# Scopes ---------------------------------------------------------------------------------------


def _rows():
    return {
        model.__name__: model.objects.count()
        for model in (
            Contact,
            Company,
            Tag,
            Event,
            DataAttribute,
            AttributeChange,
            AttributeOutbox,
            ConversationPart,
        )
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "url", "body", "scope"),
    [
        ("post", "/api/contacts", {"email": "new@example.com"}, "contacts:write"),
        ("put", "/api/contacts/{contact}", {"name": "Renamed"}, "contacts:write"),
        ("delete", "/api/contacts/{contact}", None, "contacts:write"),
        ("post", "/api/companies", {"company_id": "new", "name": "New"}, "companies:write"),
        ("delete", "/api/companies/{company}", None, "companies:write"),
        ("post", "/api/tags", {"name": "vip", "users": [{"id": "{contact}"}]}, "tags:write"),
        (
            "post",
            "/api/events",
            {"event_name": "paid", "created_at": 1767225600, "id": "{contact}"},
            "events:write",
        ),
        (
            "post",
            "/api/data_attributes",
            {"name": "tier", "model": "contact", "data_type": "string"},
            "data_attributes:write",
        ),
        (
            "post",
            "/api/conversations/{conversation}/reply",
            {
                "message_type": "comment",
                "type": "user",
                "intercom_user_id": "{contact}",
                "body": "x",
            },
            "conversations:write",
        ),
        # Scope comes first: a body the operation would refuse still gets the 403.
        ("post", "/api/contacts", {"no_such_field": 1}, "contacts:write"),
    ],
)
def test_a_token_without_the_scope_gets_403_and_nothing_is_written(
    client, method, url, body, scope
):
    contact = ContactFactory(values={"name": "Ada", "email": "ada@example.com"})
    company = CompanyFactory()
    conversation = inbox_services.conversation_start(contact=contact, subject="", body="Hi")
    names = {"contact": contact.pk, "company": company.pk, "conversation": conversation.pk}
    # Every scope but the one needed: write does not imply read, nor read write.
    secret = api_token_create(name="Almost", scopes=[s for s in SCOPES if s != scope])[1]
    before = _rows()

    payload = (
        {} if body is None else {"data": json.dumps(body).replace("{contact}", str(contact.pk))}
    )
    refused = getattr(client, method)(
        url.format(**names),
        content_type="application/json",
        headers=bearer(secret),
        **payload,
    )

    assert refused.status_code == 403
    assert refused.json() == {
        "type": "error.list",
        "request_id": refused["X-Request-Id"],
        "errors": [
            {
                "code": "token_unauthorized",
                "message": f"This token may not do this: it lacks the {scope} scope.",
            }
        ],
    }
    assert refused["X-RateLimit-Remaining"]
    assert _rows() == before
    contact.refresh_from_db()
    assert (contact.name, contact.archived) == ("Ada", False)


@pytest.mark.django_db
def test_the_token_is_checked_and_counted_once_per_request(client, monkeypatch):
    """Found (and its use recorded) and counted against its rate limit exactly once, whether
    the request succeeds, lacks the scope or names nothing."""
    import workspace.api_auth

    calls = []
    for name in ("api_token_check", "_rate_limit"):
        original = getattr(workspace.api_auth, name)

        def counted(*args, _name=name, _original=original):
            calls.append(_name)
            return _original(*args)

        monkeypatch.setattr(workspace.api_auth, name, counted)
    contact = ContactFactory()
    secret = api_token_create(name="Reader", scopes=["contacts:read"])[1]
    for url, status in [
        (f"/api/contacts/{contact.pk}", 200),
        ("/api/companies", 403),
        ("/api/contacts/999999", 404),
    ]:
        calls.clear()
        assert client.get(url, headers=bearer(secret)).status_code == status
        assert calls == ["api_token_check", "_rate_limit"], url
    assert ApiToken.objects.get(name="Reader").last_used_at is not None


# Schemathesis ---------------------------------------------------------------------------------


@pytest.fixture
def keep_connection():
    """Requests go to the WSGI app in this thread, inside the test's transaction: Django must
    not close the connection at the end of each one (its own test client does the same)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, settings, keep_connection):
    """A little of everything, so that requests find something: two users and a lead, a
    company with members and one without, a tag, a segment, a list attribute, a conversation
    and a teammate who may reply to it."""
    settings.API_RATE_LIMIT_PER_MINUTE = 10**9
    attribute = DataAttributeFactory(
        name="tier", data_type=DataType.OPTIONS, options=["Pro", "Free"]
    )
    ada = ContactFactory(values={"name": "Ada", "email": "ada@example.com", "tier": "Pro"})
    lead = ContactFactory(role="lead", values={"name": None, "email": None})
    other = ContactFactory()
    acme = CompanyFactory(values={"name": "Acme", "plan": "Pro", "size": 10})
    empty = CompanyFactory()
    tag = TagFactory(name="vip")
    for contact in (ada, lead, other):
        given_tags(contact, tag)
        CompanyMembershipFactory(contact=contact, company=acme)
    given_tags(acme, tag)
    conversation = inbox_services.conversation_start(contact=ada, subject="Billing", body="Hi")
    return {
        "contact": str(ada.pk),
        "external_id": ada.external_id,
        "lead": str(lead.pk),
        "company": str(acme.pk),
        "company_own_id": acme.company_id,
        "other_company": str(empty.pk),
        "tag": str(tag.pk),
        "segment": str(SegmentFactory(name="Users").pk),
        "conversation": str(conversation.pk),
        "data_attribute": attribute.pk,
        # No password: hashing one would take longer than the rest of this fixture.
        "teammate": str(get_user_model().objects.create(username="agent", is_superuser=True).pk),
    }


@pytest.fixture
def token(world):
    return api_token_create(name="Schemathesis", scopes=SCOPES)[1]


def empty_body_where_none_is_declared(ctx, response, case):
    """The document cannot spell "no body" except by declaring no content: hold the operations
    that declare none to sending none."""
    declared = case.operation.definition.raw["responses"].get(str(response.status_code))
    if declared is not None and "content" not in declared:
        assert response.content == b"", f"{response.status_code} declares no body but sent one"


# What the document promises about responses. Schemathesis's positive_data_acceptance and
# negative_data_rejection judge the document's request schemas instead: they would flag every
# rule the document does not spell out (an opaque cursor that does not decode, a lead merged
# into a lead), so they are not part of this contract.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.unsupported_method,
    empty_body_where_none_is_declared,
]
# Loaded from the app itself, in-process (no server): the document the API serves.
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


# Generated path parameters are random strings, so almost every request with one would be a
# 404: half the time, they name the rows `world` made instead, to reach the success answers.
KNOWN: dict[str, object] = {}
PATH_PARAMETERS = {
    "contact_id": "contact",
    "external_id": "external_id",
    "company_id": "company",
    "tag_id": "tag",
    "segment_id": "segment",
    "conversation_id": "conversation",
    "data_attribute_id": "data_attribute",
}


@schema.hook
def flatmap_path_parameters(ctx, parameters):
    if not parameters:
        return st.just(parameters)
    known = {
        name: KNOWN.get(PATH_PARAMETERS.get(name), value) for name, value in parameters.items()
    }
    return st.sampled_from([parameters, known])


# Per operation: schemathesis's coverage phase (fixed boundary and invalid values of each
# parameter, and each method the path does not allow; about 35 requests) and 10 generated
# examples, derandomized: the same ~1,900 requests on every run, in 15-20 s of CPU.
@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_the_api_keeps_its_document(case, world, token):
    KNOWN.update(world)
    try:
        case.call_and_validate(headers=bearer(token), checks=CHECKS)
    finally:
        KNOWN.clear()


# Generated requests rarely get everything right (an event needs a known contact and a Unix
# time, a company its company_id): each operation's success answer is also checked on a
# request that makes it.
SUCCESSES = [
    ("GET", "/api/contacts", {}),
    (
        "POST",
        "/api/contacts",
        {"body": {"email": "grace@example.com", "custom_attributes": {"tier": "Free"}}},
    ),
    (
        "POST",
        "/api/contacts/search",
        {
            "body": {
                "query": {"field": "name", "operator": "=", "value": "Ada"},
                "pagination": {"per_page": 1},
            }
        },
    ),
    ("POST", "/api/contacts/merge", {"body": {"from": "{lead}", "into": "{contact}"}}),
    ("GET", "/api/contacts/find_by_external_id/{external_id}", {}),
    ("POST", "/api/contacts/{contact_id}/archive", {}),
    ("POST", "/api/contacts/{contact_id}/unarchive", {}),
    ("GET", "/api/contacts/{contact_id}", {}),
    (
        "PUT",
        "/api/contacts/{contact_id}",
        {"body": {"name": "Ada L", "custom_attributes": {"tier": "Free"}}},
    ),
    ("DELETE", "/api/contacts/{contact_id}", {}),
    ("GET", "/api/contacts/{contact_id}/companies", {}),
    ("POST", "/api/contacts/{contact_id}/companies", {"body": {"id": "{other_company}"}}),
    ("DELETE", "/api/contacts/{contact_id}/companies/{company_id}", {}),
    ("GET", "/api/contacts/{contact_id}/tags", {}),
    ("POST", "/api/contacts/{contact_id}/tags", {"body": {"id": "{tag}"}}),
    ("DELETE", "/api/contacts/{contact_id}/tags/{tag_id}", {}),
    ("GET", "/api/contacts/{contact_id}/segments", {}),
    (
        "POST",
        "/api/companies",
        {"body": {"company_id": "globex", "name": "Globex", "plan": "Pro", "monthly_spend": 10}},
    ),
    ("GET", "/api/companies", {"query": {"company_id": "{company_own_id}"}}),
    ("GET", "/api/companies", {"query": {"per_page": 1}}),
    ("POST", "/api/companies/list", {"query": {"per_page": 1, "order": "asc"}}),
    ("GET", "/api/companies/scroll", {}),
    ("GET", "/api/companies/{company_id}", {}),
    ("PUT", "/api/companies/{company_id}", {"body": {"website": "https://acme.example"}}),
    ("DELETE", "/api/companies/{company_id}", {}),
    ("GET", "/api/companies/{company_id}/contacts", {}),
    ("GET", "/api/data_attributes", {"query": {"include_archived": True}}),
    (
        "POST",
        "/api/data_attributes",
        {
            "body": {
                "name": "colour",
                "model": "contact",
                "data_type": "options",
                "options": [{"value": "Red"}, {"value": "Blue"}],
            }
        },
    ),
    ("PUT", "/api/data_attributes/{data_attribute_id}", {"body": {"description": "Plan tier"}}),
    (
        "POST",
        "/api/events",
        {
            "body": {
                "event_name": "paid",
                "created_at": 1767225600,
                "user_id": "{external_id}",
                "metadata": {"amount": 5},
            }
        },
    ),
    ("GET", "/api/events", {"query": {"type": "user", "user_id": "{external_id}"}}),
    (
        "GET",
        "/api/events",
        {"query": {"type": "user", "user_id": "{external_id}", "summary": True}},
    ),
    (
        "POST",
        "/api/events/summaries",
        {
            "body": {
                "user_id": "{external_id}",
                "event_summaries": [
                    {"event_name": "opened", "count": 2, "first": 1767225600, "last": 1767229200}
                ],
            }
        },
    ),
    ("GET", "/api/tags", {}),
    ("POST", "/api/tags", {"body": {"name": "gold", "users": [{"id": "{contact}"}]}}),
    ("GET", "/api/tags/{tag_id}", {}),
    ("DELETE", "/api/tags/{tag_id}", {}),
    ("GET", "/api/segments", {"query": {"include_count": True}}),
    ("GET", "/api/segments/{segment_id}", {}),
    (
        "POST",
        "/api/conversations",
        {
            "body": {
                "from": {"type": "user", "id": "{contact}"},
                "body": "Hi",
                "subject": "Question",
            }
        },
    ),
    ("GET", "/api/conversations", {}),
    ("GET", "/api/conversations/{conversation_id}", {"query": {"display_as": "plaintext"}}),
    (
        "POST",
        "/api/conversations/{conversation_id}/reply",
        {
            "body": {
                "message_type": "note",
                "type": "admin",
                "admin_id": "{teammate}",
                "body": "<p>On it</p>",
            }
        },
    ),
]


def test_every_operation_has_a_success_request_below(document):
    assert {(method.lower(), path) for method, path, _ in SUCCESSES} == set(_operations(document))


def _named(value, world):
    if isinstance(value, str):
        return value.format(**world) if value.startswith("{") else value
    if isinstance(value, dict):
        return {key: _named(item, world) for key, item in value.items()}
    if isinstance(value, list):
        return [_named(item, world) for item in value]
    return value


@pytest.mark.parametrize(("method", "path", "request_"), SUCCESSES)
def test_each_success_answer_keeps_the_document(world, token, method, path, request_):
    parameters = {
        name: world[key] for name, key in PATH_PARAMETERS.items() if f"{{{name}}}" in path
    }
    case = schema[path][method].Case(
        path_parameters=parameters,
        **{part: _named(value, world) for part, value in request_.items()},
    )
    response = case.call_and_validate(headers=bearer(token), checks=CHECKS)
    assert 200 <= response.status_code < 300, response.content
