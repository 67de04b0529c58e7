from django.contrib import admin, messages

from companies.models import Company
from qualification.admin import AttributeTargetAdmin, ReadOnlyAdmin
from qualification.models import Tag
from qualification.services import tag_find_or_create, tag_rename
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
from .services import (
    TagInUse,
    contact_archive,
    contact_company_attach,
    contact_company_detach,
    contact_create,
    contact_delete,
    contact_identity_update,
    contact_tag,
    contact_untag,
    tag_delete,
)


class CompanyMembershipInline(admin.TabularInline):
    model = CompanyMembership
    extra = 0
    autocomplete_fields = ("company",)
    readonly_fields = ("linked_at", "source")


@admin.register(Contact)
class ContactAdmin(AttributeTargetAdmin):
    """Contacts, saved and deleted through the contacts services (source "admin"): role, user
    id and archiving are recorded and announced like attribute values."""

    list_display = ("__str__", "email", "role", "external_id", "archived", "updated_at")
    list_filter = ("role", "archived", "unsubscribed_from_emails", "tags")
    search_fields = ("name", "email", "external_id")
    list_select_related = ("owner",)
    autocomplete_fields = ("owner",)
    filter_horizontal = ("tags",)
    inlines = (CompanyMembershipInline,)

    def target_create(self, request, obj, form, values):
        contact = contact_create(
            role=obj.role,
            external_id=obj.external_id or None,
            values=values,
            source=Source.ADMIN,
            actor=request.user,
        )
        if obj.archived:
            contact_archive(contact=contact, archived=True, source=Source.ADMIN, actor=request.user)
        return contact

    def target_fields_update(self, request, obj, fields):
        contact_identity_update(
            contact=obj,
            source=Source.ADMIN,
            actor=request.user,
            role=fields.get("role"),
            # An emptied user id arrives as None: clear it.
            external_id=(fields["external_id"] or "") if "external_id" in fields else None,
        )
        if "archived" in fields:
            contact_archive(
                contact=obj, archived=fields["archived"], source=Source.ADMIN, actor=request.user
            )

    def target_tag(self, request, obj, tag, *, add):
        (contact_tag if add else contact_untag)(
            contact=obj, tag=tag, source=Source.ADMIN, actor=request.user
        )

    def target_formsets_save(self, request, obj, formsets):
        for formset in formsets:
            for form in formset.forms:
                if not form.has_changed() and not (
                    formset.can_delete and formset._should_delete_form(form)
                ):
                    continue
                # What the row held before this form (Django has already set the new company
                # on form.instance).
                before = form.initial.get("company") if form.instance.pk else None
                deleting = formset.can_delete and formset._should_delete_form(form)
                after = None if deleting else form.cleaned_data.get("company")
                if before and (deleting or (after and after.pk != before)):
                    contact_company_detach(
                        contact=obj,
                        company=Company.objects.get(pk=before),
                        source=Source.ADMIN,
                        actor=request.user,
                    )
                if after and after.pk != before:
                    contact_company_attach(
                        contact=obj, company=after, source=Source.ADMIN, actor=request.user
                    )

    def delete_model(self, request, obj):
        contact_delete(contact=obj, source=Source.ADMIN, actor=request.user)

    def delete_queryset(self, request, queryset):
        for contact in queryset:
            contact_delete(contact=contact, source=Source.ADMIN, actor=request.user)


@admin.register(CompanyMembership)
class CompanyMembershipAdmin(ReadOnlyAdmin):
    """Links are made and removed on the contact's page (or the API), through the services."""

    list_display = ("contact", "company", "linked_at", "source")
    list_select_related = ("contact", "company")
    search_fields = ("contact__name", "contact__email", "company__name")


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

    def save_model(self, request, obj, form, change):
        if change:
            tag_rename(tag=Tag.objects.get(pk=obj.pk), name=obj.name)
        else:
            obj.pk = tag_find_or_create(name=obj.name).pk

    def delete_model(self, request, obj):
        try:
            tag_delete(tag=obj, source=Source.ADMIN, actor=request.user)
        except TagInUse as exc:
            messages.error(request, str(exc))

    def delete_queryset(self, request, queryset):
        for tag in queryset:
            self.delete_model(request, tag)
