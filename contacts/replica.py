"""Which database the contact list reads, and how far behind the replica's copy of it is.

With REPLICA_DATABASE_URL set the list reads a streaming replica, which replays the primary's
changes a moment later. That delay is part of what the list explains: the replica's own lag
is measured on the list's rows (the oldest row projected on the primary that the replica does
not have yet), so it counts exactly the changes a teammate could be missing. A replica that
cannot be reached, or is further behind than REPLICA_MAX_LAG_SECONDS, is left for the primary
until it recovers; each switch is logged once."""

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import Max, Min
from django.utils import timezone

from .models import ContactListEntry

logger = logging.getLogger(__name__)

PRIMARY, REPLICA = "default", "replica"
# How long one process trusts its last look at the replica: the list page asks at most this
# often, however many teammates load it.
CHECK_EVERY_SECONDS = 1.0


@dataclass(frozen=True)
class ListSource:
    alias: str  # the database alias the list reads now
    replica_lag_seconds: float | None  # the replica's delay; None: no replica, or unreachable
    fallback_reason: str = ""  # "", "unreachable" or "behind": why the primary is read instead

    @property
    def has_replica(self) -> bool:
        return REPLICA in settings.DATABASES

    @property
    def reads_replica(self) -> bool:
        return self.alias == REPLICA


_lock = threading.Lock()
_last: tuple[float, ListSource] | None = None


def contact_list_source(*, fresh: bool = False) -> ListSource:
    """Where the list reads now. Checked at most once a second per process (`fresh` forces)."""
    if REPLICA not in settings.DATABASES:
        return ListSource(PRIMARY, None)
    now = time.monotonic()
    with _lock:
        if not fresh and _last is not None and now - _last[0] < CHECK_EVERY_SECONDS:
            return _last[1]
    return _remember(_look_at_replica(), now)


def _remember(source: ListSource, at: float) -> ListSource:
    """Keep this look as the process's last, and log a switch of side."""
    global _last
    with _lock:
        previous = _last[1] if _last is not None else None
        _last = (at, source)
    _log_switch(previous, source)
    return source


def _look_at_replica() -> ListSource:
    try:
        lag = replica_lag_seconds()
    except DatabaseError as exc:
        connections[REPLICA].close()  # a broken connection is not reused
        logger.debug("Replica check failed: %s", exc)
        return ListSource(PRIMARY, None, "unreachable")
    if lag > settings.REPLICA_MAX_LAG_SECONDS:
        return ListSource(PRIMARY, lag, "behind")
    return ListSource(REPLICA, lag)


def replica_lag_seconds(now: datetime | None = None) -> float:
    """How long ago the oldest list row the replica lacks was projected on the primary; 0 when
    the replica has every row. Two index lookups, one on each side."""
    replica_newest = ContactListEntry.objects.using(REPLICA).aggregate(at=Max("projected_at"))["at"]
    missing = ContactListEntry.objects.using(PRIMARY)
    if replica_newest is not None:
        missing = missing.filter(projected_at__gt=replica_newest)
    oldest_missing = missing.aggregate(at=Min("projected_at"))["at"]
    if oldest_missing is None:
        return 0.0
    return max(0.0, ((now or timezone.now()) - oldest_missing).total_seconds())


def _log_switch(previous: ListSource | None, current: ListSource) -> None:
    was = previous.fallback_reason if previous is not None else ""
    if current.fallback_reason == was:
        return
    if current.fallback_reason == "unreachable":
        logger.warning("Contact list: the replica cannot be reached; reading from the primary.")
    elif current.fallback_reason == "behind":
        logger.warning(
            "Contact list: the replica is %.0f s behind (limit %s s); reading from the primary.",
            current.replica_lag_seconds,
            settings.REPLICA_MAX_LAG_SECONDS,
        )
    else:
        logger.warning("Contact list: the replica has recovered; reading from it again.")


def replica_failed() -> ListSource:
    """A read on the replica failed mid-page: the primary stands in from now until the next
    look finds the replica answering again."""
    connections[REPLICA].close()
    return _remember(ListSource(PRIMARY, None, "unreachable"), time.monotonic())


def rows_newer_on_primary(entries: list[ContactListEntry]) -> set[int]:
    """Contacts on this page whose row on the primary is newer than the replica's copy shown:
    already projected, not yet replayed. One indexed query on the primary."""
    if not entries:
        return set()
    shown = {e.contact_id: e.source_version for e in entries}
    current = ContactListEntry.objects.using(PRIMARY).filter(contact_id__in=shown)
    return {
        contact_id
        for contact_id, version in current.values_list("contact_id", "source_version")
        if version > shown[contact_id]
    }
