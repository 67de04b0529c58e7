from django.conf import settings
from django.db import models
from django.db.models import Q

from contacts.models import Contact
from core.write_guard import GuardedManager, guard
from qualification.models import HistoryType, Tag


class ConversationState(models.TextChoices):
    OPEN = "open", "Open"
    SNOOZED = "snoozed", "Snoozed"
    CLOSED = "closed", "Closed"


class PartKind(models.TextChoices):
    CUSTOMER_MESSAGE = "customer_message", "Customer message"
    REPLY = "reply", "Reply"
    NOTE = "note", "Internal note"


@guard
class Conversation(models.Model):
    history_type = HistoryType.CONVERSATION
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="conversations")
    # PROTECT, as Contact.owner: unassigning goes through conversation_assign.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_conversations",
    )
    state = models.CharField(
        max_length=8, choices=ConversationState.choices, default=ConversationState.OPEN
    )
    subject = models.CharField(max_length=255, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_activity_at = models.DateTimeField()
    tags = models.ManyToManyField(Tag, blank=True, related_name="conversations")
    # Moves on every recorded change (qualification.services.target_record).
    version = models.PositiveBigIntegerField(default=1, editable=False)

    objects = GuardedManager()

    class Meta:
        ordering = ["-last_activity_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=ConversationState.values), name="conversation_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(state=ConversationState.SNOOZED) | Q(snoozed_until__isnull=True),
                name="conversation_snooze_only_when_snoozed",
            ),
        ]
        indexes = [
            models.Index(fields=["-last_activity_at", "-id"], name="conversation_activity_idx"),
            models.Index(fields=["state", "-last_activity_at"], name="conversation_state_idx"),
        ]

    def __str__(self) -> str:
        return self.subject or f"Conversation {self.pk}"


@guard
class ConversationPart(models.Model):
    """One entry of a thread: what the customer wrote, a teammate's reply or an internal note."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="parts")
    kind = models.CharField(max_length=20, choices=PartKind.choices)
    body = models.TextField()
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversation_parts",
    )
    author_contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    objects = GuardedManager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=PartKind.values), name="conversationpart_kind_valid"
            ),
            # A customer's message is never authored by a teammate, and a reply or note never by
            # the customer. (A deleted teammate leaves their reply without an author.)
            models.CheckConstraint(
                condition=~Q(kind=PartKind.CUSTOMER_MESSAGE) | Q(author_user__isnull=True),
                name="conversationpart_customer_has_no_teammate",
            ),
            models.CheckConstraint(
                condition=Q(kind=PartKind.CUSTOMER_MESSAGE) | Q(author_contact__isnull=True),
                name="conversationpart_teammate_has_no_contact",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} in {self.conversation_id}"


class DemoLoad(models.Model):
    """The demo workspace was loaded into this database (one row at most): `seed_demo` loads it
    once and never again, so it never undoes what an admin changed afterwards."""

    loaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Demo loaded at {self.loaded_at:%Y-%m-%d %H:%M}"
