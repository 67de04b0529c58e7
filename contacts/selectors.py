"""Reads of the contact list, and of contacts' events. The list reads only its read model (on the
replica when one is configured and near enough, contacts.replica); what it says about pending
changes comes from the outbox and the list's rows on the primary."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from core.pagination import Page, keyset_after, keyset_page
from qualification.dependants import Dependant
from qualification.models import AttributeModel, AttributeOutbox, DataAttribute, Tag
from qualification.values import parse_id

from .filters import ContactListFilter
from .models import Contact, ContactListEntry, Event, EventSummary, Role, Segment
from .replica import PRIMARY, ListSource

SORTS = {
    "last_seen": ("sort_last_seen", "Last seen"),
    "signed_up": ("sort_signed_up", "Signed up"),
    "created": ("created_at", "Created"),
    "name": ("sort_name", "Name"),
}
DEFAULT_SORT = "-last_seen"


def contact_list_filter(
    query: QueryDict | str, base: QuerySet | None = None, custom=None
) -> ContactListFilter:
    data = QueryDict(query) if isinstance(query, str) else query
    return ContactListFilter(
        data, queryset=base if base is not None else ContactListEntry.objects.all(), custom=custom
    )


def contact_list_queryset(
    query: QueryDict | str, base: QuerySet | None = None, custom=None
) -> QuerySet:
    """Entries matching a filter URL's query; nothing when the filter is invalid."""
    filters = contact_list_filter(query, base, custom)
    if not filters.is_valid():
        return filters.queryset.none()
    return filters.qs


def parse_sort(raw: str | None) -> tuple[str, bool]:
    raw = raw or DEFAULT_SORT
    descending = raw.startswith("-")
    key = raw.lstrip("-")
    if key not in SORTS:
        return DEFAULT_SORT.lstrip("-"), True
    return key, descending


@dataclass
class ContactPage:
    entries: list[ContactListEntry]
    next_cursor: str | None
    is_first: bool


def contact_list_page(
    queryset: QuerySet, *, sort: str, descending: bool, cursor: str | None, size: int
) -> ContactPage:
    """Keyset pagination on (sort column, contact id): the same cost on page 1 and page 40,000."""
    column = SORTS[sort][0]
    page = keyset_page(
        queryset,
        field=column,
        id_field="contact_id",
        cursor=cursor,
        size=size,
        descending=descending,
        is_date=column != "sort_name",
    )
    return ContactPage(entries=page.items, next_cursor=page.next_cursor, is_first=page.is_first)


def tag_names(entries: list[ContactListEntry]) -> dict[int, str]:
    ids = {t for e in entries for t in e.tag_ids}
    return dict(Tag.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


def segments_using_tag(tag_id: int) -> list[Segment]:
    """Segments whose saved filter selects this tag. Segments are few; their filters are URL
    queries, so they are read here rather than matched in SQL."""
    return [
        s
        for s in Segment.objects.order_by("name")
        if str(tag_id) in QueryDict(s.query).getlist("tag")
    ]


def pending_contact_ids(entries: list[ContactListEntry]) -> set[int]:
    """Contacts on this page with committed changes the list does not show yet: their own
    changes, or a rename of one of their companies, still waiting in the outbox."""
    contact_ids = [e.contact_id for e in entries]
    company_ids = {c for e in entries for c in e.company_ids}
    if not contact_ids:
        return set()
    pending = _changes_waiting().filter(
        Q(target_type="contact", target_id__in=contact_ids)
        | Q(target_type="company", target_id__in=company_ids)
    )
    contacts, companies = set(), set()
    for target_type, target_id, names in pending.values_list(
        "target_type", "target_id", "attribute_names"
    ):
        if target_type == "contact":
            contacts.add(target_id)
        elif "name" in names:
            companies.add(target_id)
    return contacts | {e.contact_id for e in entries if companies & set(e.company_ids)}


def _changes_waiting():
    """Committed changes the list may not show yet. A change of provenance alone (an app's
    value held back by a manual edit) names no values and changes nothing the list shows, so
    it is not "pending"."""
    return AttributeOutbox.objects.filter(processed_at__isnull=True).exclude(attribute_names=[])


# A change usually reaches the list within a second; one younger than this is "on its way",
# not "behind": the line does not flip between "up to date" and "0 seconds behind".
BEHIND_AFTER_SECONDS = 5


@dataclass
class Freshness:
    behind_seconds: float | None  # None: nothing waiting
    recent_lag_p50: float | None
    recent_lag_p95: float | None
    recent_changes: int
    source: ListSource = ListSource(PRIMARY, None)

    @property
    def state(self) -> str:
        """One of up_to_date, catching_up (changes of the last few seconds on their way) or
        behind."""
        if self.behind_seconds is None:
            return "up_to_date"
        return "behind" if self.behind_seconds >= BEHIND_AFTER_SECONDS else "catching_up"

    @property
    def behind_whole_seconds(self) -> int:
        return int(self.behind_seconds or 0)


def contact_list_freshness(
    now: datetime | None = None, source: ListSource | None = None
) -> Freshness:
    """How far behind the list is (the oldest change not yet in it, or the replica's delay if
    that is longer), and how long recent changes took to arrive."""
    now = now or timezone.now()
    source = source or ListSource(PRIMARY, None)
    oldest = (
        _changes_waiting()
        .filter(target_type="contact")
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    recent = sorted(
        (projected - changed).total_seconds()
        for changed, projected in ContactListEntry.objects.using(source.alias)
        .filter(projected_at__gte=now - timedelta(minutes=10))
        .order_by("-projected_at")
        .values_list("changed_at", "projected_at")[:500]
    )
    pick = (lambda q: recent[min(len(recent) - 1, int(q * len(recent)))]) if recent else None
    behind = max(0.0, (now - oldest).total_seconds()) if oldest else None
    if source.reads_replica and source.replica_lag_seconds:
        behind = max(behind or 0.0, source.replica_lag_seconds)
    return Freshness(
        behind_seconds=behind,
        recent_lag_p50=pick(0.5) if pick else None,
        recent_lag_p95=pick(0.95) if pick else None,
        recent_changes=len(recent),
        source=source,
    )


def segments_filtering_on(attribute: DataAttribute) -> list[Dependant]:
    """The saved segments whose filter uses this custom people attribute (the contact list's
    `cf` parameter): archiving it would leave them filtering on an attribute nobody can see."""
    if attribute.model != AttributeModel.CONTACT or attribute.is_standard:
        return []
    segments = Segment.objects.filter(query__contains="cf=").order_by("name")
    contact_list = reverse("contact-list")
    return [
        Dependant(f"the segment '{name}'", f"{contact_list}?{query}")
        for name, query in segments.values_list("name", "query")
        if attribute.name in QueryDict(query).getlist("cf")
    ]


# Events ------------------------------------------------------------------------------------------

# Intercom lists only the last 90 days of events; summaries still count older ones.
EVENT_LIST_WINDOW = timedelta(days=90)


def contact_find(
    *, contact_id: str | None = None, external_id: str | None = None, email: str | None = None
) -> Contact | None:
    """The contact one API identifier names: our id (user or lead), a user's external id, or a
    user's email (the oldest such user, when several share it)."""
    if contact_id is not None:
        pk = parse_id(contact_id)
        return None if pk is None else Contact.objects.filter(pk=pk).first()
    users = Contact.objects.filter(role=Role.USER)
    if external_id is not None:
        return users.filter(external_id=external_id).first()
    if email is not None:
        return users.filter(email__iexact=email).order_by("pk").first()
    return None


def contact_events(
    contact: Contact,
    *,
    limit: int,
    before: tuple[datetime, int] | None = None,
    within: timedelta | None = EVENT_LIST_WINDOW,
) -> list[Event]:
    """A contact's events newest first (by default only the API's 90 days), from a
    (created_at, id) keyset."""
    events = Event.objects.filter(contact=contact)
    if within is not None:
        events = events.filter(created_at__gte=timezone.now() - within)
    if before is not None:
        events = keyset_after(
            events, field="created_at", id_field="pk", position=before, descending=True
        )
    return list(events.order_by("-created_at", "-pk")[:limit])


def contact_event_summaries(contact: Contact, *, size: int, cursor: str | None = None) -> Page:
    """One page of the contact's event names, most recently done first, after `cursor`: a
    contact may have done thousands of different things."""
    return keyset_page(
        EventSummary.objects.filter(contact=contact), field="last_at", cursor=cursor, size=size
    )
