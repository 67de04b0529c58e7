"""The contact list behind a real Celery worker over the real Redis broker (no eager mode)."""

import pytest
from django.conf import settings

from config.celery import app
from contacts.models import ContactListEntry
from contacts.projection import contact_list_project
from qualification.models import AttributeOutbox
from qualification.services import attributes_apply
from qualification.tasks import deliver_outbox, sweep_outbox
from tests.factories import ContactFactory, UserFactory
from tests.helpers import API, wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def listed_name(contact):
    return (
        ContactListEntry.objects.filter(contact_id=contact.pk)
        .values_list("name", flat=True)
        .first()
    )


def test_a_name_change_reaches_the_list(celery_worker):
    contact = ContactFactory(values={"name": "Ada"})
    attributes_apply(target=contact, values={"name": "Ada King"}, source="rest_api", actor=API)
    assert wait_for(lambda: listed_name(contact) == "Ada King")
    assert wait_for(lambda: not AttributeOutbox.objects.filter(processed_at__isnull=True).exists())


def test_with_the_worker_down_the_list_says_pending_then_catches_up(start_celery_worker, client):
    contact = ContactFactory(values={"name": "Old name", "email": "p@example.com"})
    contact_list_project(contact_ids=[contact.pk])
    attributes_apply(target=contact, values={"name": "New name"}, source="rest_api", actor=API)

    client.force_login(UserFactory(username="agent", role="Teammate"))
    html = client.get("/contacts/").content.decode()
    assert "Old name" in html and ">Update pending</span>" in html
    assert "which are on their way" in html
    assert "New name" in client.get(f"/contacts/{contact.pk}/").content.decode()

    with start_celery_worker():
        assert wait_for(lambda: listed_name(contact) == "New name")
    html = client.get("/contacts/").content.decode()
    assert "New name" in html and ">Update pending</span>" not in html
    assert "The contact list is up to date." in html


def test_with_redis_down_during_the_write_the_sweeper_delivers_later(start_celery_worker):
    contact = ContactFactory(values={"name": "Before"})
    contact_list_project(contact_ids=[contact.pk])
    real = app.conf.broker_url
    try:
        app.conf.broker_url = "redis://127.0.0.1:1/0"  # Redis is "down": nothing listens
        app._pool = None
        app.amqp._producer_pool = None
        attributes_apply(
            target=contact, values={"name": "While down"}, source="rest_api", actor=API
        )
    finally:
        app.conf.broker_url = real
        app._pool = None
        app.amqp._producer_pool = None
    assert listed_name(contact) == "Before"
    with start_celery_worker():
        sweep_outbox.delay()  # what beat does every OUTBOX_SWEEP_SECONDS
        assert wait_for(lambda: listed_name(contact) == "While down")


def test_duplicated_and_reordered_tasks_leave_the_newest_data(celery_worker):
    from celery.signals import task_postrun

    contact = ContactFactory(values={"name": "v1"})
    attributes_apply(target=contact, values={"name": "v2"}, source="rest_api", actor=API)
    attributes_apply(target=contact, values={"name": "v3"}, source="rest_api", actor=API)
    assert wait_for(lambda: listed_name(contact) == "v3")
    finished = set()

    def note(task_id=None, **kwargs):
        finished.add(task_id)

    task_postrun.connect(note, weak=False)
    try:
        # Redelivered as after a worker's restart (older versions queued an id: still taken),
        # with the sweep beside them.
        older = AttributeOutbox.objects.filter(target_id=contact.pk).order_by("id")
        AttributeOutbox.objects.filter(pk__in=older.values("pk")).update(processed_at=None)
        queued = set()
        for outbox_id in reversed(list(older.values_list("pk", flat=True))):
            queued.add(deliver_outbox.delay(outbox_id).id)
            queued.add(deliver_outbox.delay().id)
        queued.add(sweep_outbox.delay().id)
        assert wait_for(lambda: queued <= finished), "not every task ran to its end"
    finally:
        task_postrun.disconnect(note)
    assert not AttributeOutbox.objects.filter(processed_at__isnull=True).exists()
    assert listed_name(contact) == "v3"
    entry = ContactListEntry.objects.get(contact_id=contact.pk)
    contact.refresh_from_db()
    assert entry.source_version == contact.version
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
