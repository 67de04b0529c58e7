"""The messenger's endpoints: trusted origins only (CORS for them, 403 and nothing written for
others), no cookies, clear errors, and what a boot and an event write."""

import time

import jwt
import pytest

from contacts.models import Contact, Event
from messenger.configuration import (
    messenger_secret_rotate,
    messenger_settings,
    messenger_settings_update,
)
from messenger.models import SecretKind
from qualification.models import AttributeChange
from qualification.sources import Source

pytestmark = pytest.mark.django_db
BOOT, EVENTS = "/messenger/api/boot", "/messenger/api/events"
SHOP = "https://shop.example.com"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.fixture
def app_id():
    messenger_settings_update(trusted_domains=[SHOP])
    return messenger_settings().app_id


def post(client, url, body, origin=SHOP, **headers):
    if origin:
        headers["HTTP_ORIGIN"] = origin
    return client.post(url, body, content_type="application/json", **headers)


def test_a_boot_from_a_trusted_page_writes_the_user_and_answers_with_cors(client, app_id):
    response = post(
        client,
        BOOT,
        {"app_id": app_id, "user_id": "u-1", "email": "ada@example.com", "name": "Ada"},
        HTTP_USER_AGENT=CHROME,
        HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.8",
    )
    assert response.status_code == 200, response.content
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert "Access-Control-Allow-Credentials" not in response
    assert not response.cookies  # no session, no CSRF cookie
    body = response.json()
    assert (body["type"], body["user_id"], body["verified"]) == ("user", "u-1", False)
    ada = Contact.objects.get(external_id="u-1")
    assert (ada.name, ada.browser, ada.os, ada.browser_language) == (
        "Ada",
        "Chrome 131",
        "Windows",
        "de-DE",
    )
    assert set(
        AttributeChange.objects.filter(target_id=ada.pk, attribute_name="name").values_list(
            "source", flat=True
        )
    ) == {Source.MESSENGER}


def test_a_preflight_is_answered_for_a_trusted_origin_only(client, app_id):
    def preflight(origin):
        return client.options(
            BOOT,
            HTTP_ORIGIN=origin,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
        )

    allowed = preflight(SHOP)
    assert allowed.status_code == 200
    assert allowed["Access-Control-Allow-Origin"] == SHOP
    assert "POST" in allowed["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Origin" not in preflight("https://evil.example")


def test_an_untrusted_origin_is_refused_and_nothing_is_written(client, app_id):
    response = post(
        client, BOOT, {"app_id": app_id, "user_id": "u-1"}, origin="https://evil.example"
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "origin_not_trusted"
    assert "Settings > Messenger > Trusted domains" in response.json()["errors"][0]["message"]
    assert "Access-Control-Allow-Origin" not in response
    assert not Contact.objects.exists()


def test_a_mobile_sdk_call_without_an_origin_is_judged_by_its_verification(client, app_id):
    messenger_secret_rotate(SecretKind.IDENTITY_IOS)
    messenger_settings_update(identity_mode="enforce")
    response = post(
        client, BOOT, {"app_id": app_id, "platform": "ios", "user_id": "u-1"}, origin=None
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "identity_verification_failed"
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"app_id": "nope", "user_id": "u-1"}, 404, "app_not_found"),
        ({"user_id": "u-1"}, 404, "app_not_found"),
        ("[1, 2]", 400, "bad_request"),
        ({"platform": "windows-phone"}, 400, "parameter_invalid"),
        ({}, 400, "parameter_not_found"),
    ],
)
def test_bad_calls_get_a_clear_error_and_write_nothing(client, app_id, body, status, code):
    if isinstance(body, dict) and "app_id" not in body and body != {"user_id": "u-1"}:
        body = {"app_id": app_id, **body}
    response = post(client, BOOT, body)
    assert response.status_code == status
    assert response.json()["errors"][0]["code"] == code
    assert not Contact.objects.exists()


def test_not_json_and_too_big_are_refused(client, app_id):
    bad = client.post(BOOT, "{", content_type="application/json", HTTP_ORIGIN=SHOP)
    assert bad.status_code == 400
    huge = post(client, BOOT, {"app_id": app_id, "user_id": "u-1", "bio": "x" * 70_000})
    assert huge.status_code == 413
    assert not Contact.objects.exists()


def test_only_post(client, app_id):
    assert client.get(BOOT, HTTP_ORIGIN=SHOP).status_code == 405


def test_an_event_from_a_booted_user_is_tracked(client, app_id):
    post(client, BOOT, {"app_id": app_id, "user_id": "u-1"})
    response = post(
        client,
        EVENTS,
        {
            "app_id": app_id,
            "user_id": "u-1",
            "event_name": "exported-report",
            "created_at": 1700000000,
            "metadata": {"rows": 120},
        },
    )
    assert response.status_code == 202, response.content
    event = Event.objects.get()
    assert (event.event_name, event.metadata) == ("exported-report", {"rows": 120})
    unknown = post(client, EVENTS, {"app_id": app_id, "user_id": "u-9", "event_name": "x"})
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["code"] == "user_not_found"
    nameless = post(client, EVENTS, {"app_id": app_id, "user_id": "u-1"})
    assert nameless.status_code == 400


def test_a_jwt_boot_is_verified(client, app_id):
    secret = messenger_secret_rotate(SecretKind.JWT)
    token = jwt.encode(
        {"user_id": "u-1", "exp": int(time.time()) + 60, "name": "Ada"}, secret, algorithm="HS256"
    )
    response = post(client, BOOT, {"app_id": app_id, "intercom_user_jwt": token})
    assert response.json()["verified"] is True
    expired = jwt.encode({"user_id": "u-1", "exp": 1}, secret, algorithm="HS256")
    refused = post(client, BOOT, {"app_id": app_id, "intercom_user_jwt": expired})
    assert refused.status_code == 401
    assert "expired" in refused.json()["errors"][0]["message"]


def test_the_script_is_served_current_and_briefly_cached_to_any_page(client):
    response = client.get("/messenger/messenger.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert b"window.Intercom = Intercom" in response.content
    assert len(response.content) < 30_000
