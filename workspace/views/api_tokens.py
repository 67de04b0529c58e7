"""Settings → API tokens: list, create (the secret is shown once, in the create response) and
revoke, outside the Django admin. Each URL serves the whole page without JavaScript and an htmx
partial with it; permissions are checked here on every request, GET and POST alike."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ..forms import ApiTokenCreateForm
from ..models import ApiToken
from ..selectors import api_tokens_for_settings
from ..tokens import (
    ACCESS,
    RESOURCE_LABELS,
    RESOURCES,
    ApiTokenNameTaken,
    api_token_create,
    api_token_revoke,
    describe_scopes,
)
from .settings_area import settings_context

PAGE = "workspace/api_tokens.html"
VIEW, ADD, CHANGE = "workspace.view_apitoken", "workspace.add_apitoken", "workspace.change_apitoken"


def _scope_grid(form: ApiTokenCreateForm) -> list[dict]:
    """Rows of the resources × read/write checkbox table, ticked as the form was sent."""
    ticked = set(form["scopes"].value() or []) if form.is_bound else set()
    return [
        {
            "resource": resource,
            "label": RESOURCE_LABELS[resource],
            "cells": [
                {
                    "scope": f"{resource}:{access}",
                    "access": access,
                    "checked": f"{resource}:{access}" in ticked,
                }
                for access in ACCESS
            ],
        }
        for resource in RESOURCES
    ]


def _described(token: ApiToken) -> ApiToken:
    token.scope_summary = describe_scopes(token.scopes)
    return token


def _page_context(request: HttpRequest, form: ApiTokenCreateForm, **extra) -> dict:
    return settings_context(request, "api-tokens") | {
        "title": "API tokens",
        "tokens": [_described(t) for t in api_tokens_for_settings()],
        "form": form,
        "scope_grid": _scope_grid(form),
        "can_add": request.user.has_perm(ADD),
        "can_revoke": request.user.has_perm(CHANGE),
        "api_base": request.build_absolute_uri("/api"),
        **extra,
    }


# Every response of this page is kept out of caches: the create response carries the only copy
# of a secret. no-store also keeps most browsers from restoring it from the back/forward cache;
# where one still does, app.js removes the secret box on that restore.
@never_cache
@login_required
@permission_required(VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, PAGE, _page_context(request, ApiTokenCreateForm()))
    if not request.user.has_perm(ADD):
        raise PermissionDenied
    form = ApiTokenCreateForm(request.POST)
    if form.is_valid():
        try:
            token, secret = api_token_create(
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                created_by=request.user,
            )
        except ApiTokenNameTaken as exc:
            form.add_error("name", str(exc))
        else:
            # Shown in this response only: not in the URL, the session or a message. A redirect
            # (Post/Redirect/Get) would need to carry it somewhere; htmx posts in place so a
            # reload is a plain GET, and a no-JS resubmission is caught by the name constraint.
            context = _page_context(
                request, ApiTokenCreateForm(), created=_described(token), secret=secret
            )
            template = f"{PAGE}#main" if request.htmx else PAGE
            return render(request, template, context, status=201)
    template = f"{PAGE}#main" if request.htmx else PAGE
    return render(request, template, _page_context(request, form), status=422)


@never_cache
@login_required
@permission_required([VIEW, CHANGE], raise_exception=True)
@require_http_methods(["GET", "POST"])
def api_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET is the confirmation step for browsers without JavaScript (htmx asks with a native
    confirm instead); POST revokes. Revoking a revoked token changes nothing."""
    token = get_object_or_404(ApiToken.objects.select_related("created_by"), pk=pk)
    if request.method == "GET":
        context = settings_context(request, "api-tokens") | {"title": f"Revoke {token.name}"}
        return render(request, "workspace/api_token_revoke.html", context | {"token": token})
    revoked = api_token_revoke(token=token)
    if revoked:
        note = f"Revoked “{token.name}”. The API refuses it from now on (401 Unauthorized)."
    else:
        note = f"“{token.name}” was already revoked; nothing changed."
    if request.htmx:
        context = {
            "t": _described(token),
            "can_revoke": True,
            "status_note": note,
            "focus_row": True,
        }
        return render(request, f"{PAGE}#revoked-row", context)
    messages.success(request, note)
    return redirect("api-tokens")
