"""Saved contact-list filters."""

from django.db import transaction

from core.write_guard import service

from ..models import Segment


@service
def segment_create(*, name: str, query: str, created_by) -> Segment:
    """Save a contact-list filter as a segment and work out its members in the background."""
    from ..tasks import segment_populate

    with transaction.atomic():
        segment = Segment.objects.create(name=name, query=query, created_by=created_by)
        transaction.on_commit(lambda: segment_populate.delay(segment.pk))
    return segment
