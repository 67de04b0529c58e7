from django.apps import AppConfig


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
