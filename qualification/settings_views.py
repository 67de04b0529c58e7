"""Settings → Data attributes and Settings → Qualification data: the product's own pages for
what the Django admin used to offer. Admins only (each page's permission, checked on every
method by settings_page_view); every change goes through this app's services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from workspace.views.settings_area import settings_page_view

from .dependants import attribute_dependants, attribute_dependants_linked
from .forms import DataAttributeSettingsForm, policy_summary
from .models import AttributeModel, DataAttribute, QualificationItem
from .services import (
    DataAttributeError,
    data_attribute_create,
    data_attribute_update,
    qualification_item_add,
    qualification_item_move,
    qualification_item_remove,
)

ATTRIBUTES_PAGE = "qualification/settings_data_attributes.html"
ATTRIBUTE_FORM_PAGE = "qualification/settings_data_attribute_form.html"
QUALIFICATION_PAGE = "qualification/settings_qualification.html"


def _model(request: HttpRequest) -> str:
    model = request.GET.get("model") or request.POST.get("model") or AttributeModel.CONTACT
    return model if model in AttributeModel.values else AttributeModel.CONTACT


def _models(model: str) -> list[dict]:
    return [
        {"value": value, "label": label, "current": value == model}
        for value, label in AttributeModel.choices
    ]


def _list_url(name: str, model: str) -> str:
    return f"{reverse(name)}?model={model}"


# Data attributes ---------------------------------------------------------------------------------


@settings_page_view("data-attributes")
@require_http_methods(["GET"])
def data_attributes(request: HttpRequest) -> HttpResponse:
    model = _model(request)
    attributes = list(
        DataAttribute.objects.filter(model=model).order_by("archived", "-is_standard", "label")
    )
    for attribute in attributes:
        attribute.policy_summary = policy_summary(attribute)
    context = request.settings_context | {
        "title": "Data attributes",
        "model": model,
        "model_label": AttributeModel(model).label,
        "models": _models(model),
        "attributes": attributes,
        "can_add": request.user.has_perm("qualification.add_dataattribute"),
    }
    return render(request, ATTRIBUTES_PAGE, context)


def _form_page(request, form, *, model, attribute=None, status=200) -> HttpResponse:
    context = request.settings_context | {
        "title": f"Edit {attribute.label}" if attribute else "New data attribute",
        "model": model,
        "model_label": AttributeModel(model).label,
        "form": form,
        "attribute": attribute,
        "dependants": attribute_dependants_linked(attribute) if attribute else [],
        "list_url": _list_url("settings-data-attributes", model),
    }
    return render(request, ATTRIBUTE_FORM_PAGE, context, status=status)


@settings_page_view("data-attributes")
@require_http_methods(["GET", "POST"])
def data_attribute_new(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("qualification.add_dataattribute"):
        raise PermissionDenied
    model = _model(request)
    if request.method == "GET":
        return _form_page(request, DataAttributeSettingsForm(model=model), model=model)
    form = DataAttributeSettingsForm(request.POST, model=model)
    if form.is_valid():
        try:
            attribute = data_attribute_create(
                **form.service_arguments(), created_by_id=request.user.pk
            )
        except DataAttributeError as exc:  # refused after the check (a race)
            form.add_service_error(exc)
        else:
            messages.success(request, f"Created {attribute.label}.")
            return redirect(_list_url("settings-data-attributes", model))
    return _form_page(request, form, model=model, status=422)


@settings_page_view("data-attributes")
@require_http_methods(["GET", "POST"])
def data_attribute_edit(request: HttpRequest, pk: int) -> HttpResponse:
    attribute = get_object_or_404(DataAttribute, pk=pk)
    model = attribute.model
    if request.method == "GET":
        form = DataAttributeSettingsForm(model=model, instance=attribute)
        return _form_page(request, form, model=model, attribute=attribute)
    form = DataAttributeSettingsForm(request.POST, model=model, instance=attribute)
    if form.is_valid():
        try:
            data_attribute_update(attribute=attribute, **form.service_arguments())
        except DataAttributeError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, f"Saved {attribute.label}.")
            return redirect(_list_url("settings-data-attributes", model))
    return _form_page(request, form, model=model, attribute=attribute, status=422)


@settings_page_view("data-attributes")
@require_POST
def data_attribute_archive(request: HttpRequest, pk: int) -> HttpResponse:
    attribute = get_object_or_404(DataAttribute, pk=pk)
    archive = request.POST.get("archived") != "no"
    try:
        data_attribute_update(attribute=attribute, archived=archive)
    except DataAttributeError as exc:
        if exc.reason == DataAttributeError.HAS_DEPENDANTS:
            # The API's message follows Intercom's words; a person is told it plainly, and the
            # page lists each dependant with its link.
            messages.error(
                request,
                f"{attribute.label} was not archived because it is still in use by "
                f"{'; '.join(attribute_dependants(attribute))}. Remove it from there first, "
                "then archive it.",
            )
        else:
            messages.error(request, f"{attribute.label} was not archived. {exc.message}")
        return redirect("settings-data-attribute", pk=attribute.pk)
    if archive:
        messages.success(
            request,
            f"Archived {attribute.label}. Its values and history stay; no one can set it now.",
        )
    else:
        messages.success(request, f"{attribute.label} is active again.")
    return redirect(_list_url("settings-data-attributes", attribute.model))


# Qualification data ------------------------------------------------------------------------------


def _qualification_context(request: HttpRequest, model: str) -> dict:
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
    return request.settings_context | {
        "title": "Qualification data",
        "model": model,
        "model_label": AttributeModel(model).label,
        "models": _models(model),
        "items": items,
        "available": available,
    }


def _qualification_answer(
    request: HttpRequest, model: str, said: str, *, focus: tuple[int, str] | None = None
) -> HttpResponse:
    """After a change: htmx gets the list again (focus on the moved item, `said` in the live
    region); a plain form post goes back to the page with `said` as a message."""
    if not request.htmx:
        messages.info(request, said)
        return redirect(_list_url("settings-qualification", model))
    context = _qualification_context(request, model) | {"announcement": said}
    if focus is not None:
        context["focus_item"], context["focus_control"] = focus
    return render(request, f"{QUALIFICATION_PAGE}#qualification-data", context)


@settings_page_view("qualification")
@require_http_methods(["GET"])
def qualification_settings(request: HttpRequest) -> HttpResponse:
    return render(request, QUALIFICATION_PAGE, _qualification_context(request, _model(request)))


def _item(request: HttpRequest, pk: int) -> QualificationItem:
    return get_object_or_404(QualificationItem.objects.select_related("attribute"), pk=pk)


def _may_change_list(request: HttpRequest) -> None:
    for action in ("add", "change", "delete"):
        if not request.user.has_perm(f"qualification.{action}_qualificationitem"):
            raise PermissionDenied


@settings_page_view("qualification")
@require_POST
def qualification_add(request: HttpRequest) -> HttpResponse:
    _may_change_list(request)
    model = _model(request)
    chosen = request.POST.get("attribute", "")
    attribute = (
        DataAttribute.objects.filter(pk=chosen, model=model).first() if chosen.isdigit() else None
    )
    if attribute is None:
        return _qualification_answer(
            request, model, "Choose an attribute from the list; nothing was changed."
        )
    position = request.POST.get("position", "end")
    after = None
    if position.isdigit():
        after = QualificationItem.objects.filter(pk=position, attribute__model=model).first()
    try:
        item = qualification_item_add(attribute=attribute, after=after, at_top=position == "top")
    except ValidationError as exc:
        return _qualification_answer(request, model, " ".join(exc.messages))
    return _qualification_answer(
        request, model, f"{attribute.label} is now qualification data.", focus=(item.pk, "handle")
    )


@settings_page_view("qualification")
@require_POST
def qualification_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move an item by one (`direction` up or down) or to a position (`position`, from 1, as
    dropped). `focus` names the control to focus afterwards: up, down or handle."""
    _may_change_list(request)
    item = _item(request, pk)
    model = item.attribute.model
    order = list(
        QualificationItem.objects.filter(attribute__model=model)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    current = order.index(item.pk)
    direction, position = request.POST.get("direction"), request.POST.get("position", "")
    if direction in ("up", "down"):
        offset = -1 if direction == "up" else 1
    elif position.isdigit() and 1 <= int(position) <= len(order):
        offset = int(position) - 1 - current
    else:
        return _qualification_answer(request, model, "Choose where to move it; nothing moved.")
    qualification_item_move(item=item, offset=offset)
    new_position = max(0, min(len(order) - 1, current + offset)) + 1
    focus = request.POST.get("focus")
    focus = focus if focus in ("up", "down", "handle") else "handle"
    said = f"{item.attribute.label} moved to position {new_position} of {len(order)}."
    return _qualification_answer(request, model, said, focus=(item.pk, focus))


@settings_page_view("qualification")
@require_POST
def qualification_remove(request: HttpRequest, pk: int) -> HttpResponse:
    _may_change_list(request)
    item = _item(request, pk)
    model, label = item.attribute.model, item.attribute.label
    qualification_item_remove(item=item)
    return _qualification_answer(request, model, f"{label} was removed from qualification data.")
