from django.contrib import admin

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
