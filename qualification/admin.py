import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Model
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join

from .dependants import attribute_dependants
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
    data_attribute_name_check,
    qualification_item_add,
    qualification_item_move,
    qualification_item_remove,
    target_touch,
)
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

    def save_related(self, request, form, formsets, change):
        """Tags are saved as what the admin added and removed since the page loaded, not as
        the page's whole list, and the change is announced so read models follow."""
        tag_delta = None
        if change and "tags" in form.cleaned_data:
            chosen = {tag.pk for tag in form.cleaned_data.pop("tags")}  # save_m2m skips it
            seen = form.tags_seen()
            tag_delta = (chosen - seen, seen - chosen)
        super().save_related(request, form, formsets, change)
        if tag_delta and any(tag_delta):
            added, removed = tag_delta
            obj = form.instance
            obj.tags.add(*Tag.objects.filter(pk__in=added))
            obj.tags.remove(*removed)
            target_touch(target=obj, names=["tags"], source=Source.ADMIN)

    def save_model(self, request, obj, form, change):
        values = form.attribute_values()
        attribute_columns = set(self.model.standard_attribute_fields.values())
        with transaction.atomic():
            if not change:
                # Create the row without attribute values, then write them through the one
                # path so they get history and provenance like every other write.
                for field_name in attribute_columns:
                    column = self.model._meta.get_field(field_name)
                    setattr(obj, column.attname, column.get_default())
                obj.save()
                attributes_apply(target=obj, values=values, source=Source.ADMIN, actor=request.user)
                return
            other_fields = [
                f
                for f in form.changed_data
                if f not in attribute_columns and f in {x.name for x in self.model._meta.fields}
            ]
            if other_fields:
                obj.save(update_fields=other_fields)
            try:
                attributes_apply(
                    target=obj,
                    values=values,
                    source=Source.ADMIN,
                    actor=request.user,
                    expected=form.cleaned_data.get("seen_version"),
                )
            except StaleWriteError as exc:
                transaction.set_rollback(True)
                messages.error(request, str(exc))


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

    def clean(self):
        """The same refusals as the REST API's: a custom name unique across people and
        companies, and no archiving while something depends on the attribute."""
        cleaned = super().clean()
        attribute = self.instance
        if attribute.pk is None and cleaned.get("name") and cleaned.get("model"):
            try:
                data_attribute_name_check(name=cleaned["name"], model=cleaned["model"])
            except DataAttributeError as exc:
                self.add_error("name", exc.message)
        archiving = attribute.pk and cleaned.get("archived") and not attribute.archived
        if archiving and (dependants := attribute_dependants(attribute)):
            self.add_error(
                "archived",
                f"It cannot be archived while {', '.join(dependants)} uses it; "
                "remove it there first.",
            )
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
        if obj is not None and (obj.is_standard or obj.changes.exists()):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user  # the REST API reports it as the admin_id
        super().save_model(request, obj, form, change)

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
