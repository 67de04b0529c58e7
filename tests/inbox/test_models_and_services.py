import pytest
from django.db import IntegrityError, transaction

from core.write_guard import writes_allowed
from inbox.models import ConversationPart, ConversationState, PartKind
from inbox.services import conversation_close, conversation_part_add, conversation_start
from tests.factories import TEST_ACTOR, ContactFactory, ConversationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_customer_message_reopens_a_closed_conversation():
    contact = ContactFactory()
    agent = UserFactory()
    conversation = conversation_start(contact=contact, subject="Help", body="It broke")
    conversation_part_add(
        conversation=conversation, kind=PartKind.REPLY, body="On it", author=agent
    )
    conversation_close(conversation=conversation, actor=TEST_ACTOR)
    assert conversation.state == ConversationState.CLOSED
    part = conversation_part_add(
        conversation=conversation, kind=PartKind.CUSTOMER_MESSAGE, body="Still broken"
    )
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.OPEN
    assert conversation.last_activity_at == part.created_at
    assert [p.kind for p in conversation.parts.all()] == [
        "customer_message",
        "reply",
        "customer_message",
    ]


def test_database_keeps_authors_consistent_with_the_kind_of_part():
    conversation = ConversationFactory()
    agent = UserFactory()
    with writes_allowed():
        with pytest.raises(IntegrityError), transaction.atomic():
            ConversationPart.objects.create(
                conversation=conversation,
                kind=PartKind.CUSTOMER_MESSAGE,
                body="x",
                author_user=agent,
                created_at=conversation.last_activity_at,
            )
        with pytest.raises(IntegrityError), transaction.atomic():
            ConversationPart.objects.create(
                conversation=conversation,
                kind=PartKind.NOTE,
                body="x",
                author_contact=conversation.contact,
                created_at=conversation.last_activity_at,
            )


def test_only_snoozed_conversations_have_a_snooze_time():
    conversation = ConversationFactory()
    conversation.snoozed_until = conversation.last_activity_at
    with writes_allowed(), pytest.raises(IntegrityError), transaction.atomic():
        conversation.save()


def test_conversation_tag_and_untag_are_recorded_once_and_announced():
    from inbox.services import conversation_tag, conversation_untag
    from qualification.models import AttributeChange, AttributeOutbox
    from tests.factories import TagFactory

    conversation = ConversationFactory()
    bug = TagFactory(name="Bug")
    assert conversation_tag(conversation=conversation, tag=bug, actor=TEST_ACTOR) is True
    assert conversation_tag(conversation=conversation, tag=bug, actor=TEST_ACTOR) is False
    assert list(conversation.tags.values_list("name", flat=True)) == ["Bug"]
    assert conversation_untag(conversation=conversation, tag=bug, actor=TEST_ACTOR) is True
    assert conversation_untag(conversation=conversation, tag=bug, actor=TEST_ACTOR) is False
    assert list(conversation.tags.all()) == []
    history = AttributeChange.objects.filter(
        target_type="conversation", target_id=conversation.pk, attribute_name="tags"
    ).order_by("id")
    assert list(history.values_list("old_value", "new_value", "source")) == [
        (None, "Bug", "qualification"),
        ("Bug", None, "qualification"),
    ]
    announced = AttributeOutbox.objects.filter(
        target_type="conversation", target_id=conversation.pk
    ).values_list("attribute_names", flat=True)
    assert [names for names in announced if "tags" in names] == [["tags"], ["tags"]]


def test_conversation_tags_change_only_through_the_service():
    from core.write_guard import WriteOutsideService
    from tests.factories import TagFactory

    conversation = ConversationFactory()
    with pytest.raises(WriteOutsideService):
        conversation.tags.add(TagFactory(name="Bug"))


def test_a_viewer_cannot_be_assigned_a_conversation(viewer, agent):
    from inbox.services import AssigneeRefused, conversation_assign
    from qualification.models import AttributeChange

    conversation = ConversationFactory()
    with pytest.raises(AssigneeRefused) as refused:
        conversation_assign(conversation=conversation, assignee=viewer, actor=TEST_ACTOR)
    assert str(refused.value) == (
        f"{viewer.get_full_name()} can't reply to conversations, so they can't be assigned one. "
        "Assign a teammate whose role can reply (Teammate or Admin)."
    )
    conversation.refresh_from_db()
    assert conversation.assignee is None
    assert not AttributeChange.objects.filter(attribute_name="assignee").exists()

    conversation_assign(conversation=conversation, assignee=agent, actor=TEST_ACTOR)
    conversation.refresh_from_db()
    assert conversation.assignee == agent
