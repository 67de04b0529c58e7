"""workspace.teammates: add, invite, change role, deactivate, reset password; never without an
active Admin."""

import pytest
from django.contrib.auth import get_user_model

from tests.factories import UserFactory
from workspace.teammates import (
    TeammateError,
    role_of,
    teammate_create,
    teammate_deactivate,
    teammate_password_reset,
    teammate_reactivate,
    teammate_role_set,
)

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_create_with_a_password_signs_in_now_and_without_one_is_an_invite():
    ada = teammate_create(
        username="ada",
        email="ada@example.com",
        first_name="Ada",
        last_name="Okafor",
        role="Teammate",
        password="a long passphrase 42",
    )
    assert (role_of(ada), ada.check_password("a long passphrase 42")) == ("Teammate", True)
    invited = teammate_create(username="bo", email="", first_name="", last_name="", role="Viewer")
    assert role_of(invited) == "Viewer"
    assert invited.has_usable_password() is False


@pytest.mark.parametrize("role", ["", "Owner", None])
def test_create_refuses_anything_but_a_role(role):
    with pytest.raises(TeammateError, match="Choose a role") as refused:
        teammate_create(username="x", email="", first_name="", last_name="", role=role)
    assert refused.value.field == "role"
    assert not User.objects.filter(username="x").exists()


def test_create_refuses_a_taken_username_whatever_its_case():
    UserFactory(username="ada")
    with pytest.raises(TeammateError, match="“ADA” is taken") as refused:
        teammate_create(username="ADA", email="", first_name="", last_name="", role="Viewer")
    assert refused.value.field == "username"
    assert User.objects.count() == 1


def test_a_role_change_replaces_the_role_and_says_when_nothing_changed():
    pat = UserFactory(username="pat", role="Viewer")
    UserFactory(username="boss", role="Admin")
    assert teammate_role_set(user=pat, role="Teammate") is True
    assert [g.name for g in pat.groups.all()] == ["Teammate"]
    assert teammate_role_set(user=pat, role="Teammate") is False


def test_the_last_admin_can_be_neither_demoted_nor_deactivated():
    boss = UserFactory(username="boss", role="Admin")
    other = UserFactory(username="other", role="Admin")
    teammate_deactivate(user=other, by=boss)
    with pytest.raises(TeammateError, match="only active Admin"):
        teammate_role_set(user=boss, role="Viewer")
    assert role_of(User.objects.get(username="boss")) == "Admin"
    viewer = UserFactory(username="v", role="Viewer")
    with pytest.raises(TeammateError, match="only active Admin"):
        teammate_deactivate(user=boss, by=viewer)
    assert User.objects.get(username="boss").is_active is True


def test_you_cannot_deactivate_yourself():
    boss = UserFactory(username="boss", role="Admin")
    UserFactory(username="other", role="Admin")
    with pytest.raises(TeammateError, match="can't deactivate yourself"):
        teammate_deactivate(user=boss, by=boss)


def test_deactivating_keeps_the_role_and_reactivating_restores_access():
    boss = UserFactory(username="boss", role="Admin")
    pat = UserFactory(username="pat", role="Teammate")
    assert teammate_deactivate(user=pat, by=boss) is True
    assert teammate_deactivate(user=pat, by=boss) is False
    pat.refresh_from_db()
    assert (pat.is_active, role_of(pat)) == (False, "Teammate")
    assert teammate_reactivate(user=pat) is True
    assert User.objects.get(pk=pat.pk).is_active is True


def test_a_password_reset_stops_the_old_password():
    pat = UserFactory(username="pat", role="Teammate")
    teammate_password_reset(user=pat)
    pat.refresh_from_db()
    assert pat.check_password("demo") is False and pat.has_usable_password() is False
