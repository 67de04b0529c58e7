import pytest

from core.numbers import COMMA, POINT, NumberNotRead, number_style, read_number


@pytest.mark.parametrize(
    ("header", "style"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", COMMA),
        ("fr", COMMA),
        ("pt-BR", COMMA),
        ("en-US,en;q=0.9", POINT),
        ("en-GB", POINT),
        ("ja", POINT),
        ("", POINT),
        (None, POINT),
        ("*", POINT),
        ("xx-unknown", POINT),
    ],
)
def test_the_style_is_the_browsers_first_language(header, style):
    assert number_style(header) == style


@pytest.mark.parametrize(
    ("typed", "style", "read"),
    [
        ("3,5", COMMA, "3.5"),
        ("-3,5", COMMA, "-3.5"),
        ("1.234,5", COMMA, "1234.5"),
        ("1 234,5", COMMA, "1234.5"),
        ("1\u00a0234,5", COMMA, "1234.5"),
        ("1.234.567", COMMA, "1234567"),
        # A point where a comma is usual, that cannot be a thousands separator: a decimal.
        ("19.99", COMMA, "19.99"),
        ("0.500", COMMA, "0.500"),
        ("3.5", POINT, "3.5"),
        ("1,234.5", POINT, "1234.5"),
        ("1,234,567", POINT, "1234567"),
        ("1 234.5", POINT, "1234.5"),
        # Both marks: only one reading, whoever typed it.
        ("1.234,5", POINT, "1234.5"),
        ("1,234.5", COMMA, "1234.5"),
        ("+42", POINT, "42"),
        ("\u22127", POINT, "-7"),
        ("  42  ", POINT, "42"),
    ],
)
def test_numbers_are_read_as_the_teammate_writes_them(typed, style, read):
    assert read_number(typed, style) == read


@pytest.mark.parametrize(
    ("typed", "style", "message"),
    [
        ("1.500", COMMA, "could be read two ways: write 1500, or 1,5 for a decimal"),
        ("3,5", POINT, "must be a number, like 19.99 (a point before the decimals)"),
        ("12,34", POINT, "must be a number, like 19.99 (a point before the decimals)"),
        ("abc", COMMA, "must be a number, like 19,99"),
        ("1e5", POINT, "must be a number, like 19.99"),
        ("1.2.3", POINT, "must be a number, like 19.99"),
        ("1,2,3", COMMA, "must be a number, like 19,99"),
        ("5,", COMMA, "must be a number, like 19,99"),
        ("-", POINT, "must be a number, like 19.99"),
        ("", POINT, "must be a number, like 19.99"),
        ("١٢", POINT, "must be a number, like 19.99"),
    ],
)
def test_what_cannot_be_read_surely_is_refused_in_words(typed, style, message):
    with pytest.raises(NumberNotRead) as caught:
        read_number(typed, style)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("typed", "style", "read"),
    [
        ("42", POINT, "42"),
        ("1,500", POINT, "1500"),
        ("1.500.000", COMMA, "1500000"),
        ("42,0", COMMA, "42"),
    ],
)
def test_whole_numbers(typed, style, read):
    assert read_number(typed, style, whole=True) == read


@pytest.mark.parametrize(("typed", "style"), [("3,5", COMMA), ("3.5", POINT), ("3,5", POINT)])
def test_a_fraction_is_not_a_whole_number(typed, style):
    with pytest.raises(NumberNotRead, match="^must be a whole number, like 42$"):
        read_number(typed, style, whole=True)


@pytest.mark.parametrize(
    ("value", "style", "written"),
    [
        (3.5, COMMA, "3,5"),
        (3.5, POINT, "3.5"),
        (2.0, POINT, "2"),
        (1e20, COMMA, "100000000000000000000"),
        (1e-7, POINT, "0.0000001"),
        (42, COMMA, "42"),
        (1.234, COMMA, "1,234"),
    ],
)
def test_stored_numbers_are_written_so_saving_them_back_reads_the_same(value, style, written):
    assert style.write(value) == written
    assert float(read_number(written, style)) == value
