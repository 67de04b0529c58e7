from django.contrib import admin, messages
from django.utils import timezone

from qualification.admin import AttributeTargetAdmin, ReadOnlyAdmin
from qualification.models import Tag
from qualification.services import target_touch
from qualification.sources import Source

from .models import (
    CompanyMembership,
    Contact,
    ContactListEntry,
    Event,
    EventSummary,
    Segment,
    SegmentMembership,
)
from .selectors import segments_using_tag
from .services import TagInUse, tag_delete


class CompanyMembershipInline(admin.TabularInline):
    model = CompanyMembership
    extra = 0
    autocomplete_fields = ("company",)
    readonly_fields = ("linked_at", "source")


@admin.register(Contact)
class ContactAdmin(AttributeTargetAdmin):
    list_display = ("__str__", "email", "role", "external_id", "archived", "updated_at")
    list_filter = ("role", "archived", "unsubscribed_from_emails", "tags")
    search_fields = ("name", "email", "external_id")
    list_select_related = ("owner",)
    autocomplete_fields = ("owner",)
    filter_horizontal = ("tags",)
    inlines = (CompanyMembershipInline,)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # tags: see AttributeTargetAdmin
        if not change and form.cleaned_data.get("tags"):
            target_touch(target=form.instance, names=["tags"], source=Source.ADMIN)
        if any(f.has_changed() for f in formsets):
            target_touch(target=form.instance, names=["companies"], source=Source.ADMIN)

    def save_formset(self, request, form, formset, change):
        memberships = formset.save(commit=False)
        for membership in memberships:
            if membership.pk is None:
                membership.linked_at = timezone.now()
                membership.source = Source.ADMIN
            membership.save()
        for removed in formset.deleted_objects:
            removed.delete()


@admin.register(CompanyMembership)
class CompanyMembershipAdmin(admin.ModelAdmin):
    list_display = ("contact", "company", "linked_at", "source")
    list_select_related = ("contact", "company")
    search_fields = ("contact__name", "contact__email", "company__name")
    readonly_fields = ("linked_at", "source")
    autocomplete_fields = ("contact", "company")

    def save_model(self, request, obj, form, change):
        if obj.pk is None:
            obj.linked_at = timezone.now()
            obj.source = Source.ADMIN
        super().save_model(request, obj, form, change)
        target_touch(target=obj.contact, names=["companies"], source=Source.ADMIN)

    def delete_model(self, request, obj):
        contact = obj.contact
        super().delete_model(request, obj)
        target_touch(target=contact, names=["companies"], source=Source.ADMIN)


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ("name", "query", "created_by", "created_at")
    search_fields = ("name",)
    readonly_fields = ("created_by", "created_at")


@admin.register(ContactListEntry)
class ContactListEntryAdmin(ReadOnlyAdmin):
    list_display = ("contact_id", "name", "email", "source_version", "changed_at", "projected_at")
    search_fields = ("name", "email")
    show_full_result_count = False


@admin.register(SegmentMembership)
class SegmentMembershipAdmin(ReadOnlyAdmin):
    list_display = ("segment", "contact", "evaluated_at")
    list_select_related = ("segment", "contact")


# Events are the customer's app's record of what people did: read here, never edited by hand.
@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("event_name", "contact", "created_at", "source", "actor_label", "received_at")
    list_select_related = ("contact",)
    list_filter = ("source",)
    search_fields = ("event_name", "contact__email", "contact__external_id")
    show_full_result_count = False


@admin.register(EventSummary)
class EventSummaryAdmin(ReadOnlyAdmin):
    list_display = (
        "event_name",
        "contact",
        "tracked_count",
        "imported_count",
        "first_at",
        "last_at",
    )
    list_select_related = ("contact",)
    search_fields = ("event_name", "contact__email", "contact__external_id")


# Tags live in qualification, but deleting one must take it off contacts and companies through
# their services (so the list and segments follow), which only this app may call.
@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)

    def has_delete_permission(self, request, obj=None):
        # A tag a segment filters on cannot go: the segment would silently change.
        if obj is not None and segments_using_tag(obj.pk):
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        try:
            tag_delete(tag=obj, source=Source.ADMIN)
        except TagInUse as exc:
            messages.error(request, str(exc))

    def delete_queryset(self, request, queryset):
        for tag in queryset:
            self.delete_model(request, tag)
