"""Contacts over the REST API: plain HTTP for codes and error bodies, and the official
python-intercom SDK against a live server for wire compatibility."""

import pytest
from django.core.management import call_command
from django.test import override_settings

from contacts.models import Contact
from qualification.models import AttributeChange, DataType
from qualification.services import attributes_apply
from tests.api_helpers import bearer, error_of
from tests.factories import ContactFactory, DataAttributeFactory
from workspace.tokens import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret():
    return api_token_create(name="Billing sync", scopes=["contacts:read", "contacts:write"])[1]


def test_create_update_retrieve_delete_with_custom_attributes(client, secret):
    DataAttributeFactory(name="plan_tier", data_type=DataType.OPTIONS, options=["Free", "Pro"])
    created = client.post(
        "/api/contacts",
        {
            "email": "ada@example.com",
            "name": "Ada",
            "signed_up_at": 1767225600,
            "custom_attributes": {"plan_tier": "Pro"},
        },
        content_type="application/json",
        headers=bearer(secret),
    )
    assert created.status_code == 200, created.content
    body = created.json()
    assert (body["type"], body["role"], body["email"], body["signed_up_at"]) == (
        "contact",
        "user",
        "ada@example.com",
        1767225600,
    )
    assert body["custom_attributes"] == {"plan_tier": "Pro"}
    assert created["X-RateLimit-Limit"] and created["X-RateLimit-Remaining"]
    contact_id = body["id"]
    change = AttributeChange.objects.filter(attribute_name="plan_tier").get()
    assert (change.source, change.actor_label, change.request_id) == (
        "rest_api",
        "Billing sync",
        created["X-Request-Id"],
    )

    updated = client.put(
        f"/api/contacts/{contact_id}",
        {"name": "Ada King", "custom_attributes": {"plan_tier": "Free"}},
        content_type="application/json",
        headers=bearer(secret),
    )
    assert updated.json()["name"] == "Ada King"
    assert client.get(f"/api/contacts/{contact_id}", headers=bearer(secret)).json()[
        "custom_attributes"
    ] == {"plan_tier": "Free"}
    deleted = client.delete(f"/api/contacts/{contact_id}", headers=bearer(secret)).json()
    assert deleted == {"type": "contact", "id": contact_id, "external_id": None, "deleted": True}
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("payload", "code", "message"),
    [
        (
            {"email": "a@b.example", "custom_attributes": {"nope": 1}},
            "parameter_not_found",
            "Custom attribute 'nope' does not exist",
        ),
        (
            {"email": "a@b.example", "custom_attributes": {"tier": "Gold"}},
            "parameter_invalid",
            "must be one of: Free, Pro.",
        ),
        (
            {"email": "a@b.example", "custom_attributes": {"name": "x"}},
            "parameter_not_found",
            "is a standard attribute",
        ),
        (
            {"email": "not an email"},
            "parameter_invalid",
            "Email must be an email address, like ada@example.com.",
        ),
        ({"name": "No identity"}, "parameter_not_found", "Send an email, an external_id"),
        ({"email": "a@b.example", "colour": "blue"}, "parameter_invalid", "colour"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(client, secret, payload, code, message):
    DataAttributeFactory(name="tier", data_type=DataType.OPTIONS, options=["Free", "Pro"])
    response = client.post(
        "/api/contacts", payload, content_type="application/json", headers=bearer(secret)
    )
    assert response.status_code == 400
    got_code, got_message = error_of(response)
    assert got_code == code and message in got_message
    assert not Contact.objects.exists() and not AttributeChange.objects.exists()


def test_duplicates_conflict(client, secret):
    existing = ContactFactory(external_id="u-1", values={"email": "u1@example.com"})
    response = client.post(
        "/api/contacts",
        {"external_id": "u-1"},
        content_type="application/json",
        headers=bearer(secret),
    )
    assert response.status_code == 409
    assert error_of(response) == (
        "conflict",
        f"A contact matching those details already exists with id={existing.pk}",
    )


def test_auth_scopes_versions_and_unknown_routes(client, secret):
    assert error_of(client.get("/api/contacts")) == ("unauthorized", "Access Token Invalid")
    assert client.get("/api/contacts", headers=bearer("sb_wrong")).status_code == 401
    token, read_only = api_token_create(name="Reader", scopes=["contacts:read"])
    assert client.get("/api/contacts", headers=bearer(read_only)).status_code == 200
    refused = client.post(
        "/api/contacts",
        {"email": "x@y.example"},
        content_type="application/json",
        headers=bearer(read_only),
    )
    assert refused.status_code == 403 and error_of(refused)[0] == "token_unauthorized"
    assert not Contact.objects.exists()
    api_token_revoke(token=token)
    assert client.get("/api/contacts", headers=bearer(read_only)).status_code == 401

    bad_version = client.get("/api/contacts", headers=bearer(secret) | {"Intercom-Version": "9.9"})
    assert bad_version.status_code == 400 and error_of(bad_version)[0] == "intercom_version_invalid"
    ok_version = client.get("/api/contacts", headers=bearer(secret) | {"Intercom-Version": "2.14"})
    assert ok_version.status_code == 200
    missing = client.get("/api/nothing-here", headers=bearer(secret))
    assert missing.status_code == 404 and error_of(missing)[0] == "not_found"
    assert client.get("/api/contacts/999999", headers=bearer(secret)).status_code == 404
    wrong_method = client.patch("/api/contacts", headers=bearer(secret))
    assert wrong_method.status_code == 405 and error_of(wrong_method)[0] == "method_not_allowed"
    malformed = client.post(
        "/api/contacts", "{not json", content_type="application/json", headers=bearer(secret)
    )
    assert malformed.status_code == 400 and error_of(malformed)[0] in {
        "bad_request",
        "parameter_invalid",
    }


@override_settings(API_RATE_LIMIT_PER_MINUTE=12)  # 2 per 10-second window
def test_rate_limit_per_token(client, secret):
    from django.core.cache import cache

    cache.clear()
    first = client.get("/api/contacts", headers=bearer(secret))
    assert (first["X-RateLimit-Limit"], first["X-RateLimit-Remaining"]) == ("2", "1")
    client.get("/api/contacts", headers=bearer(secret))
    limited = client.get("/api/contacts", headers=bearer(secret))
    assert limited.status_code == 429
    assert error_of(limited) == ("rate_limit_exceeded", "Exceeded rate limit of 2 in 10_seconds")
    assert limited["X-RateLimit-Remaining"] == "0" and int(limited["X-RateLimit-Reset"]) > 0
    assert 1 <= int(limited["Retry-After"]) <= 10  # seconds until the window ends
    assert "Retry-After" not in first


def test_list_pages_by_cursor(client, secret):
    contacts = ContactFactory.create_batch(5)
    page = client.get("/api/contacts?per_page=2", headers=bearer(secret)).json()
    seen = [c["id"] for c in page["data"]]
    while page["pages"]["next"]:
        cursor = page["pages"]["next"]["starting_after"]
        page = client.get(
            f"/api/contacts?per_page=2&starting_after={cursor}", headers=bearer(secret)
        ).json()
        seen += [c["id"] for c in page["data"]]
    assert seen == [str(c.pk) for c in contacts]
    assert client.get("/api/contacts?per_page=151", headers=bearer(secret)).status_code == 400


def test_tokens_are_stored_hashed_and_printed_once(capsys):
    call_command("create_api_token", "--name", "CLI", "--scopes", "contacts:read")
    secret = capsys.readouterr().out.strip()
    from workspace.models import ApiToken

    token = ApiToken.objects.get(name="CLI")
    assert secret.startswith("sb_") and secret not in (token.digest, token.prefix)
    assert token.scopes == ["contacts:read"]


@pytest.mark.django_db(transaction=True)
def test_the_official_sdk_works_against_the_api(intercom):
    from intercom import CreateContactRequestWithEmail

    DataAttributeFactory(name="plan_tier", data_type=DataType.OPTIONS, options=["Free", "Pro"])
    _, secret = api_token_create(name="SDK", scopes=["contacts:read", "contacts:write"])
    client = intercom(secret)
    created = client.contacts.create(
        request=CreateContactRequestWithEmail(
            email="sdk@example.com", name="Sdk User", custom_attributes={"plan_tier": "Pro"}
        )
    )
    assert created.email == "sdk@example.com"
    found = client.contacts.find(created.id)
    assert found.custom_attributes == {"plan_tier": "Pro"}
    updated = client.contacts.update(
        created.id, name="Renamed", custom_attributes={"plan_tier": "Free"}
    )
    assert updated.name == "Renamed"
    for i in range(3):
        client.contacts.create(request=CreateContactRequestWithEmail(email=f"more{i}@example.com"))
    listed = [c.email for c in client.contacts.list(per_page=2)]
    assert sorted(listed) == sorted(
        ["sdk@example.com", "more0@example.com", "more1@example.com", "more2@example.com"]
    )
    deleted = client.contacts.delete(created.id)
    assert deleted.deleted is True


def test_a_superuser_makes_a_token_in_the_django_admin_and_revokes_it(client):
    from tests.factories import UserFactory
    from workspace.models import ApiToken

    client.force_login(UserFactory(username="root", role="Admin", is_superuser=True))
    response = client.post(
        "/admin/workspace/apitoken/add/",
        {"name": "Zapier", "scopes": ["contacts:read", "contacts:write"]},
        follow=True,
    )
    page = response.content.decode()
    token = ApiToken.objects.get(name="Zapier")
    secret = page[page.index("sb_") :].split(" ")[0]
    assert token.scopes == ["contacts:read", "contacts:write"] and token.digest not in page
    assert client.get("/api/contacts", headers=bearer(secret)).status_code == 200
    client.post(
        "/admin/workspace/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert client.get("/api/contacts", headers=bearer(secret)).status_code == 401


def test_teammates_cannot_see_tokens(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="tim", role="Teammate"))
    assert client.get("/admin/workspace/apitoken/").status_code == 403
    assert client.get("/settings/api-tokens/").status_code == 403


@pytest.mark.parametrize(
    ("method", "url", "body", "message"),
    [
        ("get", "/api/contacts?starting_after=a%00b", None, "URL contains a NUL"),
        ("post", "/api/contacts", '{"email": "a@example.com", "name": "A\\u0000"}', "NUL"),
        ("post", "/api/contacts", '{"email": "a@example.com", "\\u0000": 1}', "NUL"),
        ("post", "/api/contacts", '{"email": "a@example.com", "name": "\\ud83d"}', "surrogate"),
    ],
)
def test_text_no_database_can_store_is_refused_up_front(client, secret, method, url, body, message):
    kwargs = {"content_type": "application/json", "data": body} if body else {}
    response = getattr(client, method)(url, headers=bearer(secret), **kwargs)
    assert response.status_code == 400
    code, text = error_of(response)
    assert code == "parameter_invalid" and message in text
    assert not Contact.objects.exists()


def test_escaped_emoji_are_fine(client, secret):
    body = '{"email": "a@example.com", "name": "Ada \\ud83d\\ude00"}'
    response = client.post(
        "/api/contacts", body, content_type="application/json", headers=bearer(secret)
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Ada \U0001f600"


@pytest.mark.postgres
@pytest.mark.redis  # without a broker, the outbox is delivered in-process, inside the count
@pytest.mark.django_db(transaction=True)  # as in production: no transaction around the request
def test_an_update_of_custom_attributes_is_three_statements(
    client, secret, django_assert_num_queries
):
    DataAttributeFactory(name="seats", data_type=DataType.INTEGER)
    DataAttributeFactory(name="plan_name")
    first, second = ContactFactory(), ContactFactory()

    def put(contact, seats):
        return client.put(
            f"/api/contacts/{contact.pk}",
            {"custom_attributes": {"seats": seats, "plan_name": "Pro"}},
            content_type="application/json",
            headers=bearer(secret),
        )

    assert put(first, 1).status_code == 200  # this process reads the data attributes once
    # The token; the contact with its tag and company ids; the write (values, history and
    # outbox, if the contact and the attributes are still as read). Redis holds the rest.
    with django_assert_num_queries(3):
        response = put(second, 2)
    assert response.json()["custom_attributes"] == {"seats": 2, "plan_name": "Pro"}
    assert AttributeChange.objects.filter(target_id=second.pk, source="rest_api").count() == 2
    assert Contact.objects.get(pk=second.pk).custom_attributes == {"seats": 2, "plan_name": "Pro"}


def test_a_write_held_back_by_a_manual_edit_is_named_in_a_header(client, secret, agent):
    """Intercom's body has no place for it: the caller whose values a manual edit held back
    learns which in X-Switchboard-Held-Attributes; the body is the contact as it is."""
    for name in ("plan", "seats"):
        DataAttributeFactory(name=name, precedence="manual_wins", api_writable=True)
    contact = ContactFactory(values={"email": "ada@example.com"})
    attributes_apply(
        target=contact,
        values={"plan": "Enterprise", "seats": "12"},
        source="qualification",
        actor=agent,
    )
    response = client.put(
        f"/api/contacts/{contact.pk}",
        {"name": "Ada", "custom_attributes": {"plan": "Pro", "seats": "3"}},
        content_type="application/json",
        headers=bearer(secret),
    )
    assert response.status_code == 200
    assert response["X-Switchboard-Held-Attributes"] == "plan, seats"
    body = response.json()
    assert body["name"] == "Ada"
    assert body["custom_attributes"] == {"plan": "Enterprise", "seats": "12"}

    applied = client.put(
        f"/api/contacts/{contact.pk}",
        {"name": "Ada King"},
        content_type="application/json",
        headers=bearer(secret),
    )
    assert applied.status_code == 200
    assert "X-Switchboard-Held-Attributes" not in applied


def test_an_external_id_longer_than_its_column_is_a_400_not_a_server_error(client, secret):
    contact = ContactFactory()
    for method, url in (("post", "/api/contacts"), ("put", f"/api/contacts/{contact.pk}")):
        response = getattr(client, method)(
            url,
            {"role": "user", "external_id": "u" * 191},
            content_type="application/json",
            headers=bearer(secret),
        )
        assert response.status_code == 400, response.content
        assert error_of(response) == (
            "parameter_invalid",
            "external_id: String should have at most 190 characters",
        )
    assert not Contact.objects.filter(external_id="u" * 191).exists()
