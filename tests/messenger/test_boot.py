"""What a boot writes, field by field, through the services: its sources, verified or not, and
what is left out (recorded, never fatal)."""

import hashlib
import hmac
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from companies.models import Company
from contacts.models import CompanyMembership, Contact, Role
from messenger.boot import BootRefused, Client, messenger_boot
from messenger.configuration import messenger_secret_rotate, messenger_settings_update
from messenger.identity import IdentityRefused
from messenger.models import SecretKind
from qualification.models import AttributeChange, DataAttribute, Precedence
from qualification.services import attributes_apply
from qualification.sources import Source
from tests.factories import ContactFactory, DataAttributeFactory, UserFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def sources(contact, name):
    return list(
        AttributeChange.objects.filter(target_id=contact.pk, attribute_name=name)
        .order_by("id")
        .values_list("source", flat=True)
    )


def test_a_first_boot_makes_the_user_with_every_standard_field():
    result = messenger_boot(
        {
            "app_id": "abc",
            "user_id": "u-1",
            "email": "ada@example.com",
            "name": "Ada Lovelace",
            "phone": "+44 20 7946 0000",
            "created_at": 1700000000,
            "language_override": "en-GB",
            "unsubscribed_from_emails": True,
            "hide_default_launcher": True,
        },
        client=Client(browser="Firefox 120", os="Linux", language="en-GB"),
        now=NOW,
    )
    ada = Contact.objects.get(pk=result.contact.pk)
    assert result.created and not result.verified
    assert (ada.role, ada.external_id, ada.email, ada.name) == (
        Role.USER,
        "u-1",
        "ada@example.com",
        "Ada Lovelace",
    )
    assert ada.phone == "+44 20 7946 0000" and ada.language_override == "en-GB"
    assert ada.signed_up_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert ada.unsubscribed_from_emails is True
    assert (ada.last_seen_at, ada.web_sessions) == (NOW, 1)
    assert (ada.browser, ada.os, ada.browser_language) == ("Firefox 120", "Linux", "en-GB")
    assert sources(ada, "name") == [Source.MESSENGER]
    assert not DataAttribute.objects.filter(name="hide_default_launcher").exists()


def test_the_same_user_is_found_again_by_user_id_or_email():
    first = messenger_boot({"user_id": "u-1", "email": "ada@example.com"}, now=NOW).contact
    again = messenger_boot({"user_id": "u-1", "name": "Ada"}, now=NOW).contact
    by_email = messenger_boot({"email": "ADA@example.com"}, now=NOW).contact
    assert first.pk == again.pk == by_email.pk
    assert Contact.objects.count() == 1


def test_a_user_made_by_email_is_claimed_by_its_first_boot_with_a_user_id():
    made = ContactFactory(role=Role.USER, external_id=None, values={"email": "ada@example.com"})
    found = messenger_boot({"user_id": "u-9", "email": "ada@example.com"}, now=NOW).contact
    assert found.pk == made.pk


def test_web_sessions_count_visits_after_half_an_hour_idle():
    boot = {"user_id": "u-1"}
    messenger_boot(boot, now=NOW)
    messenger_boot(boot, now=NOW + timedelta(minutes=10))
    contact = messenger_boot(boot, now=NOW + timedelta(minutes=45)).contact
    contact.refresh_from_db()
    assert contact.web_sessions == 2
    assert contact.last_seen_at == NOW + timedelta(minutes=45)


def test_custom_attributes_are_typed_by_their_definition_and_bad_values_recorded():
    DataAttributeFactory(name="plan", label="Plan", data_type="string", messenger_writable=True)
    DataAttributeFactory(name="seats", label="Seats", data_type="integer", messenger_writable=True)
    result = messenger_boot(
        {"user_id": "u-1", "plan": "Pro", "seats": "many", "nickname": "Ada"}, now=NOW
    )
    contact = Contact.objects.get(pk=result.contact.pk)
    assert contact.custom_attributes == {"plan": "Pro"}
    assert any(i.startswith("seats:") for i in result.ignored)
    assert "nickname: no such attribute, and the messenger may not create attributes" in (
        result.ignored
    )
    assert not DataAttribute.objects.filter(name="nickname").exists()


def test_new_attributes_are_made_only_when_the_workspace_allows_it():
    messenger_settings_update(allow_new_attributes=True)
    result = messenger_boot({"user_id": "u-1", "nickname": "Ada", "logins": 3}, now=NOW)
    assert DataAttribute.objects.get(name="nickname").data_type == "string"
    assert DataAttribute.objects.get(name="logins").data_type == "integer"
    assert Contact.objects.get(pk=result.contact.pk).custom_attributes == {
        "nickname": "Ada",
        "logins": 3,
    }


def test_an_attribute_the_messenger_may_not_write_is_left_out_and_said():
    DataAttributeFactory(name="tier", label="Tier", data_type="string", messenger_writable=False)
    result = messenger_boot({"user_id": "u-1", "tier": "Gold"}, now=NOW)
    assert Contact.objects.get(pk=result.contact.pk).custom_attributes == {}
    assert any(i.startswith("tier: Tier cannot be written by") for i in result.ignored)


def test_empty_undefined_and_null_say_nothing():
    DataAttributeFactory(name="plan", label="Plan", data_type="string", messenger_writable=True)
    contact = messenger_boot({"user_id": "u-1", "plan": "Pro"}, now=NOW).contact
    messenger_boot({"user_id": "u-1", "plan": "undefined", "name": ""}, now=NOW)
    contact.refresh_from_db()
    assert contact.custom_attributes == {"plan": "Pro"}


def test_a_boot_naming_nobody_is_refused():
    with pytest.raises(BootRefused):
        messenger_boot({"app_id": "abc", "plan": "Pro"}, now=NOW)
    assert not Contact.objects.exists()


def test_the_company_is_made_updated_and_linked():
    result = messenger_boot(
        {
            "user_id": "u-1",
            "company": {"company_id": "acme", "name": "Acme", "plan": "Pro", "created_at": 1e9},
            "companies": [{"id": "globex", "name": "Globex"}, {"name": "No id"}],
        },
        now=NOW,
    )
    acme = Company.objects.get(company_id="acme")
    assert (acme.name, acme.plan) == ("Acme", "Pro")
    assert acme.remote_created_at == datetime(2001, 9, 9, 1, 46, 40, tzinfo=UTC)
    linked = set(
        CompanyMembership.objects.filter(contact=result.contact).values_list(
            "company__company_id", flat=True
        )
    )
    assert linked == {"acme", "globex"}
    assert "a company without company_id is ignored: company_id is required" in result.ignored
    messenger_boot({"user_id": "u-1", "company": {"company_id": "acme", "plan": "Enterprise"}})
    acme.refresh_from_db()
    assert acme.plan == "Enterprise" and Company.objects.count() == 2


def test_prevent_company_updates_ignores_unverified_company_data_but_not_a_jwts_claims():
    messenger_settings_update(prevent_company_updates=True)
    secret = messenger_secret_rotate(SecretKind.JWT)
    unverified = messenger_boot(
        {"user_id": "u-1", "company": {"company_id": "acme", "name": "Acme"}}, now=NOW
    )
    assert not Company.objects.exists()
    assert not CompanyMembership.objects.exists()
    assert any("Prevent company attribute updates" in i for i in unverified.ignored)

    token = jwt.encode(
        {
            "user_id": "u-1",
            "exp": int(time.time()) + 60,
            "company": {"company_id": "acme", "name": "Acme"},
        },
        secret,
        algorithm="HS256",
    )
    beside = {"company_id": "evil", "name": "Evil Corp"}
    messenger_boot({"intercom_user_jwt": token, "company": beside}, now=NOW)
    assert list(Company.objects.values_list("company_id", flat=True)) == ["acme"]
    assert CompanyMembership.objects.get().company.company_id == "acme"


def test_jwt_claims_are_verified_and_values_beside_the_token_are_not():
    secret = messenger_secret_rotate(SecretKind.JWT)
    DataAttributeFactory(name="plan", label="Plan", data_type="string", messenger_writable=True)
    token = jwt.encode(
        {"user_id": "u-1", "exp": int(time.time()) + 60, "plan": "Pro"}, secret, algorithm="HS256"
    )
    result = messenger_boot(
        {"intercom_user_jwt": token, "user_id": "someone-else", "name": "Ada"}, now=NOW
    )
    contact = result.contact
    assert result.verified and contact.external_id == "u-1"  # the token's user, not the page's
    assert sources(contact, "plan") == [Source.MESSENGER_VERIFIED]
    assert sources(contact, "name") == [Source.MESSENGER]


def test_a_matching_user_hash_verifies_the_whole_call():
    secret = messenger_secret_rotate(SecretKind.IDENTITY_WEB)
    messenger_settings_update(identity_mode="optional")
    digest = hmac.new(secret.encode(), b"u-1", hashlib.sha256).hexdigest()
    result = messenger_boot({"user_id": "u-1", "user_hash": digest, "name": "Ada"}, now=NOW)
    assert result.verified
    assert sources(result.contact, "name") == [Source.MESSENGER_VERIFIED]


def test_enforce_refuses_an_unproven_boot_and_writes_nothing():
    messenger_secret_rotate(SecretKind.IDENTITY_WEB)
    messenger_settings_update(identity_mode="enforce")
    with pytest.raises(IdentityRefused):
        messenger_boot({"user_id": "u-1", "name": "Ada", "user_hash": "0" * 64}, now=NOW)
    assert not Contact.objects.exists() and not AttributeChange.objects.exists()


@pytest.mark.parametrize(
    ("precedence", "kept"), [(Precedence.APP_WINS, "Pro"), (Precedence.MANUAL_WINS, "Trial")]
)
def test_a_teammates_edit_and_the_next_boot_follow_the_attributes_precedence(precedence, kept):
    DataAttributeFactory(
        name="plan",
        label="Plan",
        data_type="string",
        precedence=precedence,
        messenger_writable=True,
    )
    contact = messenger_boot({"user_id": "u-1", "plan": "Free"}, now=NOW).contact
    attributes_apply(
        target=contact,
        values={"plan": "Trial"},
        source=Source.QUALIFICATION,
        actor=UserFactory(role="Teammate"),
    )
    messenger_boot({"user_id": "u-1", "plan": "Pro"}, now=NOW)
    contact.refresh_from_db()
    assert contact.custom_attributes["plan"] == kept


def test_require_verified_updates_ignores_unverified_values_of_that_attribute():
    DataAttributeFactory(
        name="plan",
        label="Plan",
        data_type="string",
        messenger_writable=True,
        messenger_verified_only=True,
    )
    DataAttributeFactory(name="theme", label="Theme", data_type="string", messenger_writable=True)
    said = messenger_boot({"user_id": "u-1", "plan": "Enterprise", "theme": "dark"}, now=NOW)
    contact = Contact.objects.get(pk=said.contact.pk)
    assert contact.custom_attributes == {"theme": "dark"}
    assert any(
        i.startswith("plan: Plan takes only verified messenger values") for i in said.ignored
    )

    secret = messenger_secret_rotate(SecretKind.JWT)
    token = jwt.encode(
        {"user_id": "u-1", "exp": int(time.time()) + 60, "plan": "Pro"}, secret, algorithm="HS256"
    )
    messenger_boot({"intercom_user_jwt": token}, now=NOW)
    contact.refresh_from_db()
    assert contact.custom_attributes["plan"] == "Pro"
    # The refused value is in the history too, as the messenger's; the kept one is verified.
    assert sources(contact, "plan") == [Source.MESSENGER, Source.MESSENGER_VERIFIED]


def test_an_email_beside_a_jwt_cannot_claim_someone_elses_contact():
    victim = ContactFactory(role=Role.USER, external_id=None, values={"email": "ceo@acme.example"})
    secret = messenger_secret_rotate(SecretKind.JWT)
    token = jwt.encode({"user_id": "intruder", "exp": int(time.time()) + 60}, secret, "HS256")
    result = messenger_boot({"intercom_user_jwt": token, "email": "ceo@acme.example"}, now=NOW)
    assert result.contact.pk != victim.pk
    victim.refresh_from_db()
    assert victim.external_id is None
    assert "email: ceo@acme.example belongs to another user" in result.ignored
