from django.contrib import admin

from qualification.admin import AttributeTargetAdmin

from .models import Company


@admin.register(Company)
class CompanyAdmin(AttributeTargetAdmin):
    list_display = ("name", "company_id", "plan", "size", "monthly_spend", "updated_at")
    search_fields = ("name", "company_id", "website")
    list_filter = ("plan", "industry", "tags")
    filter_horizontal = ("tags",)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # The customer's own id is how their app finds this company: it never changes.
        return (*fields, "company_id") if obj else fields
