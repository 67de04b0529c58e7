"""Intercom's contact search language, turned into one database query.

A query is a filter `{"field", "operator", "value"}` or a group `{"operator": "AND"|"OR",
"value": [...]}`; groups nest at most two deep and hold at most 15 items (Intercom's limits),
and a whole query holds at most 100 filters and 1,000 values (ours: within Intercom's limits a
query could name 225 filters of 1,000 values each, 225,000 values in all). Each field has a type,
and the type decides which operators it takes (Intercom's table, including its rule that
timestamps match whole calendar days in the workspace's time zone). Custom attributes take the
type their data attribute was defined with.

Search reads the contacts table itself, not the contact list's read model, so a contact the
API has just written is found at once.
"""

import itertools
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Lower, StrIndex, Substr, Upper
from django.db.models.lookups import In
from django.utils import timezone

from qualification.models import AttributeModel, DataAttribute, DataType
from qualification.values import day_bounds, parse_id

from .models import Contact, SegmentMembership

MAX_DEPTH = 2
MAX_GROUP_SIZE = 15
MAX_LIST_VALUES = 1_000
# A whole query's cost: its filters, and the values its IN and NIN lists name, all together.
MAX_FILTERS = 100
MAX_VALUES = 1_000
# Unix timestamps a search may name: up to the day before 31 December 9999 (whose next day
# is still a date).
MAX_TIMESTAMP = 253_402_214_399

STRING, INTEGER, BOOLEAN, DATE, ID, TAG, SEGMENT = (
    "string",
    "integer",
    "boolean",
    "date",
    "id",
    "tag_id",
    "segment_id",
)
OPERATORS = {
    STRING: {"=", "!=", "IN", "NIN", "~", "!~", "^", "$"},
    ID: {"=", "!=", "IN", "NIN"},
    INTEGER: {"=", "!=", "IN", "NIN", "<", ">", "<=", ">="},
    BOOLEAN: {"=", "!=", "IN", "NIN"},
    DATE: {"=", "<", ">"},
    TAG: {"=", "!="},
    SEGMENT: {"=", "!="},
}
# Intercom's searchable fields that Switchboard stores, with the column behind each.
FIELDS: dict[str, tuple[str, str]] = {
    "id": (ID, "pk"),
    "role": (STRING, "role"),
    "name": (STRING, "name"),
    "avatar": (STRING, "avatar"),
    "owner_id": (INTEGER, "owner_id"),
    "email": (STRING, "email"),
    "email_domain": (STRING, "_email_domain"),
    "phone": (STRING, "phone"),
    "external_id": (STRING, "external_id"),
    "created_at": (DATE, "created_at"),
    "signed_up_at": (DATE, "signed_up_at"),
    "updated_at": (DATE, "updated_at"),
    "last_seen_at": (DATE, "last_seen_at"),
    "language_override": (STRING, "language_override"),
    "browser": (STRING, "browser"),
    "browser_language": (STRING, "browser_language"),
    "os": (STRING, "os"),
    "location.country": (STRING, "location_country"),
    "location.region": (STRING, "location_region"),
    "location.city": (STRING, "location_city"),
    "unsubscribed_from_emails": (BOOLEAN, "unsubscribed_from_emails"),
    "tag_id": (TAG, "tags"),
    "segment_id": (SEGMENT, "segments"),
}
# Intercom's fields that describe email delivery or its mobile SDKs. Switchboard records none
# of them, so every contact has no value (or false): searching them is answered, not refused.
UNRECORDED: dict[str, str] = {
    "marked_email_as_spam": BOOLEAN,
    "has_hard_bounced": BOOLEAN,
    "last_contacted_at": DATE,
    "last_replied_at": DATE,
    "last_email_opened_at": DATE,
    "last_email_clicked_at": DATE,
    "ios_last_seen_at": DATE,
    "android_last_seen_at": DATE,
    **dict.fromkeys(
        [
            "ios_app_version",
            "ios_device",
            "ios_app_device",
            "ios_os_version",
            "ios_app_name",
            "ios_sdk_version",
            "android_app_version",
            "android_device",
            "android_app_name",
            "android_sdk_version",
            "andoid_sdk_version",  # sic: Intercom's own table spells it this way
        ],
        STRING,
    ),
}
CUSTOM_TYPES = {
    DataType.STRING: STRING,
    DataType.OPTIONS: STRING,
    DataType.INTEGER: INTEGER,
    DataType.FLOAT: INTEGER,  # numbers: Intercom's "integer" operators, compared as numbers
    DataType.BOOLEAN: BOOLEAN,
    DataType.DATE: DATE,
    DataType.DATETIME: DATE,
}
EVERYONE, NO_ONE = Q(pk__isnull=False), Q(pk__isnull=True)


class _InIgnoringCase(In):
    """`UPPER(text) IN (UPPER(%s), ...)`: IN compared as `iexact` compares, the database
    folding the case of both sides, with one plain parameter per value."""

    def batch_process_rhs(self, compiler, connection, rhs=None):
        sqls, params = super().batch_process_rhs(compiler, connection, rhs)
        return [f"UPPER({sql})" for sql in sqls], params


class SearchError(ValueError):
    """A query Switchboard cannot answer; the message says what to change."""


@dataclass
class _Field:
    name: str
    kind: str
    column: str | None  # None: a field Switchboard does not record
    data_type: str | None = None  # custom attributes only


class ContactSearch:
    """Compiles one query; `queryset()` is every contact that matches, in id order."""

    def __init__(self, query: Any):
        self._aliases: dict[str, Any] = {}
        self._custom = {
            a.name: a
            for a in DataAttribute.objects.filter(model=AttributeModel.CONTACT, is_standard=False)
        }
        self._counter = itertools.count()
        # One alias per custom attribute (and per text column compared without case), reused
        # by every filter that names it: an alias per filter or per value makes Django's
        # query building quadratic in the number of aliases.
        self._alias_of: dict[tuple[str, str], str] = {}
        self._filters = self._values = 0
        self.condition = self._node(query, depth=0)

    def queryset(self) -> QuerySet:
        contacts = Contact.objects.all()
        if self._aliases:
            contacts = contacts.alias(**self._aliases)
        return contacts.filter(self.condition)

    def _node(self, node: Any, depth: int) -> Q:
        if not isinstance(node, dict):
            raise SearchError("Each query must be an object with field, operator and value.")
        operator = node.get("operator")
        if "field" not in node and operator in ("AND", "OR"):
            return self._group(operator, node.get("value"), depth)
        if "field" not in node:
            raise SearchError(
                "A query needs a field, an operator and a value, or an operator of AND or OR "
                "with a list of queries as its value."
            )
        return self._filter(node.get("field"), operator, node.get("value"))

    def _group(self, operator: str, items: Any, depth: int) -> Q:
        if depth >= MAX_DEPTH:
            raise SearchError(f"Queries nest at most {MAX_DEPTH} levels of AND and OR deep.")
        if not isinstance(items, list) or not items:
            raise SearchError(f"The value of an {operator} query must be a list of queries.")
        if len(items) > MAX_GROUP_SIZE:
            raise SearchError(f"An {operator} query holds at most {MAX_GROUP_SIZE} queries.")
        conditions = [self._node(item, depth + 1) for item in items]
        # One Q holding them all: combining them pairwise copies the growing list each time.
        return Q(*conditions, _connector=Q.AND if operator == "AND" else Q.OR)

    def _field(self, name: Any) -> _Field:
        if not isinstance(name, str) or not name:
            raise SearchError("Each filter needs a field name.")
        if name.startswith("custom_attributes."):
            attribute_name = name.removeprefix("custom_attributes.")
            attribute = self._custom.get(attribute_name)
            if attribute is None:
                raise SearchError(f"Custom attribute '{attribute_name}' does not exist.")
            return _Field(
                name, CUSTOM_TYPES[attribute.data_type], attribute_name, attribute.data_type
            )
        if name in FIELDS:
            kind, column = FIELDS[name]
            if column == "_email_domain":
                # The part after the last "@", lower-cased, as Intercom's email_domain.
                self._aliases["_email_domain"] = Lower(
                    Substr("email", StrIndex("email", Value("@")) + 1)
                )
            return _Field(name, kind, column)
        if name in UNRECORDED:
            return _Field(name, UNRECORDED[name], None)
        raise SearchError(
            f"'{name}' is not a field you can search contacts by; use one of "
            f"{', '.join(sorted(FIELDS))}, or custom_attributes.<name>."
        )

    def _count(self, values: int) -> None:
        """Refuse a query past the whole query's limits before building any more of it."""
        self._filters += 1
        self._values += values
        if self._filters > MAX_FILTERS:
            raise SearchError(
                f"A search holds at most {MAX_FILTERS} filters in all; split the search."
            )
        if self._values > MAX_VALUES:
            raise SearchError(
                f"A search lists at most {MAX_VALUES} values in all (IN and NIN together); "
                "split the search."
            )

    def _filter(self, name: Any, operator: Any, value: Any) -> Q:
        self._count(len(value) if operator in ("IN", "NIN") and isinstance(value, list) else 0)
        field = self._field(name)
        allowed = OPERATORS[field.kind]
        if not isinstance(operator, str) or operator not in allowed:
            raise SearchError(
                f"The {operator!r} operator does not work on {field.name} ({field.kind}); "
                f"use one of {', '.join(sorted(allowed))}."
            )
        if operator in ("IN", "NIN"):
            if not isinstance(value, list) or not value:
                raise SearchError(f"{operator} on {field.name} needs a list of values.")
            if len(value) > MAX_LIST_VALUES:
                raise SearchError(
                    f"{operator} takes at most {MAX_LIST_VALUES} values; split the search."
                )
            values = [self._value(field, v) for v in value]
            if field.column is None:
                matched = EVERYONE if _unrecorded_default(field) in values else NO_ONE
                return matched if operator == "IN" else ~matched
            return self._any_of(field, values, negated=operator == "NIN")
        if isinstance(value, list):
            raise SearchError(f"{operator} on {field.name} takes one value, not a list.")
        parsed = self._value(field, value)
        if field.column is None:
            return self._unrecorded(field, operator, parsed)
        if field.kind == DATE:
            return self._day(field, operator, parsed)
        if field.kind in (TAG, SEGMENT):
            return self._membership(field, operator, parsed)
        return self._compare(field, operator, parsed)

    def _value(self, field: _Field, value: Any) -> Any:
        """The filter's value in the type of its field, or a clear error."""
        if value is None:
            if field.kind == DATE or field.kind in (TAG, SEGMENT):
                raise SearchError(f"{field.name} needs a value.")
            return None
        kind = field.kind
        if kind == BOOLEAN:
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "false"):
                return str(value).lower() == "true"
        elif kind == INTEGER:
            number = _number(value)
            if number is not None:
                return number
        elif kind == DATE:
            number = _number(value)
            if number is not None and 0 <= number <= MAX_TIMESTAMP:
                try:
                    return datetime.fromtimestamp(number, tz=timezone.get_current_timezone()).date()
                except (OverflowError, OSError, ValueError):
                    pass
        elif kind in (ID, TAG, SEGMENT):
            text = str(value)
            # Switchboard's ids are numbers; any other id names no one.
            found = parse_id(text)
            return -1 if found is None else found
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
        expected = {
            BOOLEAN: "true or false",
            INTEGER: "a number",
            DATE: "a Unix timestamp from 1970 to 9999",
            STRING: "text",
        }[field.kind]
        raise SearchError(f"The value for {field.name} must be {expected}, not {value!r}.")

    def _lookup(self, field: _Field, value: Any = None) -> tuple[str, Any]:
        """The name to filter on and the value to compare, for a column or a custom attribute."""
        if field.data_type is None:
            if field.column == "role" and isinstance(value, str):
                value = value.lower()
            return field.column, value
        transform = KeyTextTransform if field.kind == STRING else KeyTransform
        return self._alias(field.column, transform.__name__, transform, "custom_attributes"), value

    def _alias(self, name: str, kind: str, expression, *args) -> str:
        """The one alias for `expression(name, *args)`, made the first time it is needed."""
        key = (name, kind)
        if key not in self._alias_of:
            alias = f"_cf{next(self._counter)}"
            self._aliases[alias] = expression(name, *args) if args else expression(name)
            self._alias_of[key] = alias
        return self._alias_of[key]

    def _any_of(self, field: _Field, values: list, negated: bool) -> Q:
        """IN (or NIN) as one SQL IN over the distinct values, whatever their number, so the
        query grows by one parameter per value. Text compares without case, as `=` does."""
        listed = list(dict.fromkeys(v for v in values if v is not None))
        lookup, _ = self._lookup(field)
        if field.kind == STRING and field.column != "role":
            upper = self._alias(lookup, "upper", Upper)
            matched = Q(_InIgnoringCase(F(upper), listed)) if listed else NO_ONE
        else:
            if field.column == "role":
                listed = list(dict.fromkeys(v.lower() for v in listed))
            matched = Q(**{f"{lookup}__in": listed}) if listed else NO_ONE
        has_none = None in values
        if has_none:
            matched |= Q(**{f"{self._lookup(field)[0]}__isnull": True})
        if not negated:
            return matched
        # NOT IN leaves out contacts with no value (SQL's NULL), which Intercom counts as
        # not in the list, unless the list names "no value" itself.
        missing = Q(**{f"{self._lookup(field)[0]}__isnull": True})
        return ~matched if has_none else ~matched | missing

    def _compare(self, field: _Field, operator: str, value: Any) -> Q:
        lookup, value = self._lookup(field, value)
        if value is None:
            if operator not in ("=", "!="):
                raise SearchError(f"{operator} on {field.name} needs a value.")
            missing = Q(**{f"{lookup}__isnull": True})
            return missing if operator == "=" else ~missing
        if field.kind == STRING:
            # Text matches ignore case, as Intercom's do.
            suffix = {
                "=": "iexact",
                "!=": "iexact",
                "~": "icontains",
                "!~": "icontains",
                "^": "istartswith",
                "$": "iendswith",
            }[operator]
            if field.column == "role":
                suffix = "exact"
            matched = Q(**{f"{lookup}__{suffix}": value})
            return self._negate(field, matched) if operator in ("!=", "!~") else matched
        suffix = {"=": "exact", "!=": "exact", "<": "lt", ">": "gt", "<=": "lte", ">=": "gte"}[
            operator
        ]
        matched = Q(**{f"{lookup}__{suffix}": value})
        return self._negate(field, matched) if operator == "!=" else matched

    def _negate(self, field: _Field, matched: Q) -> Q:
        """NOT matched, counting contacts with no value as not matching, as Intercom does.
        SQL's NOT drops a missing JSON key (NULL); columns Django already handles."""
        if field.data_type is None:
            return ~matched
        lookup, _ = self._lookup(field)
        return ~matched | Q(**{f"{lookup}__isnull": True})

    def _day(self, field: _Field, operator: str, day: date) -> Q:
        """Calendar days in the workspace's time zone: `=` the day, `<` before it, `>` after."""
        start, end = day_bounds(day, field.data_type)
        lookup, _ = self._lookup(field)
        if operator == "=":
            return Q(**{f"{lookup}__gte": start, f"{lookup}__lt": end})
        if operator == "<":
            return Q(**{f"{lookup}__lt": start})
        return Q(**{f"{lookup}__gte": end})

    def _membership(self, field: _Field, operator: str, pk: int) -> Q:
        if field.kind == TAG:
            member = Exists(
                Contact.tags.through.objects.filter(contact_id=OuterRef("pk"), tag_id=pk)
            )
        else:
            member = Exists(
                SegmentMembership.objects.filter(contact_id=OuterRef("pk"), segment_id=pk)
            )
        return Q(member) if operator == "=" else ~Q(member)

    @staticmethod
    def _unrecorded(field: _Field, operator: str, value: Any) -> Q:
        default = _unrecorded_default(field)
        if field.kind == DATE:
            return NO_ONE  # no contact has a timestamp Switchboard never records
        if operator == "=":
            return EVERYONE if value == default else NO_ONE
        if operator == "!=":
            return NO_ONE if value == default else EVERYONE
        if operator in ("!~",):
            return EVERYONE
        return NO_ONE


def _unrecorded_default(field: _Field) -> Any:
    return False if field.kind == BOOLEAN else None


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        if not math.isfinite(number):  # "inf", "nan", "1e999"
            return None
        return _number(int(number)) if number.is_integer() else number
    return None


def contact_search(query: Any) -> QuerySet:
    """Every contact matching an Intercom search query, or SearchError saying what is wrong."""
    return ContactSearch(query).queryset()
