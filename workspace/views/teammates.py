"""Settings → Teammates: add or invite with a role, change roles, deactivate and reactivate,
reset a password, unlock a teammate locked out by failed sign-ins (workspace.login_throttle).
Admins only (the page's permission); every other change goes through workspace.teammates,
which refuses to leave the workspace without an active Admin."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from ..forms import TeammateCreateForm, TeammateRoleForm
from ..login_throttle import (
    account_unlock,
    address_unlock,
    locked_out_addresses,
    locked_out_usernames,
)
from ..roles import ROLE_DESCRIPTIONS, ROLES
from ..selectors import teammates_for_settings
from ..teammates import (
    TeammateError,
    password_link,
    role_of,
    teammate_create,
    teammate_deactivate,
    teammate_password_reset,
    teammate_reactivate,
    teammate_role_set,
)
from .settings_area import settings_page_view

PAGE = "workspace/teammates.html"
User = get_user_model()


def _name(user) -> str:
    return user.get_full_name() or user.username


def _page(request: HttpRequest, form: TeammateCreateForm, status: int = 200, **extra):
    teammates = teammates_for_settings()
    locked = locked_out_usernames(t.username for t in teammates)
    for teammate in teammates:
        teammate.role = role_of(teammate)
        teammate.locked_out = teammate.username in locked
    context = request.settings_context | {
        "title": "Teammates",
        "teammates": teammates,
        "form": form,
        "roles": [(role, ROLE_DESCRIPTIONS[role]) for role in ROLES],
        "link_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
        "locked_addresses": locked_out_addresses(),
        **extra,
    }
    return render(request, PAGE, context, status=status)


@settings_page_view("teammates")
@require_http_methods(["GET", "POST"])
def teammates(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request, TeammateCreateForm())
    form = TeammateCreateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            user = teammate_create(
                username=data["username"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                role=data["role"],
                password=data["password"],
            )
        except TeammateError as exc:
            form.add_error(exc.field, str(exc))
        else:
            if data["password"]:
                messages.success(
                    request, f"Added {_name(user)} as {data['role']}. They can sign in now."
                )
                return redirect("settings-teammates")
            # The link is shown in this response only, like an API token's secret.
            return _page(
                request,
                TeammateCreateForm(),
                status=201,
                link_for=user,
                link=password_link(request, user),
                link_reason="invite",
            )
    return _page(request, form, status=422)


def _teammate(pk: int):
    return get_object_or_404(User.objects.prefetch_related("groups"), pk=pk)


def _refused(request: HttpRequest, exc: TeammateError) -> HttpResponse:
    messages.error(request, str(exc))
    return redirect("settings-teammates")


@settings_page_view("teammates")
@require_POST
def teammate_role(request: HttpRequest, pk: int) -> HttpResponse:
    user = _teammate(pk)
    form = TeammateRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role: Admin, Teammate or Viewer.")
        return redirect("settings-teammates")
    try:
        changed = teammate_role_set(user=user, role=form.cleaned_data["role"])
    except TeammateError as exc:
        return _refused(request, exc)
    role = form.cleaned_data["role"]
    if changed:
        messages.success(request, f"{_name(user)} is now {role}.")
    else:
        messages.info(request, f"{_name(user)} was already {role}; nothing changed.")
    return redirect("settings-teammates")


@settings_page_view("teammates")
@require_POST
def teammate_active(request: HttpRequest, pk: int) -> HttpResponse:
    user = _teammate(pk)
    if request.POST.get("active") == "yes":
        teammate_reactivate(user=user)
        messages.success(request, f"{_name(user)} can sign in again, with their role as before.")
        return redirect("settings-teammates")
    try:
        changed = teammate_deactivate(user=user, by=request.user)
    except TeammateError as exc:
        return _refused(request, exc)
    if changed:
        messages.success(
            request,
            f"Deactivated {_name(user)}: they can no longer sign in. Everything they did stays "
            "attributed to them.",
        )
    return redirect("settings-teammates")


@settings_page_view("teammates")
@require_POST
def teammate_password(request: HttpRequest, pk: int) -> HttpResponse:
    user = _teammate(pk)
    teammate_password_reset(user=user)
    return _page(
        request,
        TeammateCreateForm(),
        link_for=user,
        link=password_link(request, user),
        link_reason="reset",
    )


@settings_page_view("teammates")
@require_POST
def teammate_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    user = _teammate(pk)
    if account_unlock(user.username):
        messages.success(request, f"Unlocked {_name(user)}: they can sign in again now.")
    else:
        messages.info(request, f"{_name(user)} was not locked out; nothing changed.")
    return redirect("settings-teammates")


@settings_page_view("teammates")
@require_POST
def address_unlock_view(request: HttpRequest) -> HttpResponse:
    address = request.POST.get("address", "").strip()[:45]
    if address and address_unlock(address):
        messages.success(request, f"Unlocked {address}: sign-in from there works again now.")
    else:
        messages.info(request, "That address was not locked out; nothing changed.")
    return redirect("settings-teammates")
