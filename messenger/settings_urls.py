from django.urls import path

from . import settings_views as views

urlpatterns = [
    path("settings/messenger/", views.messenger_settings_view, name="settings-messenger"),
    path(
        "settings/messenger/domains/",
        views.trusted_domains_save,
        name="settings-messenger-domains",
    ),
    path("settings/messenger/security/", views.security_save, name="settings-messenger-security"),
    path(
        "settings/messenger/secrets/<slug:kind>/",
        views.secret_rotate,
        name="settings-messenger-secret",
    ),
]
