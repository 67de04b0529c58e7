"""What a messenger `boot` or `update` writes: the user it names (found or made), their standard
and custom attributes, last seen and web sessions, the browser's details, and their companies,
all through the services with the source `messenger` or, where proven, `messenger_verified`.

Values inside a valid `intercom_user_jwt` are verified; values beside it are not. A `user_hash`
that matches proves the whole call. A value the messenger may not write, or that does not fit
its attribute, is dropped and recorded (the messenger is a lenient source): never fatal to the
customer's page."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models.functions import Upper
from django.utils import timezone

from companies.models import Company
from companies.services import company_create
from contacts.models import Contact, Role
from contacts.services import contact_company_attach, contact_create, contact_identity_update
from qualification.models import AttributeModel, DataAttribute, DataType
from qualification.results import AttributeProblem
from qualification.services import DataAttributeError, attributes_apply, data_attribute_create
from qualification.sources import Actor, Source

from .configuration import messenger_settings
from .identity import Identity, identity_check, named_user_keys, text_or_none
from .models import MessengerSettings

# Keys of intercomSettings that configure the messenger or prove identity: never attributes.
MESSENGER_KEYS = frozenset(
    {
        "app_id",
        "api_base",
        "alignment",
        "horizontal_padding",
        "vertical_padding",
        "custom_launcher_selector",
        "hide_default_launcher",
        "session_duration",
        "action_color",
        "background_color",
        "installation_type",
        "page_title",
        "user_hash",
        "intercom_user_jwt",
        "visitor_id",
        "platform",
        "user_id",
        "company",
        "companies",
        "avatar",
        "utm_campaign",
        "utm_content",
        "utm_medium",
        "utm_source",
        "utm_term",
        # JWT registered claims
        "exp",
        "iat",
        "nbf",
        "iss",
        "aud",
        "sub",
        "jti",
    }
)
# intercomSettings' user fields -> our standard attributes.
USER_FIELDS = {
    "email": "email",
    "name": "name",
    "phone": "phone",
    "created_at": "signed_up_at",
    "unsubscribed_from_emails": "unsubscribed_from_emails",
    "language_override": "language_override",
}
COMPANY_FIELDS = {
    "name": "name",
    "created_at": "remote_created_at",
    "remote_created_at": "remote_created_at",
    "plan": "plan",
    "monthly_spend": "monthly_spend",
    "user_count": "user_count",
    "size": "size",
    "website": "website",
    "industry": "industry",
}
COMPANY_IGNORED = frozenset({"company_id", "id", "type"})
SESSION_IDLE = timedelta(minutes=30)  # a visit after this long idle is a new web session
# Intercom shows "", "undefined" and "null" as Unknown: they clear nothing, they say nothing.
EMPTY = frozenset({"", "undefined", "null"})


class BootRefused(ValueError):
    """The call names nobody the messenger may write to (or proves nothing in enforce mode)."""


@dataclass(frozen=True)
class Client:
    """What the request says about the visitor's browser (parsed by the view)."""

    browser: str = ""
    os: str = ""
    language: str = ""


@dataclass
class BootResult:
    contact: Contact
    created: bool
    verified: bool
    ignored: list[str] = field(default_factory=list)  # what was left out, in words


def messenger_boot(
    payload: dict[str, Any],
    *,
    platform: str = "web",
    client: Client | None = None,
    now: datetime | None = None,
    settings: MessengerSettings | None = None,
) -> BootResult:
    """Write what an identified boot or update sends. Raises IdentityRefused (enforce mode, a
    bad token) or BootRefused (no user_id or email) with nothing written."""
    settings = settings or messenger_settings()
    identity = identity_check(payload, platform=platform, settings=settings)
    now = now or timezone.now()
    claims = identity.claims
    beside = {k: v for k, v in payload.items() if k not in claims}
    user_id, email = named_user_keys(identity, payload)
    if not (user_id or email):
        raise BootRefused(
            "A boot names its user with user_id or email; anonymous visitors are not supported yet."
        )
    actor = Actor("messenger", settings.app_id, "Messenger")
    result_ignored: list[str] = []
    # What is proven, and what only the browser says.
    if identity.how == "jwt":
        proven, said = claims, beside
    elif identity.verified:
        proven, said = payload, {}
    else:
        proven, said = {}, payload
    with transaction.atomic():
        contact, created = _user(user_id, email, identity, actor)
        proven, said = (_without_others_email(v, contact, result_ignored) for v in (proven, said))
        writes = [(said, Source.MESSENGER)] if said or not identity.verified else []
        if identity.verified:
            writes.append((proven, Source.MESSENGER_VERIFIED))
        for n, (values, source) in enumerate(writes, 1):
            attributes = _user_values(values, settings.allow_new_attributes, result_ignored)
            if n == len(writes):  # seen by this server: as proven as the call itself
                attributes |= _visit(contact, client, now)
            if attributes:
                applied = attributes_apply(
                    target=contact, values=attributes, source=source, actor=actor
                )
                result_ignored += [_problem_words(p) for p in applied.rejected]
        _companies(contact, proven, said, identity, settings, actor, result_ignored)
    return BootResult(contact, created, identity.verified, result_ignored)


def _verified(identity: Identity) -> str:
    return Source.MESSENGER_VERIFIED if identity.verified else Source.MESSENGER


def _user(user_id, email, identity: Identity, actor: Actor) -> tuple[Contact, bool]:
    """The user the call names, found by user_id, else by email (claiming a user made by email
    alone for this user_id), else made (without an email another user has)."""
    source = _verified(identity)
    users = Contact.objects.select_for_update()
    by_email = user_by_email(email, users) if email else None
    found = user_named(user_id, None, users) if user_id else by_email
    if found is None and by_email is not None and by_email.external_id is None:
        contact_identity_update(contact=by_email, external_id=user_id, source=source, actor=actor)
        found = by_email
    if found is not None:
        return found, False
    values = {"email": email} if email and by_email is None else {}
    made = contact_create(
        role=Role.USER, external_id=user_id, values=values, source=source, actor=actor
    )
    return made, True


def user_by_email(email: str, users=None) -> Contact | None:
    """The user with this email, whatever its case (one user per email)."""
    users = Contact.objects if users is None else users
    return (
        users.filter(role=Role.USER)
        .annotate(upper=Upper("email"))
        .filter(upper=email.upper())
        .first()
    )


def user_named(user_id: str | None, email: str | None, users=None) -> Contact | None:
    """The user a call names: by user_id when it has one, else by email."""
    users = Contact.objects if users is None else users
    if user_id:
        return users.filter(role=Role.USER, external_id=user_id).first()
    return user_by_email(email, users) if email else None


def _without_others_email(values: dict, contact: Contact, ignored: list[str]) -> dict:
    """An email that another user has is not written here (one user per email): said."""
    email = text_or_none(values.get("email"))
    if not email:
        return values
    holder = user_by_email(email)
    if holder is None or holder.pk == contact.pk:
        return values
    ignored.append(f"email: {email} belongs to another user")
    return {k: v for k, v in values.items() if k != "email"}


def _user_values(values: dict, allow_new: bool, ignored: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    custom = {}
    for key, value in values.items():
        if key in MESSENGER_KEYS or (isinstance(value, str) and value.strip() in EMPTY):
            continue
        if key in USER_FIELDS:
            name = USER_FIELDS[key]
            out[name] = _moment(value) if name == "signed_up_at" else value
        else:
            custom[key] = value
    if custom:
        known = set(
            DataAttribute.objects.filter(
                model=AttributeModel.CONTACT, name__in=list(custom)
            ).values_list("name", flat=True)
        )
        for key, value in custom.items():
            if key not in known:
                if not allow_new:
                    ignored.append(
                        f"{key}: no such attribute, and the messenger may not create attributes"
                    )
                    continue
                if not _attribute_make(key, value, ignored):
                    continue
            out[key] = value
    return out


def _attribute_make(name: str, value: Any, ignored: list[str]) -> bool:
    data_type = _type_of(value)
    if data_type is None:
        ignored.append(f"{name}: a new attribute needs a text, number or yes/no value")
        return False
    try:
        data_attribute_create(
            model=AttributeModel.CONTACT, name=name, data_type=data_type, messenger_writable=True
        )
    except DataAttributeError as exc:
        ignored.append(f"{name}: {exc.message}")
        return False
    return True


def _type_of(value: Any) -> str | None:
    if isinstance(value, bool):
        return DataType.BOOLEAN
    if isinstance(value, int):
        return DataType.INTEGER
    if isinstance(value, float):
        return DataType.FLOAT
    if isinstance(value, str):
        return DataType.STRING
    return None


def _visit(contact: Contact, client: Client | None, now: datetime) -> dict[str, Any]:
    """Last seen now; a new web session after 30 minutes idle; the browser's details."""
    visit: dict[str, Any] = {"last_seen_at": now}
    if contact.last_seen_at is None or now - contact.last_seen_at >= SESSION_IDLE:
        visit["web_sessions"] = (contact.web_sessions or 0) + 1
    if client is not None:
        visit |= {
            k: v
            for k, v in (
                ("browser", client.browser),
                ("os", client.os),
                ("browser_language", client.language),
            )
            if v
        }
    return visit


def _companies(contact, proven, said, identity, settings, actor, ignored) -> None:
    for values, source, trusted in (
        (said, Source.MESSENGER, False),
        (proven, _verified(identity), identity.verified),
    ):
        for company in _company_list(values):
            if settings.prevent_company_updates and not trusted:
                ignored.append(
                    "company data from an unverified call is ignored (Prevent company attribute "
                    "updates on Messenger)"
                )
                continue
            company_id = text_or_none(company.get("company_id") or company.get("id"))
            if not company_id:
                ignored.append("a company without company_id is ignored: company_id is required")
                continue
            attributes = {
                COMPANY_FIELDS.get(k, k): (
                    _moment(v) if k in ("created_at", "remote_created_at") else v
                )
                for k, v in company.items()
                if k not in COMPANY_IGNORED and not (isinstance(v, str) and v.strip() in EMPTY)
            }
            found = Company.objects.select_for_update().filter(company_id=company_id).first()
            if found is None:
                found = company_create(
                    company_id=company_id, values=attributes, source=source, actor=actor
                )
            elif attributes:
                applied = attributes_apply(
                    target=found, values=attributes, source=source, actor=actor
                )
                ignored += [_problem_words(p) for p in applied.rejected]
            contact_company_attach(contact=contact, company=found, source=source, actor=actor)


def _company_list(values: dict) -> list[dict]:
    found = []
    if isinstance(values.get("company"), dict):
        found.append(values["company"])
    if isinstance(values.get("companies"), list):
        found += [c for c in values["companies"] if isinstance(c, dict)]
    return found


def _moment(value: Any) -> Any:
    """Intercom sends times as Unix seconds; our attributes take ISO text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC).isoformat().replace("+00:00", "Z")
    return value


def _problem_words(problem: AttributeProblem) -> str:
    return f"{problem.attribute}: {problem.message}"
