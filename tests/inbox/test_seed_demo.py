import pytest
from django.core.management import call_command

from companies.models import Company
from contacts.models import Contact, Role
from contacts.selectors import contact_list_freshness
from inbox.models import Conversation, ConversationPart, PartKind
from qualification.models import (
    AttributeChange,
    AttributeOutbox,
    DataAttribute,
    DataType,
    QualificationItem,
)

pytestmark = pytest.mark.django_db


def seed(**sizes):
    call_command("seed_demo", contacts=30, companies=6, conversations=15, **sizes)


def test_seed_demo_builds_a_believable_workspace_once(client):
    seed()
    assert Contact.objects.filter(role=Role.USER).exists()
    assert Contact.objects.filter(role=Role.LEAD).exists()
    assert (Contact.objects.count(), Company.objects.count(), Conversation.objects.count()) == (
        30,
        6,
        15,
    )
    kinds = set(ConversationPart.objects.values_list("kind", flat=True))
    assert kinds == {PartKind.CUSTOMER_MESSAGE, PartKind.REPLY, PartKind.NOTE}
    custom_types = set(
        DataAttribute.objects.filter(is_standard=False).values_list("data_type", flat=True)
    )
    assert custom_types == set(DataType.values)
    for model in ("contact", "company"):
        assert QualificationItem.objects.filter(
            attribute__model=model, attribute__is_standard=False
        ).exists()
    # Values went through the write path, so every one of them has history.
    assert AttributeChange.objects.filter(source="rest_api").exists()
    assert AttributeChange.objects.filter(source="qualification").exists()

    counts = (
        Contact.objects.count(),
        AttributeChange.objects.count(),
        DataAttribute.objects.count(),
    )
    seed()
    assert (
        Contact.objects.count(),
        AttributeChange.objects.count(),
        DataAttribute.objects.count(),
    ) == counts

    for username in ("admin", "agent", "viewer"):
        assert client.login(username=username, password="demo"), username


def test_demo_roles():
    seed()
    from django.contrib.auth import get_user_model

    roles = {
        u.username: [g.name for g in u.groups.all()]
        for u in get_user_model().objects.prefetch_related("groups")
    }
    assert roles == {"admin": ["Admin"], "agent": ["Teammate"], "viewer": ["Viewer"]}


def test_seeding_again_keeps_what_the_admin_changed():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from inbox.models import DemoLoad
    from qualification.services import data_attribute_update, qualification_item_remove

    seed()
    assert DemoLoad.objects.count() == 1
    removed = QualificationItem.objects.filter(attribute__name="job_title").get()
    qualification_item_remove(item=removed)
    data_attribute_update(
        attribute=DataAttribute.objects.get(model="company", name="seats"), label="Licences"
    )
    agent = get_user_model().objects.get(username="agent")
    agent.groups.set([Group.objects.get(name="Viewer")])
    counts = (
        Contact.objects.count(),
        AttributeChange.objects.count(),
        Conversation.objects.count(),
    )

    seed()

    assert not QualificationItem.objects.filter(attribute__name="job_title").exists()
    assert DataAttribute.objects.get(model="company", name="seats").label == "Licences"
    assert list(agent.groups.values_list("name", flat=True)) == ["Viewer"]
    assert (
        Contact.objects.count(),
        AttributeChange.objects.count(),
        Conversation.objects.count(),
    ) == counts
    assert DemoLoad.objects.count() == 1


def test_a_database_seeded_before_the_record_is_recognised_and_left_alone():
    from inbox.models import DemoLoad
    from qualification.services import qualification_item_remove

    seed()
    DemoLoad.objects.all().delete()
    qualification_item_remove(item=QualificationItem.objects.get(attribute__name="job_title"))
    items = list(QualificationItem.objects.values_list("attribute_id", "position"))
    counts = (Contact.objects.count(), AttributeChange.objects.count())

    seed()

    assert list(QualificationItem.objects.values_list("attribute_id", "position")) == items
    assert (Contact.objects.count(), AttributeChange.objects.count()) == counts
    assert DemoLoad.objects.count() == 1


def test_the_demo_load_does_not_count_as_lag():
    """The load is delivered before the command ends, and its list rows count no lag: the
    contact list starts "up to date" with changes that took no time to arrive."""
    seed()
    freshness = contact_list_freshness()
    assert freshness.state == "up_to_date"
    assert freshness.recent_changes == 30
    assert (freshness.recent_lag_p50, freshness.recent_lag_p95) == (0.0, 0.0)
    assert not AttributeOutbox.objects.filter(processed_at__isnull=True).exists()


def test_seed_demo_refuses_production_settings_unless_allowed(settings):
    from django.contrib.auth import get_user_model
    from django.core.management.base import CommandError

    settings.DEMO_DATA_ALLOWED = False  # as DEBUG=false in the environment makes it
    with pytest.raises(CommandError, match=r"production settings \(DEBUG is false\)"):
        seed()
    assert not get_user_model().objects.exists() and not Contact.objects.exists()

    call_command("seed_demo", contacts=6, companies=2, conversations=3, allow_production=True)
    assert get_user_model().objects.filter(username="viewer").exists()
