from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "inbox"

    def ready(self) -> None:
        from contacts.services import register_merge_step
        from qualification.record_fields import register_record_fields

        from .services import conversations_reassign

        register_merge_step("inbox.conversations", conversations_reassign)
        register_record_fields(
            {
                "state": "State",
                "snoozed_until": "Snoozed until",
                "assignee": "Assignee",
                "contact": "Customer",
            }
        )
