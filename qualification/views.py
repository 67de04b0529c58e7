"""Inline editing of attribute values: the row, its edit form, save, re-sync and history.

Each URL serves an htmx partial when htmx asks and a whole page (or a redirect) otherwise, so
the panel works without JavaScript too. Permissions are checked here, on every request."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from core.numbers import number_style_for

from .forms import AttributeValueForm
from .models import DataAttribute
from .places import place_of
from .results import AttributeWriteError, StaleWriteError
from .selectors import (
    HISTORY_SOURCES,
    AttributeRow,
    attribute_history,
    attribute_rows,
    format_value,
)
from .services import attribute_resync, attributes_apply
from .sources import Actor, Source
from .targets import TargetKind, target_kind
from .values import InvalidValue, parse_value

ROW_TEMPLATE = "qualification/attribute.html"


def _teammate_names(attribute: DataAttribute) -> dict[int, str]:
    if not (attribute.is_standard and attribute.name == "owner_id"):
        return {}
    return {
        u.pk: u.get_full_name() or u.get_username()
        for u in get_user_model().objects.only("pk", "first_name", "last_name", "username")
    }


def _load(request: HttpRequest, target_type: str, target_id: int, attribute_id: int):
    try:
        kind = target_kind(target_type)
    except LookupError:
        raise Http404("No such kind of record.") from None
    if not request.user.has_perm(kind.view_permission):
        raise PermissionDenied
    target = get_object_or_404(kind.model, pk=target_id)
    attribute = get_object_or_404(DataAttribute, pk=attribute_id, model=target_type)
    return kind, target, _row(request, kind, target, attribute)


def _row(request: HttpRequest, kind: TargetKind, target, attribute: DataAttribute) -> AttributeRow:
    """The row as it is now; `target` is kept current by the write path, so no re-read."""
    [row] = attribute_rows(
        target=target,
        attributes=[attribute],
        can_edit=request.user.has_perm(kind.change_permission),
        teammates=_teammate_names(attribute),
    )
    return row


def _require_edit(row: AttributeRow) -> None:
    if not row.editable:
        raise PermissionDenied


def _next_url(request: HttpRequest, kind: TargetKind, target_id: int) -> str:
    candidate = _safe_url(request, request.POST.get("next") or request.GET.get("next") or "")
    if candidate:
        return candidate
    # An inline edit returns to the page it was made on.
    return (request.htmx.current_url_abs_path if request.htmx else None) or kind.page_url(target_id)


def _render_row(request, row: AttributeRow, *, focus: bool = False, status: int = 200):
    return render(request, f"{ROW_TEMPLATE}#row", {"row": row, "focus_edit": focus}, status=status)


def _editor(request: HttpRequest) -> Actor:
    """The teammate, with the page the edit was made on (the page the form returns to), when
    the request names it."""
    origin = _safe_url(request, request.POST.get("next") or request.GET.get("next") or "")
    place = place_of(origin or (request.htmx.current_url_abs_path if request.htmx else "") or "")
    if place is None:
        return Actor.teammate(request.user)
    return Actor.teammate(request.user, where=place.where, where_url=place.url)


def _saved(request, kind: TargetKind, target, row: AttributeRow):
    """The saved row; the page is told (HX-Trigger "sb:value-changed") so that every other
    place showing the value or the record's name shows the new one without a reload. (The key
    is "record": htmx reads a "target" key in an event's detail as a selector to dispatch on.)"""
    saved = _row(request, kind, target, row.attribute)
    response = _render_row(request, saved, focus=True)
    return trigger_client_event(
        response,
        "sb:value-changed",
        {
            "record": f"{saved.target_type}:{saved.target_id}",
            "attribute": saved.attribute.name,
            "display": saved.display,
            "title": str(target),
        },
    )


def _form(request, kind: TargetKind, row: AttributeRow, **kwargs) -> AttributeValueForm:
    return AttributeValueForm(
        row=row, model=kind.model, number_style=number_style_for(request), **kwargs
    )


def _render_form(request, kind, row, form, *, status: int = 200, conflict=None, mine=None):
    described_by = [f"{row.dom_id}-help"] if form.fields["value"].help_text else []
    if form.is_bound and form.errors:
        form.fields["value"].widget.attrs["aria-invalid"] = "true"
        described_by.insert(0, f"{row.dom_id}-error")
    if described_by:
        form.fields["value"].widget.attrs["aria-describedby"] = " ".join(described_by)
    context = {
        "row": row,
        "form": form,
        "conflict": conflict,
        "mine": mine,
        "mine_display": _display_mine(row, mine),
        "next": _next_url(request, kind, row.target_id),
        "kind": kind,
    }
    if request.htmx:
        partial = "conflict" if conflict else "form"
        return render(request, f"{ROW_TEMPLATE}#{partial}", context, status=status)
    return render(request, "qualification/attribute_edit_page.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def attribute_row(request: HttpRequest, target_type: str, target_id: int, attribute_id: int):
    """GET: the row as displayed. POST: save a new value through the write path."""
    kind, target, row = _load(request, target_type, target_id, attribute_id)
    if request.method == "GET":
        if not request.htmx:
            return redirect(kind.page_url(target_id))
        return _render_row(request, row, focus="focus" in request.GET)

    _require_edit(row)
    form = _form(request, kind, row, data=request.POST)
    if not form.is_valid():
        return _render_form(request, kind, row, form, status=422)
    mine = form.raw_value()
    try:
        attributes_apply(
            target=target,
            values={row.attribute.name: mine},
            source=Source.QUALIFICATION,
            actor=_editor(request),
            expected=form.cleaned_data["version"],
        )
    except AttributeWriteError as exc:
        form.add_error("value", exc.problems[0].message)
        return _render_form(request, kind, row, form, status=422)
    except StaleWriteError as exc:
        [conflict] = exc.conflicts
        target.refresh_from_db()
        current = _row(request, kind, target, row.attribute)
        # The form now carries the current version, so "Overwrite with mine" saves knowingly.
        # It carries what was typed (in the teammate's zone and number style), to be read the
        # same way again.
        typed = request.POST.get("value", "")
        overwrite = _form(
            request, kind, current, initial={"value": typed, "version": current.target_version}
        )
        return _render_form(
            request, kind, current, overwrite, status=409, conflict=conflict, mine=mine
        )
    if not request.htmx:
        return redirect(_next_url(request, kind, target_id))
    return _saved(request, kind, target, row)


@login_required
@require_GET
def attribute_edit(request: HttpRequest, target_type: str, target_id: int, attribute_id: int):
    kind, _, row = _load(request, target_type, target_id, attribute_id)
    _require_edit(row)
    return _render_form(request, kind, row, _form(request, kind, row))


@login_required
@require_POST
def attribute_resync_view(
    request: HttpRequest, target_type: str, target_id: int, attribute_id: int
):
    kind, target, row = _load(request, target_type, target_id, attribute_id)
    _require_edit(row)
    try:
        attribute_resync(target=target, name=row.attribute.name, actor=_editor(request))
    except AttributeWriteError as exc:
        # The app's value no longer fits the attribute (an option was removed, say): the
        # manual value keeps its hold and the teammate is told why.
        message = f"Could not re-sync: {exc.problems[0].message}"
        if not request.htmx:
            messages.error(request, message)
            return redirect(_next_url(request, kind, target_id))
        return render(
            request, f"{ROW_TEMPLATE}#row", {"row": row, "row_error": message}, status=422
        )
    if not request.htmx:
        return redirect(_next_url(request, kind, target_id))
    return _saved(request, kind, target, row)


@login_required
@require_GET
def attribute_history_view(
    request: HttpRequest, target_type: str, target_id: int, attribute_id: int
):
    kind, target, row = _load(request, target_type, target_id, attribute_id)
    source = request.GET.get("source", "")
    changes = attribute_history(
        target_type=target_type,
        target_id=target_id,
        attribute_name=row.attribute.name,
        source=source or None,
        before_id=_int_or_none(request.GET.get("before")),
    )
    back = _safe_url(request, request.GET.get("back", ""))
    place = place_of(back) if back else None
    context = {
        "row": row,
        "kind": kind,
        "target": target,
        "back": back if place else "",
        "back_place": place,
        "changes": changes,
        "sources": HISTORY_SOURCES,
        "source": source,
        "page_url": kind.page_url(target_id),
    }
    if request.htmx:
        return render(request, "qualification/timeline.html#timeline", context)
    return render(request, "qualification/attribute_history.html", context)


def _display_mine(row: AttributeRow, mine) -> str:
    if mine is None:
        return ""
    try:
        return format_value(row.attribute, parse_value(row.attribute, mine), {}) or "no value"
    except (InvalidValue, TypeError, ValueError):
        return str(mine)


def _safe_url(request: HttpRequest, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _int_or_none(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None
