from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from contacts.models import Contact


class ConversationState(models.TextChoices):
    OPEN = "open", "Open"
    SNOOZED = "snoozed", "Snoozed"
    CLOSED = "closed", "Closed"


class PartKind(models.TextChoices):
    CUSTOMER_MESSAGE = "customer_message", "Customer message"
    REPLY = "reply", "Reply"
    NOTE = "note", "Internal note"


class Conversation(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="conversations")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
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


class ApiToken(models.Model):
    """An access token for the REST API. Only a SHA-256 digest of the secret is stored; the
    secret is shown once, when the token is made. Tokens are long random strings, so a plain
    hash is enough (a slow password hash would only slow every request down)."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"
        constraints = [
            # Names are how admins tell tokens apart in the list and in history ("Zapier"
            # vs "zapier" would be indistinguishable), and a resubmitted create form then
            # fails instead of silently making a twin. Revoked tokens free their name.
            models.UniqueConstraint(
                Lower("name"),
                condition=Q(revoked_at__isnull=True),
                name="apitoken_active_name_unique",
                violation_error_message="An active token already has this name.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None
