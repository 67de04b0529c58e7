from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from .models import Conversation, ConversationPart


class ConversationPartInline(admin.StackedInline):
    model = ConversationPart
    extra = 0
    autocomplete_fields = ("author_user", "author_contact")


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("__str__", "contact", "assignee", "state", "last_activity_at")
    list_filter = ("state", "assignee")
    search_fields = ("subject", "contact__name", "contact__email")
    list_select_related = ("contact", "assignee")
    autocomplete_fields = ("contact", "assignee")
    inlines = (ConversationPartInline,)


@admin.register(ConversationPart)
class ConversationPartAdmin(admin.ModelAdmin):
    list_display = ("conversation", "kind", "author_user", "author_contact", "created_at")
    list_filter = ("kind",)
    list_select_related = ("conversation", "author_user", "author_contact")
    autocomplete_fields = ("conversation", "author_user", "author_contact")


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class TeammateAdmin(UserAdmin):
    """Teammates with their role (a group: Viewer, Teammate or Admin) in plain sight."""

    list_display = ("username", "full_name", "email", "role", "is_active", "last_login")
    list_filter = ("groups", "is_active")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Name")
    def full_name(self, obj) -> str:
        return obj.get_full_name()

    @admin.display(description="Role")
    def role(self, obj) -> str:
        return ", ".join(g.name for g in obj.groups.all()) or "No role (no access)"
