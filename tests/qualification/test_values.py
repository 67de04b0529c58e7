from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualification.models import DataAttribute, DataType
from qualification.values import InvalidValue, TextRules, parse_value


def attr(data_type, options=()):
    return DataAttribute(name="x", label="X", data_type=data_type, options=list(options))


@pytest.mark.parametrize(
    ("data_type", "raw", "expected"),
    [
        (DataType.STRING, "  Gold plan ", "Gold plan"),
        (DataType.STRING, "", None),
        (DataType.STRING, None, None),
        (DataType.INTEGER, 42, 42),
        (DataType.INTEGER, "-7", -7),
        (DataType.INTEGER, 3.0, 3),
        (DataType.FLOAT, 19.99, 19.99),
        (DataType.FLOAT, 3, 3.0),
        (DataType.FLOAT, "2.5", 2.5),
        (DataType.BOOLEAN, True, True),
        (DataType.BOOLEAN, "yes", True),
        (DataType.BOOLEAN, "FALSE", False),
        (DataType.BOOLEAN, 0, False),
        (DataType.DATE, "2026-02-28", "2026-02-28"),
        (DataType.DATE, date(2026, 1, 2), "2026-01-02"),
        (DataType.DATE, 1767225600, "2026-01-01"),
        (DataType.DATETIME, "2026-01-31T14:30:00Z", "2026-01-31T14:30:00Z"),
        (DataType.DATETIME, "2026-01-31T16:30:00+02:00", "2026-01-31T14:30:00Z"),
        (DataType.DATETIME, "2026-01-31", "2026-01-31T00:00:00Z"),
        (DataType.DATETIME, 1767225600, "2026-01-01T00:00:00Z"),
        (DataType.DATETIME, "1767225600", "2026-01-01T00:00:00Z"),
        (DataType.DATETIME, datetime(2026, 1, 1, 12, tzinfo=UTC), "2026-01-01T12:00:00Z"),
    ],
)
def test_parses_valid_values_to_canonical_form(data_type, raw, expected):
    assert parse_value(attr(data_type), raw) == expected


@pytest.mark.parametrize(
    ("data_type", "raw", "message"),
    [
        (DataType.STRING, 12, "^must be text of 1,000 characters at most$"),
        (DataType.INTEGER, "12.5", "^must be a whole number, like 42$"),
        (DataType.INTEGER, True, "^must be a whole number, like 42$"),
        (DataType.INTEGER, 2**70, "^must be a whole number between -9,223,372,036,854,775,808 and"),
        (DataType.INTEGER, 1.5, "^must be a whole number, like 42$"),
        (DataType.FLOAT, "abc", r"^must be a number, like 19\.99$"),
        (DataType.FLOAT, "nan", r"^must be a number, like 19\.99$"),
        (DataType.FLOAT, float("inf"), r"^must be a number, like 19\.99$"),
        (DataType.FLOAT, False, r"^must be a number, like 19\.99$"),
        (DataType.BOOLEAN, "maybe", r"^must be yes or no \(true or false\)$"),
        (DataType.BOOLEAN, 2, r"^must be yes or no \(true or false\)$"),
        (DataType.DATE, "31/01/2026", "^must be a date, like 2026-01-31$"),
        (DataType.DATE, "2026-02-30", "^must be a date, like 2026-01-31$"),
        (DataType.DATE, datetime(2026, 1, 1, tzinfo=UTC), "^must be a date, like 2026-01-31$"),
        (DataType.DATETIME, "yesterday", "^must be a date and time, like 2026-01-31T14:30:00Z$"),
        (DataType.DATETIME, [2026], "^must be a date and time, like 2026-01-31T14:30:00Z$"),
    ],
)
def test_refuses_invalid_values_saying_what_is_allowed(data_type, raw, message):
    with pytest.raises(InvalidValue, match=message):
        parse_value(attr(data_type), raw)


def test_options_accept_only_listed_values_and_name_them():
    gold = attr(DataType.OPTIONS, ["Bronze", "Silver", "Gold"])
    assert parse_value(gold, "Gold") == "Gold"
    with pytest.raises(InvalidValue, match="^must be one of: Bronze, Silver, Gold$"):
        parse_value(gold, "gold")
    with pytest.raises(InvalidValue):
        parse_value(gold, 1)


def test_text_rules_limit_length_and_check_emails():
    text = attr(DataType.STRING)
    with pytest.raises(InvalidValue, match=r"^must be 5 characters at most \(this is 6\)$"):
        parse_value(text, "abcdef", TextRules(max_length=5))
    with pytest.raises(InvalidValue, match="^must be an email address, like ada@example.com$"):
        parse_value(text, "not-an-email", TextRules(is_email=True))
    assert parse_value(text, "a@b.example", TextRules(is_email=True)) == "a@b.example"


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_any_64_bit_integer_round_trips_as_number_and_text(n):
    assert parse_value(attr(DataType.INTEGER), n) == n
    assert parse_value(attr(DataType.INTEGER), str(n)) == n


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_finite_float_round_trips(x):
    assert parse_value(attr(DataType.FLOAT), x) == x
    assert parse_value(attr(DataType.FLOAT), repr(x)) == x


@given(st.datetimes(timezones=st.just(UTC)))
def test_any_datetime_round_trips_through_its_canonical_text(moment):
    canonical = parse_value(attr(DataType.DATETIME), moment)
    assert parse_value(attr(DataType.DATETIME), canonical) == canonical
    assert canonical.endswith("Z")


@given(st.dates())
def test_any_date_round_trips(day):
    assert parse_value(attr(DataType.DATE), day) == day.isoformat()
    assert parse_value(attr(DataType.DATE), day.isoformat()) == day.isoformat()


@given(
    st.one_of(
        st.text(), st.integers(), st.floats(), st.booleans(), st.none(), st.lists(st.integers())
    )
)
def test_every_type_either_parses_or_explains(raw):
    for data_type in DataType.values:
        attribute = attr(data_type, ["A", "B"] if data_type == DataType.OPTIONS else ())
        try:
            parse_value(attribute, raw)
        except InvalidValue as exc:
            assert str(exc)


def test_text_that_databases_cannot_store_is_refused():
    with pytest.raises(InvalidValue, match="^cannot contain a null character"):
        parse_value(attr(DataType.STRING), "a\x00b")
    with pytest.raises(InvalidValue, match="^must be text without broken characters$"):
        parse_value(attr(DataType.STRING), "\ud800")


def test_email_domains_are_stored_in_lower_case():
    assert parse_value(attr(DataType.STRING), "Ann@Example.COM", TextRules(is_email=True)) == (
        "Ann@example.com"
    )


def test_eight_digits_are_a_compact_date_not_a_1970_timestamp():
    assert parse_value(attr(DataType.DATE), "20260131") == "2026-01-31"
    assert parse_value(attr(DataType.DATETIME), "20260131") == "2026-01-31T00:00:00Z"
    assert parse_value(attr(DataType.DATETIME), 20260131) == "1970-08-23T11:48:51Z"
