"""Keyset ("cursor") pagination on (a sort column, the row id): constant cost on any page, and
stable while new rows arrive. The inbox, the contact list and the events API page this way;
the cursor is opaque (core.cursors) and carries the last row's sort value and id."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

from .cursors import SEPARATOR, cursor_decode, cursor_encode


def keyset_after(
    queryset: QuerySet, *, field: str, id_field: str, position: tuple[Any, int], descending: bool
) -> QuerySet:
    """The rows after `position` (a sort value and an id) in (field, id) order. The leading
    range condition lets the database walk the sort index from the cursor."""
    value, pk = position
    beyond, up_to = ("lt", "lte") if descending else ("gt", "gte")
    return queryset.filter(**{f"{field}__{up_to}": value}).filter(
        Q(**{f"{field}__{beyond}": value}) | Q(**{f"{id_field}__{beyond}": pk})
    )


def encode_cursor(value: Any, pk: int) -> str:
    return cursor_encode(value.isoformat() if isinstance(value, datetime) else value, pk)


def decode_cursor(cursor: str, *, is_date: bool = True) -> tuple[Any, int] | None:
    """The (sort value, id) a cursor holds, or None if it is not one of ours."""
    try:
        *text, pk = cursor_decode(cursor) or ()
        text = SEPARATOR.join(text)  # a text sort value may itself hold the separator
        value = parse_datetime(text) if is_date else text
        return (value, int(pk)) if value is not None else None
    except ValueError:
        return None


@dataclass
class Page:
    items: list
    next_cursor: str | None
    is_first: bool


def keyset_page(
    queryset: QuerySet,
    *,
    field: str,
    cursor: str | None,
    size: int,
    descending: bool = True,
    id_field: str = "pk",
    is_date: bool = True,
) -> Page:
    """One page of `queryset` in (field, id) order, after `cursor`; a cursor that is not
    ours starts from the top."""
    prefix = "-" if descending else ""
    queryset = queryset.order_by(f"{prefix}{field}", f"{prefix}{id_field}")
    position = decode_cursor(cursor, is_date=is_date) if cursor else None
    if position:
        queryset = keyset_after(
            queryset, field=field, id_field=id_field, position=position, descending=descending
        )
    items = list(queryset[: size + 1])
    next_cursor = None
    if len(items) > size:
        items = items[:size]
        last = items[-1]
        next_cursor = encode_cursor(getattr(last, field), getattr(last, id_field))
    return Page(items=items, next_cursor=next_cursor, is_first=position is None)
