from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.generic import RedirectView, TemplateView

from config.api import api, error_response


def api_not_found(request, rest):
    return error_response(request, 404, "not_found", "Resource Not Found")


def healthz(request):
    """For load balancers and uptime checks: the web process answers. Touches nothing else."""
    return HttpResponse("ok", content_type="text/plain")


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request):
    """Browsers ask for /favicon.ico on their own (for the login page, JSON, errors): our icon."""
    with open(finders.find("switchboard/favicon.svg"), "rb") as icon:
        return HttpResponse(icon.read(), content_type="image/svg+xml")


urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True,
            extra_context={"site_header": admin.site.site_header, "site_title": "Sign in"},
        ),
        name="login",
    ),
    # Signing out is a POST (the header's form); both it and admin's own end on "signed out".
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/signed-out/",
        TemplateView.as_view(template_name="registration/signed_out.html"),
        name="signed-out",
    ),
    path("favicon.ico", favicon, name="favicon"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    # Anything else under /api/ is an unknown route: Intercom's 404, in JSON.
    path("api/<path:rest>", api_not_found),
    path("attributes/", include("qualification.urls")),
    path("", include("contacts.urls")),
    path("", include("inbox.urls")),
    # Settings pages of the apps above workspace, before its catch-all `settings/<slug>/` slot.
    path("", include("qualification.settings_urls")),
    path("", include("messenger.settings_urls")),
    path("", include("messenger.urls")),
    path("", include("workspace.urls")),
    path("", RedirectView.as_view(pattern_name="inbox", permanent=False), name="home"),
]
