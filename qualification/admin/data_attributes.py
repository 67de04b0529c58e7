"""Data attribute definitions and the qualification-data list in the admin: read-only, for
superusers looking at the raw rows. They are changed under Settings → Data attributes and
Settings → Qualification data, through the services."""

from django.contrib import admin

from ..models import DataAttribute, QualificationItem
from .history import ReadOnlyAdmin


@admin.register(DataAttribute)
class DataAttributeAdmin(ReadOnlyAdmin):
    list_display = (
        "label",
        "name",
        "model",
        "data_type",
        "is_standard",
        "archived",
        "precedence",
    )
    list_filter = ("model", "data_type", "is_standard", "archived", "precedence")
    search_fields = ("name", "label", "description")


@admin.register(QualificationItem)
class QualificationItemAdmin(ReadOnlyAdmin):
    list_display = ("position", "attribute")
    list_select_related = ("attribute",)
