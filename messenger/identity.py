"""Who a messenger call says it is, and whether that is proven: Intercom's identity verification
(`user_hash`, an HMAC-SHA256 of the user id or else the email) and Messenger Security
(`intercom_user_jwt`, HS256 only, `exp` required). Secrets compare in constant time."""

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

import jwt

from .configuration import messenger_settings, secrets_in_force
from .models import IdentityMode, MessengerSettings, SecretKind

PLATFORM_SECRETS = {
    "web": SecretKind.IDENTITY_WEB,
    "ios": SecretKind.IDENTITY_IOS,
    "android": SecretKind.IDENTITY_ANDROID,
}
# A token older than this many seconds past its `exp` is refused; clocks differ a little.
JWT_LEEWAY_SECONDS = 30


class IdentityRefused(ValueError):
    """Enforce mode, or a token that is present but invalid: the call writes nothing."""


@dataclass(frozen=True)
class Identity:
    verified: bool  # the identity (and the claims) are proven
    claims: dict[str, Any] = field(default_factory=dict)  # a valid JWT's payload: trusted
    how: str = ""  # "jwt", "user_hash" or "" (not verified)


def user_hash_expected(secret: str, user_id: str | None, email: str | None) -> str:
    """What the customer's server computes: HMAC-SHA256 hex over user_id, else email."""
    subject = user_id if user_id else (email or "")
    return hmac.new(secret.encode(), subject.encode(), hashlib.sha256).hexdigest()


def identity_check(
    payload: dict[str, Any], *, platform: str = "web", settings: MessengerSettings | None = None
) -> Identity:
    """Verify the identity a boot or update carries. Returns who is proven; raises
    IdentityRefused when the call must write nothing: a JWT that is present but invalid
    (whatever the mode), or in enforce mode an identified call without valid proof."""
    mode = (settings or messenger_settings()).identity_mode
    token = payload.get("intercom_user_jwt")
    if token:
        claims = _jwt_claims(token)
        return Identity(True, claims, "jwt")
    user_id = text_or_none(payload.get("user_id"))
    email = text_or_none(payload.get("email"))
    identified = bool(user_id or email)
    given = payload.get("user_hash")
    if mode != IdentityMode.OFF and identified and isinstance(given, str) and given:
        kind = PLATFORM_SECRETS.get(platform, SecretKind.IDENTITY_WEB)
        for secret in secrets_in_force(kind):
            if hmac.compare_digest(user_hash_expected(secret, user_id, email), given.lower()):
                return Identity(True, {}, "user_hash")
        if mode == IdentityMode.ENFORCE:
            raise IdentityRefused(
                "The user_hash does not match this user: compute it on your server as the "
                "HMAC-SHA256 (hex) of the user_id (or of the email when there is no user_id) "
                "with your identity secret."
            )
    if mode == IdentityMode.ENFORCE and identified:
        raise IdentityRefused(
            "Identity verification is enforced: send a user_hash or an intercom_user_jwt "
            "signed on your server. Nothing was saved."
        )
    return Identity(False)


def _jwt_claims(token: Any) -> dict[str, Any]:
    if not isinstance(token, str):
        raise IdentityRefused("intercom_user_jwt must be a JWT string.")
    keys = secrets_in_force(SecretKind.JWT)
    if not keys:
        raise IdentityRefused(
            "This workspace has no Messenger API secret yet, so intercom_user_jwt cannot be "
            "checked: make one under Settings > Messenger > Security."
        )
    problem = "The intercom_user_jwt is not valid."
    for key in keys:
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["HS256"],  # pinned: never what the token's header says
                options={"require": ["exp"]},
                leeway=JWT_LEEWAY_SECONDS,
            )
        except jwt.ExpiredSignatureError:
            raise IdentityRefused("The intercom_user_jwt has expired: sign a new one.") from None
        except jwt.MissingRequiredClaimError:
            raise IdentityRefused("The intercom_user_jwt needs an exp (expiry) claim.") from None
        except jwt.InvalidSignatureError:
            problem = "The intercom_user_jwt is not signed with this workspace's secret."
            continue
        except jwt.InvalidTokenError as exc:
            raise IdentityRefused(f"The intercom_user_jwt is not valid: {exc}.") from None
        if not text_or_none(claims.get("user_id")):
            raise IdentityRefused("The intercom_user_jwt must carry a user_id claim.")
        return claims
    raise IdentityRefused(problem)


def text_or_none(value: Any) -> str | None:
    """A value as stripped text, or None when there is none."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def named_user_keys(identity: Identity, payload: dict[str, Any]) -> tuple[str | None, str | None]:
    """(user_id, email) the call names. With a JWT only its claims do: an email beside the
    token could name (and claim) someone else's contact."""
    source = identity.claims if identity.how == "jwt" else payload
    return text_or_none(source.get("user_id")), text_or_none(source.get("email"))
