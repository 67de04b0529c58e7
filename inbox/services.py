"""Every write to conversations: start, add a part, assign, snooze, close, reopen, tag and
untag, move a merged lead's conversations. Each state change is recorded in history (who,
from where, old and new) and announced through the outbox, like every other change of
customer data."""

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Greatest
from django.utils import timezone

from contacts.models import Contact
from core.write_guard import service
from qualification.models import Tag
from qualification.services import (
    RecordChange,
    target_created,
    target_fields_set,
    target_tags_change,
    targets_record,
)
from qualification.sources import Actor, Source

from .models import Conversation, ConversationPart, ConversationState, PartKind

# Whoever is assigned a conversation must be able to answer it: a Viewer's role cannot.
ASSIGNEE_PERMISSION = "inbox.add_conversationpart"


class AssigneeRefused(ValueError):
    """The teammate cannot be assigned conversations; the message says why."""


def _teammate_label(user: AbstractBaseUser | None) -> str | None:
    return (user.get_full_name() or user.get_username()) if user else None


def _customer(conversation: Conversation) -> Actor:
    return Actor("contact", str(conversation.contact_id), str(conversation.contact))


@service
def conversation_start(
    *,
    contact: Contact,
    subject: str,
    body: str,
    at: datetime | None = None,
    source: str = Source.REST_API,
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
        target_created(
            target=conversation,
            source=source,
            actor=_customer(conversation),
            description=subject or "(no subject)",
        )
    return conversation


@service
def conversation_part_add(
    *,
    conversation: Conversation,
    kind: str,
    body: str,
    author: AbstractBaseUser | None = None,
    at: datetime | None = None,
    source: str = Source.QUALIFICATION,
) -> ConversationPart:
    """Add a customer message, a teammate reply or an internal note, and move the conversation
    up the inbox. A customer writing again reopens a snoozed or closed conversation (recorded
    as a change of state by the customer)."""
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
        Conversation.objects.filter(pk=conversation.pk).update(
            last_activity_at=Greatest("last_activity_at", Value(at)), updated_at=timezone.now()
        )
        conversation.last_activity_at = max(conversation.last_activity_at or at, at)
        if kind == PartKind.CUSTOMER_MESSAGE:  # reopens it, if the row says it is not open
            _state_change(
                conversation,
                ConversationState.OPEN,
                None,
                source=source,
                actor=_customer(conversation),
                reason="The customer replied",
            )
    return part


def _state_change(conversation, state, snoozed_until, *, source, actor, reason="") -> None:
    target_fields_set(
        target=conversation,
        fields={"state": state, "snoozed_until": snoozed_until},
        source=source,
        actor=actor,
        reason=reason,
    )


@service
def conversation_close(
    *, conversation: Conversation, actor: Actor | Any, source: str = Source.QUALIFICATION
) -> None:
    _state_change(conversation, ConversationState.CLOSED, None, source=source, actor=actor)


@service
def conversation_snooze(
    *,
    conversation: Conversation,
    until: datetime,
    actor: Actor | Any,
    source: str = Source.QUALIFICATION,
) -> None:
    if until <= timezone.now():
        raise ValueError("Snooze until a time in the future.")
    _state_change(conversation, ConversationState.SNOOZED, until, source=source, actor=actor)


@service
def conversation_reopen(
    *, conversation: Conversation, actor: Actor | Any, source: str = Source.QUALIFICATION
) -> None:
    _state_change(conversation, ConversationState.OPEN, None, source=source, actor=actor)


@service
def conversation_assign(
    *,
    conversation: Conversation,
    assignee: AbstractBaseUser | None,
    actor: Actor | Any,
    source: str = Source.QUALIFICATION,
) -> None:
    """Assign the conversation to a teammate whose role can reply (not a Viewer, not a
    deactivated teammate), or to nobody. Raises AssigneeRefused before writing anything."""
    if assignee is not None and not (assignee.is_active and assignee.has_perm(ASSIGNEE_PERMISSION)):
        reason = "is deactivated" if not assignee.is_active else "can't reply to conversations"
        raise AssigneeRefused(
            f"{_teammate_label(assignee)} {reason}, so they can't be assigned one. "
            "Assign a teammate whose role can reply (Teammate or Admin)."
        )
    target_fields_set(
        target=conversation,
        fields={"assignee": assignee},
        source=source,
        actor=actor,
        shown=lambda name, user: _teammate_label(user),
    )


@service
def conversation_tag(
    *,
    conversation: Conversation,
    tag: Tag,
    actor: Actor | Any,
    source: str = Source.QUALIFICATION,
) -> bool:
    """Tag a conversation, recorded and announced like its other changes; a no-op when it
    already carries the tag. Returns whether anything changed."""
    return target_tags_change(target=conversation, tag=tag, add=True, source=source, actor=actor)


@service
def conversation_untag(
    *,
    conversation: Conversation,
    tag: Tag,
    actor: Actor | Any,
    source: str = Source.QUALIFICATION,
) -> bool:
    return target_tags_change(target=conversation, tag=tag, add=False, source=source, actor=actor)


@service
def conversations_reassign(lead: Contact, user: Contact, *, source: str, actor: Actor) -> None:
    """A merged lead's conversations, and the messages it wrote in them, become the user's."""
    pks = list(Conversation.objects.filter(contact=lead).values_list("pk", flat=True))
    Conversation.objects.filter(pk__in=pks).update(contact=user)
    ConversationPart.objects.filter(author_contact=lead).update(author_contact=user)
    targets_record(
        model=Conversation,
        pks=pks,
        change=RecordChange("contact", str(lead), str(user)),
        source=source,
        actor=actor,
        reason=f"Lead {lead.pk} was merged into user {user.pk}",
    )
