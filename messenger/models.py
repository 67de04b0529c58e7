import secrets

from django.db import models
from django.db.models import Q


def new_app_id() -> str:
    return secrets.token_hex(4)  # like Intercom's: short, public, in every install snippet


class IdentityMode(models.TextChoices):
    OFF = "off", "Off"
    OPTIONAL = "optional", "Verify when present"
    ENFORCE = "enforce", "Enforce"


class MessengerSettings(models.Model):
    """The workspace's messenger settings: one row (`messenger_settings()` makes it)."""

    app_id = models.CharField(max_length=32, unique=True, default=new_app_id)
    identity_mode = models.CharField(
        max_length=10, choices=IdentityMode.choices, default=IdentityMode.OFF
    )
    prevent_company_updates = models.BooleanField(
        default=False,
        help_text="Company data from unverified calls is ignored, and users are not linked to "
        "companies by them.",
    )
    allow_new_attributes = models.BooleanField(
        default=False, help_text="The messenger may create custom attributes it does not know."
    )
    trusted_domains = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "messenger settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(identity_mode__in=IdentityMode.values),
                name="messenger_identity_mode_known",
            )
        ]

    def __str__(self) -> str:
        return f"Messenger {self.app_id}"


class SecretKind(models.TextChoices):
    """Identity secrets are per platform, as in Intercom; the JWT secret signs Messenger
    Security tokens."""

    IDENTITY_WEB = "identity_web", "Identity secret (web)"
    IDENTITY_IOS = "identity_ios", "Identity secret (iOS)"
    IDENTITY_ANDROID = "identity_android", "Identity secret (Android)"
    JWT = "jwt", "Messenger API secret (JWT)"


class MessengerSecret(models.Model):
    """A signing secret. It must be kept as it is (an HMAC needs the key itself), so it is shown
    once when made and never again. Rotating makes a new current secret and gives the old one
    until `expires_at`, so pages signed with it keep working while the customer deploys."""

    kind = models.CharField(max_length=20, choices=SecretKind.choices)
    secret = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)  # null: the current secret

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SecretKind.values), name="messenger_secret_kind_known"
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(expires_at__isnull=True),
                name="messenger_one_current_secret_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.created_at:%Y-%m-%d}"
