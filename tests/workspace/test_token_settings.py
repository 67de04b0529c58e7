"""Settings → API tokens: the list, creating with the secret shown once, and revoking."""

import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from tests.api_helpers import bearer
from tests.factories import UserFactory
from workspace.models import ApiToken
from workspace.tokens import api_token_create, api_token_revoke, describe_scopes

pytestmark = pytest.mark.django_db

URL = "/settings/api-tokens/"
HTMX = {"HX-Request": "true", "HX-Target": "api-tokens"}


def revoke_url(token):
    return f"{URL}{token.pk}/revoke/"


def user_with(*codenames, username):
    user = UserFactory(username=username)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="workspace", codename__in=codenames)
    )
    return user


@pytest.fixture
def admin():
    return UserFactory(username="ada", first_name="Ada", last_name="Okafor", role="Admin")


@pytest.fixture
def made(admin):
    """An active token made by the admin, with its secret."""
    return api_token_create(
        name="Billing sync", scopes=["contacts:read", "contacts:write"], created_by=admin
    )


def snapshot():
    return list(ApiToken.objects.order_by("pk").values())


# Who may do what ---------------------------------------------------------------------------------


def test_only_admins_hold_the_token_permissions():
    def token_perms(role):
        return set(
            Group.objects.get(name=role)
            .permissions.filter(content_type__model="apitoken")
            .values_list("codename", flat=True)
        )

    assert {"view_apitoken", "add_apitoken", "change_apitoken"} <= token_perms("Admin")
    assert token_perms("Teammate") == set() and token_perms("Viewer") == set()


@pytest.mark.parametrize("role", ["Viewer", "Teammate", None])
def test_everyone_else_gets_403_on_every_path_and_nothing_is_written(client, made, role):
    token, secret = made
    client.force_login(UserFactory(username="someone", role=role))
    before = snapshot()
    attempts = [
        client.get(URL),
        client.post(URL, {"name": "Sneaky", "scopes": ["contacts:read"]}),
        client.post(URL, {"name": "Sneaky", "scopes": ["contacts:read"]}, headers=HTMX),
        client.get(revoke_url(token)),
        client.post(revoke_url(token)),
        client.post(revoke_url(token), headers={"HX-Request": "true"}),
    ]
    assert [r.status_code for r in attempts] == [403] * 6
    assert snapshot() == before
    assert secret not in "".join(r.content.decode() for r in attempts)
    assert client.get("/api/contacts", headers=bearer(secret)).status_code == 200


def test_signed_out_visitors_are_sent_to_log_in_and_nothing_is_written(client, made):
    token, _ = made
    before = snapshot()
    for response in (
        client.get(URL),
        client.post(URL, {"name": "Sneaky", "scopes": ["contacts:read"]}),
        client.post(revoke_url(token)),
    ):
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert snapshot() == before


def test_view_only_sees_the_list_but_cannot_create_or_revoke(client, made):
    token, _ = made
    client.force_login(user_with("view_apitoken", username="auditor"))
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Billing sync" in html
    assert "Create token" not in html and "Revoke" not in html
    before = snapshot()
    assert client.post(URL, {"name": "X", "scopes": ["tags:read"]}).status_code == 403
    assert client.get(revoke_url(token)).status_code == 403
    assert client.post(revoke_url(token)).status_code == 403
    assert snapshot() == before


def test_add_without_change_creates_but_may_not_revoke(client, made):
    token, _ = made
    client.force_login(user_with("view_apitoken", "add_apitoken", username="maker"))
    html = client.get(URL).content.decode()
    assert "Create token" in html and "Revoke" not in html
    assert client.post(URL, {"name": "Mine", "scopes": ["tags:read"]}).status_code == 201
    assert client.post(revoke_url(token)).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_shell_links_the_page_only_for_those_who_may_see_it(client, admin):
    client.force_login(admin)
    assert f'<a href="{URL}"' in client.get("/settings/").content.decode()
    assert f'<a href="{URL}" aria-current="page">API tokens</a>' in client.get(URL).content.decode()
    client.force_login(UserFactory(username="tim", role="Teammate"))
    assert URL not in client.get("/settings/").content.decode()


# The list ----------------------------------------------------------------------------------------


def test_the_list_shows_each_token_in_plain_words_active_first(client, admin, made):
    billing, billing_secret = made
    zapier, _ = api_token_create(
        name="Zapier", scopes=["tags:read", "contacts:write", "events:write"], created_by=admin
    )
    old, _ = api_token_create(name="Old import", scopes=["contacts:read"])
    api_token_revoke(token=old)
    client.get("/api/contacts", headers=bearer(billing_secret))  # marks it used
    client.force_login(admin)
    response = client.get(URL)
    assert response.status_code == 200
    assert [t.name for t in response.context["tokens"]] == ["Zapier", "Billing sync", "Old import"]
    assert [t.scope_summary for t in response.context["tokens"]] == [
        "Contacts: write, Events: write, Tags: read",
        "Contacts: read & write",
        "Contacts: read",
    ]
    html = response.content.decode()
    assert f">{zapier.prefix}…</code>" in html and len(zapier.prefix) == 9
    assert "Contacts: read &amp; write" in html
    assert "Ada Okafor" in html and "Command line" in html  # created by; made without a user
    assert html.count('<span class="help">Never</span>') == 2  # Zapier and Old import
    assert html.count("token-status-active") == 2 and html.count("token-status-revoked") == 1
    # One revoke button per active token, named after it.
    assert html.count('>Revoke<span class="visually-hidden">') == 2
    assert 'Revoke<span class="visually-hidden"> Zapier</span>' in html
    assert f"{revoke_url(old)}" not in html
    for token in ApiToken.objects.all():
        assert token.digest not in html
    assert billing_secret not in html


def test_the_empty_state_explains_tokens_and_how_to_call_the_api(client, admin):
    client.force_login(admin)
    html = client.get(URL).content.decode()
    assert "No API tokens yet" in html
    assert "Authorization: Bearer sb_…" in html
    assert "<code>http://testserver/api</code>" in html
    assert '<a href="/api/docs">' in html


def test_the_page_costs_the_same_queries_for_many_tokens(client, admin, django_assert_num_queries):
    for n in range(12):
        creator = UserFactory(username=f"creator{n % 4}", role="Admin")
        token, _ = api_token_create(name=f"Token {n}", scopes=["contacts:read"], created_by=creator)
        if n % 3 == 0:
            api_token_revoke(token=token)
    client.force_login(admin)
    # Session, user, the user's and the groups' permissions, the tokens with their creators.
    with django_assert_num_queries(5):
        response = client.get(URL)
    assert len(response.context["tokens"]) == 12


def test_scopes_are_described_in_resource_order():
    assert describe_scopes(["tags:read", "contacts:write", "contacts:read"]) == (
        "Contacts: read & write, Tags: read"
    )
    assert describe_scopes(["data_attributes:write"]) == "Data attributes: write"


# Creating ----------------------------------------------------------------------------------------


def test_create_shows_the_secret_once_and_stores_only_its_hash(client, admin):
    client.force_login(admin)
    response = client.post(
        URL, {"name": "  Zapier ", "scopes": ["contacts:read", "contacts:write", "tags:read"]}
    )
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get()
    secret = response.context["secret"]
    html = response.content.decode()
    assert secret.startswith("sb_") and len(secret) > 40
    assert f'id="token-secret" value="{secret}" readonly autofocus' in html
    assert "won't be shown again" in html
    assert (token.name, token.scopes, token.created_by) == (
        "Zapier",
        ["contacts:read", "contacts:write", "tags:read"],
        admin,
    )
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:9] and secret not in str(list(ApiToken.objects.values()))
    # The new token is in the list already, and the form is empty again.
    assert [t.name for t in response.context["tokens"]] == ["Zapier"]
    assert response.context["form"].is_bound is False
    # Not kept anywhere a later request could read it back.
    assert secret not in str(dict(client.session))
    assert secret not in client.get(URL).content.decode()
    assert client.get("/api/contacts", headers=bearer(secret)).status_code == 200


def test_create_with_htmx_swaps_in_the_main_part_with_the_secret(client, admin):
    client.force_login(admin)
    response = client.post(URL, {"name": "Warehouse", "scopes": ["events:read"]}, headers=HTMX)
    assert response.status_code == 201
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="api-tokens"') and "<html" not in html
    token = ApiToken.objects.get()
    assert token.name == "Warehouse" and 'hx-history="false"' in html
    secret = html.split('id="token-secret" value="')[1].split('"')[0]
    assert hashlib.sha256(secret.encode()).hexdigest() == token.digest


@pytest.mark.parametrize(
    "data, errors",
    [
        (
            {},
            {
                "name": ["Give the token a name, so you can tell later what uses it."],
                "scopes": ["Tick at least one scope: what the token may read or write."],
            },
        ),
        (
            {"name": "x" * 101, "scopes": ["contacts:read"]},
            {"name": ["Keep the name to 100 characters or fewer."]},
        ),
        (
            {"name": "Odd", "scopes": ["contacts:delete"]},
            {"scopes": ["“contacts:delete” is not a scope."]},
        ),
    ],
)
def test_create_refuses_bad_input_with_clear_messages_and_writes_nothing(
    client, admin, data, errors
):
    client.force_login(admin)
    response = client.post(URL, data)
    assert response.status_code == 422
    assert response.context["form"].errors == errors
    assert "secret" not in response.context
    partial = client.post(URL, data, headers=HTMX)
    assert partial.status_code == 422
    html = partial.content.decode()
    assert html.lstrip().startswith('<div id="api-tokens"')
    for messages in errors.values():
        assert f">{messages[0]}</p>" in html
    assert 'id="token-secret"' not in html
    assert not ApiToken.objects.exists()


def test_names_are_unique_among_active_tokens_ignoring_case(client, admin, made):
    token, _ = made
    client.force_login(admin)
    response = client.post(URL, {"name": "billing SYNC", "scopes": ["tags:read"]})
    assert response.status_code == 422
    assert response.context["form"].errors == {
        "name": [
            "An active token is already named “billing SYNC”. "
            "Pick another name, or revoke the old token first."
        ]
    }
    # The ticked scopes survive the error, so the admin only fixes the name.
    assert 'value="tags:read" id="scope-tags-read" checked' in response.content.decode()
    assert ApiToken.objects.count() == 1
    api_token_revoke(token=token)
    assert client.post(URL, {"name": "Billing sync", "scopes": ["tags:read"]}).status_code == 201
    assert ApiToken.objects.filter(name="Billing sync").count() == 2


def test_the_django_admin_refuses_a_duplicate_active_name_too(client, made):
    client.force_login(UserFactory(username="root", role="Admin", is_superuser=True))
    response = client.post(
        "/admin/workspace/apitoken/add/", {"name": "Billing Sync", "scopes": ["tags:read"]}
    )
    assert response.status_code == 200
    assert "An active token is already named “Billing Sync”." in response.content.decode()
    assert ApiToken.objects.count() == 1


# Revoking ----------------------------------------------------------------------------------------


def test_revoke_without_javascript_confirms_first_then_the_api_refuses_the_token(
    client, admin, made
):
    token, secret = made
    client.force_login(admin)
    confirm = client.get(revoke_url(token))
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "Revoke “Billing sync”?" in html and "401 Unauthorized" in html
    assert f'<form method="post" action="{revoke_url(token)}"' in html
    token.refresh_from_db()
    assert token.revoked_at is None  # asking wrote nothing

    response = client.post(revoke_url(token), follow=True)
    assert response.redirect_chain == [(URL, 302)]
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert [str(m) for m in response.context["messages"]] == [
        "Revoked “Billing sync”. The API refuses it from now on (401 Unauthorized)."
    ]
    assert client.get("/api/contacts", headers=bearer(secret)).status_code == 401

    revoked_at = token.revoked_at
    again = client.post(revoke_url(token), follow=True)
    assert [str(m) for m in again.context["messages"]] == [
        "“Billing sync” was already revoked; nothing changed."
    ]
    token.refresh_from_db()
    assert token.revoked_at == revoked_at
    assert "is already revoked" in client.get(revoke_url(token)).content.decode()


def test_revoke_with_htmx_swaps_the_row_and_announces_it(
    client, admin, made, django_assert_num_queries
):
    token, secret = made
    client.force_login(admin)
    client.get(URL)  # the session is warm, as it is for a click on the page
    # Session, user, permissions (user, groups), the token, the update.
    with django_assert_num_queries(6):
        response = client.post(revoke_url(token), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="token-{token.pk}" class="token-revoked"')
    assert "data-focus-after-swap" in html and "token-status-revoked" in html
    assert ">Revoke<" not in html
    assert '<p id="api-token-status" hx-swap-oob="innerHTML">' in html
    assert "Revoked “Billing sync”." in html
    assert client.get("/api/contacts", headers=bearer(secret)).status_code == 401


def test_revoking_a_missing_token_is_404(client, admin):
    client.force_login(admin)
    assert client.post(f"{URL}999999/revoke/").status_code == 404
    assert client.get(f"{URL}999999/revoke/").status_code == 404


def test_times_of_last_use_and_revocation_in_the_teammates_zone(client, admin, made):
    from core.moments import moment_html

    token, _ = made
    used, revoked = timezone.now() - timedelta(hours=3), timezone.now() - timedelta(minutes=5)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=used, revoked_at=revoked)
    client.force_login(admin)
    client.cookies["sb_browser_tz"] = "America/New_York"
    html = client.get(URL).content.decode()
    timezone.activate("America/New_York")
    try:
        assert str(moment_html(used)) in html and str(moment_html(revoked)) in html
    finally:
        timezone.deactivate()
    assert "3\xa0hours ago" in html and "5\xa0minutes ago" in html  # how long ago, as titles


@pytest.mark.django_db(transaction=True)
def test_the_migration_renames_active_duplicates_before_adding_the_constraint():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = (
        ("inbox", "0005_api_token_roles"),
        ("inbox", "0007_api_token_active_name_unique"),
    )
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old_state = executor.loader.project_state([before]).apps
    OldToken = old_state.get_model("inbox", "ApiToken")
    now = timezone.now()
    for n, (name, revoked) in enumerate(
        [("Zapier", False), ("zapier", False), ("ZAPIER", True), ("Zapier (2)", False)]
    ):
        OldToken.objects.create(
            name=name,
            prefix=f"sb_{n:06d}",
            digest=f"{n:064d}",
            created_at=now,
            revoked_at=now if revoked else None,
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([after])
    # And on to today's schema, where tokens live in the workspace app.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert list(ApiToken.objects.order_by("pk").values_list("name", flat=True)) == [
        "Zapier",
        "zapier (3)",  # "(2)" is taken by another active token
        "ZAPIER",  # revoked tokens keep their name
        "Zapier (2)",
    ]
