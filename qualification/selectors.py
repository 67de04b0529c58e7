"""Reads for the qualification panel, attribute pages and history. N+1 free: callers pass the
targets and attributes they already loaded; nothing here queries per row."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.dateparse import parse_datetime

from core.moments import day_text, moment_text

from .models import (
    AttributeChange,
    AttributeModel,
    AttributeTarget,
    DataAttribute,
    DataType,
    Precedence,
    QualificationItem,
)
from .record_fields import record_field_label
from .results import Provenance
from .sources import HISTORY_SOURCE_CHOICES, MANUAL_SOURCES, Source, source_label
from .values import Canonical

APP_POLICY_FIELDS = ("api_writable", "messenger_writable", "apps_writable")


def qualification_attributes(model: str) -> list[DataAttribute]:
    """The admin's qualification-data list for people or companies, in order, unarchived."""
    items = (
        QualificationItem.objects.filter(attribute__model=model, attribute__archived=False)
        .select_related("attribute")
        .order_by("position", "id")
    )
    return [item.attribute for item in items]


def qualification_attributes_by_model() -> dict[str, list[DataAttribute]]:
    """Both lists in one query, for a page that shows a person and their company."""
    lists: dict[str, list[DataAttribute]] = {m: [] for m in AttributeModel.values}
    items = (
        QualificationItem.objects.filter(attribute__archived=False)
        .select_related("attribute")
        .order_by("position", "id")
    )
    for item in items:
        lists[item.attribute.model].append(item.attribute)
    return lists


def all_attributes(model: str) -> list[DataAttribute]:
    """Every unarchived attribute of people or companies: standard ones first."""
    return list(
        DataAttribute.objects.filter(model=model, archived=False).order_by("-is_standard", "label")
    )


def data_attributes_listed(*, models: list[str], include_archived: bool) -> list[DataAttribute]:
    """Attribute definitions for the REST API, in one query: people before companies (as
    Intercom lists them), standard before custom, then in the order they were made."""
    attributes = DataAttribute.objects.filter(model__in=models)
    if not include_archived:
        attributes = attributes.filter(archived=False)
    # "contact" sorts after "company": descending puts people first.
    return list(attributes.order_by("-model", "-is_standard", "pk"))


def describe_provenance(held: Provenance | None) -> str:
    """'Set by Messenger on 14 Nov 2023, 17:13 EST', 'Set by Priya in a conversation on ...'."""
    if held is None:
        return "Never set"
    when = f"on {moment_text(held.at)}"
    match held.source:
        case Source.QUALIFICATION:
            return f"Set by {held.actor_label} {held.where or 'in a conversation'} {when}"
        case Source.ADMIN:
            return f"Set by {held.actor_label} {held.where or 'in the admin'} {when}"
        case Source.MESSENGER | Source.MESSENGER_VERIFIED:
            return f"Set by {held.source_label} {when}"
        case Source.REST_API:
            return f"Set through the REST API by {held.actor_label} {when}"
        case Source.CSV_IMPORT:
            return f"Imported from CSV ({held.actor_label}) {when}"
        case Source.WORKFLOW:
            return f"Set by workflow {held.actor_label} {when}"
    if held.source.startswith(Source.APP_PREFIX):
        return f"Synced from {source_label(held.source)} {when}"
    return f"Set by {held.actor_label} ({held.source_label}) {when}"


def describe_sender(source: str, actor_label: str) -> str:
    """Who sent a value, as a phrase: 'through the REST API by Acme backend', 'by Stripe'."""
    match source:
        case Source.MESSENGER | Source.MESSENGER_VERIFIED:
            return f"by the {source_label(source)}"
        case Source.REST_API:
            return f"through the REST API by {actor_label}"
        case Source.CSV_IMPORT:
            return f"by a CSV import ({actor_label})"
        case Source.WORKFLOW:
            return f"by workflow {actor_label}"
    if source.startswith(Source.APP_PREFIX):
        return f"by {source_label(source)}"
    return f"by {actor_label} ({source_label(source)})"


def format_value(attribute: DataAttribute, value: Canonical, teammates: dict[int, str]) -> str:
    if value is None:
        return ""
    match attribute.data_type:
        case DataType.BOOLEAN:
            return "Yes" if value else "No"
        case DataType.INTEGER:
            if attribute.is_standard and attribute.name == "owner_id":
                return teammates.get(value, "A former teammate")
            return f"{value:,}"
        case DataType.FLOAT:
            return f"{value:,.2f}".rstrip("0").rstrip(".")
        case DataType.DATE:
            return day_text(date.fromisoformat(value))
        case DataType.DATETIME:
            return moment_text(parse_datetime(value))
    return str(value)


@dataclass
class AttributeRow:
    """One attribute of one target, as the panel shows it."""

    attribute: DataAttribute
    target_type: str
    target_id: int
    target_version: int
    value: Canonical
    provenance: Provenance | None
    can_edit: bool
    display: str

    @property
    def dom_id(self) -> str:
        return f"attr-{self.target_type}-{self.target_id}-{self.attribute.pk}"

    @property
    def provenance_text(self) -> str:
        return describe_provenance(self.provenance)

    @property
    def app_can_write(self) -> bool:
        return any(getattr(self.attribute, f) for f in APP_POLICY_FIELDS)

    @property
    def editable(self) -> bool:
        return self.can_edit and self.attribute.ui_writable and not self.attribute.archived

    @property
    def held(self) -> bool:
        """A manual edit holds the value until someone re-syncs it."""
        return (
            self.attribute.precedence == Precedence.MANUAL_WINS
            and self.provenance is not None
            and self.provenance.locked
        )

    @property
    def app_will_overwrite(self) -> bool:
        """A manual value that the app's next update will replace."""
        return (
            self.attribute.precedence == Precedence.APP_WINS
            and self.app_can_write
            and self.provenance is not None
            and self.provenance.source in MANUAL_SOURCES
        )

    @property
    def pending(self) -> Provenance | None:
        """The provenance, when it keeps a value an app sent that the manual edit held back."""
        if self.held and self.provenance.has_pending:
            return self.provenance
        return None

    @property
    def pending_display(self) -> str:
        held = self.pending
        if held is None:
            return ""
        try:
            return format_value(self.attribute, held.pending, {}) or "no value"
        except (TypeError, ValueError):
            return str(held.pending)

    @property
    def pending_sender(self) -> str:
        held = self.pending
        return describe_sender(held.pending_source, held.pending_actor_label) if held else ""

    @property
    def value_as_datetime(self) -> datetime | None:
        if self.attribute.data_type == DataType.DATETIME and self.value:
            return parse_datetime(self.value)
        return None


def attribute_rows(
    *,
    target: AttributeTarget,
    attributes: list[DataAttribute],
    can_edit: bool,
    teammates: dict[int, str] | None = None,
) -> list[AttributeRow]:
    teammates = teammates or {}
    rows = []
    for attribute in attributes:
        value = target.attribute_value(attribute)
        rows.append(
            AttributeRow(
                attribute=attribute,
                target_type=type(target).attribute_model,
                target_id=target.pk,
                target_version=target.version,
                value=value,
                provenance=Provenance.from_stored(target.attribute_provenance.get(attribute.name)),
                can_edit=can_edit,
                display=format_value(attribute, value, teammates),
            )
        )
    return rows


def attribute_history(
    *,
    target_type: str,
    target_id: int,
    attribute_name: str | None = None,
    source: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[AttributeChange]:
    """A target's history, newest first, optionally for one attribute or one kind of source
    ("app" selects every app). Page with `before_id` (the id of the last row shown)."""
    changes = AttributeChange.objects.filter(target_type=target_type, target_id=target_id)
    if attribute_name:
        # An attribute's own rows (applied, skipped, rejected), not changes of the record that
        # share its name (a custom "role" is not the contact's role).
        changes = changes.filter(attribute_name=attribute_name, attribute__isnull=False)
    if source == "app":
        changes = changes.filter(source__startswith=Source.APP_PREFIX)
    elif source:
        changes = changes.filter(source=source)
    if before_id:
        changes = changes.filter(id__lt=before_id)
    rows = list(changes.select_related("attribute").order_by("-id")[:limit])
    # Owners are teammates: the history names them, never "Teammate #3" (one query, only when
    # an owner change is on the page).
    owners = [c for c in rows if c.attribute is not None and c.attribute.name == "owner_id"]
    if owners:
        names = {
            u.pk: u.get_full_name() or u.get_username()
            for u in get_user_model().objects.only("pk", "first_name", "last_name", "username")
        }
        for change in owners:
            change.teammates = names
    return rows


# The history page filters by these: every source, and every app as one.
HISTORY_SOURCES = HISTORY_SOURCE_CHOICES


def history_label(change: AttributeChange) -> str:
    """What a history row changed, as people read it."""
    if change.attribute is not None:
        return change.attribute.label
    return record_field_label(change.attribute_name)


def display_history_value(change: AttributeChange, value: Any, teammates=None) -> str:
    if change.attribute is None or value is None:
        return "" if value is None else str(value)
    try:
        return format_value(change.attribute, value, teammates or {})
    except (TypeError, ValueError):
        return str(value)
