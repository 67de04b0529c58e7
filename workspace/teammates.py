"""Teammates: add or invite with a role, change a role, deactivate and reactivate, reset a
password. Every change goes through here; the settings page and commands call it.

The workspace can never lose its last active Admin: demoting or deactivating one locks every
active Admin's row first, so two Admins demoting each other at once cannot both succeed.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .roles import ADMIN, ROLES

User = get_user_model()


class TeammateError(Exception):
    """A change refused, with the reason in plain words and the form field it concerns."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Teammate:
    user: object
    role: str | None


def role_of(user) -> str | None:
    names = {group.name for group in user.groups.all()}
    return next((role for role in ROLES if role in names), None)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise TeammateError(f"Choose a role: {', '.join(ROLES)}.", field="role")


def _set_role(user, role: str) -> None:
    user.groups.remove(*Group.objects.filter(name__in=ROLES).exclude(name=role))
    user.groups.add(Group.objects.get(name=role))


def _ensure_another_admin(user, doing: str) -> None:
    """Refuse if `user` is the last active Admin. Locks the active Admins' rows, in id order."""
    admins = list(
        User.objects.select_for_update()
        .filter(is_active=True, groups__name=ADMIN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if user.pk in admins and len(admins) == 1:
        raise TeammateError(
            f"{user.get_full_name() or user.username} is the only active Admin, so you can't "
            f"{doing}: nobody could manage the workspace. Make someone else an Admin first.",
            field="role",
        )


@transaction.atomic
def teammate_create(
    *, username: str, email: str, first_name: str, last_name: str, role: str, password: str = ""
):
    """Add a teammate. With a password they can sign in now; without one they are invited: the
    caller shows them a link to choose their own (see `password_link`)."""
    _check_role(role)
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise TeammateError(f"“{username}” is taken: choose another username.", field="username")
    user = User(
        username=username,
        email=email.strip(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise TeammateError(
            f"“{username}” is taken: choose another username.", field="username"
        ) from None
    _set_role(user, role)
    return user


@transaction.atomic
def teammate_role_set(*, user, role: str) -> bool:
    """Give `user` exactly `role`. False if they already had it."""
    _check_role(role)
    if role_of(user) == role:
        return False
    if role != ADMIN:
        _ensure_another_admin(user, doing="change their role")
    _set_role(user, role)
    return True


@transaction.atomic
def teammate_deactivate(*, user, by) -> bool:
    """Stop `user` signing in (their sessions end on their next request). Everything they did
    stays attributed to them: nothing they wrote is deleted or reassigned. False if already
    inactive."""
    if not user.is_active:
        return False
    if user.pk == by.pk:
        raise TeammateError("You can't deactivate yourself; ask another Admin.", field="user")
    _ensure_another_admin(user, doing="deactivate them")
    user.is_active = False
    user.save(update_fields=["is_active"])
    return True


@transaction.atomic
def teammate_reactivate(*, user) -> bool:
    if user.is_active:
        return False
    user.is_active = True
    user.save(update_fields=["is_active"])
    return True


@transaction.atomic
def teammate_password_reset(*, user) -> None:
    """Make the current password unusable; the teammate sets a new one through a link from
    `password_link`. Their open sessions end (Django ties sessions to the password hash)."""
    user.set_unusable_password()
    user.save(update_fields=["password"])


def password_link(request, user) -> str:
    """A one-time link for `user` to choose a password (Django's reset token: it stops working
    once used, when the password changes, or after PASSWORD_RESET_TIMEOUT)."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return request.build_absolute_uri(path)
