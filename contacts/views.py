from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.counting import page_count
from qualification.models import Tag

from .models import Role, Segment
from .selectors import (
    SORTS,
    contact_list_filter,
    contact_list_freshness,
    contact_list_page,
    parse_sort,
    pending_contact_ids,
    tag_names,
)
from .services import segment_create

PAGE_SIZE = 50
ARCHIVED_CHOICES = [("no", "Not archived"), ("yes", "Archived"), ("all", "Archived or not")]
OPERATOR_LABELS = [
    ("contains", "contains"),
    ("is", "is"),
    ("eq", "equals"),
    ("gte", "at least / on or after"),
    ("lte", "at most / on or before"),
    ("between", "between"),
    ("true", "is true"),
    ("false", "is false"),
]


@login_required
@permission_required("contacts.view_contactlistentry", raise_exception=True)
@require_GET
def contact_list(request: HttpRequest) -> HttpResponse:
    filters = contact_list_filter(request.GET)
    sort, descending = parse_sort(request.GET.get("sort"))
    if filters.is_valid():
        page = contact_list_page(
            filters.qs,
            sort=sort,
            descending=descending,
            cursor=request.GET.get("cursor"),
            size=PAGE_SIZE,
        )
        count = page_count(
            filters.qs,
            items=page.entries,
            is_first=page.is_first,
            has_more=page.next_cursor is not None,
            id_field="contact_id",
        )
    else:
        page = contact_list_page(
            filters.queryset.none(), sort=sort, descending=descending, cursor=None, size=1
        )
        count = None
    query = request.GET.copy()
    query.pop("cursor", None)
    filter_query = query.copy()
    filter_query.pop("sort", None)
    names = tag_names(page.entries)
    context = {
        "title": "Contacts",
        "section": "contacts",
        "filters": filters,
        "roles": Role.choices,
        "tags": Tag.objects.order_by("name").only("pk", "name"),
        "archived_choices": ARCHIVED_CHOICES,
        "custom": filters.custom,
        "operators": OPERATOR_LABELS,
        "custom_error": getattr(filters, "custom_error", ""),
        "page": page,
        "count": count,
        "rows": [
            {
                "entry": e,
                "tags": [names[t] for t in e.tag_ids if t in names],
            }
            for e in page.entries
        ],
        "pending": pending_contact_ids(page.entries),
        "freshness": contact_list_freshness(),
        "query": query.urlencode(),
        "filter_query": filter_query.urlencode(),
        "sort": sort,
        "descending": descending,
        "sorts": SORTS,
        "segments": Segment.objects.order_by("name"),
        "can_save_segment": request.user.has_perm("contacts.add_segment"),
    }
    if request.htmx and request.htmx.target == "contact-table":
        return render(request, "contacts/contact_list.html#contact-table", context)
    return render(request, "contacts/contact_list.html", context)


@login_required
@require_POST
def segment_save(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("contacts.add_segment"):
        return HttpResponse("You don't have permission to save segments.", status=403)
    name = request.POST.get("name", "").strip()
    query = request.POST.get("query", "").lstrip("?")[:2000]
    if not name:
        messages.error(request, "Give the segment a name; nothing was saved.")
    else:
        try:
            segment_create(name=name[:190], query=query, created_by=request.user)
        except IntegrityError:
            messages.error(request, f"A segment called “{name}” already exists; pick another name.")
        else:
            messages.success(
                request, f"Saved segment “{name}”. Its badges appear as its members are found."
            )
    return redirect(f"/contacts/?{query}")
