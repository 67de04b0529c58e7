"""The admin deletes tags through the contacts service, so the contact list follows."""

import pytest
from django.urls import reverse

from contacts.models import ContactListEntry
from qualification.models import AttributeOutbox, Tag
from qualification.services import outbox_deliver
from tests.factories import ContactFactory, SegmentFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_deleting_a_tag_in_the_admin_untags_through_the_outbox(admin_client):
    tag = TagFactory(name="Churn risk")
    contact = ContactFactory()
    contact.tags.add(tag)
    response = admin_client.post(
        reverse("admin:qualification_tag_delete", args=[tag.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Tag.objects.filter(pk=tag.pk).exists()
    # The change was announced; once delivered, the list row has no tag.
    assert AttributeOutbox.objects.filter(target_id=contact.pk, attribute_names=["tags"]).exists()
    outbox_deliver()
    assert ContactListEntry.objects.get(contact_id=contact.pk).tag_ids == []


def test_a_tag_a_segment_uses_cannot_be_deleted_in_the_admin(admin_client):
    tag = TagFactory(name="Beta")
    SegmentFactory(name="Beta testers", query=f"tag={tag.pk}")
    url = reverse("admin:qualification_tag_delete", args=[tag.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Tag.objects.filter(pk=tag.pk).exists()
