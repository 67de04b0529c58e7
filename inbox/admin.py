from django.contrib import admin

from qualification.admin import ReadOnlyAdmin

from .models import Conversation, ConversationPart, DemoLoad


class ConversationPartInline(admin.StackedInline):
    model = ConversationPart
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    """Read here; conversations change in the inbox and the API, through their services."""

    list_display = ("__str__", "contact", "assignee", "state", "last_activity_at")
    list_filter = ("state", "assignee")
    search_fields = ("subject", "contact__name", "contact__email")
    list_select_related = ("contact", "assignee")
    autocomplete_fields = ("contact", "assignee")
    inlines = (ConversationPartInline,)


@admin.register(ConversationPart)
class ConversationPartAdmin(ReadOnlyAdmin):
    list_display = ("conversation", "kind", "author_user", "author_contact", "created_at")
    list_filter = ("kind",)
    list_select_related = ("conversation", "author_user", "author_contact")
    autocomplete_fields = ("conversation", "author_user", "author_contact")


@admin.register(DemoLoad)
class DemoLoadAdmin(ReadOnlyAdmin):
    """When `seed_demo` loaded the demo workspace; it never loads it again into this database."""

    list_display = ("__str__", "loaded_at")
