"""Every page and action of the product, generated from the URL resolver, against every role:
each allows exactly the roles it should, refuses the others with 403 on GET and POST alike, and a
refused POST writes nothing. A URL missing from EXPECTED fails the first test, so a new page
cannot ship without saying who may use it.

The REST API (token scopes, tests/*/test_api*.py) and /admin/ (superusers only,
tests/inbox/test_roles.py) have their own tests.
"""

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver

from contacts.models import Contact, Segment
from inbox.models import Conversation, ConversationPart
from messenger.models import MessengerSecret, MessengerSettings
from qualification.models import AttributeChange, AttributeOutbox, DataAttribute, QualificationItem
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    ConversationFactory,
    DataAttributeFactory,
    QualificationItemFactory,
    SegmentFactory,
    TagFactory,
    UserFactory,
    given_tags,
)
from workspace.models import ApiToken
from workspace.tokens import api_token_create

pytestmark = pytest.mark.django_db

ANON, VIEWER, TEAMMATE, ADMIN = "anonymous", "Viewer", "Teammate", "Admin"
ROLES = (VIEWER, TEAMMATE, ADMIN)
EVERYONE = {VIEWER, TEAMMATE, ADMIN}
EDITORS = {TEAMMATE, ADMIN}
ADMINS = {ADMIN}
PUBLIC = {ANON, VIEWER, TEAMMATE, ADMIN}

# URL name -> {method: the roles allowed}; a method left out answers 405 to everyone.
EXPECTED = {
    "login": {"GET": PUBLIC, "POST": PUBLIC},
    "logout": {"POST": PUBLIC},
    "signed-out": {"GET": PUBLIC},
    "favicon": {"GET": PUBLIC},
    # Called from customers' pages: no session, their own checks (tests/messenger/test_views.py).
    "messenger-script": {"GET": PUBLIC},
    "messenger-boot": {"POST": PUBLIC},
    "messenger-event": {"POST": PUBLIC},
    "healthz": {"GET": PUBLIC, "POST": PUBLIC},
    "home": {"GET": PUBLIC, "POST": PUBLIC},
    "password_reset_confirm": {"GET": PUBLIC, "POST": PUBLIC},
    "attribute-row": {"GET": EVERYONE, "POST": EDITORS},
    "attribute-edit": {"GET": EDITORS},
    "attribute-resync": {"POST": EDITORS},
    "attribute-history": {"GET": EVERYONE},
    "contact-list": {"GET": EVERYONE},
    "segment-save": {"POST": EDITORS},
    "inbox": {"GET": EVERYONE},
    "conversation": {"GET": EVERYONE},
    "conversation-part-create": {"POST": EDITORS},
    "conversation-action": {"POST": EDITORS},
    "contact-detail": {"GET": EVERYONE},
    "company-detail": {"GET": EVERYONE},
    "settings": {"GET": EVERYONE},
    "settings-profile": {"GET": EVERYONE, "POST": EVERYONE},
    "settings-password": {"GET": EVERYONE, "POST": EVERYONE},
    "settings-teammates": {"GET": ADMINS, "POST": ADMINS},
    "settings-teammate-role": {"POST": ADMINS},
    "settings-teammate-active": {"POST": ADMINS},
    "settings-teammate-password": {"POST": ADMINS},
    "settings-teammate-unlock": {"POST": ADMINS},
    "api-tokens": {"GET": ADMINS, "POST": ADMINS},
    "api-token-revoke": {"GET": ADMINS, "POST": ADMINS},
    "settings-slot": {"GET": ADMINS},
    "contact-create": {"GET": EDITORS, "POST": EDITORS},
    # The segment is someone else's: only an Admin may manage it.
    "segment-rename": {"POST": ADMINS},
    "segment-delete": {"POST": ADMINS},
    "contact-tag-add": {"POST": EDITORS},
    "contact-tag-remove": {"POST": EDITORS},
    "company-tag-add": {"POST": EDITORS},
    "company-tag-remove": {"POST": EDITORS},
    "conversation-tag-add": {"POST": EDITORS},
    "conversation-tag-remove": {"POST": EDITORS},
    "contact-company-add": {"POST": EDITORS},
    "contact-company-remove": {"POST": EDITORS},
    "company-suggest": {"GET": EVERYONE},
    "settings-data-attributes": {"GET": ADMINS},
    "settings-data-attribute-new": {"GET": ADMINS, "POST": ADMINS},
    "settings-data-attribute": {"GET": ADMINS, "POST": ADMINS},
    "settings-data-attribute-archive": {"POST": ADMINS},
    "settings-qualification": {"GET": ADMINS},
    "settings-address-unlock": {"POST": ADMINS},
    "settings-messenger": {"GET": ADMINS},
    "settings-messenger-domains": {"POST": ADMINS},
    "settings-messenger-security": {"POST": ADMINS},
    "settings-messenger-secret": {"POST": ADMINS},
    "settings-qualification-add": {"POST": ADMINS},
    "settings-qualification-move": {"POST": ADMINS},
    "settings-qualification-remove": {"POST": ADMINS},
}
SKIPPED_PREFIXES = ("admin/", "api/", "static/")


def product_patterns():
    """(route, name) of every URL outside the REST API and /admin/."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if route.startswith(SKIPPED_PREFIXES):
                continue
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                yield route, pattern.name

    return list(walk(get_resolver().url_patterns))


def test_every_product_url_says_who_may_use_it():
    unnamed = [route for route, name in product_patterns() if name is None]
    assert unnamed == []
    missing = {name for _, name in product_patterns()} - set(EXPECTED)
    assert missing == set(), f"Add these URL names to EXPECTED with their roles: {missing}"
    stale = set(EXPECTED) - {name for _, name in product_patterns()}
    assert stale == set()


@pytest.fixture
def world():
    """One of everything a URL can point at; the kwargs each URL name needs."""
    contact = ContactFactory(values={"name": "Ada", "email": "ada@example.com"})
    conversation = ConversationFactory(contact=contact)
    other = UserFactory(username="other", role=VIEWER)
    token, _ = api_token_create(name="Matrix", scopes=["contacts:read"])
    plan = DataAttribute.objects.get(model="contact", name="name")
    company = CompanyFactory(company_id="matrix-co")
    tag = TagFactory(name="Matrix")
    for tagged in (contact, company, conversation):
        given_tags(tagged, tag)
    segment = SegmentFactory(name="Matrix segment", created_by=other)
    custom = DataAttributeFactory(name="matrix_attr")
    item = QualificationItemFactory(attribute=DataAttributeFactory(name="matrix_item"))
    target = {"target_type": "contact", "target_id": contact.pk, "attribute_id": plan.pk}
    return {
        "attribute-row": target,
        "attribute-edit": target,
        "attribute-resync": target,
        "attribute-history": target,
        "conversation": {"pk": conversation.pk},
        "conversation-part-create": {"pk": conversation.pk},
        "conversation-action": {"pk": conversation.pk, "action": "close"},
        "contact-detail": {"pk": contact.pk},
        "company-detail": {"pk": company.pk},
        "segment-rename": {"pk": segment.pk},
        "segment-delete": {"pk": segment.pk},
        "contact-tag-add": {"pk": contact.pk},
        "contact-tag-remove": {"pk": contact.pk, "tag_pk": tag.pk},
        "company-tag-add": {"pk": company.pk},
        "company-tag-remove": {"pk": company.pk, "tag_pk": tag.pk},
        "conversation-tag-add": {"pk": conversation.pk},
        "conversation-tag-remove": {"pk": conversation.pk, "tag_pk": tag.pk},
        "contact-company-add": {"pk": contact.pk},
        "contact-company-remove": {"pk": contact.pk, "company_pk": company.pk},
        "settings-data-attribute": {"pk": custom.pk},
        "settings-data-attribute-archive": {"pk": custom.pk},
        "settings-qualification-move": {"pk": item.pk},
        "settings-qualification-remove": {"pk": item.pk},
        "settings-teammate-role": {"pk": other.pk},
        "settings-teammate-active": {"pk": other.pk},
        "settings-teammate-password": {"pk": other.pk},
        "settings-teammate-unlock": {"pk": other.pk},
        "api-token-revoke": {"pk": token.pk},
        "settings-slot": {"slug": "apps"},
        "settings-messenger-secret": {"kind": "jwt"},
        "password_reset_confirm": {"uidb64": "MQ", "token": "set-password"},
    }


def _fingerprint() -> tuple:
    """Enough of the database to notice a write by any settings page or action."""
    User = get_user_model()
    return (
        AttributeChange.objects.count(),
        AttributeOutbox.objects.count(),
        Contact.objects.count(),
        ConversationPart.objects.count(),
        tuple(Conversation.objects.order_by("pk").values_list("version", "state")),
        tuple(Segment.objects.order_by("pk").values_list("pk", "name")),
        tuple(Contact.tags.through.objects.order_by("pk").values_list("pk")),
        tuple(DataAttribute.objects.order_by("pk").values_list("pk", "archived", "label")),
        tuple(QualificationItem.objects.order_by("pk").values_list("pk", "position")),
        tuple(User.objects.order_by("pk").values_list("pk", "is_active", "password", "first_name")),
        tuple(User.groups.through.objects.order_by("pk").values_list("user_id", "group_id")),
        tuple(ApiToken.objects.order_by("pk").values_list("pk", "revoked_at")),
        DataAttribute.objects.count(),
        tuple(MessengerSecret.objects.order_by("pk").values_list("pk", "expires_at")),
        tuple(
            MessengerSettings.objects.values_list(
                "identity_mode", "trusted_domains", "prevent_company_updates"
            )
        ),
    )


def _url(name, world):
    from django.urls import reverse

    return reverse(name, kwargs=world.get(name, {}))


def _outcome(client, method, url, methods, role) -> str | None:
    """None if the response is what `role` should get, else what was wrong."""
    allowed = methods.get(method)
    may_use = any(role in roles for roles in methods.values())
    before = _fingerprint()
    response = client.generic(method, url)
    status, location = response.status_code, response.get("Location", "")
    if allowed is None:
        # The sign-in and permission checks may come before the method's.
        ok = status == 405 or (
            not may_use
            and (status == 403 or (role == ANON and location.startswith("/accounts/login/")))
        )
    elif role in allowed:
        ok = status != 403 and (allowed is PUBLIC or not location.startswith("/accounts/login/"))
        before = None  # allowed: it may write
    elif role == ANON:
        ok = status == 302 and location.startswith("/accounts/login/")
    else:
        ok = status == 403
    if before is not None and _fingerprint() != before:
        return f"{method} {url} as {role}: {status} but wrote to the database"
    return None if ok else f"{method} {url} as {role}: {status} {location}"


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_url_allows_exactly_its_roles(client, world, name):
    users = {role: UserFactory(username=f"as-{role.lower()}", role=role) for role in ROLES}
    url = _url(name, world)
    wrong = []
    for role in (ANON, *ROLES):
        client.logout()
        if role != ANON:
            client.force_login(users[role])
        for method in ("GET", "POST"):
            wrong.append(_outcome(client, method, url, EXPECTED[name], role))
    assert [w for w in wrong if w] == []


@pytest.mark.parametrize("role", ROLES)
def test_no_page_links_to_the_django_admin_for_a_non_superuser(client, world, role):
    client.force_login(UserFactory(username=f"as-{role.lower()}", role=role))
    for name, methods in EXPECTED.items():
        if role not in methods.get("GET", set()):
            continue
        response = client.get(_url(name, world), follow=True)
        assert 'href="/admin/' not in response.content.decode(), name
