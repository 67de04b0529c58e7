"""The admin deletes tags through the contacts service, so the contact list follows."""

import pytest
from django.urls import reverse

from contacts.models import ContactListEntry
from qualification.models import AttributeOutbox, Tag
from qualification.outbox.delivery import outbox_deliver
from tests.factories import ContactFactory, SegmentFactory, TagFactory, UserFactory, given_tags

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_deleting_a_tag_in_the_admin_untags_through_the_outbox(admin_client):
    tag = TagFactory(name="Churn risk")
    contact = ContactFactory()
    given_tags(contact, tag)
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


def test_an_admin_save_keeps_a_tag_the_api_added_after_the_page_loaded(admin_client):
    from tests.inbox.test_roles import contact_form

    kept, dropped, added_by_admin, added_by_api = (
        TagFactory(name=n) for n in ("Kept", "Dropped", "Admin's", "API's")
    )
    contact = ContactFactory(values={"name": "Ada", "email": "ada@example.com"})
    given_tags(contact, kept, dropped)
    url = reverse("admin:contacts_contact_change", args=[contact.pk])
    page = admin_client.get(url).content.decode()
    seen = f"{kept.pk},{dropped.pk}" if kept.pk < dropped.pk else f"{dropped.pk},{kept.pk}"
    assert f'name="seen_tags" value="{seen}"' in page
    given_tags(contact, added_by_api)  # the API tags the contact while the page is open
    form = contact_form(contact, seen_version=contact.version, seen_tags=seen)
    form["tags"] = [str(kept.pk), str(added_by_admin.pk)]  # the admin drops one, adds one
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.content[:2000]
    assert set(contact.tags.values_list("name", flat=True)) == {"Kept", "Admin's", "API's"}
    assert AttributeOutbox.objects.filter(target_id=contact.pk, attribute_names=["tags"]).exists()
