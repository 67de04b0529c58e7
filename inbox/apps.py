from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "inbox"

    def ready(self) -> None:
        from contacts.services import register_merge_step

        from .services import conversations_reassign

        register_merge_step("inbox.conversations", conversations_reassign)
