from django.contrib import admin

from qualification.admin import AttributeTargetAdmin
from qualification.sources import Source

from .models import Company
from .services import company_create, company_delete, company_tag, company_untag


@admin.register(Company)
class CompanyAdmin(AttributeTargetAdmin):
    """Companies, saved and deleted through the companies services (source "admin")."""

    list_display = ("name", "company_id", "plan", "size", "monthly_spend", "updated_at")
    search_fields = ("name", "company_id", "website")
    list_filter = ("plan", "industry", "tags")
    filter_horizontal = ("tags",)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # The customer's own id is how their app finds this company: it never changes.
        return (*fields, "company_id") if obj else fields

    def target_create(self, request, obj, form, values):
        return company_create(
            company_id=obj.company_id, values=values, source=Source.ADMIN, actor=request.user
        )

    def target_tag(self, request, obj, tag, *, add):
        (company_tag if add else company_untag)(
            company=obj, tag=tag, source=Source.ADMIN, actor=request.user
        )

    def delete_model(self, request, obj):
        company_delete(company=obj, source=Source.ADMIN, actor=request.user)

    def delete_queryset(self, request, queryset):
        for company in queryset:
            company_delete(company=company, source=Source.ADMIN, actor=request.user)
