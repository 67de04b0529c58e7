"""Your profile: name, time zone (the browser's by default) and password, for every role; the
zone in force for a request."""

import pytest
from django.utils import timezone

from tests.factories import UserFactory
from workspace.models import Profile

pytestmark = pytest.mark.django_db
URL = "/settings/profile/"


@pytest.mark.parametrize("role", ["Admin", "Teammate", "Viewer"])
def test_every_role_edits_their_own_name_and_zone(client, role):
    me = UserFactory(username="me", role=role)
    client.force_login(me)
    client.cookies["sb_browser_tz"] = "Europe/Berlin"
    page = client.get(URL).content.decode()
    assert "Same as my browser (Europe/Berlin)" in page
    response = client.post(
        URL, {"first_name": " Ada ", "last_name": "Okafor", "time_zone": "America/New_York"}
    )
    assert response.status_code == 302
    me.refresh_from_db()
    assert (me.first_name, me.last_name) == ("Ada", "Okafor")
    assert Profile.objects.get(user=me).time_zone == "America/New_York"


def test_an_unknown_zone_is_refused_and_nothing_saved(client):
    me = UserFactory(username="me", first_name="Old", role="Viewer")
    client.force_login(me)
    response = client.post(URL, {"first_name": "New", "time_zone": "Mars/Olympus"})
    assert response.status_code == 422
    assert "Choose a time zone from the list." in response.content.decode()
    me.refresh_from_db()
    assert me.first_name == "Old" and not Profile.objects.filter(user=me).exists()


def test_the_zone_in_force_is_the_chosen_one_else_the_browsers_else_the_servers(client, settings):
    me = UserFactory(username="me", role="Viewer")
    client.force_login(me)
    assert timezone.get_default_timezone_name() == settings.TIME_ZONE
    client.cookies["sb_browser_tz"] = "Not/AZone"
    response = client.get("/settings/")
    assert response.wsgi_request.COOKIES["sb_browser_tz"] == "Not/AZone"
    from workspace.profiles import time_zone_for

    assert time_zone_for(response.wsgi_request) is None  # an invalid cookie is ignored
    client.cookies["sb_browser_tz"] = "Europe/Berlin"
    assert time_zone_for(client.get("/settings/").wsgi_request) == "Europe/Berlin"
    client.post(URL, {"first_name": "", "last_name": "", "time_zone": "Asia/Tokyo"})
    assert time_zone_for(client.get("/settings/").wsgi_request) == "Asia/Tokyo"
    client.logout()
    client.post("/accounts/login/", {"username": "me", "password": "demo"})
    assert time_zone_for(client.get("/settings/").wsgi_request) == "Asia/Tokyo"


def test_changing_the_password_keeps_you_signed_in(client):
    me = UserFactory(username="me", role="Viewer")
    client.force_login(me)
    response = client.post(
        "/settings/profile/password/",
        {
            "old_password": "demo",
            "new_password1": "correct horse battery",
            "new_password2": "correct horse battery",
        },
    )
    assert response.status_code == 302 and response["Location"] == URL
    assert client.get("/settings/").status_code == 200
    me.refresh_from_db()
    assert me.check_password("correct horse battery")


def test_the_browser_zone_cookie_is_read_as_the_browser_sends_it(client):
    """timezone.js percent-encodes the zone's slash; Django hands the cookie over undecoded."""
    client.force_login(UserFactory(role="Teammate"))
    client.cookies["sb_browser_tz"] = "America%2FNew_York"
    assert "Same as my browser (America/New_York)" in client.get(URL).content.decode()
