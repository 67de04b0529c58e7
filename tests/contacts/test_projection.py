import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from contacts.models import ContactListEntry, SegmentMembership
from contacts.projection import contact_list_project, segment_populate
from contacts.selectors import contact_list_freshness, pending_contact_ids
from contacts.services import (
    contact_company_attach,
    contact_company_detach,
    contact_tag,
    contact_untag,
    segment_create,
)
from qualification.models import AttributeOutbox, DataType
from qualification.services import attributes_apply
from qualification.sources import Source
from tests.factories import (
    TEST_ACTOR,
    CompanyFactory,
    ContactFactory,
    DataAttributeFactory,
    TagFactory,
    UserFactory,
)
from tests.helpers import API, deliver_pending

pytestmark = pytest.mark.django_db


def entry(contact):
    return ContactListEntry.objects.get(contact_id=contact.pk)


def test_a_change_reaches_the_list_once_delivered():
    DataAttributeFactory(name="plan_tier")
    contact = ContactFactory(values={"name": "Ada", "email": "ada@example.com"})
    deliver_pending()
    attributes_apply(
        target=contact,
        values={"name": "Ada King", "plan_tier": "Pro"},
        source="rest_api",
        actor=API,
    )
    assert entry(contact).name == "Ada"  # not yet: the change waits in the outbox
    assert pending_contact_ids([entry(contact)]) == {contact.pk}
    assert contact_list_freshness().behind_seconds is not None
    deliver_pending()
    row = entry(contact)
    assert (row.name, row.custom_attributes, row.source_version) == (
        "Ada King",
        {"plan_tier": "Pro"},
        contact.version,
    )
    assert pending_contact_ids([row]) == set()
    freshness = contact_list_freshness()
    assert freshness.behind_seconds is None and freshness.recent_changes >= 1
    assert row.projected_at >= row.changed_at


def test_a_late_or_repeated_projection_never_moves_a_row_backwards():
    contact = ContactFactory(values={"name": "v1"})
    deliver_pending()
    attributes_apply(target=contact, values={"name": "v2"}, source="rest_api", actor=API)
    attributes_apply(target=contact, values={"name": "v3"}, source="rest_api", actor=API)
    # Deliver the newest change first, then the older one (out of order), then again.
    newest, older = AttributeOutbox.objects.filter(processed_at__isnull=True).order_by("-id")[:2]
    contact_list_project(contact_ids=[contact.pk])
    deliver_pending()
    contact_list_project(contact_ids=[contact.pk])
    assert (entry(contact).name, entry(contact).source_version) == ("v3", contact.version)
    # A row built from a newer version than the one read (a racing projector) is kept.
    ContactListEntry.objects.filter(contact_id=contact.pk).update(
        source_version=contact.version + 5, name="from the future"
    )
    contact_list_project(contact_ids=[contact.pk])
    assert entry(contact).name == "from the future"
    assert newest.pk > older.pk


def test_company_renames_tags_and_links_re_project_the_people():
    company = CompanyFactory(values={"name": "Acme"})
    contact = ContactFactory()
    vip = TagFactory(name="VIP")
    contact_company_attach(
        contact=contact, company=company, source=Source.REST_API, actor=TEST_ACTOR
    )
    contact_tag(contact=contact, tag=vip, source=Source.ADMIN, actor=TEST_ACTOR)
    deliver_pending()
    assert (entry(contact).company_names, entry(contact).tag_ids) == ("Acme", [vip.pk])

    attributes_apply(target=company, values={"name": "Acme Corp"}, source="rest_api", actor=API)
    assert pending_contact_ids([entry(contact)]) == {contact.pk}
    deliver_pending()
    assert entry(contact).company_names == "Acme Corp"

    contact_untag(contact=contact, tag=vip, source=Source.ADMIN, actor=TEST_ACTOR)
    contact_company_detach(
        contact=contact, company=company, source=Source.REST_API, actor=TEST_ACTOR
    )
    deliver_pending()
    assert (entry(contact).company_names, entry(contact).tag_ids) == ("", [])


def test_rebuild_and_check_commands():
    contacts = ContactFactory.create_batch(3)
    deliver_pending()
    call_command("rebuild_contact_list", "--check")
    ContactListEntry.objects.filter(contact_id=contacts[0].pk).update(name="wrong")
    ContactListEntry.objects.filter(contact_id=contacts[1].pk).delete()
    with pytest.raises(CommandError, match=r"2 contact list row\(s\) differ"):
        call_command("rebuild_contact_list", "--check")
    call_command("rebuild_contact_list")
    call_command("rebuild_contact_list", "--check")
    assert ContactListEntry.objects.count() == 3


def test_segments_follow_the_contacts_data():
    DataAttributeFactory(name="score", data_type=DataType.INTEGER)
    fan = ContactFactory()
    other = ContactFactory()
    attributes_apply(target=fan, values={"score": 9}, source="rest_api", actor=API)
    deliver_pending()
    segment = segment_create(name="Fans", query="cf=score&op=gte&v=8", created_by=UserFactory())
    segment_populate(segment_id=segment.pk)
    assert set(segment.members.all()) == {fan}
    attributes_apply(target=other, values={"score": 10}, source="rest_api", actor=API)
    attributes_apply(target=fan, values={"score": 2}, source="rest_api", actor=API)
    deliver_pending()
    assert set(segment.members.all()) == {other}
    assert SegmentMembership.objects.count() == 1


@pytest.mark.skipif(bool(settings.REDIS_URL), reason="in-process delivery is the embedded path")
def test_on_the_embedded_default_the_list_is_simply_up_to_date(
    django_capture_on_commit_callbacks,
):
    contact = ContactFactory(values={"name": "Ada"})
    with django_capture_on_commit_callbacks(execute=True):
        attributes_apply(target=contact, values={"name": "Ada King"}, source="rest_api", actor=API)
    assert entry(contact).name == "Ada King"
    assert pending_contact_ids([entry(contact)]) == set()


def test_list_reads_go_to_the_replica_when_there_is_one(monkeypatch):
    from config.routers import ReplicaRouter
    from contacts.models import Contact

    router = ReplicaRouter()
    assert router.db_for_read(ContactListEntry) is None  # no replica configured: primary
    monkeypatch.setitem(settings.DATABASES, "replica", dict(settings.DATABASES["default"]))
    assert router.db_for_read(ContactListEntry) == "replica"
    assert router.db_for_read(Contact) is None  # the contacts themselves stay on the primary
    assert router.db_for_write(ContactListEntry) == "default"
