"""Admin for data attribute definitions: created and changed through the services."""

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect

from ..models import (
    DataAttribute,
    DataType,
)
from ..services import (
    DataAttributeError,
    data_attribute_create,
    data_attribute_update,
)
from ..services.definitions import POLICY_FIELDS


class OptionsField(forms.CharField):
    """The options of a list attribute, one per line."""

    widget = forms.Textarea(attrs={"rows": 5})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        if isinstance(value, str) and value.startswith("["):
            return "\n".join(json.loads(value))
        return value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class DataAttributeForm(forms.ModelForm):
    options = OptionsField(
        required=False, help_text="For the 'List of options' type: one option per line."
    )

    class Meta:
        model = DataAttribute
        fields = (
            "model",
            "name",
            "label",
            "description",
            "data_type",
            "options",
            "ui_writable",
            "api_writable",
            "messenger_writable",
            "import_writable",
            "workflow_writable",
            "apps_writable",
            "precedence",
            "archived",
        )

    def service_arguments(self) -> dict[str, Any]:
        """What the form sets, as the data attribute services take it."""
        cleaned = self.cleaned_data
        arguments: dict[str, Any] = {
            "label": cleaned.get("label"),
            "description": cleaned.get("description", ""),
            "policy": {f: cleaned[f] for f in POLICY_FIELDS if f in cleaned},
            "precedence": cleaned.get("precedence"),
        }
        options_field = self.fields.get("options")
        if options_field is not None and not options_field.disabled:
            type_ = cleaned.get("data_type") or self.instance.data_type
            if type_ == DataType.OPTIONS:
                arguments["options"] = cleaned.get("options") or []
            elif cleaned.get("options"):  # refused by the service: only list attributes
                arguments["options"] = cleaned["options"]
        if self.instance.pk is None:
            arguments |= {
                "model": cleaned.get("model"),
                "name": cleaned.get("name"),
                "data_type": cleaned.get("data_type"),
            }
        else:
            arguments["archived"] = cleaned.get("archived")
        return arguments

    def clean(self):
        """The services' own checks, so the admin refuses exactly what the REST API refuses
        (names, options and their cap, archiving while something depends on it)."""
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            if self.instance.pk is None:
                data_attribute_create(**self.service_arguments(), check_only=True)
            else:
                data_attribute_update(
                    attribute=self.instance, **self.service_arguments(), check_only=True
                )
        except DataAttributeError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return cleaned


@admin.register(DataAttribute)
class DataAttributeAdmin(admin.ModelAdmin):
    form = DataAttributeForm
    list_display = (
        "label",
        "name",
        "model",
        "data_type",
        "is_standard",
        "archived",
        "precedence",
        "in_qualification_list",
    )
    list_filter = ("model", "data_type", "is_standard", "archived", "precedence")
    search_fields = ("name", "label", "description")
    fieldsets = (
        (None, {"fields": ("model", "name", "label", "description", "data_type", "options")}),
        (
            "Who may write it",
            {
                "fields": (
                    "ui_writable",
                    "api_writable",
                    "messenger_writable",
                    "import_writable",
                    "workflow_writable",
                    "apps_writable",
                )
            },
        ),
        ("Precedence", {"fields": ("precedence",)}),
        ("State", {"fields": ("archived", "is_standard")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("qualification_item")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            # A new attribute is never archived: it could take no values.
            return ("is_standard", "archived")
        # The API name, model and type of an existing attribute never change: stored values
        # and the customer's code depend on them.
        fixed = ("model", "name", "data_type", "is_standard")
        if obj.is_standard:
            fixed += ("options",)
        return fixed

    def has_delete_permission(self, request, obj=None):
        # Values and history refer to attributes by name: archive one instead.
        return False

    def save_model(self, request, obj, form, change):
        if change:
            data_attribute_update(
                attribute=DataAttribute.objects.get(pk=obj.pk), **form.service_arguments()
            )
            return
        # The admin who added it: the REST API reports it as the admin_id.
        created = data_attribute_create(**form.service_arguments(), created_by_id=request.user.pk)
        obj.pk = created.pk

    def delete_model(self, request, obj):
        raise PermissionDenied("Archive a data attribute instead of deleting it.")

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DataAttributeError as exc:  # refused after the form's check (a race)
            messages.error(request, f"Nothing was saved. {exc.message}")
            return HttpResponseRedirect(request.get_full_path())

    @admin.display(boolean=True, description="Qualification data")
    def in_qualification_list(self, obj) -> bool:
        return hasattr(obj, "qualification_item")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and obj.data_type != DataType.OPTIONS and "options" in form.base_fields:
            form.base_fields["options"].disabled = True
        return form
