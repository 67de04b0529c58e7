"""How many rows a list holds, at a bounded cost: exact up to COUNT_LIMIT, "10,000+" beyond.
Counting every match of a broad filter over millions of rows would cost more than the page
itself; counting at most COUNT_LIMIT + 1 of them (a LIMIT subquery) keeps it cheap on any filter.
"""

from dataclasses import dataclass

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import QuerySet

# Read at call time, so a test can lower it instead of creating 10,001 rows.
COUNT_LIMIT = 10_000


@dataclass(frozen=True)
class BoundedCount:
    value: int  # exact when not more, else the limit
    more: bool  # there are more than `value`

    @property
    def label(self) -> str:
        return f"{intcomma(self.value)}+" if self.more else intcomma(self.value)


def bounded_count(queryset: QuerySet, *, id_field: str = "pk") -> BoundedCount:
    """SELECT COUNT(*) FROM (SELECT id ... LIMIT COUNT_LIMIT + 1): one query, whatever the
    filter matches."""
    limit = COUNT_LIMIT
    found = queryset.order_by().values(id_field)[: limit + 1].count()
    return BoundedCount(value=min(found, limit), more=found > limit)


def page_count(queryset: QuerySet, *, items: list, is_first: bool, has_more: bool, **kwargs):
    """The count for a list page: a first page that holds every match is its own count (no
    query); otherwise a bounded count."""
    if is_first and not has_more:
        return BoundedCount(value=len(items), more=False)
    return bounded_count(queryset, **kwargs)
