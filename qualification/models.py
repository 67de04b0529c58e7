from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from core.write_guard import GuardedManager, guard


class AttributeModel(models.TextChoices):
    CONTACT = "contact", "People"
    COMPANY = "company", "Companies"


class HistoryType(models.TextChoices):
    """The kinds of records whose changes history and the outbox carry."""

    CONTACT = "contact", "Person"
    COMPANY = "company", "Company"
    CONVERSATION = "conversation", "Conversation"


class DataType(models.TextChoices):
    STRING = "string", "Text"
    INTEGER = "integer", "Whole number"
    FLOAT = "float", "Decimal number"
    BOOLEAN = "boolean", "True or false"
    DATE = "date", "Date"
    DATETIME = "datetime", "Date and time"
    OPTIONS = "options", "List of options"


class Precedence(models.TextChoices):
    APP_WINS = "app_wins", "App data wins (the customer's app is the source of truth)"
    MANUAL_WINS = "manual_wins", "Manual edits win until re-synced"


class Outcome(models.TextChoices):
    APPLIED = "applied", "Applied"
    SKIPPED = "skipped", "Skipped (a manual edit holds the value)"
    REJECTED = "rejected", "Rejected"
    RELEASED = "released", "Hold released (re-synced)"


# Intercom allows names such as "Mithril Shirt" or "MRR-€": letters, digits, spaces, hyphens,
# underscores and currency symbols. A dot is never allowed: API paths use it to reach into
# objects ("custom_attributes.plan_tier").
api_name_validator = RegexValidator(
    r"^[^\W_][\w $£€¥-]*$",
    "Use letters, digits, spaces, hyphens, underscores and currency symbols, "
    "starting with a letter or digit.",
)


@guard
class DataAttribute(models.Model):
    """A standard or custom attribute of people or companies, and the rules for writing it."""

    model = models.CharField(max_length=16, choices=AttributeModel.choices)
    name = models.CharField(
        "API name",
        max_length=190,
        validators=[api_name_validator],
        help_text="The name the REST API, the messenger and CSV imports use. It cannot change.",
    )
    label = models.CharField(max_length=100)
    description = models.CharField(max_length=500, blank=True)
    data_type = models.CharField(max_length=16, choices=DataType.choices)
    options = models.JSONField(
        default=list,
        blank=True,
        help_text="For the 'List of options' type: the allowed values, in order.",
    )
    is_standard = models.BooleanField(default=False, editable=False)
    archived = models.BooleanField(
        default=False,
        help_text="Archived attributes leave the panel and refuse new values; history stays.",
    )
    ui_writable = models.BooleanField(
        "teammates can edit", default=True, help_text="In the inbox panel and the admin."
    )
    api_writable = models.BooleanField("REST API can write", default=True)
    messenger_writable = models.BooleanField("Messenger can write", default=False)
    # Intercom's "Require verified updates": the messenger writes only what the customer's
    # server signed (a user_hash or a JWT); an unverified value is dropped and recorded.
    messenger_verified_only = models.BooleanField("Messenger: verified only", default=False)
    import_writable = models.BooleanField("CSV imports can write", default=True)
    workflow_writable = models.BooleanField("Workflows can write", default=True)
    apps_writable = models.BooleanField("Apps can write", default=True)
    precedence = models.CharField(
        max_length=16, choices=Precedence.choices, default=Precedence.APP_WINS
    )
    # The teammate behind a custom attribute (the REST API's admin_id): the admin who added it,
    # or the teammate who issued the API token that created it. Empty for standard attributes.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GuardedManager()

    class Meta:
        ordering = ["model", "label"]
        constraints = [
            models.UniqueConstraint(fields=["model", "name"], name="dataattribute_unique_name"),
            # One custom name means one thing across people and companies, whatever its case
            # (filters and imports name attributes without saying which model).
            models.UniqueConstraint(
                Lower("name"),
                condition=Q(is_standard=False),
                name="dataattribute_custom_name_ci_unique",
                violation_error_message="A custom attribute with this name already exists.",
            ),
            models.CheckConstraint(
                condition=Q(model__in=AttributeModel.values), name="dataattribute_model_valid"
            ),
            models.CheckConstraint(
                condition=Q(data_type__in=DataType.values), name="dataattribute_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(precedence__in=Precedence.values),
                name="dataattribute_precedence_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_model_display().lower()})"

    def clean(self) -> None:
        if self.data_type == DataType.OPTIONS:
            options = self.options or []
            if not isinstance(options, list) or not all(
                isinstance(o, str) and o.strip() for o in options
            ):
                raise ValidationError({"options": "Options must be a list of non-empty texts."})
            if not options:
                raise ValidationError({"options": "A list-of-options attribute needs options."})
            if len(set(options)) != len(options):
                raise ValidationError({"options": "Each option may appear only once."})
        elif self.options:
            raise ValidationError({"options": "Only a list-of-options attribute has options."})

    def delete(self, *args, **kwargs):
        if self.is_standard:
            raise ValidationError(f"{self.label} is a standard attribute and cannot be deleted.")
        return super().delete(*args, **kwargs)


@guard
class QualificationItem(models.Model):
    """One row of the admin-chosen qualification-data list, in the order the panel shows."""

    attribute = models.OneToOneField(
        DataAttribute, on_delete=models.CASCADE, related_name="qualification_item"
    )
    position = models.PositiveIntegerField(default=0)

    objects = GuardedManager()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "qualification data item"

    def __str__(self) -> str:
        return f"{self.position}. {self.attribute}"


@guard
class Tag(models.Model):
    name = models.CharField(max_length=190, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GuardedManager()

    class Meta:
        ordering = ["name"]
        constraints = [
            # Intercom treats tag names without regard to case; so does the database.
            models.UniqueConstraint(
                Lower("name"),
                name="tag_name_ci_unique",
                violation_error_message="A tag with this name already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AttributeChange(models.Model):
    """The append-only history of attribute values: one row per applied, skipped or rejected
    write. Targets are named by type and id so this app never imports the apps above it."""

    target_type = models.CharField(max_length=16, choices=HistoryType.choices)
    target_id = models.BigIntegerField()
    attribute = models.ForeignKey(
        DataAttribute, on_delete=models.PROTECT, null=True, blank=True, related_name="changes"
    )
    attribute_name = models.CharField(max_length=190)
    old_value = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    new_value = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.APPLIED)
    reason = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=64)
    actor_kind = models.CharField(max_length=32)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=200)
    where = models.CharField(
        max_length=100, blank=True, help_text="Where a teammate made it: 'in conversation #96'."
    )
    where_url = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    target_version = models.PositiveBigIntegerField(
        help_text="The target's version after this change."
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["target_type", "target_id", "-created_at"], name="attrchange_target_idx"
            ),
            models.Index(fields=["attribute", "-created_at"], name="attrchange_attribute_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=Outcome.values), name="attrchange_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target_type}:{self.target_id} {self.attribute_name} ({self.outcome})"


class AttributeOutbox(models.Model):
    """Written in the same transaction as the values it announces; delivered to the hooks after
    commit and swept again later, so a broker outage delays the hooks but loses nothing."""

    target_type = models.CharField(max_length=16, choices=HistoryType.choices)
    target_id = models.BigIntegerField()
    target_version = models.PositiveBigIntegerField()
    attribute_names = models.JSONField(default=list)
    source = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "attribute outbox"
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(processed_at__isnull=True),
                name="attroutbox_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target_type}:{self.target_id} v{self.target_version}"


class AttributeTarget(models.Model):
    """What a contact or a company shares as a holder of attribute values.

    Standard attributes are columns of the concrete model (named in `standard_attribute_fields`);
    custom values live in `custom_attributes` in their canonical typed form. Beside the values,
    `attribute_provenance` keeps the latest source, actor and time per attribute, so the panel can
    say where a value came from without reading history. Only `qualification.services` writes
    any of these, and every change to them moves `version` on.

    `attributes_as_stored` says whether the instance holds that state as its row stored it at
    its `version`: the write path then works a write out on the instance instead of reading the
    row again (`qualification.services.apply`).
    """

    attribute_model: str = ""
    history_type: str = ""  # HistoryType: how history and the outbox name this kind of record
    standard_attribute_fields: dict[str, str] = {}

    custom_attributes = models.JSONField(default=dict, blank=True)
    attribute_provenance = models.JSONField(default=dict, blank=True, editable=False)
    version = models.PositiveBigIntegerField(default=1, editable=False)

    objects = GuardedManager()

    class Meta:
        abstract = True

    def __setattr__(self, name: str, value) -> None:
        # An attribute field set after the row was read (a form filling the instance in, say):
        # the instance may no longer hold what the row holds.
        if _AS_STORED in self.__dict__ and name in _attribute_attnames(type(self)):
            del self.__dict__[_AS_STORED]
        _model_setattr(self, name, value)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        if len(values) == len(cls._meta.concrete_fields):  # nothing deferred
            instance.__dict__[_AS_STORED] = True
        return instance

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using, fields, from_queryset)
        if fields is None and not self.get_deferred_fields():
            self.__dict__[_AS_STORED] = True

    @property
    def attributes_as_stored(self) -> bool:
        """True while the instance's attribute state (its standard attribute columns,
        `custom_attributes`, `attribute_provenance` and `version`) is what its row held at that
        version: since it was read whole, or refreshed whole, or since the write path stored
        it, nothing has set any of those fields."""
        return _AS_STORED in self.__dict__

    def mark_attributes_as_stored(self) -> None:
        """For the write path only, right after it stored the instance's attribute state (or
        copied in what it stored)."""
        self.__dict__[_AS_STORED] = True

    @classmethod
    def attribute_column(cls, attribute: DataAttribute) -> models.Field:
        """The model column that holds a standard attribute."""
        try:
            field_name = cls.standard_attribute_fields[attribute.name]
        except KeyError:
            raise LookupError(
                f"Standard attribute {attribute.name!r} has no column on {cls.__name__}."
            ) from None
        return cls._meta.get_field(field_name)

    def attribute_value(self, attribute: DataAttribute):
        """The canonical value of a standard or custom attribute (None when unset)."""
        from .values import to_canonical

        if attribute.is_standard:
            column = self.attribute_column(attribute)
            return to_canonical(attribute.data_type, getattr(self, column.attname))
        return self.custom_attributes.get(attribute.name)


_AS_STORED = "_attributes_as_stored"
# Model's own __setattr__, called directly rather than through super(): Django builds every
# instance it reads by setting each field, and a super() call per field doubled that cost.
_model_setattr = models.Model.__setattr__
_attnames: dict[type, frozenset[str]] = {}


def _attribute_attnames(model: type[AttributeTarget]) -> frozenset[str]:
    names = _attnames.get(model)
    if names is None:
        columns = [
            model._meta.get_field(f).attname for f in model.standard_attribute_fields.values()
        ]
        names = frozenset([*columns, "custom_attributes", "attribute_provenance", "version"])
        _attnames[model] = names
    return names
