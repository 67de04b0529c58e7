from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import include, path
from django.views.generic import RedirectView

from config.api import api, error_response


def api_not_found(request, rest):
    return error_response(request, 404, "not_found", "Resource Not Found")


def healthz(request):
    """For load balancers and uptime checks: the web process answers. Touches nothing else."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True,
            extra_context={"site_header": admin.site.site_header, "site_title": "Sign in"},
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
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
    path("", include("workspace.urls")),
    path("", RedirectView.as_view(pattern_name="inbox", permanent=False), name="home"),
]
