from corsheaders.signals import check_request_enabled
from django.apps import AppConfig


def _trusted_origin_for_cors(sender, request, **kwargs) -> bool:
    from .views import origin_trusted

    return (
        request.path.startswith("/messenger/api/")
        and "Origin" in request.headers
        and (origin_trusted(request))
    )


class MessengerConfig(AppConfig):
    """The messenger: the customer's product sends who its users are at every login. This app
    keeps its settings (app id, trusted domains, identity verification) and, above contacts and
    inbox, writes what a boot sends through their services."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "messenger"

    def ready(self) -> None:
        from workspace.roles import register_admin_only_app
        from workspace.settings_pages import SettingsPage, register_settings_page

        register_admin_only_app(self.label)
        check_request_enabled.connect(_trusted_origin_for_cors, dispatch_uid="messenger-cors")

        register_settings_page(
            SettingsPage(
                "messenger",
                "Messenger",
                "Install the messenger in your product, and verify who your users are.",
                url_name="settings-messenger",
                permission="messenger.change_messengersettings",
                order=50,
            )
        )
