"""Settings → Messenger: the app id, trusted domains and identity verification (Admins only,
checked on every request). A new secret is shown once, on the page the rotation redirects to,
and never again."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from workspace.views.settings_area import settings_page_view

from .configuration import (
    MessengerSettingsError,
    messenger_secret_rotate,
    messenger_settings,
    messenger_settings_update,
)
from .forms import SecurityForm, TrustedDomainsForm
from .models import SecretKind
from .selectors import secret_states

PAGE = "messenger/settings.html"
NEW_SECRET = "messenger_new_secret"  # session key: a secret just made, until it is shown


def _page(request: HttpRequest, *, status: int = 200, **overrides) -> HttpResponse:
    settings = messenger_settings()
    context = request.settings_context | {
        "title": "Messenger",
        "settings": settings,
        "domains_form": TrustedDomainsForm.for_settings(settings),
        "security_form": SecurityForm.for_settings(settings),
        "secrets": secret_states(),
        "api_base": request.build_absolute_uri("/").rstrip("/"),
    }
    return render(request, PAGE, context | overrides, status=status)


@settings_page_view("messenger")
@require_GET
def messenger_settings_view(request: HttpRequest) -> HttpResponse:
    shown = request.session.pop(NEW_SECRET, None)
    if shown is None:
        return _page(request)
    kind, secret = shown
    return _page(request, new_secret=secret, new_secret_label=SecretKind(kind).label)


@settings_page_view("messenger")
@require_POST
def trusted_domains_save(request: HttpRequest) -> HttpResponse:
    form = TrustedDomainsForm(request.POST)
    if form.is_valid():
        try:
            messenger_settings_update(trusted_domains=form.origins())
        except MessengerSettingsError as exc:
            form.add_error("trusted_domains", exc.message)
        else:
            messages.success(request, "Saved the trusted domains.")
            return redirect("settings-messenger")
    return _page(request, status=422, domains_form=form)


@settings_page_view("messenger")
@require_POST
def security_save(request: HttpRequest) -> HttpResponse:
    form = SecurityForm(request.POST)
    if form.is_valid():
        try:
            messenger_settings_update(**form.cleaned_data)
        except MessengerSettingsError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Saved the messenger's security settings.")
            return redirect("settings-messenger")
    return _page(request, status=422, security_form=form)


@settings_page_view("messenger")
@require_POST
def secret_rotate(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in SecretKind.values:
        raise Http404("No such secret.")
    request.session[NEW_SECRET] = [kind, messenger_secret_rotate(kind)]
    # Redirected, so a reload cannot rotate again; the next page shows it once and forgets it.
    return redirect("settings-messenger")
