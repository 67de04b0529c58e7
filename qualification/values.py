"""Parse raw attribute values into their canonical typed form, and explain what is allowed.

Canonical forms are what `custom_attributes` stores and what history records: str, int, float,
bool, dates as "YYYY-MM-DD", datetimes as ISO 8601 in UTC to the second, always the same
width ("2026-11-29T07:11:56Z"), and None for
"no value". Raw values arrive from JSON (typed), from forms and CSV files (text) and from the
messenger; each type accepts the forms those sources send, and nothing ambiguous.
"""

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from .models import DataAttribute, DataType

CUSTOM_TEXT_MAX_LENGTH = 1000
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
_INTEGER_TEXT = re.compile(r"^[+-]?\d+$")
_TRUE_WORDS = {"true", "t", "yes", "y", "1"}
_FALSE_WORDS = {"false", "f", "no", "n", "0"}

Canonical = str | int | float | bool | None


class InvalidValue(ValueError):
    """A value that does not fit its attribute. The message is what follows the attribute's
    label, in plain words: "must be a whole number, like 42", so that every place can say
    "Company size must be a whole number, like 42." (`sentence`)."""

    def sentence(self, label: str) -> str:
        return f"{label} {self}."


@dataclass(frozen=True)
class TextRules:
    max_length: int = CUSTOM_TEXT_MAX_LENGTH
    is_email: bool = False


def describe_allowed(attribute: DataAttribute, rules: TextRules | None = None) -> str:
    match attribute.data_type:
        case DataType.STRING:
            limit = (rules or TextRules()).max_length
            if rules and rules.is_email:
                return "an email address, like ada@example.com"
            return f"text of {limit:,} characters at most"
        case DataType.INTEGER:
            return "a whole number, like 42"
        case DataType.FLOAT:
            return "a number, like 19.99"
        case DataType.BOOLEAN:
            return "yes or no (true or false)"
        case DataType.DATE:
            return "a date, like 2026-01-31"
        case DataType.DATETIME:
            return "a date and time, like 2026-01-31T14:30:00Z"
        case DataType.OPTIONS:
            return "one of: " + ", ".join(attribute.options)
    raise AssertionError(attribute.data_type)


def parse_value(attribute: DataAttribute, raw: Any, rules: TextRules | None = None) -> Canonical:
    """Return the canonical form of `raw` for `attribute`, or raise InvalidValue."""
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = raw.strip()
        if raw == "":
            return None
    try:
        value = _PARSERS[attribute.data_type](attribute, raw, rules or TextRules())
    except InvalidValue:
        raise
    except (TypeError, ValueError, OverflowError, OSError):
        value = _NOT_PARSED
    if value is _NOT_PARSED:
        raise InvalidValue(f"must be {describe_allowed(attribute, rules)}")
    return value


_NOT_PARSED = object()


def _parse_string(attribute: DataAttribute, raw: Any, rules: TextRules) -> Canonical:
    if not isinstance(raw, str):
        return _NOT_PARSED
    if "\x00" in raw:
        raise InvalidValue("cannot contain a null character (an invisible control code)")
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidValue("must be text without broken characters") from None
    if len(raw) > rules.max_length:
        raise InvalidValue(
            f"must be {rules.max_length:,} characters at most (this is {len(raw):,})"
        )
    if rules.is_email:
        try:
            validate_email(raw)
        except ValidationError:
            raise InvalidValue(f"must be {describe_allowed(attribute, rules)}") from None
        # The domain is case-insensitive: store it one way so matching by email works.
        local, _, domain = raw.rpartition("@")
        return f"{local}@{domain.lower()}"
    return raw


def _parse_integer(attribute: DataAttribute, raw: Any, rules: TextRules) -> Canonical:
    if isinstance(raw, bool):
        return _NOT_PARSED
    if isinstance(raw, float):
        if not raw.is_integer():
            return _NOT_PARSED
        raw = int(raw)
    if isinstance(raw, str):
        if not _INTEGER_TEXT.match(raw):
            return _NOT_PARSED
        raw = int(raw)
    if not isinstance(raw, int):
        return _NOT_PARSED
    if not INT_MIN <= raw <= INT_MAX:
        raise InvalidValue(f"must be a whole number between {INT_MIN:,} and {INT_MAX:,}")
    return raw


def _parse_float(attribute: DataAttribute, raw: Any, rules: TextRules) -> Canonical:
    if isinstance(raw, bool):
        return _NOT_PARSED
    if isinstance(raw, str):
        raw = float(raw)
    if not isinstance(raw, int | float):
        return _NOT_PARSED
    value = float(raw)
    if not math.isfinite(value):
        return _NOT_PARSED
    return value


def _parse_boolean(attribute: DataAttribute, raw: Any, rules: TextRules) -> Canonical:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        word = raw.lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    return _NOT_PARSED


_BASIC_DATE = re.compile(r"^\d{8}$")


def _timestamp(raw: Any) -> datetime | None:
    """Unix seconds, as Intercom's API and messenger send dates. Eight digits in text are a
    compact date (20260131), never a timestamp from 1970."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str) and _BASIC_DATE.match(raw):
        return None
    if isinstance(raw, str) and _INTEGER_TEXT.match(raw):
        raw = int(raw)
    if isinstance(raw, int | float):
        return datetime.fromtimestamp(raw, tz=UTC)
    return None


def _parse_date(attribute: DataAttribute, raw: Any, rules: TextRules) -> Canonical:
    if isinstance(raw, datetime):
        return _NOT_PARSED
    if isinstance(raw, date):
        return raw.isoformat()
    stamp = _timestamp(raw)
    if stamp is not None:
        return stamp.date().isoformat()
    if isinstance(raw, str):
        if _BASIC_DATE.match(raw):
            raw = f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"
        parsed = parse_date(raw)
        if parsed is not None:
            return parsed.isoformat()
    return _NOT_PARSED


def _parse_datetime(attribute: DataAttribute, raw: Any, rules: TextRules) -> Canonical:
    stamp = _timestamp(raw)
    if stamp is not None:
        return format_datetime(stamp)
    if isinstance(raw, datetime):
        return format_datetime(raw)
    if isinstance(raw, str):
        if _BASIC_DATE.match(raw):
            raw = f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"
        parsed = parse_datetime(raw)
        if parsed is None:
            day = parse_date(raw)
            if day is not None:
                parsed = datetime(day.year, day.month, day.day)
        if parsed is not None:
            return format_datetime(parsed)
    return _NOT_PARSED


def _parse_options(attribute: DataAttribute, raw: Any, rules: TextRules) -> Canonical:
    if isinstance(raw, str) and raw in attribute.options:
        return raw
    raise InvalidValue(f"must be {describe_allowed(attribute)}")


_PARSERS = {
    DataType.STRING: _parse_string,
    DataType.INTEGER: _parse_integer,
    DataType.FLOAT: _parse_float,
    DataType.BOOLEAN: _parse_boolean,
    DataType.DATE: _parse_date,
    DataType.DATETIME: _parse_datetime,
    DataType.OPTIONS: _parse_options,
}


def format_datetime(value: datetime) -> str:
    """Canonical UTC text for a datetime, to the second (as Intercom keeps them), always the
    same width ("2026-01-31T14:30:00Z"), so that comparing the texts compares the moments.
    Naive datetimes are taken to be UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def day_bounds(day: date, data_type: str | None) -> tuple[Any, Any]:
    """The first moment of `day` and of the day after, in the workspace's time zone and in
    the form the value is stored in: ISO dates, canonical datetime text (custom datetimes),
    or aware datetimes (datetime columns). A condition on a whole day is `start <= value <
    end`; "on or before" is `value < end`. Every filter and search compares days this way."""
    following = day + timedelta(days=1)
    if data_type == DataType.DATE:
        return day.isoformat(), following.isoformat()
    zone = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(following, time.min, tzinfo=zone)
    if data_type == DataType.DATETIME:
        return format_datetime(start), format_datetime(end)
    return start, end


def to_canonical(data_type: str, value: Any) -> Canonical:
    """The canonical form of a value already stored in a model column."""
    if value is None:
        return None
    if data_type == DataType.DATETIME and isinstance(value, datetime):
        return format_datetime(value)
    if data_type == DataType.DATE and isinstance(value, date):
        return value.isoformat()
    if data_type == DataType.FLOAT and isinstance(value, int | float):
        return float(value)
    return value


def to_column(data_type: str, value: Canonical) -> Any:
    """The Python value a model column takes for a canonical value."""
    if value is None:
        return None
    if data_type == DataType.DATETIME:
        return parse_datetime(str(value))
    if data_type == DataType.DATE:
        return date.fromisoformat(str(value))
    return value


_MAX_ID = 2**63 - 1


def parse_id(text: str | None) -> int | None:
    """A database id from text, or None: ASCII digits only (str.isdigit also takes '¹', which
    int() refuses) and within a bigint (a longer number names no row, and the database would
    refuse it)."""
    if not text or not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    return number if number <= _MAX_ID else None
