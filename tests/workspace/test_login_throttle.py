"""Sign-in throttling (django-axes): by account and by address, a clear message on the login
page, an Admin's unlock on Settings → Teammates; behind a trusted proxy, the client's address."""

import pytest
from django.core.management import call_command

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def throttled(settings):
    settings.AXES_ENABLED = True  # off for the rest of the suite (tests/conftest.py)
    settings.AXES_FAILURE_LIMIT = 10


def sign_in(client, username, password, address="127.0.0.1", **headers):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_thirty_wrong_passwords_then_the_right_one_is_refused(client):
    UserFactory(username="agent", role="Teammate")
    for _ in range(30):
        assert sign_in(client, "agent", "guess").status_code in (200, 429)
    refused = sign_in(client, "agent", "demo")
    assert refused.status_code == 429 and not signed_in(client)
    assert refused["Retry-After"] == str(15 * 60)
    page = refused.content.decode()
    assert "Too many failed sign-ins for this account from here, or from this network" in page
    assert "Sign-in is paused for 15 minutes" in page
    assert "Ask an Admin to unlock your account (Settings → Teammates → Unlock)" in page
    assert 'name="username"' in page  # still the login page


def test_guesses_from_elsewhere_never_lock_the_owner_out_of_their_own_network(client):
    UserFactory(username="admin", role="Admin")
    for _ in range(30):
        sign_in(client, "admin", "guess", address="198.51.100.66")
    assert sign_in(client, "admin", "demo", address="198.51.100.66").status_code == 429
    assert sign_in(client, "admin", "demo", address="203.0.113.9").status_code == 302
    assert signed_in(client)


def test_the_pause_is_not_prolonged_by_more_failures(client, settings):
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.utils import timezone

    UserFactory(username="agent", role="Teammate")
    for _ in range(10):
        sign_in(client, "agent", "guess")
    first = AccessAttempt.objects.order_by("attempt_time").values_list("attempt_time", flat=True)
    started = list(first)
    for _ in range(5):
        assert sign_in(client, "agent", "guess").status_code == 429
    assert list(first) == started  # refused tries during the pause do not restart it
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sign_in(client, "agent", "demo").status_code == 302


def test_the_limit_counts_an_address_across_accounts(client):
    UserFactory(username="agent", role="Teammate")
    for n in range(10):
        sign_in(client, f"nobody{n}", "guess", address="198.51.100.7")
    assert sign_in(client, "agent", "demo", address="198.51.100.7").status_code == 429
    assert sign_in(client, "agent", "demo", address="198.51.100.8").status_code == 302
    assert signed_in(client)


def test_a_few_mistakes_then_the_right_password_signs_in_and_starts_afresh(client):
    UserFactory(username="agent", role="Teammate")
    for _ in range(9):
        sign_in(client, "agent", "guess")
    assert sign_in(client, "agent", "demo").status_code == 302
    client.logout()
    for _ in range(9):
        sign_in(client, "agent", "guess")
    assert sign_in(client, "agent", "demo").status_code == 302


def test_behind_a_trusted_proxy_the_clients_address_counts(client, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    UserFactory(username="agent", role="Teammate")
    for n in range(10):
        sign_in(
            client, f"nobody{n}", "guess", "10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7"
        )
    # The attacker's address is locked; a colleague behind the same proxy is not.
    locked = sign_in(client, "agent", "demo", "10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert locked.status_code == 429
    assert (
        sign_in(client, "agent", "demo", "10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.1").status_code
        == 302
    )


def test_an_admin_unlocks_a_locked_out_teammate(client):
    admin = UserFactory(username="boss", first_name="Ada", role="Admin")
    agent = UserFactory(username="agent", first_name="Priya", last_name="Raman", role="Teammate")
    for _ in range(10):
        sign_in(client, "agent", "guess", address="198.51.100.7")
    client.force_login(admin)
    page = client.get("/settings/teammates/").content.decode()
    assert page.count("Locked out") == 1 and 'aria-label="Unlock Priya Raman"' in page

    unlocked = client.post(f"/settings/teammates/{agent.pk}/unlock/", follow=True)
    assert "Unlocked Priya Raman: they can sign in again now." in unlocked.content.decode()
    assert "Locked out" not in unlocked.content.decode()
    client.logout()
    # Their account is free again from the address it was locked from, once that address
    # is not itself over the limit across accounts (here it never tried another).
    assert sign_in(client, "agent", "demo", address="198.51.100.7").status_code == 302


@pytest.mark.parametrize("role", ["Teammate", "Viewer"])
def test_only_admins_may_unlock(client, role):
    agent = UserFactory(username="agent", role="Teammate")
    for _ in range(10):
        sign_in(client, "agent", "guess", address="198.51.100.7")
    client.force_login(UserFactory(username="me", role=role))
    assert client.post(f"/settings/teammates/{agent.pk}/unlock/").status_code == 403
    client.logout()
    assert sign_in(client, "agent", "demo", address="198.51.100.7").status_code == 429


def test_axes_reset_unlocks_everyone_from_the_command_line(client):
    UserFactory(username="agent", role="Teammate")
    for _ in range(10):
        sign_in(client, "agent", "guess")
    call_command("axes_reset")
    assert sign_in(client, "agent", "demo").status_code == 302


def test_an_admin_unlocks_a_locked_out_address(client):
    admin = UserFactory(username="boss", role="Admin")
    UserFactory(username="agent", role="Teammate")
    for n in range(10):
        sign_in(client, f"nobody{n}", "guess", address="198.51.100.7")
    assert sign_in(client, "agent", "demo", address="198.51.100.7").status_code == 429
    client.force_login(admin)
    page = client.get("/settings/teammates/").content.decode()
    assert "Locked-out addresses" in page and 'aria-label="Unlock 198.51.100.7"' in page
    done = client.post(
        "/settings/teammates/addresses/unlock/", {"address": "198.51.100.7"}, follow=True
    )
    assert "Unlocked 198.51.100.7: sign-in from there works again now." in done.content.decode()
    assert "Locked-out addresses" not in done.content.decode()
    client.logout()
    assert sign_in(client, "agent", "demo", address="198.51.100.7").status_code == 302


@pytest.mark.parametrize("role", ["Teammate", "Viewer"])
def test_only_admins_may_unlock_an_address(client, role):
    for n in range(10):
        sign_in(client, f"nobody{n}", "guess", address="198.51.100.7")
    client.force_login(UserFactory(username="me", role=role))
    response = client.post("/settings/teammates/addresses/unlock/", {"address": "198.51.100.7"})
    assert response.status_code == 403
    from axes.models import AccessAttempt

    assert AccessAttempt.objects.filter(ip_address="198.51.100.7").count() == 10
