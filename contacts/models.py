from datetime import UTC, datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from companies.models import Company
from core.moments import moment_text
from core.write_guard import GuardedManager, guard
from qualification.models import AttributeModel, AttributeTarget, HistoryType, Tag


class Role(models.TextChoices):
    USER = "user", "User"
    LEAD = "lead", "Lead"


@guard
class Contact(AttributeTarget):
    """A person: a signed-up user of the customer's product (known by `external_id` or email)
    or a lead (a visitor who started talking)."""

    attribute_model = AttributeModel.CONTACT
    history_type = HistoryType.CONTACT
    standard_attribute_fields = {
        "name": "name",
        "email": "email",
        "phone": "phone",
        "avatar": "avatar",
        "owner_id": "owner",
        "signed_up_at": "signed_up_at",
        "last_seen_at": "last_seen_at",
        "web_sessions": "web_sessions",
        "os": "os",
        "browser": "browser",
        "browser_language": "browser_language",
        "language_override": "language_override",
        "location_city": "location_city",
        "location_region": "location_region",
        "location_country": "location_country",
        "unsubscribed_from_emails": "unsubscribed_from_emails",
    }

    role = models.CharField(max_length=8, choices=Role.choices, default=Role.USER)
    external_id = models.CharField(
        "user ID",
        max_length=190,
        null=True,
        blank=True,
        help_text="Your own id for this user. Unique among users.",
    )
    email = models.CharField(max_length=254, null=True, blank=True)
    name = models.CharField(max_length=255, null=True, blank=True)
    phone = models.CharField(max_length=64, null=True, blank=True)
    avatar = models.CharField(max_length=1000, null=True, blank=True)
    # PROTECT: a teammate who owns contacts is deactivated, not deleted (deleting would
    # clear the owner behind the services' back: no history, no announcement).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_contacts",
    )
    signed_up_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    web_sessions = models.PositiveIntegerField(null=True, blank=True)
    os = models.CharField("OS", max_length=100, null=True, blank=True)
    browser = models.CharField(max_length=100, null=True, blank=True)
    browser_language = models.CharField(max_length=35, null=True, blank=True)
    language_override = models.CharField(max_length=35, null=True, blank=True)
    location_city = models.CharField(max_length=100, null=True, blank=True)
    location_region = models.CharField(max_length=100, null=True, blank=True)
    location_country = models.CharField(max_length=100, null=True, blank=True)
    unsubscribed_from_emails = models.BooleanField(default=False)
    archived = models.BooleanField(default=False)
    companies = models.ManyToManyField(
        Company, through="CompanyMembership", blank=True, related_name="contacts"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=Q(role="user") & Q(external_id__isnull=False),
                name="contact_unique_user_external_id",
            ),
            # One user per email, whatever its case (Intercom's rule: leads may share one).
            models.UniqueConstraint(
                Upper("email"),
                condition=Q(role="user"),
                name="contact_unique_user_email",
                violation_error_message="A user with this email already exists.",
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="contact_role_valid"),
        ]
        indexes = [
            models.Index(fields=["email"], name="contact_email_idx"),
            # What email__iexact compares (UPPER(email) = UPPER(%s)), for leads and users.
            models.Index(Upper("email"), name="contact_email_upper_idx"),
            models.Index(fields=["name"], name="contact_name_idx"),
            models.Index(fields=["last_seen_at"], name="contact_last_seen_idx"),
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.external_id or f"Contact {self.pk}"


@guard
class CompanyMembership(models.Model):
    """A contact belongs to a company; we keep when and by which source it was linked."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="memberships")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    linked_at = models.DateTimeField()
    source = models.CharField(max_length=64)

    objects = GuardedManager()

    class Meta:
        ordering = ["linked_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "company"], name="membership_unique_contact_company"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact} at {self.company}"


class ContactListEntry(models.Model):
    """The contact list's read model: one denormalised row per contact with everything the list
    shows, filters and sorts on. Only the projector (contacts.projection) writes it; the list
    reads it, from the replica when one is configured. `source_version` is the contact version
    the row was built from, so a late or repeated projection never moves a row backwards."""

    read_from_replica = True

    contact_id = models.BigIntegerField(primary_key=True)
    role = models.CharField(max_length=8, choices=Role.choices)
    name = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=254, blank=True)
    external_id = models.CharField(max_length=190, blank=True)
    owner_id = models.BigIntegerField(null=True, blank=True)
    owner_name = models.CharField(max_length=300, blank=True)
    company_ids = models.JSONField(default=list)
    company_names = models.TextField(blank=True)
    tag_ids = models.JSONField(default=list)
    custom_attributes = models.JSONField(default=dict)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    signed_up_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    unsubscribed_from_emails = models.BooleanField(default=False)
    archived = models.BooleanField(default=False)
    # Non-null copies for keyset pagination: a missing date sorts as the oldest possible.
    sort_name = models.CharField(max_length=255, blank=True)
    sort_last_seen = models.DateTimeField()
    sort_signed_up = models.DateTimeField()
    source_version = models.PositiveBigIntegerField()
    changed_at = models.DateTimeField(help_text="When the change behind this row committed.")
    projected_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["-sort_last_seen", "-contact_id"], name="cle_last_seen_idx"),
            models.Index(fields=["-sort_signed_up", "-contact_id"], name="cle_signed_up_idx"),
            models.Index(fields=["-created_at", "-contact_id"], name="cle_created_idx"),
            models.Index(fields=["sort_name", "contact_id"], name="cle_name_idx"),
            models.Index(fields=["email"], name="cle_email_idx"),
            models.Index(fields=["-projected_at"], name="cle_projected_idx"),
        ]

    def __str__(self) -> str:
        return self.name or self.email or f"Contact {self.contact_id}"

    @property
    def lag_seconds(self) -> float:
        return (self.projected_at - self.changed_at).total_seconds()


class Segment(models.Model):
    """A saved contact-list filter. Contacts that match carry its badge."""

    name = models.CharField(max_length=190, unique=True)
    query = models.CharField(
        max_length=2000, help_text="The contact list's filter, as it appears in its URL."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        Contact, through="SegmentMembership", related_name="segments", blank=True
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SegmentMembership(models.Model):
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE)
    evaluated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["segment", "contact"], name="segmentmembership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} in {self.segment_id}"


class Event(models.Model):
    """Something a contact did in the customer's product, as their app reported it (REST API or
    the messenger's trackEvent). Intercom identifies an event by contact, name and the time it
    happened, so the same three again is a duplicate: the unique constraint lets the insert
    skip it in the database, with no read first."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="events")
    event_name = models.CharField(max_length=255)
    created_at = models.DateTimeField(help_text="When it happened, as the customer's app sent it.")
    metadata = models.JSONField(default=dict, blank=True)
    dropped_metadata_keys = models.JSONField(
        default=list,
        blank=True,
        help_text="Keys sent beyond the first ten, which Intercom ignores and so do we.",
    )
    source = models.CharField(max_length=64)
    actor_kind = models.CharField(max_length=32)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=200)
    request_id = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "event_name", "created_at"], name="event_unique_occurrence"
            ),
        ]
        indexes = [
            # The API list and the contact page read a contact's events newest first.
            models.Index(fields=["contact", "-created_at", "-id"], name="event_contact_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} by {self.contact_id} at {self.created_at:%Y-%m-%d %H:%M:%S}"

    def metadata_items(self) -> list[tuple[str, str, str | None]]:
        """(key, text, link) for display, by key: PostgreSQL's jsonb does not keep the order
        sent. Links are only ever http(s), as the service checks."""
        items = []
        for key, value in sorted(self.metadata.items()):
            link = None
            try:
                if isinstance(value, dict) and "amount" in value:
                    text = f"{value['amount'] / 100:,.2f} {str(value['currency']).upper()}"
                elif isinstance(value, dict):
                    text, link = str(value["value"]), value["url"]
                elif isinstance(value, bool) or value is None:
                    text = {True: "true", False: "false", None: "null"}[value]
                elif key.endswith("_date") and isinstance(value, int | float):
                    # Intercom's "Date" metadata: a key ending in _date with a Unix time.
                    text = moment_text(datetime.fromtimestamp(value, tz=UTC))
                else:
                    text = str(value)
            except (ArithmeticError, ValueError, OSError, KeyError, TypeError):
                # Stored before the service refused such values: show it raw, never fail
                # the contact page over one event.
                text, link = str(value), None
            items.append((key, text, link))
        return items


class EventSummary(models.Model):
    """One row per contact and event name: how many, first and last. Tracked events bump
    `tracked_count` with F() only when their row was really inserted; `imported_count` is what
    POST /events/summaries said happened elsewhere, replaced on each import so that sending
    the same summary twice does not double it."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="event_summaries")
    event_name = models.CharField(max_length=255)
    tracked_count = models.PositiveBigIntegerField(default=0)
    imported_count = models.PositiveBigIntegerField(default=0)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-last_at", "event_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "event_name"], name="eventsummary_unique_contact_name"
            ),
            models.CheckConstraint(
                condition=Q(first_at__lte=models.F("last_at")), name="eventsummary_first_le_last"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} × {self.count} by {self.contact_id}"

    @property
    def count(self) -> int:
        return self.tracked_count + self.imported_count
