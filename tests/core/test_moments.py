from datetime import UTC, date, datetime

import pytest
from django.utils import timezone

from core.moments import day_html, day_text, moment_html, moment_iso, moment_text

MOMENT = datetime(2023, 11, 14, 22, 13, 5, 123456, tzinfo=UTC)


@pytest.fixture
def zone():
    def activate(name):
        timezone.activate(name)

    yield activate
    timezone.deactivate()


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("America/New_York", "14 Nov 2023, 17:13 EST"),
        ("Europe/Berlin", "14 Nov 2023, 23:13 CET"),
        ("Asia/Kolkata", "15 Nov 2023, 03:43 IST"),
        ("UTC", "14 Nov 2023, 22:13 UTC"),
    ],
)
def test_a_moment_is_shown_in_the_active_zone_with_the_zone(zone, name, shown):
    zone(name)
    assert moment_text(MOMENT) == shown


def test_summer_time_shows_its_own_abbreviation(zone):
    zone("America/New_York")
    assert moment_text(datetime(2024, 7, 1, 16, 0, tzinfo=UTC)) == "1 Jul 2024, 12:00 EDT"


def test_without_a_teammate_zone_the_server_default_is_used():
    timezone.deactivate()
    assert moment_text(MOMENT) == "14 Nov 2023, 22:13 UTC"


def test_naive_moments_are_taken_as_utc(zone):
    zone("America/New_York")
    assert moment_text(datetime(2023, 11, 14, 22, 13)) == "14 Nov 2023, 17:13 EST"


def test_a_date_is_the_same_day_everywhere(zone):
    zone("Pacific/Honolulu")
    assert day_text(date(2026, 1, 31)) == "31 Jan 2026"


def test_the_day_of_a_moment_is_the_teammates_day(zone):
    zone("America/New_York")
    # 03:00 UTC on the 15th is still the evening of the 14th in New York.
    assert day_text(datetime(2023, 11, 15, 3, 0, tzinfo=UTC)) == "14 Nov 2023"


def test_html_is_a_time_element_with_utc_for_machines_and_local_for_people(zone):
    zone("America/New_York")
    html = moment_html(MOMENT)
    assert html.startswith('<time datetime="2023-11-14T22:13:05Z" title="')
    assert html.endswith('">14 Nov 2023, 17:13 EST</time>')
    assert moment_iso(MOMENT) == "2023-11-14T22:13:05Z"
    assert day_html(date(2026, 1, 31)) == '<time datetime="2026-01-31">31 Jan 2026</time>'
    assert moment_html(None) == "" and day_html(None) == ""
