"""Settings → Messenger: Admins only (403 for the other roles on every method, nothing
written); a new secret is shown once; errors said beside their field."""

import json

import pytest
from django.core.management import call_command

from messenger.configuration import messenger_settings
from messenger.models import MessengerSecret
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/settings/messenger/"


@pytest.fixture
def admin(client):
    client.force_login(UserFactory(username="boss", role="Admin"))
    return client


def test_the_page_shows_the_app_id_and_each_secret_without_its_value(admin):
    page = admin.get(URL).content.decode()
    assert messenger_settings().app_id in page
    assert "Identity secret (web)" in page and "Messenger API secret (JWT)" in page
    assert "None yet" in page
    assert "the messenger answers no site until you add one" in page


def test_a_new_secret_is_shown_once(admin):
    response = admin.post(f"{URL}secrets/jwt/")
    assert response.status_code == 302  # a reload cannot make another
    secret = MessengerSecret.objects.get(kind="jwt").secret
    shown = admin.get(response["Location"])
    assert secret in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    assert secret not in admin.get(URL).content.decode()
    assert MessengerSecret.objects.count() == 1
    assert admin.post(f"{URL}secrets/root/").status_code == 404


def test_trusted_domains_are_saved_or_refused_beside_the_field(admin):
    response = admin.post(f"{URL}domains/", {"trusted_domains": "https://app.example.com\n"})
    assert response.status_code == 302
    assert messenger_settings().trusted_domains == ["https://app.example.com"]
    response = admin.post(f"{URL}domains/", {"trusted_domains": "app.example.com/login"})
    assert response.status_code == 422
    assert "is not a web origin" in response.content.decode()
    assert messenger_settings().trusted_domains == ["https://app.example.com"]


def test_security_settings_are_saved_and_enforce_without_a_secret_is_explained(admin):
    response = admin.post(
        f"{URL}security/", {"identity_mode": "enforce", "prevent_company_updates": "on"}
    )
    assert response.status_code == 422
    assert "Make a secret first" in response.content.decode()
    assert messenger_settings().identity_mode == "off"
    admin.post(f"{URL}secrets/identity_web/")
    admin.get(URL)
    response = admin.post(
        f"{URL}security/", {"identity_mode": "enforce", "prevent_company_updates": "on"}
    )
    assert response.status_code == 302
    saved = messenger_settings()
    assert (saved.identity_mode, saved.prevent_company_updates) == ("enforce", True)
    assert saved.allow_new_attributes is False


@pytest.mark.parametrize("role", ["Teammate", "Viewer"])
def test_other_roles_get_403_and_nothing_is_written(client, role):
    client.force_login(UserFactory(username="pat", role=role))
    assert client.get(URL).status_code == 403
    assert client.post(f"{URL}secrets/jwt/").status_code == 403
    assert client.post(f"{URL}domains/", {"trusted_domains": "https://x.example"}).status_code == (
        403
    )
    assert client.post(f"{URL}security/", {"identity_mode": "optional"}).status_code == 403
    assert not MessengerSecret.objects.exists()
    assert messenger_settings().trusted_domains == []
    assert messenger_settings().identity_mode == "off"


def test_the_command_changes_settings_and_prints_json(capsys):
    call_command(
        "messenger_settings",
        "--identity=enforce",
        "--prevent-company-updates=on",
        "--trusted-domain=https://app.example.com",
        "--allow-new-attributes=on",
        "--json",
    )
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == {"app_id", "identity_secret", "jwt_secret"}
    saved = messenger_settings()
    assert printed["app_id"] == saved.app_id
    assert (saved.identity_mode, saved.prevent_company_updates, saved.allow_new_attributes) == (
        "enforce",
        True,
        True,
    )
    assert saved.trusted_domains == ["https://app.example.com"]
    call_command("messenger_settings", "--json")  # the same secrets, not new ones
    again = json.loads(capsys.readouterr().out)
    assert again == printed


def test_the_command_explains_a_bad_origin():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="is not a web origin"):
        call_command("messenger_settings", "--trusted-domain=example.com")
