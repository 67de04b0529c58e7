from django.apps import AppConfig


class QualificationConfig(AppConfig):
    name = "qualification"
    verbose_name = "Data attributes"

    def ready(self) -> None:
        from workspace.settings_pages import SettingsPage, register_settings_page

        register_settings_page(
            SettingsPage(
                "data-attributes",
                "Data attributes",
                "The data you keep about people and companies, and who may write each.",
                url_name="settings-data-attributes",
                permission="qualification.change_dataattribute",
                order=20,
            )
        )
        register_settings_page(
            SettingsPage(
                "qualification",
                "Qualification data",
                "Which attributes teammates see and edit beside every conversation, in order.",
                url_name="settings-qualification",
                permission="qualification.change_qualificationitem",
                order=30,
            )
        )
