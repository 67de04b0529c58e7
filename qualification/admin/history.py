"""History and the outbox in the admin: read, never written by hand."""

from django.contrib import admin

from ..models import (
    AttributeChange,
    AttributeOutbox,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows only the system writes (history, the outbox, read models): they can be read,
    never added, changed or deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AttributeChange)
class AttributeChangeAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "target_type",
        "target_id",
        "attribute_name",
        "old_value",
        "new_value",
        "outcome",
        "source",
        "actor_label",
    )
    list_filter = ("outcome", "target_type", "source")
    search_fields = ("attribute_name", "actor_label", "request_id")
    date_hierarchy = "created_at"


@admin.register(AttributeOutbox)
class AttributeOutboxAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "target_type",
        "target_id",
        "target_version",
        "created_at",
        "processed_at",
        "attempts",
    )
    list_filter = ("target_type",)
