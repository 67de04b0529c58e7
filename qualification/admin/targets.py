"""Admin for attribute targets (contacts, companies): saved through their apps' services."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import IntegrityError, models
from django.db.models import Model
from django.http import HttpResponseRedirect
from django.utils.html import format_html, format_html_join

from core.moments import moment_text

from ..models import (
    DataAttribute,
    Tag,
)
from ..results import AttributeWriteError, Provenance, StaleWriteError
from ..services import (
    attributes_apply,
    attributes_check,
    attributes_conflicts,
    record_conflicts,
    target_lock,
)
from ..sources import Source


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
        if self.instance.pk and seen is not None:
            conflicts = attributes_conflicts(
                target=self.instance, names=list(values), expected=seen
            ) + record_conflicts(target=self.instance, names=self.record_fields(), expected=seen)
            for conflict in conflicts:
                self.add_error(None, _conflict_message(conflict))
        return cleaned

    def record_fields(self) -> list[str]:
        """The record's own fields this form sets (role, user id, archived, ...): every
        editable column that is not an attribute value. All are checked against changes made
        after the page was read, whether or not the form changes them: saving re-sends them."""
        columns = set(self._meta.model.standard_attribute_fields.values())
        own = {f.name for f in self._meta.model._meta.concrete_fields}
        return [name for name in self.fields if name in own and name not in columns]


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
                    moment_text(held.at),
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
        # Each refusal below comes after the admin's transaction rolled back: nothing of this
        # save was written.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except StaleWriteError as exc:
            messages.error(request, f"Nothing was saved. {exc} Reload the page and save again.")
        except AttributeWriteError as exc:
            messages.error(request, f"Nothing was saved. {exc}")
        except IntegrityError:
            messages.error(
                request,
                "Nothing was saved: it conflicts with another record (another user with the "
                "same email or user ID, say). Change that and save again.",
            )
        return HttpResponseRedirect(request.get_full_path())

    def get_deleted_objects(self, objs, request):
        """Deleting goes through the delete service, which removes the record's links and
        conversations itself: only the permission to delete the record is needed."""
        deleted, counts, _, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

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
            target_lock(target=obj)
            seen = form.cleaned_data.get("seen_version")
            if conflicts := record_conflicts(target=obj, names=form.record_fields(), expected=seen):
                raise StaleWriteError(conflicts)
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
