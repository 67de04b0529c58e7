"""Keyset ("cursor") pagination on (a timestamp, id), newest first: constant cost on any page,
and stable while new rows arrive."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

from core.cursors import cursor_decode, cursor_encode


def encode_cursor(moment: datetime, pk: int) -> str:
    return cursor_encode(moment.isoformat(), pk)


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    parts = cursor_decode(cursor)
    try:
        moment, pk = parts or ()
        parsed = parse_datetime(moment)
        return (parsed, int(pk)) if parsed else None
    except ValueError:
        return None


@dataclass
class Page:
    items: list
    next_cursor: str | None
    is_first: bool


def keyset_page(queryset: QuerySet, *, field: str, cursor: str | None, size: int) -> Page:
    queryset = queryset.order_by(f"-{field}", "-pk")
    position = decode_cursor(cursor) if cursor else None
    if position:
        moment, pk = position
        # The leading range condition lets the database walk the index from the cursor.
        queryset = queryset.filter(**{f"{field}__lte": moment}).filter(
            Q(**{f"{field}__lt": moment}) | Q(pk__lt=pk)
        )
    items = list(queryset[: size + 1])
    next_cursor = None
    if len(items) > size:
        items = items[:size]
        last = items[-1]
        next_cursor = encode_cursor(getattr(last, field), last.pk)
    return Page(items=items, next_cursor=next_cursor, is_first=position is None)
