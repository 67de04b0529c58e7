"""Saved contact-list filters."""

from django.db import IntegrityError, connection, transaction

from core.outage import task_send
from core.write_guard import service

from ..models import Segment

# Every projection of a contact change re-evaluates every saved segment for the changed
# contacts, so their number bounds the cost of every write (bench/segments.py measures it).
SEGMENTS_MAX = 50


class SegmentLimitReached(Exception):
    def __init__(self):
        super().__init__(
            f"This workspace already has {SEGMENTS_MAX} saved segments, the most it keeps: "
            "every change to a contact is checked against each one. Delete a segment you no "
            "longer use, then save this one."
        )


class SegmentNameTaken(Exception):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f"A segment called {name!r} already exists.")


def segment_manageable_by(segment: Segment, user) -> bool:
    """Renaming and deleting a segment is for its owner (if their role may change segments)
    and for Admins (whose role may delete any)."""
    if user.has_perm("contacts.delete_segment"):
        return True
    return (
        segment.created_by_id is not None
        and segment.created_by_id == user.pk
        and user.has_perm("contacts.change_segment")
    )


@service
def segment_create(*, name: str, query: str, created_by) -> Segment:
    """Save a contact-list filter as a segment and work out its members in the background.
    Refused past SEGMENTS_MAX (SegmentLimitReached), counted under a lock so that two saves at
    once cannot both take the last place."""

    with transaction.atomic():
        if connection.vendor == "postgresql":  # SQLite already runs one write at a time
            with connection.cursor() as cursor:
                cursor.execute(
                    f"LOCK TABLE {Segment._meta.db_table} IN SHARE ROW EXCLUSIVE MODE"  # noqa: S608
                )
        if Segment.objects.count() >= SEGMENTS_MAX:
            raise SegmentLimitReached()
        segment = Segment.objects.create(name=name, query=query, created_by=created_by)
        transaction.on_commit(lambda: _populate(segment))
    return segment


def _populate(segment: Segment) -> None:
    """Work out the members in the background; with the broker unreachable, here and now (a
    segment has no outbox row that a sweep would find later, and saving one is rare)."""
    from ..tasks import segment_populate

    if not task_send(segment_populate, segment.pk):
        segment_populate.apply(args=(segment.pk,))


@service
def segment_rename(*, segment: Segment, name: str, actor) -> Segment:
    """Rename a segment; its filter and members stay. Names are unique (SegmentNameTaken)."""
    if name == segment.name:
        return segment
    try:
        with transaction.atomic():
            Segment.objects.filter(pk=segment.pk).update(name=name)
    except IntegrityError as exc:
        raise SegmentNameTaken(name) from exc
    segment.name = name
    return segment


@service
def segment_delete(*, segment: Segment, actor) -> None:
    """Delete a segment and its memberships; the contacts it matched are not touched."""
    segment.delete()
