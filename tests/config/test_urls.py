"""The pages around the product: sign in and out, the error pages and the icon."""

import re
from pathlib import Path

import pytest
from django.test import Client

from tests.factories import UserFactory


def title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1).strip()


def main_nav(response) -> list[str]:
    nav = re.search(r'<nav[^>]*aria-label="Main"[^>]*>(.*?)</nav>', response.content.decode(), re.S)
    return re.findall(r'href="([^"]+)"', nav.group(1))


@pytest.mark.django_db
def test_the_login_page_is_titled_sign_in(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert title(response) == "Sign in | Switchboard"
    failed = client.post("/accounts/login/", {"username": "nobody", "password": "wrong"})
    assert title(failed) == "Error: Sign in | Switchboard"


@pytest.mark.django_db
def test_signing_out_is_a_post_that_ends_on_a_signed_out_page(client):
    client.force_login(UserFactory(role="Teammate"))
    inbox = client.get("/inbox/").content.decode()
    # The header's sign-out is a form that posts (a link would sign out on a prefetch).
    assert re.search(r'<form id="logout-form" method="post" action="/accounts/logout/">', inbox)

    response = client.post("/accounts/logout/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/signed-out/")
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert title(page) == "Signed out | Switchboard"
    assert "<h1>You are signed out</h1>" in page.content.decode()
    assert re.search(r'<a class="button" href="/accounts/login/">Sign in again</a>', page.text)
    assert client.get("/inbox/").status_code == 302  # really signed out

    client.force_login(UserFactory(role="Viewer", is_superuser=True, is_staff=True))
    assert client.post("/admin/logout/")["Location"] == "/accounts/signed-out/"
    assert client.get("/accounts/logout/").status_code == 405  # never by a GET


@pytest.mark.django_db
def test_not_found_is_branded_with_the_navigation_and_a_way_out(client):
    client.force_login(UserFactory(role="Teammate"))
    response = client.get("/contacts/999999/")
    assert response.status_code == 404
    assert title(response) == "Page not found | Switchboard"
    assert {"/inbox/", "/contacts/"} <= set(main_nav(response))
    assert '<a class="button" href="/inbox/">Go to the inbox</a>' in response.text
    assert client.get("/no/such/page/").status_code == 404


@pytest.mark.django_db
def test_not_found_when_signed_out_offers_the_way_in_too(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert '<a class="button" href="/inbox/">Go to the inbox</a>' in response.text


@pytest.mark.django_db
def test_forbidden_is_branded_and_says_why(client):
    viewer = UserFactory(role="Viewer", first_name="Victor", last_name="Lind")
    client.force_login(viewer)
    response = client.get("/settings/api-tokens/")
    assert response.status_code == 403
    assert title(response) == "Not allowed | Switchboard"
    assert {"/inbox/", "/contacts/"} <= set(main_nav(response))
    assert "You are signed in as Victor Lind" in response.text
    assert '<a class="button" href="/inbox/">Go to the inbox</a>' in response.text


def test_the_500_page_renders_without_a_request_or_the_database():
    # No django_db mark: any database access here would fail the test.
    from django.test import RequestFactory
    from django.urls import get_resolver

    handler = get_resolver().resolve_error_handler(500)
    response = handler(RequestFactory().get("/inbox/"))
    assert response.status_code == 500
    text = response.content.decode()
    assert "<title>Something went wrong | Switchboard</title>" in text
    assert re.findall(
        r'<nav aria-label="Main"><a href="([^"]+)">Inbox</a><a href="([^"]+)"', text
    ) == [("/inbox/", "/contacts/")]
    # Its look comes from a file (the Content-Security-Policy forbids inline style).
    assert '<link rel="stylesheet" href="/static/switchboard/error.css">' in text
    assert "<style" not in text


def test_the_500_pages_stylesheet_is_a_static_file():
    from django.contrib.staticfiles import finders

    assert "--header-bg" in Path(finders.find("switchboard/error.css")).read_text()


@pytest.mark.django_db
@pytest.mark.urls("tests.config.boom_urls")
def test_an_unexpected_error_shows_the_branded_500_page():
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(role="Teammate"))
    response = client.get("/boom/")
    assert response.status_code == 500
    assert title(response) == "Something went wrong | Switchboard"
    assert '<a href="/inbox/">go to the inbox</a>' in response.text


def test_favicon_is_our_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg") and b"</svg>" in response.content
    assert "max-age=86400" in response["Cache-Control"]
