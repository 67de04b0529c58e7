from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "inbox"

    def ready(self) -> None:
        from contacts.services import register_merge_step
        from qualification.places import place_register
        from qualification.record_fields import register_record_fields

        from .services import conversations_reassign

        register_merge_step("inbox.conversations", conversations_reassign)
        # Where a teammate's edit was made, as provenance and history name it.
        place_register("conversation", lambda kwargs: ("in", f"conversation #{kwargs['pk']}"))
        place_register("contact-detail", lambda kwargs: ("on", "the contact page"))
        place_register("company-detail", lambda kwargs: ("on", "the company page"))
        register_record_fields(
            {
                "state": "State",
                "snoozed_until": "Snoozed until",
                "assignee": "Assignee",
                "contact": "Customer",
            }
        )
