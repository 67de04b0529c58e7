import pytest
from django.core.management import call_command

from companies.models import Company
from contacts.models import Contact, Role
from inbox.models import Conversation, ConversationPart, PartKind
from qualification.models import AttributeChange, DataAttribute, DataType, QualificationItem

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
