"""One way to show a moment or a day to a person, everywhere: "14 Nov 2023, 17:13 EST" in the
time zone active for the request (the teammate's, see workspace.middleware), and "14 Nov 2023"
for a day, which has no zone. Pages, history, provenance sentences and event metadata all call
these, so a teammate never has to work out which clock a time was written in."""

from datetime import UTC, date, datetime

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString

MOMENT_FORMAT = "j M Y, H:i T"
DAY_FORMAT = "j M Y"


def moment_text(value: datetime) -> str:
    """The moment in the active zone, with the zone's abbreviation. Naive values are UTC."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return date_format(timezone.localtime(value), MOMENT_FORMAT)


def _day(value: date) -> date:
    """A date as it is; a datetime's day where the teammate is."""
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def day_text(value: date) -> str:
    """A calendar day: a date attribute is the same day in every zone."""
    return date_format(_day(value), DAY_FORMAT)


def moment_iso(value: datetime) -> str:
    """Machine-readable UTC for <time datetime>, to the second."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def moment_html(value: datetime | None) -> SafeString | str:
    """`<time>` showing the moment; how long ago it was is its title."""
    if value is None:
        return ""
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        moment_iso(value),
        naturaltime(value),
        moment_text(value),
    )


def day_html(value: date | None) -> SafeString | str:
    if value is None:
        return ""
    value = _day(value)
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), day_text(value))
