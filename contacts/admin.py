from django.contrib import admin
from django.utils import timezone

from qualification.admin import AttributeTargetAdmin
from qualification.services import Source, target_touch

from .models import CompanyMembership, Contact


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
        super().save_related(request, form, formsets, change)
        names = []
        if "tags" in form.changed_data:
            names.append("tags")
        if any(f.has_changed() for f in formsets):
            names.append("companies")
        if names:
            target_touch(target=form.instance, names=names, source=Source.ADMIN)

    def save_formset(self, request, form, formset, change):
        memberships = formset.save(commit=False)
        for membership in memberships:
            if membership.pk is None:
                membership.linked_at = timezone.now()
                membership.source = Source.ADMIN
            membership.save()
        for removed in formset.deleted_objects:
            removed.delete()
