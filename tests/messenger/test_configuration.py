import pytest

from messenger.configuration import (
    MessengerSettingsError,
    messenger_secret_rotate,
    messenger_settings,
    messenger_settings_update,
    secrets_in_force,
    trusted_origin,
)
from messenger.models import MessengerSecret, MessengerSettings, SecretKind

pytestmark = pytest.mark.django_db


def test_one_settings_row_with_an_app_id():
    first = messenger_settings()
    assert len(first.app_id) == 8 and messenger_settings().pk == first.pk
    assert MessengerSettings.objects.count() == 1


@pytest.mark.parametrize(
    ("text", "origin"),
    [
        ("https://App.Example.com", "https://app.example.com"),
        ("https://app.example.com/", "https://app.example.com"),
        ("http://localhost:8001", "http://localhost:8001"),
        ("  https://shop.example  ", "https://shop.example"),
    ],
)
def test_trusted_origins_are_kept_as_scheme_and_host(text, origin):
    assert trusted_origin(text) == origin


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("app.example.com", "is not a web origin"),
        ("ftp://app.example.com", "is not a web origin"),
        ("https://app.example.com/login", "has more than an origin"),
        ("https://user@app.example.com", "has more than an origin"),
    ],
)
def test_anything_but_an_origin_is_refused_and_nothing_changes(text, says):
    messenger_settings_update(trusted_domains=["https://kept.example"])
    with pytest.raises(MessengerSettingsError, match=says):
        messenger_settings_update(trusted_domains=["https://new.example", text])
    assert messenger_settings().trusted_domains == ["https://kept.example"]


def test_domains_are_deduplicated_and_blank_lines_ignored():
    saved = messenger_settings_update(
        trusted_domains=["https://a.example", "", "https://A.example/", "https://b.example"]
    )
    assert saved.trusted_domains == ["https://a.example", "https://b.example"]


def test_enforce_needs_a_secret_first():
    with pytest.raises(MessengerSettingsError, match="Make a secret first"):
        messenger_settings_update(identity_mode="enforce")
    messenger_secret_rotate(SecretKind.JWT)
    assert messenger_settings_update(identity_mode="enforce").identity_mode == "enforce"


def test_an_unknown_mode_is_refused():
    with pytest.raises(MessengerSettingsError, match="Choose how identities are verified"):
        messenger_settings_update(identity_mode="sometimes")


def test_rotation_keeps_one_current_secret_and_the_old_one_for_a_day():
    first = messenger_secret_rotate(SecretKind.IDENTITY_WEB)
    second = messenger_secret_rotate(SecretKind.IDENTITY_WEB)
    assert first != second and len(second) >= 40
    assert secrets_in_force(SecretKind.IDENTITY_WEB) == [second, first]
    current = MessengerSecret.objects.filter(kind=SecretKind.IDENTITY_WEB, expires_at=None)
    assert list(current.values_list("secret", flat=True)) == [second]
    old = MessengerSecret.objects.get(secret=first)
    assert 23.9 * 3600 < (old.expires_at - old.created_at).total_seconds() < 24.1 * 3600


def test_the_database_allows_one_current_secret_per_kind():
    from django.db import IntegrityError, transaction

    MessengerSecret.objects.create(kind=SecretKind.JWT, secret="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        MessengerSecret.objects.create(kind=SecretKind.JWT, secret="b")
