"""The contact list's filters, over its read model. Segments are saved filter URLs, so the
same code decides who is in a segment."""

from datetime import date

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTransform
from django.utils.dateparse import parse_date

from companies.models import Company
from qualification.models import DataAttribute, DataType, Tag
from qualification.values import InvalidValue, day_bounds, parse_value

from .models import ContactListEntry, Role

CUSTOM_OPERATORS = {
    DataType.STRING: [("contains", "contains"), ("is", "is exactly")],
    DataType.OPTIONS: [("is", "is")],
    DataType.INTEGER: [
        ("eq", "="),
        ("gte", "at least"),
        ("lte", "at most"),
        ("between", "between"),
    ],
    DataType.FLOAT: [("eq", "="), ("gte", "at least"), ("lte", "at most"), ("between", "between")],
    DataType.DATE: [("gte", "on or after"), ("lte", "on or before"), ("between", "between")],
    DataType.DATETIME: [("gte", "on or after"), ("lte", "on or before"), ("between", "between")],
    DataType.BOOLEAN: [("true", "is true"), ("false", "is false")],
}
ALL_OPERATORS = sorted({op for ops in CUSTOM_OPERATORS.values() for op, _ in ops})


def json_array_has(queryset: QuerySet, field: str, value: int) -> QuerySet:
    """Rows whose JSON array `field` holds `value` (GIN-indexed containment on PostgreSQL)."""
    if _vendor(queryset) == "postgresql":
        return queryset.filter(**{f"{field}__contains": [value]})
    # SQLite has no JSON containment; table and field are our own names, the value is a
    # bound parameter.
    table = queryset.model._meta.db_table
    return queryset.extra(  # noqa: S610
        where=[f'EXISTS (SELECT 1 FROM json_each("{table}"."{field}") WHERE value = %s)'],  # noqa: S608
        params=[value],
    )


def json_key_equals(queryset: QuerySet, key: str, value) -> QuerySet:
    if _vendor(queryset) == "postgresql":
        return queryset.filter(custom_attributes__contains={key: value})
    return queryset.alias(_cf=KeyTransform(key, "custom_attributes")).filter(_cf=value)


def _vendor(queryset: QuerySet) -> str:
    from django.db import connections

    return connections[queryset.db].vendor


def custom_attributes_for_filters() -> dict[str, DataAttribute]:
    return {
        a.name: a
        for a in DataAttribute.objects.filter(
            model="contact", is_standard=False, archived=False
        ).order_by("label")
    }


class ContactListFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    role = django_filters.ChoiceFilter(choices=Role.choices, empty_label="Users and leads")
    tag = django_filters.ModelChoiceFilter(
        queryset=Tag.objects.order_by("name"),
        method="filter_tag",
        empty_label="Any tag",
        label="Tag",
    )
    company = django_filters.CharFilter(
        field_name="company_names", lookup_expr="icontains", label="Company"
    )
    company_id = django_filters.ModelChoiceFilter(
        queryset=Company.objects.all(), method="filter_company", widget=forms.HiddenInput
    )
    archived = django_filters.ChoiceFilter(
        method="filter_archived",
        choices=[("no", "Not archived"), ("yes", "Archived"), ("all", "Archived or not")],
        empty_label=None,
        label="Archived",
    )
    unsubscribed = django_filters.ChoiceFilter(
        method="filter_unsubscribed",
        choices=[("yes", "Unsubscribed"), ("no", "Subscribed")],
        empty_label="Either",
        label="Emails",
    )
    last_seen_after = django_filters.DateFilter(
        field_name="last_seen_at",
        lookup_expr="date__gte",
        label="Seen since",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    last_seen_before = django_filters.DateFilter(
        field_name="last_seen_at",
        lookup_expr="date__lte",
        label="Seen before",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    signed_up_after = django_filters.DateFilter(
        field_name="signed_up_at",
        lookup_expr="date__gte",
        label="Signed up since",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    signed_up_before = django_filters.DateFilter(
        field_name="signed_up_at",
        lookup_expr="date__lte",
        label="Signed up before",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    # One custom-attribute condition: attribute, operator, value (and a second for "between").
    cf = django_filters.ChoiceFilter(method="filter_custom", label="Attribute", empty_label="—")
    op = django_filters.ChoiceFilter(
        method="noop", label="Condition", choices=[(o, o) for o in ALL_OPERATORS], empty_label="—"
    )
    v = django_filters.CharFilter(method="noop", label="Value")
    v2 = django_filters.CharFilter(method="noop", label="and")

    class Meta:
        model = ContactListEntry
        fields = ["q", "role", "tag", "company", "archived"]

    def __init__(self, data=None, *args, custom=None, **kwargs):
        data = data.copy() if data is not None else {}
        data.setdefault("archived", "no")
        super().__init__(data, *args, **kwargs)
        self.custom = custom if custom is not None else custom_attributes_for_filters()
        self.filters["cf"].extra["choices"] = [(n, a.label) for n, a in self.custom.items()]
        self.custom_error = ""

    def noop(self, queryset, name, value):
        return queryset

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(email__icontains=value))

    def filter_tag(self, queryset, name, tag):
        return json_array_has(queryset, "tag_ids", tag.pk)

    def filter_company(self, queryset, name, company):
        return json_array_has(queryset, "company_ids", company.pk)

    def filter_unsubscribed(self, queryset, name, value):
        return queryset.filter(unsubscribed_from_emails=value == "yes")

    def filter_archived(self, queryset, name, value):
        if value == "all":
            return queryset
        return queryset.filter(archived=value == "yes")

    def filter_custom(self, queryset, name, attribute_name):
        attribute = self.custom.get(attribute_name)
        data = self.form.cleaned_data
        op = data.get("op") or ""
        allowed = dict(CUSTOM_OPERATORS[attribute.data_type])
        if op not in allowed:
            self.custom_error = (
                f"Choose how to compare {attribute.label}: {', '.join(allowed.values())}."
            )
            return queryset.none()
        if attribute.data_type == DataType.BOOLEAN:
            return json_key_equals(queryset, attribute.name, op == "true")
        try:
            first = parse_value(attribute, data.get("v") or "")
            second = parse_value(attribute, data.get("v2") or "") if op == "between" else None
        except InvalidValue as exc:
            self.custom_error = exc.sentence(attribute.label)
            return queryset.none()
        if first is None or (op == "between" and second is None):
            self.custom_error = f"Enter a value to compare {attribute.label} with."
            return queryset.none()
        key = KeyTransform(attribute.name, "custom_attributes")
        queryset = queryset.alias(_cf=key)
        if attribute.data_type == DataType.DATETIME:
            # A day typed for a date and time means the whole day, as in the REST search:
            # "on or before" includes it, "between" includes both ends.
            first_day = _whole_day(data.get("v"))
            last_day = _whole_day(data.get("v2")) if op == "between" else first_day
            if first_day is not None and op in ("gte", "between"):
                first = day_bounds(first_day, DataType.DATETIME)[0]
            if last_day is not None and op in ("lte", "between"):
                end = day_bounds(last_day, DataType.DATETIME)[1]
                queryset = queryset.filter(_cf__lt=end)
                return queryset if op == "lte" else queryset.filter(_cf__gte=first)
        match op:
            case "contains":
                return queryset.filter(_cf__icontains=first)
            case "is" | "eq":
                return json_key_equals(queryset, attribute.name, first)
            case "gte":
                return queryset.filter(_cf__gte=first)
            case "lte":
                return queryset.filter(_cf__lte=first)
        return queryset.filter(_cf__gte=first, _cf__lte=second)


def _whole_day(raw: str | None) -> date | None:
    """The day typed, if a day (not a moment) was typed, in any form a date attribute takes
    ("2024-01-02", "2024-1-2", "20240102")."""
    text = (raw or "").strip()
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    try:
        return parse_date(text)
    except ValueError:  # looks like a date, is not one (2024-02-30)
        return None
