from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


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


class Profile(models.Model):
    """What a teammate sets for themselves. Made on first use (see profiles.profile_for), so
    teammates created anywhere (createsuperuser, the settings page, tests) need nothing more."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    # An IANA zone name ("America/New_York"); blank means "use my browser's".
    time_zone = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"
