import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Model
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join

from .models import (
    AttributeChange,
    AttributeModel,
    AttributeOutbox,
    DataAttribute,
    DataType,
    QualificationItem,
    Tag,
)
from .results import Provenance, StaleWriteError
from .services import (
    DataAttributeError,
    attributes_apply,
    attributes_check,
    attributes_conflicts,
    data_attribute_create,
    data_attribute_update,
    qualification_item_add,
    qualification_item_move,
    qualification_item_remove,
)
from .services.definitions import POLICY_FIELDS
from .sources import Source

# Attribute targets (contacts, companies) --------------------------------------------------------


class AttributeTargetForm(forms.ModelForm):
    """Validates standard attribute fields through the write path's own rules, and carries the
    version the admin saw so a concurrent change is refused instead of overwritten."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # The tags the page showed: saving applies what the admin added and removed since, so a
    # tag the API added meanwhile is kept instead of overwritten by the page's stale list.
    seen_tags = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["seen_version"] = self.instance.version
            # Without the version the admin saw, a concurrent change could not be detected.
            self.fields["seen_version"].required = True
            if "tags" in self.fields:
                self.initial["seen_tags"] = ",".join(
                    str(pk) for pk in sorted(self.instance.tags.values_list("pk", flat=True))
                )

    def tags_seen(self) -> set[int]:
        raw = self.cleaned_data.get("seen_tags") or ""
        return {int(pk) for pk in raw.split(",") if pk.strip().isascii() and pk.strip().isdigit()}

    def attribute_values(self) -> dict[str, Any]:
        model = self._meta.model
        values = {}
        for name, field_name in model.standard_attribute_fields.items():
            if field_name not in self.changed_data or field_name not in self.cleaned_data:
                continue
            value = self.cleaned_data[field_name]
            values[name] = value.pk if isinstance(value, Model) else value
        return values

    def clean(self):
        cleaned = super().clean()
        model = self._meta.model
        field_of = model.standard_attribute_fields
        values = self.attribute_values()
        for problem in attributes_check(model=model, values=values, source=Source.ADMIN):
            field_name = field_of.get(problem.attribute)
            self.add_error(field_name if field_name in self.fields else None, problem.message)
        seen = cleaned.get("seen_version")
        if self.instance.pk and seen is not None and values:
            for conflict in attributes_conflicts(
                target=self.instance, names=list(values), expected=seen
            ):
                self.add_error(None, _conflict_message(conflict))
        return cleaned


def _conflict_message(conflict) -> str:
    who = conflict.set_by
    return (
        f"{conflict.label} was changed to {conflict.current_value!r} by {who.actor_label} "
        f"({who.source_label}) after you opened this page. Reload to see it, then save again."
    )


class AttributeTargetAdmin(admin.ModelAdmin):
    """Admin for contacts and companies: standard attribute fields are saved through
    `attributes_apply` (source "admin"), never written to the columns directly."""

    form = AttributeTargetForm
    # Custom values are typed and validated per attribute; a raw JSON box would bypass that.
    exclude = ("custom_attributes",)

    def get_readonly_fields(self, request, obj=None):
        # Columns of attributes teammates may not write (last seen, browser, ...) are shown,
        # not offered for editing: the write path would refuse them anyway.
        not_ui_writable = DataAttribute.objects.filter(
            model=self.model.attribute_model, is_standard=True
        ).filter(models.Q(ui_writable=False) | models.Q(archived=True))
        columns = [
            self.model.standard_attribute_fields[name]
            for name in not_ui_writable.values_list("name", flat=True)
            if name in self.model.standard_attribute_fields
        ]
        return (
            *super().get_readonly_fields(request, obj),
            *columns,
            "version",
            "custom_values",
            "sources",
        )

    @admin.display(description="Custom attributes")
    def custom_values(self, obj) -> str:
        if not obj or not obj.custom_attributes:
            return "-"
        labels = dict(
            DataAttribute.objects.filter(model=self.model.attribute_model).values_list(
                "name", "label"
            )
        )
        rows = ((labels.get(k, k), v) for k, v in sorted(obj.custom_attributes.items()))
        return format_html("<dl>{}</dl>", format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows))

    @admin.display(description="Where values came from")
    def sources(self, obj) -> str:
        if not obj or not obj.attribute_provenance:
            return "-"
        labels = dict(
            DataAttribute.objects.filter(model=self.model.attribute_model).values_list(
                "name", "label"
            )
        )
        rows = []
        for name, stored in sorted(obj.attribute_provenance.items()):
            held = Provenance.from_stored(stored)
            rows.append(
                (
                    labels.get(name, name),
                    held.actor_label,
                    held.source_label,
                    held.at.strftime("%Y-%m-%d %H:%M UTC"),
                    " (manual edit holds it until re-synced)" if held.locked else "",
                )
            )
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li><strong>{}</strong>: {} via {}, {}{}</li>", rows),
        )

    # Saving goes through the owning app's services, all in the admin's one transaction:
    # identity fields, attribute values (with the version the admin saw), tags, links. A stale
    # value refuses the whole save (changeform_view), so nothing of it is written.

    def target_create(self, request, obj, form, values: dict[str, Any]):
        """Create the record through its service and return it."""
        raise NotImplementedError

    def target_fields_update(self, request, obj, fields: dict[str, Any]) -> None:
        """Change fields that are not attribute values (role, user id, archived)."""
        if fields:
            raise NotImplementedError

    def target_tag(self, request, obj, tag: Tag, *, add: bool) -> None:
        raise NotImplementedError

    def target_formsets_save(self, request, obj, formsets) -> None:
        """Inlines (a contact's companies) through their services."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except StaleWriteError as exc:
            # The admin's transaction rolled back: nothing of this save was written.
            messages.error(request, f"Nothing was saved. {exc} Reload the page and save again.")
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        if change:
            return  # saved in save_related, where the inlines are known too
        created = self.target_create(request, obj, form, form.attribute_values())
        for field in type(obj)._meta.concrete_fields:
            setattr(obj, field.attname, getattr(created, field.attname))
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        # The form has already set its values on form.instance in memory; the services need
        # the record as stored, to record old and new and to check the version seen.
        obj = self.model._default_manager.get(pk=form.instance.pk)
        attribute_columns = set(self.model.standard_attribute_fields.values())
        if change:
            own_fields = {f.name for f in self.model._meta.concrete_fields}
            self.target_fields_update(
                request,
                obj,
                {
                    name: form.cleaned_data[name]
                    for name in form.changed_data
                    if name in own_fields and name not in attribute_columns
                },
            )
            attributes_apply(
                target=obj,
                values=form.attribute_values(),
                source=Source.ADMIN,
                actor=request.user,
                expected=form.cleaned_data.get("seen_version"),
            )
        if "tags" in form.cleaned_data:
            # As what the admin added and removed since the page loaded, not as the page's
            # whole list: a tag the API added meanwhile is kept.
            chosen = {tag.pk: tag for tag in form.cleaned_data["tags"]}
            seen = form.tags_seen() if change else set()
            for pk in sorted(chosen.keys() - seen):
                self.target_tag(request, obj, chosen[pk], add=True)
            for tag in Tag.objects.filter(pk__in=seen - chosen.keys()).order_by("pk"):
                self.target_tag(request, obj, tag, add=False)
        self.target_formsets_save(request, obj, formsets)
        for formset in formsets:  # the admin's log message reads these
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


# Data attributes ----------------------------------------------------------------------------------


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
            return ("is_standard",)
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


@admin.register(QualificationItem)
class QualificationItemAdmin(admin.ModelAdmin):
    """The qualification-data settings: one page per model (people, companies) to add, remove
    and reorder the attributes the inbox panel offers. Reordering is by buttons, so it works
    from the keyboard and without JavaScript."""

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        model = request.GET.get("model", AttributeModel.CONTACT)
        if model not in AttributeModel.values:
            model = AttributeModel.CONTACT
        if request.method == "POST":
            self._handle_post(request, model)
            return redirect(f"{request.path}?model={model}")
        items = list(
            QualificationItem.objects.filter(attribute__model=model)
            .select_related("attribute")
            .order_by("position", "id")
        )
        listed = {item.attribute_id for item in items}
        available = [
            a
            for a in DataAttribute.objects.filter(model=model, archived=False).order_by("label")
            if a.pk not in listed
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Qualification data for {AttributeModel(model).label.lower()}",
            "opts": self.model._meta,
            "model": model,
            "models": AttributeModel.choices,
            "items": items,
            "available": available,
            "can_change": self.has_change_permission(request)
            and self.has_add_permission(request)
            and self.has_delete_permission(request),
            **(extra_context or {}),
        }
        return TemplateResponse(
            request, "admin/qualification/qualificationitem/settings.html", context
        )

    def _handle_post(self, request, model: str) -> None:
        if not (
            self.has_change_permission(request)
            and self.has_add_permission(request)
            and self.has_delete_permission(request)
        ):
            raise PermissionDenied
        action = request.POST.get("action", "")
        try:
            if action == "add":
                attribute = DataAttribute.objects.get(
                    pk=request.POST.get("attribute") or 0, model=model
                )
                position = request.POST.get("position", "end")
                after = None
                if position.isdigit():
                    after = QualificationItem.objects.get(pk=position, attribute__model=model)
                qualification_item_add(attribute=attribute, after=after, at_top=position == "top")
                messages.success(request, f"{attribute.label} is now qualification data.")
                return
            item = QualificationItem.objects.select_related("attribute").get(
                pk=request.POST.get("item") or 0, attribute__model=model
            )
            if action in ("up", "down"):
                qualification_item_move(item=item, offset=-1 if action == "up" else 1)
            elif action == "remove":
                qualification_item_remove(item=item)
                messages.success(
                    request, f"{item.attribute.label} was removed from qualification data."
                )
            else:
                messages.error(request, "Unknown action; nothing was changed.")
        except (DataAttribute.DoesNotExist, QualificationItem.DoesNotExist, ValueError):
            messages.error(request, "Choose an attribute from the list; nothing was changed.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))

    def has_add_permission(self, request):
        return request.user.has_perm("qualification.add_qualificationitem")


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows only the system writes (history, the outbox, read models): they can be read,
    never added, changed or deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AttributeChange)
class AttributeChangeAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "target_type",
        "target_id",
        "attribute_name",
        "old_value",
        "new_value",
        "outcome",
        "source",
        "actor_label",
    )
    list_filter = ("outcome", "target_type", "source")
    search_fields = ("attribute_name", "actor_label", "request_id")
    date_hierarchy = "created_at"


@admin.register(AttributeOutbox)
class AttributeOutboxAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "target_type",
        "target_id",
        "target_version",
        "created_at",
        "processed_at",
        "attempts",
    )
    list_filter = ("target_type",)
