from django.contrib.auth import views as auth_views
from django.urls import path

from .views import api_tokens, profile, settings_area, teammates

urlpatterns = [
    path("settings/", settings_area.settings_index, name="settings"),
    path("settings/teammates/", teammates.teammates, name="settings-teammates"),
    path(
        "settings/teammates/<int:pk>/role/", teammates.teammate_role, name="settings-teammate-role"
    ),
    path(
        "settings/teammates/<int:pk>/active/",
        teammates.teammate_active,
        name="settings-teammate-active",
    ),
    path(
        "settings/teammates/<int:pk>/password/",
        teammates.teammate_password,
        name="settings-teammate-password",
    ),
    path(
        "settings/teammates/<int:pk>/unlock/",
        teammates.teammate_unlock,
        name="settings-teammate-unlock",
    ),
    path(
        "settings/teammates/addresses/unlock/",
        teammates.address_unlock_view,
        name="settings-address-unlock",
    ),
    path("settings/profile/", profile.profile, name="settings-profile"),
    path("settings/profile/password/", profile.password_change, name="settings-password"),
    path("settings/api-tokens/", api_tokens.api_tokens, name="api-tokens"),
    path(
        "settings/api-tokens/<int:pk>/revoke/",
        api_tokens.api_token_revoke_view,
        name="api-token-revoke",
    ),
    # Invites and resets: the one-time link a teammate follows to choose a password.
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="workspace/password_choose.html",
            post_reset_login=True,
            # Named: with django-axes there are two backends, and only this one signs people in.
            post_reset_login_backend="django.contrib.auth.backends.ModelBackend",
            success_url="/inbox/",
        ),
        name="password_reset_confirm",
    ),
    # Later releases' pages; a filled slot's own URL comes first in config/urls.py.
    path("settings/<slug:slug>/", settings_area.settings_slot, name="settings-slot"),
]
