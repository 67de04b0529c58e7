from celery import shared_task

from . import projection


@shared_task(name="contacts.segment_populate")
def segment_populate(segment_id: int) -> int:
    return projection.segment_populate(segment_id=segment_id)


@shared_task(name="contacts.rebuild_contact_list")
def rebuild_contact_list() -> int:
    return projection.contact_list_rebuild()
