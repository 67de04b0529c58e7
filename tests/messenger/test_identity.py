"""Identity verification: user_hash (HMAC-SHA256 hex of user_id, else email) and the
intercom_user_jwt (HS256 only, exp required, user_id required), in each mode."""

import hashlib
import hmac
import time
from datetime import timedelta

import jwt
import pytest

from messenger.configuration import messenger_secret_rotate, messenger_settings_update
from messenger.identity import IdentityRefused, identity_check
from messenger.models import MessengerSecret, SecretKind

pytestmark = pytest.mark.django_db


def user_hash(secret: str, subject: str) -> str:
    return hmac.new(secret.encode(), subject.encode(), hashlib.sha256).hexdigest()


def token(secret: str, **claims) -> str:
    return jwt.encode({"exp": int(time.time()) + 300, **claims}, secret, algorithm="HS256")


@pytest.fixture
def secrets():
    return {
        "identity": messenger_secret_rotate(SecretKind.IDENTITY_WEB),
        "ios": messenger_secret_rotate(SecretKind.IDENTITY_IOS),
        "jwt": messenger_secret_rotate(SecretKind.JWT),
    }


def mode(name: str) -> None:
    messenger_settings_update(identity_mode=name)


def test_off_checks_nothing_and_verifies_nothing(secrets):
    found = identity_check({"user_id": "u1", "user_hash": user_hash(secrets["identity"], "u1")})
    assert found.verified is False


@pytest.mark.parametrize("setting", ["optional", "enforce"])
def test_a_user_hash_over_the_user_id_verifies(secrets, setting):
    mode(setting)
    payload = {"user_id": "u1", "email": "ada@example.com"}
    payload["user_hash"] = user_hash(secrets["identity"], "u1")  # user_id wins over email
    found = identity_check(payload)
    assert (found.verified, found.how, found.claims) == (True, "user_hash", {})


def test_without_a_user_id_the_hash_is_over_the_email(secrets):
    mode("optional")
    hashed = user_hash(secrets["identity"], "ada@example.com")
    assert identity_check({"email": "ada@example.com", "user_hash": hashed}).verified
    assert identity_check({"email": "ada@example.com", "user_hash": hashed.upper()}).verified


def test_each_platform_has_its_own_secret(secrets):
    mode("optional")
    on_ios = {"user_id": "u1", "user_hash": user_hash(secrets["ios"], "u1")}
    assert identity_check(on_ios, platform="ios").verified
    assert not identity_check(on_ios, platform="web").verified


def test_optional_lets_a_wrong_or_missing_hash_through_unverified(secrets):
    mode("optional")
    assert not identity_check({"user_id": "u1", "user_hash": "0" * 64}).verified
    assert not identity_check({"user_id": "u1"}).verified


def test_enforce_refuses_a_wrong_or_missing_hash_and_lets_anonymous_visitors_in(secrets):
    mode("enforce")
    with pytest.raises(IdentityRefused, match="does not match this user"):
        identity_check({"user_id": "u1", "user_hash": user_hash(secrets["identity"], "u2")})
    with pytest.raises(IdentityRefused, match="Identity verification is enforced"):
        identity_check({"email": "ada@example.com"})
    assert identity_check({}).verified is False  # a visitor names nobody


def test_a_valid_jwt_verifies_and_its_claims_are_trusted(secrets):
    found = identity_check(
        {"intercom_user_jwt": token(secrets["jwt"], user_id="u1", plan="Pro"), "plan": "Free"}
    )
    assert found.verified and found.how == "jwt"
    assert found.claims["plan"] == "Pro"  # the value beside the token is not a claim


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda s: token(s, user_id="u1", exp=int(time.time()) - 120), "has expired"),
        (lambda s: jwt.encode({"user_id": "u1"}, s, algorithm="HS256"), "needs an exp"),
        (lambda s: token(s, email="ada@example.com"), "must carry a user_id"),
        (
            lambda s: token("another workspace's secret, as long as a real one", user_id="u1"),
            "not signed with this workspace",
        ),
        (lambda s: token(s, user_id="u1") + "x", "not signed with this workspace"),
        (
            lambda s: jwt.encode({"user_id": "u1", "exp": 2**40}, s * 2, algorithm="HS512"),
            "not valid",
        ),
        (lambda s: "not.a.jwt", "not valid"),
        (lambda s: 12345, "must be a JWT string"),
    ],
)
def test_a_bad_jwt_is_refused_in_every_mode(secrets, make, message):
    for setting in ("off", "optional", "enforce"):
        mode(setting)
        with pytest.raises(IdentityRefused, match=message):
            identity_check({"intercom_user_jwt": make(secrets["jwt"])})


def test_an_unsigned_alg_none_token_is_refused(secrets):
    unsigned = jwt.encode({"user_id": "u1", "exp": int(time.time()) + 60}, None, algorithm="none")
    with pytest.raises(IdentityRefused):
        identity_check({"intercom_user_jwt": unsigned})


def test_a_rotated_secret_keeps_verifying_during_the_overlap_then_stops(secrets):
    mode("enforce")
    old = secrets["identity"]
    new = messenger_secret_rotate(SecretKind.IDENTITY_WEB)
    assert identity_check({"user_id": "u1", "user_hash": user_hash(old, "u1")}).verified
    assert identity_check({"user_id": "u1", "user_hash": user_hash(new, "u1")}).verified
    MessengerSecret.objects.filter(kind=SecretKind.IDENTITY_WEB, secret=old).update(
        expires_at=MessengerSecret.objects.get(secret=old).expires_at - timedelta(days=2)
    )
    with pytest.raises(IdentityRefused):
        identity_check({"user_id": "u1", "user_hash": user_hash(old, "u1")})
    assert identity_check({"user_id": "u1", "user_hash": user_hash(new, "u1")}).verified


def test_a_rotated_jwt_secret_overlaps_too(secrets):
    old = secrets["jwt"]
    messenger_secret_rotate(SecretKind.JWT)
    assert identity_check({"intercom_user_jwt": token(old, user_id="u1")}).verified


def test_a_jwt_without_any_secret_made_says_what_to_do():
    with pytest.raises(IdentityRefused, match="no Messenger API secret yet"):
        identity_check(
            {
                "intercom_user_jwt": token(
                    "a secret this workspace never made, 32+ bytes", user_id="u1"
                )
            }
        )
