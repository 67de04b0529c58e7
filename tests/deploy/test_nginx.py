"""deploy/nginx.conf in front of gunicorn (issue 16, finding 6): two connections that never
finish their headers hold both of gunicorn's sync workers when it faces clients itself, and
delay nobody behind nginx. Runs where nginx is installed (`.ci/run` installs it)."""

import socket
import time
import urllib.request

import pytest

from tests.processes import (
    ROOT,
    free_port,
    gunicorn_args,
    nginx_args,
    nginx_binary,
    nginx_config,
    running,
)

pytestmark = pytest.mark.skipif(
    nginx_binary() is None, reason="nginx is not installed (apt-get install nginx)"
)

# The web process alone: /healthz touches no database.
WEB_ENV = {"DATABASE_URL": "", "REDIS_URL": "", "SQLITE_PATH": ":memory:", "DEBUG": "true"}


def _stalled(port: int) -> socket.socket:
    """A connection that starts a request and never finishes its headers."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    return sock


def _get(port: int, path: str, timeout: float) -> tuple[int, bytes, float]:
    started = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as response:
        return response.status, response.read(), time.monotonic() - started


@pytest.fixture
def gunicorn(tmp_path):
    port = free_port()
    with running(gunicorn_args(port, workers=2), port=port, env=WEB_ENV, log=tmp_path / "g.log"):
        yield port


@pytest.fixture
def nginx(tmp_path, gunicorn):
    port = free_port()
    config = nginx_config(tmp_path, port=port, upstream_port=gunicorn, static_root=ROOT / "static")
    with running(nginx_args(config), port=port, log=tmp_path / "nginx.out"):
        yield port


def test_stalled_clients_hold_gunicorns_workers_when_it_faces_them(gunicorn):
    """What the proxy is for: without it, two stalled connections take both workers."""
    _get(gunicorn, "/healthz", timeout=30)  # both workers booted
    stalled = [_stalled(gunicorn) for _ in range(2)]
    try:
        time.sleep(0.5)  # each worker has taken one
        with pytest.raises(TimeoutError):
            _get(gunicorn, "/healthz", timeout=3)
    finally:
        for sock in stalled:
            sock.close()


def test_stalled_clients_do_not_block_a_request_through_nginx(nginx):
    _get(nginx, "/healthz", timeout=30)  # both workers booted
    stalled = [_stalled(nginx) for _ in range(2)]
    try:
        time.sleep(0.5)
        # Stalled clients hold gunicorn's workers for its whole --timeout (30 s): well under
        # that, even on a busy machine, means they hold none.
        statuses = [_get(nginx, "/healthz", timeout=10) for _ in range(5)]
    finally:
        for sock in stalled:
            sock.close()

    assert [(status, body) for status, body, _ in statuses] == [(200, b"ok")] * 5


def test_nginx_serves_static_files_itself(nginx):
    status, body, _ = _get(nginx, "/static/switchboard/favicon.svg", timeout=5)
    with urllib.request.urlopen(
        f"http://127.0.0.1:{nginx}/static/switchboard/favicon.svg", timeout=5
    ) as response:
        cache_control = response.headers["Cache-Control"]
    assert status == 200
    assert body == (ROOT / "static" / "switchboard" / "favicon.svg").read_bytes()
    assert cache_control == "public, max-age=31536000, immutable"
