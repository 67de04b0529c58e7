from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Greatest
from django.utils import timezone

from contacts.models import Contact

from .models import Conversation, ConversationPart, ConversationState, PartKind


def conversation_start(
    *, contact: Contact, subject: str, body: str, at: datetime | None = None
) -> Conversation:
    """A customer opens a conversation with their first message."""
    at = at or timezone.now()
    with transaction.atomic():
        conversation = Conversation.objects.create(
            contact=contact, subject=subject, last_activity_at=at
        )
        ConversationPart.objects.create(
            conversation=conversation,
            kind=PartKind.CUSTOMER_MESSAGE,
            body=body,
            author_contact=contact,
            created_at=at,
        )
    return conversation


def conversation_part_add(
    *,
    conversation: Conversation,
    kind: str,
    body: str,
    author: AbstractBaseUser | None = None,
    at: datetime | None = None,
) -> ConversationPart:
    """Add a customer message, a teammate reply or an internal note, and move the conversation
    up the inbox. A customer writing again reopens a snoozed or closed conversation."""
    at = at or timezone.now()
    with transaction.atomic():
        part = ConversationPart.objects.create(
            conversation=conversation,
            kind=kind,
            body=body,
            author_user=None if kind == PartKind.CUSTOMER_MESSAGE else author,
            author_contact=conversation.contact if kind == PartKind.CUSTOMER_MESSAGE else None,
            created_at=at,
        )
        # A back-dated part (the API may say when it was written) never moves a conversation
        # down the inbox: activity only moves forward.
        updates = {
            "last_activity_at": Greatest("last_activity_at", Value(at)),
            "updated_at": timezone.now(),
        }
        if kind == PartKind.CUSTOMER_MESSAGE:
            updates |= {"state": ConversationState.OPEN, "snoozed_until": None}
        Conversation.objects.filter(pk=conversation.pk).update(**updates)
        updates["last_activity_at"] = max(conversation.last_activity_at or at, at)
        for name, value in updates.items():
            setattr(conversation, name, value)
    return part


def conversation_close(*, conversation: Conversation) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(
        state=ConversationState.CLOSED, snoozed_until=None, updated_at=timezone.now()
    )
    conversation.refresh_from_db(fields=["state", "snoozed_until", "updated_at"])


def conversation_assign(*, conversation: Conversation, assignee: AbstractBaseUser | None) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(
        assignee=assignee, updated_at=timezone.now()
    )
    conversation.assignee = assignee


def conversation_snooze(*, conversation: Conversation, until: datetime) -> None:
    if until <= timezone.now():
        raise ValueError("Snooze until a time in the future.")
    Conversation.objects.filter(pk=conversation.pk).update(
        state=ConversationState.SNOOZED, snoozed_until=until, updated_at=timezone.now()
    )
    conversation.refresh_from_db(fields=["state", "snoozed_until", "updated_at"])


def conversation_reopen(*, conversation: Conversation) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(
        state=ConversationState.OPEN, snoozed_until=None, updated_at=timezone.now()
    )
    conversation.refresh_from_db(fields=["state", "snoozed_until", "updated_at"])


def conversations_reassign(lead: Contact, user: Contact) -> None:
    """A merged lead's conversations, and the messages it wrote in them, become the user's."""
    Conversation.objects.filter(contact=lead).update(contact=user)
    ConversationPart.objects.filter(author_contact=lead).update(author_contact=user)
