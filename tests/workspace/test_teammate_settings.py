"""Settings → Teammates, through the browser's requests: Admins only; every change through
workspace.teammates; the one-time link works once."""

import re

import pytest
from django.contrib.auth import get_user_model

from tests.factories import UserFactory
from workspace.teammates import role_of

pytestmark = pytest.mark.django_db
User = get_user_model()
URL = "/settings/teammates/"


@pytest.fixture
def admin(client):
    user = UserFactory(username="boss", first_name="Ada", last_name="Okafor", role="Admin")
    client.force_login(user)
    return user


def test_the_page_lists_teammates_with_roles_and_explains_each_role(
    client, admin, django_assert_max_num_queries
):
    for n in range(8):
        UserFactory(username=f"pat{n}", role="Viewer")
    with django_assert_max_num_queries(8):
        html = client.get(URL).content.decode()
    assert "What each role can do" in html
    assert "Changes nothing." in html  # the Viewer's description
    assert html.count('<option value="Viewer" selected>') == 8
    assert "Ada Okafor" in html and "(you)" in html


def test_adding_without_a_password_shows_a_one_time_invite_link_that_signs_them_in(client, admin):
    response = client.post(
        URL,
        {
            "username": "priya",
            "first_name": "Priya",
            "email": "p@example.com",
            "role": "Teammate",
            "password": "",
        },
    )
    assert response.status_code == 201
    html = response.content.decode()
    assert "Send this invite link to Priya" in html
    link = re.search(r'id="password-link" value="http://testserver([^"]+)"', html)[1]
    priya = User.objects.get(username="priya")
    assert role_of(priya) == "Teammate"

    client.logout()
    form = client.get(link, follow=True)
    assert form.status_code == 200 and "Choose a password" in form.content.decode()
    chosen = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "correct horse battery", "new_password2": "correct horse battery"},
    )
    assert chosen.status_code == 302 and chosen["Location"] == "/inbox/"
    priya.refresh_from_db()
    assert priya.check_password("correct horse battery")
    client.logout()
    again = client.get(link, follow=True).content.decode()
    assert "This link no longer works" in again


def test_adding_refuses_no_role_a_weak_password_and_a_taken_username(client, admin):
    response = client.post(URL, {"username": "x", "role": "", "password": ""})
    assert response.status_code == 422
    assert "Choose a role." in response.content.decode()
    response = client.post(URL, {"username": "x", "role": "Viewer", "password": "123"})
    assert response.status_code == 422
    assert "This password is too short" in response.content.decode()
    response = client.post(URL, {"username": "BOSS", "role": "Viewer", "password": ""})
    assert "“BOSS” is taken: choose another username." in response.content.decode()
    assert User.objects.count() == 1


def test_role_change_and_the_last_admin_guard(client, admin):
    pat = UserFactory(username="pat", role="Viewer")
    response = client.post(f"/settings/teammates/{pat.pk}/role/", {"role": "Teammate"}, follow=True)
    assert "is now Teammate." in response.content.decode()
    assert role_of(pat) == "Teammate"
    response = client.post(f"/settings/teammates/{admin.pk}/role/", {"role": "Viewer"}, follow=True)
    assert "Ada Okafor is the only active Admin" in response.content.decode()
    assert role_of(User.objects.get(pk=admin.pk)) == "Admin"
    response = client.post(f"/settings/teammates/{pat.pk}/role/", {"role": "Owner"}, follow=True)
    assert "Choose a role: Admin, Teammate or Viewer." in response.content.decode()


def test_deactivating_stops_their_session_and_keeps_their_name(client, admin):
    from django.test import Client

    pat = UserFactory(username="pat", first_name="Pat", last_name="Lee", role="Teammate")
    theirs = Client()
    theirs.force_login(pat)
    assert theirs.get("/inbox/").status_code == 200
    response = client.post(f"/settings/teammates/{pat.pk}/active/", {"active": "no"}, follow=True)
    assert "Deactivated Pat Lee" in response.content.decode()
    assert theirs.get("/inbox/").status_code == 302  # signed out
    assert "Deactivated" in client.get(URL).content.decode()
    client.post(f"/settings/teammates/{pat.pk}/active/", {"active": "yes"})
    assert User.objects.get(pk=pat.pk).is_active is True


def test_a_password_reset_shows_a_link_once(client, admin):
    pat = UserFactory(username="pat", first_name="Pat", last_name="Lee", role="Teammate")
    response = client.post(f"/settings/teammates/{pat.pk}/password/")
    html = response.content.decode()
    assert "Send this link to Pat Lee to choose a new password" in html
    assert "Their old password no longer works" in html
    assert "password-link" not in client.get(URL).content.decode()
    pat.refresh_from_db()
    assert pat.check_password("demo") is False


@pytest.mark.parametrize("role", ["Teammate", "Viewer"])
def test_other_roles_get_403_and_nothing_changes(client, role):
    UserFactory(username="boss", role="Admin")
    pat = UserFactory(username="pat", role="Viewer")
    client.force_login(UserFactory(username="me", role=role))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"username": "x", "role": "Admin"}).status_code == 403
    assert client.post(f"/settings/teammates/{pat.pk}/role/", {"role": "Admin"}).status_code == 403
    assert client.post(f"/settings/teammates/{pat.pk}/active/").status_code == 403
    assert client.post(f"/settings/teammates/{pat.pk}/password/").status_code == 403
    pat.refresh_from_db()
    assert (role_of(pat), pat.is_active, pat.check_password("demo")) == ("Viewer", True, True)
    assert not User.objects.filter(username="x").exists()


def test_a_deactivated_teammates_work_stays_attributed_to_them_by_name(client, admin):
    """Their reply in the thread, the "Set by" line of a value they set and the value's history
    all keep naming them after they are deactivated."""
    from inbox.models import PartKind
    from inbox.services import conversation_part_add
    from qualification.models import DataAttribute
    from qualification.services import attributes_apply
    from qualification.sources import Source
    from tests.factories import ContactFactory, ConversationFactory

    pat = UserFactory(username="pat", first_name="Pat", last_name="Lee", role="Teammate")
    contact = ContactFactory(values={"name": "Lena Novak"})
    conversation = ConversationFactory(contact=contact)
    conversation_part_add(conversation=conversation, kind=PartKind.REPLY, body="On it.", author=pat)
    attributes_apply(
        target=contact, values={"name": "Lena Horvat"}, source=Source.QUALIFICATION, actor=pat
    )
    client.post(f"/settings/teammates/{pat.pk}/active/", {"active": "no"})
    assert User.objects.get(pk=pat.pk).is_active is False

    def text(url):
        return " ".join(re.sub(r"<[^>]+>", " ", client.get(url).content.decode()).split())

    page = text(f"/inbox/conversations/{conversation.pk}/")
    assert "Pat Lee · Reply" in page
    assert "Set by Pat Lee" in page
    name = DataAttribute.objects.get(model="contact", name="name")
    assert "Pat Lee" in text(f"/attributes/contact/{contact.pk}/{name.pk}/history/")
