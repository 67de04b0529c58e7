"""The settings area's shell: `/settings/`, its navigation, the permission check every settings
page makes, and the pages for slots a later release fills."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ..settings_pages import PERSONAL, WORKSPACE, settings_page, settings_pages_for


def settings_context(request: HttpRequest, slug: str) -> dict:
    """What settings_base.html needs: the pages this teammate may open, grouped."""
    pages = settings_pages_for(request.user)
    return {
        "section": "settings",
        "settings_slug": slug,
        "settings_workspace_pages": [p for p in pages if p.group == WORKSPACE],
        "settings_personal_pages": [p for p in pages if p.group == PERSONAL],
    }


def settings_page_view(slug: str):
    """Sign-in, then the page's permission (403 otherwise, on every method), then the view with
    the shell's context as `request.settings_context`."""

    def decorate(view):
        @wraps(view)
        @never_cache
        @login_required
        def wrapped(request, *args, **kwargs):
            page = settings_page(slug)
            if page is None or not page.allows(request.user):
                raise PermissionDenied
            request.settings_context = settings_context(request, slug)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


@never_cache
@login_required
@require_GET
def settings_index(request: HttpRequest) -> HttpResponse:
    context = settings_context(request, "")
    return render(request, "workspace/settings_index.html", context | {"title": "Settings"})


@never_cache
@login_required
@require_GET
def settings_slot(request: HttpRequest, slug: str) -> HttpResponse:
    page = settings_page(slug)
    if page is None or not page.is_slot:
        raise Http404("No such settings page")
    if not page.allows(request.user):
        raise PermissionDenied
    context = settings_context(request, slug) | {"title": page.label, "page": page}
    return render(request, "workspace/settings_slot.html", context)
