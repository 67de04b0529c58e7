"""Numbers as a person types them. A teammate whose browser asks for German or French writes
"3,5"; one asking for English writes "3.5" and perhaps "1,234.5". `read_number` turns that text
into the canonical form the write path takes ("1234.5"), and refuses, in words, anything it
would have to guess at: "1.500" to a German reader is fifteen hundred, to most software it is
one and a half, so it is never silently taken as either."""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import get_format
from django.utils.translation.trans_real import parse_accept_lang_header

# Separators between groups of thousands that can never be a decimal mark.
_SPACES = " \u00a0\u202f'’"
_GROUPED = {sep: re.compile(rf"^[1-9]\d{{0,2}}(?:{re.escape(sep)}\d{{3}})+$") for sep in " .,"}
_DIGITS = re.compile(r"^\d+$")


class NumberNotRead(ValueError):
    """Text that is not a number in this style; the message says how to write it."""


@dataclass(frozen=True)
class NumberStyle:
    """How a person writes numbers: the decimal mark ("." or ",")."""

    decimal: str = "."

    @property
    def other(self) -> str:
        return "," if self.decimal == "." else "."

    def example(self, whole: bool) -> str:
        return "42" if whole else f"19{self.decimal}99"

    def write(self, value: int | float) -> str:
        """A stored number as this person types it, without grouping, so that saving it back
        unchanged reads the same number."""
        text = format(Decimal(repr(value)), "f") if isinstance(value, float) else str(value)
        if "." in text:
            text = text.rstrip("0").removesuffix(".")
        return text.replace(".", self.decimal)


POINT = NumberStyle(".")
COMMA = NumberStyle(",")


def number_style(accept_language: str | None) -> NumberStyle:
    """The style of the browser's first language (its Accept-Language header), as Django's
    locale formats know it; English style when there is none or it is unknown."""
    for language, _quality in parse_accept_lang_header(accept_language or ""):
        if language == "*":
            continue
        decimal = get_format("DECIMAL_SEPARATOR", lang=language)
        return COMMA if decimal == "," else POINT
    return POINT


def number_style_for(request) -> NumberStyle:
    return number_style(request.META.get("HTTP_ACCEPT_LANGUAGE"))


def read_number(text: str, style: NumberStyle, *, whole: bool = False) -> str:
    """The canonical text of the number typed ("-1234.5", "42"), or NumberNotRead whose message
    follows the field's label: "must be a number, like 19,99"."""
    expected = f"must be {'a whole number' if whole else 'a number'}, like {style.example(whole)}"
    s = text.strip().replace("\u2212", "-")
    sign = ""
    if s and s[0] in "+-":
        sign, s = s[0].replace("+", ""), s[1:].strip()
    for space in _SPACES:
        s = s.replace(space, " ")
    if not s or not all(c.isascii() and (c.isdigit() or c in ". ,") for c in s):
        raise NumberNotRead(expected)
    has_decimal, has_other = style.decimal in s, style.other in s
    if has_decimal and has_other:
        # Both marks: the last one is the decimal mark, whichever style wrote it ("1.234,5"
        # and "1,234.5" can each be read only one way).
        decimal = "," if s.rfind(",") > s.rfind(".") else "."
    elif has_decimal:
        decimal = style.decimal
    elif has_other and style.decimal == "." and _GROUPED[","].match(s):
        decimal = None  # "1,234" in English: thousands.
    elif has_other and style.decimal == ".":
        raise NumberNotRead(expected if whole else f"{expected} (a point before the decimals)")
    elif has_other and _GROUPED["."].match(s) and s.count(".") == 1:
        plain = s.replace(".", "")
        point = s.replace(".", ",").rstrip("0").removesuffix(",")
        raise NumberNotRead(f"could be read two ways: write {plain}, or {point} for a decimal")
    elif has_other and s.count(".") > 1:
        decimal = None  # "1.234.567" in German: thousands, nothing else it could be.
    elif has_other:
        decimal = "."  # "19.99" typed where a comma is usual: it can only be a decimal point.
    else:
        decimal = None
    whole_part, _, fraction = s.rpartition(decimal) if decimal else (s, "", "")
    if decimal and not whole_part:
        whole_part = "0"
    digits = _whole_digits(whole_part, decimal)
    if digits is None or (fraction and not _DIGITS.match(fraction)):
        raise NumberNotRead(expected)
    if decimal and not fraction:
        raise NumberNotRead(expected)
    if whole:
        if fraction.strip("0"):
            raise NumberNotRead(expected)
        return f"{sign}{digits}"
    return f"{sign}{digits}.{fraction}" if fraction else f"{sign}{digits}"


def _whole_digits(text: str, decimal: str | None) -> str | None:
    """The digits of the part before the decimal mark, with any grouping taken out; None if
    it is grouped wrongly ("12,34")."""
    if _DIGITS.match(text):
        return text
    for sep in (" ", ".", ","):
        if sep == decimal or sep not in text:
            continue
        return text.replace(sep, "") if _GROUPED[sep].match(text) else None
    return None
