"""The project's own contracts: the login page, request ids, production settings."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_login_page_and_demo_login(client):
    from tests.factories import UserFactory

    UserFactory(username="agent", role="Teammate")
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b"Switchboard" in page.content
    assert b"csrfmiddlewaretoken" in page.content
    response = client.post("/accounts/login/", {"username": "agent", "password": "demo"})
    assert response.status_code == 302


def test_every_response_carries_a_request_id(client, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]  # the test client's address
    response = client.get("/accounts/login/", headers={"X-Request-Id": "proxy-abc-123"})
    assert response["X-Request-Id"] == "proxy-abc-123"
    generated = client.get("/accounts/login/", headers={"X-Request-Id": "bad id; drop table"})
    assert len(generated["X-Request-Id"]) == 32


def test_production_settings_pass_check_deploy():
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DATABASE_URL",
            "REDIS_URL",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env |= {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "switchboard.example",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"} | {"DEBUG": "false"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is false" in result.stderr


@pytest.mark.django_db
def test_api_docs_are_served_from_the_package_not_a_cdn(client):
    import re

    html = client.get("/api/docs").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert all(a.startswith("/static/") for a in assets), assets
    assert client.get("/api/openapi.json").json()["info"]["title"] == "Switchboard REST API"
