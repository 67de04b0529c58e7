"""The contact list on a real streaming replica (contacts.replica): a small primary and a hot
standby of it (initdb + pg_basebackup -R, ../shared/TESTING.md), and the app served from them
in its own process, driven over HTTP like a teammate and an API client would.

Replay is paused to make the replica lag on purpose; the replica is stopped to make it
unreachable. Skipped only where the PostgreSQL server binaries are missing."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.replica_cluster import Cluster, free_port, server_binaries

ROOT = Path(__file__).resolve().parents[2]
MAX_LAG_SECONDS = 8  # the app's REPLICA_MAX_LAG_SECONDS here


SETUP = """
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from contacts.services import contact_create
from qualification.sources import Actor, Source
from workspace.tokens import api_token_create

user = get_user_model().objects.create_user("agent", password="demo", first_name="Priya")
user.groups.add(Group.objects.get(name="Teammate"))
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
_, secret = api_token_create(name="Sync", scopes=["contacts:read", "contacts:write"])
ada = contact_create(
    values={"name": "Ada Lovelace", "email": "ada@example.com"},
    source=Source.REST_API,
    actor=Actor("api_token", "1", "Sync"),
)
print(json.dumps({"session": session.session_key, "token": secret, "ada": ada.pk}))
"""


@pytest.fixture(scope="module")
def cluster():
    binaries = server_binaries()
    if binaries is None:
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup under "
            "/usr/lib/postgresql/*/bin) are missing: install the postgresql package to run the "
            "real-replica tests."
        )
    cluster = Cluster(binaries)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def app(cluster):
    """The app on the primary, its contact list on the replica; tasks in-process (no broker),
    so a change is projected on the primary as it commits and only replay can hold it back."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "DATABASE_URL", "REPLICA_DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env |= {
        "DATABASE_URL": cluster.url(cluster.primary_port),
        "REPLICA_DATABASE_URL": cluster.url(cluster.replica_port),
        "REPLICA_MAX_LAG_SECONDS": str(MAX_LAG_SECONDS),
        "DEBUG": "true",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True, capture_output=True)
    made = subprocess.run(
        [*manage, "shell", "-c", SETUP], env=env, check=True, capture_output=True, text=True
    )
    made = json.loads(made.stdout.strip().splitlines()[-1])
    port = free_port()
    log = open(cluster.dir.parent / f"{cluster.dir.name}-app.log", "w+")  # noqa: SIM115
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _until(lambda: _answers(f"{base}/healthz"), "the app to start")
        yield {**made, "base": base, "log": log}
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
        os.unlink(log.name)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _until(condition, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"Waited {timeout:.0f} s for {what}.")


def contact_list(app) -> str:
    response = httpx.get(f"{app['base']}/contacts/", cookies={"sessionid": app["session"]})
    assert response.status_code == 200
    return " ".join(re.sub(r"<[^>]+>", " ", response.text).split())


def list_when(app, holds, what: str) -> str:
    """The contact list page, once `holds(page)` is true."""

    def page_if_it_holds():
        page = contact_list(app)
        return page if holds(page) else None

    return _until(page_if_it_holds, what)


def ada_row(page: str) -> str:
    """The text of Ada's row: from her name to the end of the row's status cell."""
    match = re.search(r"(Ada (?:Lovelace|King) ada@example\.com .*?)(?= \w+ \w+@| Segments)", page)
    assert match, page
    return match.group(1)


def freshness(page: str) -> str:
    return page[page.index("The contact list is") : page.index("Why can a change")]


def rename(app, name: str) -> None:
    response = httpx.put(
        f"{app['base']}/api/contacts/{app['ada']}",
        json={"name": name},
        headers={"Authorization": f"Bearer {app['token']}", "Accept": "application/json"},
    )
    assert response.status_code == 200, response.text


def test_paused_replay_keeps_the_old_name_marked_pending_and_reports_the_delay(cluster, app):
    page = list_when(app, lambda p: "Ada Lovelace" in p, "Ada on the replica")
    assert "Read from the replica database, which has every change." in freshness(page)
    assert "Update pending" not in ada_row(page)

    cluster.sql(cluster.replica_port, "SELECT pg_wal_replay_pause()")
    try:
        rename(app, "Ada King")
        time.sleep(1.5)  # a delay the line can show in whole seconds
        page = contact_list(app)
        row = ada_row(page)
        assert "Ada Lovelace" in row and "Update pending" in row  # the replica's copy, marked
        line = freshness(page)
        assert re.search(r"Read from the replica database, \d+(\.\d)? s behind the primary", line)
        assert "The contact list is up to date." not in line
    finally:
        cluster.sql(cluster.replica_port, "SELECT pg_wal_replay_resume()")

    # The row and the line each catch up within a moment (the line's look at the replica is
    # at most a second old).
    page = list_when(
        app,
        lambda p: "Update pending" not in ada_row(p) and "which has every change" in freshness(p),
        "the replica to catch up",
    )
    assert "Ada King" in ada_row(page)


def test_a_replica_too_far_behind_is_left_for_the_primary_until_it_catches_up(cluster, app):
    _until(lambda: "which has every change" in contact_list(app), "a replica with every change")
    cluster.sql(cluster.replica_port, "SELECT pg_wal_replay_pause()")
    try:
        rename(app, "Ada Byron")
        time.sleep(MAX_LAG_SECONDS + 1.5)
        page = contact_list(app)
        assert "Ada Byron" in page  # the primary's copy: current
        assert re.search(
            r"The replica database is \d+ seconds behind, so the list is read from the primary "
            r"until it catches up\.",
            freshness(page),
        )
    finally:
        cluster.sql(cluster.replica_port, "SELECT pg_wal_replay_resume()")
    _until(lambda: "which has every change" in contact_list(app), "reading the replica again")
    app["log"].seek(0)
    log = app["log"].read()
    assert "s behind (limit 8.0 s); reading from the primary." in log
    assert "the replica has recovered; reading from it again." in log


def test_a_stopped_replica_leaves_the_list_on_the_primary_saying_so(cluster, app):
    _until(lambda: "which has every change" in contact_list(app), "a replica with every change")
    cluster.stop_replica()
    try:
        rename(app, "Ada Lovelace")
        page = list_when(app, lambda p: "can't be reached" in p, "the list to leave the replica")
        assert "Ada Lovelace" in ada_row(page)
        assert (
            "The replica database can't be reached, so the list is read from the primary for now."
            in freshness(page)
        )
    finally:
        cluster.start_replica()
    _until(lambda: "which has every change" in contact_list(app), "reading the replica again")
    app["log"].seek(0)
    assert "the replica cannot be reached; reading from the primary." in app["log"].read()
