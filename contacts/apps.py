from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "contacts"

    def ready(self) -> None:
        from qualification.dependants import register_dependants_check
        from qualification.outbox.hooks import register_after_change
        from qualification.record_fields import register_record_fields
        from qualification.targets import TargetKind, register_target

        from .models import Contact
        from .projection import project_after_change
        from .selectors import segments_filtering_on

        register_target(
            TargetKind(
                name="contact",
                model=Contact,
                view_permission="contacts.view_contact",
                change_permission="contacts.change_contact",
                page_url_name="contact-detail",
            )
        )
        register_after_change("contacts.contact_list", project_after_change)
        register_record_fields(
            {
                "role": "Role",
                "external_id": "User ID",
                "archived": "Archived",
                "tags": "Tags",
                "companies": "Companies",
                "merged": "Merged",
            }
        )
        register_dependants_check("contacts.segments", segments_filtering_on)
