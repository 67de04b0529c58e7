"""The qualification-data settings page in the admin."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from ..models import (
    AttributeModel,
    DataAttribute,
    QualificationItem,
)
from ..services import (
    qualification_item_add,
    qualification_item_move,
    qualification_item_remove,
)


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
