"""config.middleware: signed-in pages never kept by the browser, an htmx request whose
session ended sends the whole page to the login page and back, and hostile requests are a 400
or 404 (in Intercom's shape on the API), never a 500."""

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from contacts.models import Contact
from qualification.models import AttributeChange
from tests.factories import ContactFactory, ConversationFactory, DataAttributeFactory
from tests.test_url_roles import world  # noqa: F401  (the fixture: one of everything)

pytestmark = pytest.mark.django_db


def test_signed_in_pages_are_private_and_never_stored(client, agent):
    conversation = ConversationFactory()
    client.force_login(agent)
    for url in ("/inbox/", f"/inbox/conversations/{conversation.pk}/", "/contacts/"):
        response = client.get(url)
        assert response.status_code == 200
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"no-cache", "no-store", "must-revalidate", "private"} <= directives, url


def test_the_api_keeps_its_own_caching(client, agent):
    client.force_login(agent)
    assert "private" not in client.get("/api/contacts").get("Cache-Control", "")


def test_an_htmx_save_after_the_session_ended_goes_to_the_login_page_and_back(client, agent):
    contact = ContactFactory(values={"name": "Lena"})
    conversation = ConversationFactory(contact=contact)
    job = DataAttributeFactory(name="job_title", label="Job title")
    page = f"/inbox/conversations/{conversation.pk}/"
    client.force_login(agent)
    Session.objects.all().delete()  # the session ended while the editor was open

    response = client.post(
        reverse("attribute-row", args=["contact", contact.pk, job.pk]),
        {"value": "CTO", "version": contact.version},
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{page}"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/accounts/login/?next={page}"
    assert response.content == b""  # nothing to swap into the sidebar
    assert not AttributeChange.objects.filter(attribute_name="job_title").exists()


def test_a_plain_request_after_the_session_ended_is_redirected_as_before(client):
    response = client.get("/inbox/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/inbox/"


def _api_write(client, request_id: str, *, remote_addr: str = "127.0.0.1"):
    from workspace.tokens import api_token_create

    secret = api_token_create(name="Sync", scopes=["contacts:write"])[1]
    return client.post(
        "/api/contacts",
        {"email": "ada@example.com"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}", "X-Request-Id": request_id},
        REMOTE_ADDR=remote_addr,
    )


def test_a_clients_request_id_is_not_the_audit_id(client):
    response = _api_write(client, "forged-by-the-client")
    assert response.status_code == 200
    ours = response["X-Request-Id"]
    assert ours != "forged-by-the-client" and len(ours) == 32
    recorded = set(AttributeChange.objects.values_list("request_id", flat=True))
    assert recorded == {ours}


@pytest.mark.parametrize("trusted", [["10.0.0.5"], ["10.0.0.0/24", "::1"]])
def test_a_trusted_proxys_request_id_is_kept(client, settings, trusted):
    settings.TRUSTED_PROXIES = trusted
    response = _api_write(client, "edge-7f3a", remote_addr="10.0.0.5")
    assert response["X-Request-Id"] == "edge-7f3a"
    assert set(AttributeChange.objects.values_list("request_id", flat=True)) == {"edge-7f3a"}
    elsewhere = client.get(
        "/accounts/login/", headers={"X-Request-Id": "x"}, REMOTE_ADDR="10.9.0.1"
    )
    assert elsewhere["X-Request-Id"] != "x"


def _directives(response, header="Cache-Control") -> set[str]:
    return {d.strip() for d in response.get(header, "").split(",") if d.strip()}


def test_every_signed_in_page_is_never_stored_and_carries_the_security_headers(
    client,
    world,  # noqa: F811
):
    from tests.factories import UserFactory
    from tests.test_url_roles import ADMIN, EXPECTED, PUBLIC, _url

    client.force_login(UserFactory(username="root", role="Admin", is_superuser=True))
    pages = [
        _url(name, world)
        for name, methods in EXPECTED.items()
        if ADMIN in methods.get("GET", ()) and methods["GET"] is not PUBLIC
    ]
    contact = Contact.objects.first()
    pages += ["/admin/", f"/admin/contacts/contact/{contact.pk}/change/"]
    checked = 0
    for url in pages:
        response = client.get(url)
        if response.status_code != 200:
            continue
        checked += 1
        assert {"no-store", "private"} <= _directives(response), url
        policy = _directives(response, "Content-Security-Policy")
        assert {"script-src 'self'", "style-src 'self'", "object-src 'none'"} <= {
            p.strip() for d in policy for p in d.split(";")
        }, url
        assert "camera=()" in response["Permissions-Policy"], url
    assert checked >= 15


def test_the_policy_allows_no_inline_script_or_style_anywhere_in_the_templates():
    """What a browser would block under the policy, found in the source: a <script> without
    src, an on...= handler, a style= attribute or <style> element, a javascript: URL."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>|\son[a-z]+\s*=|"
        r"\sstyle\s*=|<style\b|=[\"']\s*javascript:",
        re.IGNORECASE,
    )
    found = [
        f"{path.relative_to(root)}: {match.group(0)}"
        for path in (root / "templates").rglob("*.html")
        for match in inline.finditer(path.read_text())
    ]
    assert found == []


def test_the_api_and_the_login_page_carry_the_policy_too(client):
    for url in ("/accounts/login/", "/api/contacts"):
        response = client.get(url)
        assert "default-src 'self'" in response["Content-Security-Policy"], url
        assert "Permissions-Policy" in response, url


# Hostile requests (issue 16, finding 7): a 400 or 404 in Intercom's shape, never a 500 ------


@pytest.fixture
def secret():
    from workspace.tokens import SCOPES, api_token_create

    return api_token_create(name="Hostile", scopes=list(SCOPES))[1]


def _shaped(response, status=400):
    from tests.api_helpers import error_of

    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    return error_of(response)


UNSTORABLE = [
    ("/api/contacts", '{"role": "user", "external_id": "A\\u0000"}', "NUL"),
    ("/api/contacts", '{"role": "user", "external_id": "\\ud83d"}', "surrogate"),
    ("/api/companies", '{"company_id": "A\\u0000"}', "NUL"),
    ("/api/tags", '{"name": "\\udfff"}', "surrogate"),
]


@pytest.mark.parametrize("content_type", ["text/plain", None, "application/x-www-form-urlencoded"])
@pytest.mark.parametrize(("url", "body", "problem"), UNSTORABLE)
def test_unstorable_text_is_refused_whatever_the_content_type(
    client, secret, content_type, url, body, problem
):
    """As JSON these were refused up front; as text/plain or with no content type, the API
    still parsed them as JSON and the database refused them: a 500."""
    from companies.models import Company
    from contacts.models import Contact
    from qualification.models import Tag

    headers = {"Authorization": f"Bearer {secret}"}
    if content_type:
        response = client.post(url, body, content_type=content_type, headers=headers)
    else:
        response = client.generic("POST", url, body.encode(), headers=headers)
    code, message = _shaped(response)
    assert code == "parameter_invalid" and problem in message
    assert not (Contact.objects.exists() or Company.objects.exists() or Tag.objects.exists())


@pytest.mark.parametrize("authorized", [True, False])
def test_deeply_nested_json_is_refused_before_anything_else(client, secret, authorized):
    # An escape made the up-front text check parse it: Python's parser ran out of stack.
    body = (
        '{"query": {"field": "name", "value": "\\ud83d\\ude00", "x": '
        + "[" * 100_000
        + "]" * 100_000
        + "}}"
    )
    headers = {"Authorization": f"Bearer {secret}"} if authorized else {}
    response = client.post(
        "/api/contacts/search", body, content_type="application/json", headers=headers
    )
    code, message = _shaped(response)
    assert code == "bad_request"
    assert message == "The request body nests JSON more than 32 levels deep."


def test_an_oversized_body_is_refused_in_intercoms_shape(client, secret, settings):
    body = '{"name": "' + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + '"}'
    response = client.post(
        "/api/contacts",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    code, message = _shaped(response)
    assert code == "bad_request"
    assert message == (
        f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."
    )


def test_the_api_root_is_a_404_in_intercoms_shape(client, secret):
    for headers in ({"Authorization": f"Bearer {secret}"}, {}):
        assert _shaped(client.get("/api/", headers=headers), 404)[0] == "not_found"


@pytest.mark.parametrize("kind", ["contact", "company"])
def test_a_nul_in_a_pages_query_is_a_plain_400(client, agent, kind):
    from tests.factories import CompanyFactory

    target = ContactFactory() if kind == "contact" else CompanyFactory()
    client.force_login(agent)
    attribute = DataAttributeFactory(name="job_title", label="Job title", model=kind)
    page = f"/contacts/{target.pk}/" if kind == "contact" else f"/companies/{target.pk}/"
    urls = [
        page,
        reverse("attribute-history", args=[kind, target.pk, attribute.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url
        response = client.get(url, {"source": "a\x00b"})
        assert response.status_code == 400, url
