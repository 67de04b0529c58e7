"""{% load moments %}: `{{ value|moment }}` and `{{ value|day }}`, the only ways a page shows a
time or a date (core.moments)."""

from django import template

from core.moments import day_html, moment_html
from core.moments import moment_iso as moment_iso_text

register = template.Library()


@register.filter
def moment(value):
    """A datetime as `<time>` in the teammate's zone: "14 Nov 2023, 17:13 EST"."""
    return moment_html(value)


@register.filter
def day(value):
    """A date, zone-free: "14 Nov 2023"."""
    return day_html(value)


@register.filter
def moment_iso(value):
    """For a `<time datetime>` around other words: the moment in UTC, to the second."""
    return moment_iso_text(value) if value is not None else ""
