"""Saved segments are bounded: at most SEGMENTS_MAX per workspace (every projection evaluates
each one), and evaluating them costs one query per segment, not three."""

import pytest

from contacts.models import Segment, SegmentMembership
from contacts.projection import contact_list_project
from contacts.services import SEGMENTS_MAX, SegmentLimitReached, segment_create
from tests.factories import ContactFactory, SegmentFactory, UserFactory
from tests.helpers import deliver_pending

pytestmark = pytest.mark.django_db


def test_a_segment_past_the_limit_is_refused_and_nothing_is_saved():
    SegmentFactory.create_batch(SEGMENTS_MAX)

    with pytest.raises(SegmentLimitReached) as refused:
        segment_create(name="One too many", query="role=lead", created_by=UserFactory())

    assert str(refused.value) == (
        f"This workspace already has {SEGMENTS_MAX} saved segments, the most it keeps: every "
        "change to a contact is checked against each one. Delete a segment you no longer use, "
        "then save this one."
    )
    assert Segment.objects.count() == SEGMENTS_MAX
    assert not Segment.objects.filter(name="One too many").exists()


def test_the_last_place_can_be_taken():
    SegmentFactory.create_batch(SEGMENTS_MAX - 1)
    segment_create(name="The last one", query="role=lead", created_by=UserFactory())
    assert Segment.objects.count() == SEGMENTS_MAX


def test_the_contact_list_says_why_a_segment_was_not_saved(client, agent):
    SegmentFactory.create_batch(SEGMENTS_MAX)
    client.force_login(agent)

    response = client.post(
        "/contacts/segments/", {"name": "Leads", "query": "role=lead"}, follow=True
    )

    page = response.content.decode()
    assert "“Leads” was not saved." in page
    assert f"already has {SEGMENTS_MAX} saved segments" in page
    assert not Segment.objects.filter(name="Leads").exists()


def test_evaluating_segments_costs_one_query_each(django_assert_max_num_queries):
    users = ContactFactory.create_batch(5)
    lead = ContactFactory(role="lead")
    segments = [SegmentFactory(query="role=user"), SegmentFactory(query="role=lead")]
    segments += SegmentFactory.create_batch(8, query="role=user")
    deliver_pending()
    # Built once per process: the first projection pays for the filters, later ones do not.
    contact_list_project(contact_ids=[c.pk for c in [*users, lead]])
    SegmentMembership.objects.all().delete()

    # Savepoint and release (2), lock the rows and load the contacts (4), write them (1), the
    # segments and custom attributes (2), one per segment (10), memberships read and insert
    # (2; nothing to delete). Three queries per segment before.
    with django_assert_max_num_queries(11 + len(segments)):
        contact_list_project(contact_ids=[c.pk for c in [*users, lead]])

    members = set(SegmentMembership.objects.values_list("segment_id", "contact_id"))
    expected = {(s.pk, c.pk) for s in segments if s.query == "role=user" for c in users}
    expected.add((segments[1].pk, lead.pk))
    assert members == expected
