"""The fault suite's stage: the production shape as real processes (gunicorn, a Celery worker
and beat) on this test's PostgreSQL database and a redis-server of its own, on a free loopback
port, that a test may stop and start (never the shared one). Each process can be killed with
SIGKILL, as a crash or the OOM killer would."""

import json
import shutil
import signal
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import ON_POSTGRES
from tests.processes import (
    BIN,
    free_port,
    gunicorn_args,
    start,
    stop,
    wait_for_port,
    wait_until,
)

pytestmark = pytest.mark.faults


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/faults/" not in str(item.fspath):
            continue
        if not ON_POSTGRES:
            item.add_marker(pytest.mark.skip(reason="the fault suite needs PostgreSQL"))
        elif shutil.which("redis-server") is None:
            item.add_marker(pytest.mark.skip(reason="the fault suite needs redis-server"))


class RedisServer:
    """A redis-server of the test's own, stopped and started at will on the same port."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = start(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            log=self.directory / "redis.log",
        )
        wait_for_port(self.port, 10, self.process)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None


@dataclass
class Stack:
    """gunicorn, a Celery worker and beat over `redis`, on the test database."""

    directory: Path
    redis: RedisServer
    web_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    commands: dict[str, list[str]] = field(default_factory=dict)
    restarts: int = 0

    @property
    def env(self) -> dict[str, str]:
        db = connection.settings_dict
        database_url = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
        return {
            "DATABASE_URL": database_url,
            "REDIS_URL": self.redis.url,
            "DEBUG": "true",
            "API_RATE_LIMIT_PER_MINUTE": "100000000",
            # Beat's safety net every 2 s instead of 15, so a test waits seconds, not minutes.
            "OUTBOX_SWEEP_SECONDS": "2",
            "PYTHONUNBUFFERED": "1",
        }

    def _start(self, name: str, args: list[str]) -> subprocess.Popen:
        process = start(args, env=self.env, log=self.directory / f"{name}.log")
        self.processes[name] = process
        self.commands[name] = args
        return process

    def supervise(self) -> None:
        """Restart any process that exited, as the production recipe's supervisor (systemd's
        Restart=always) does: a Celery worker exits when Redis goes away under it (kombu's
        "Unrecoverable error: AttributeError ... 'hostname'", celery/kombu#582)."""
        for name, process in list(self.processes.items()):
            if process.poll() is not None:
                self.restarts += 1
                self._start(name, self.commands[name])

    def start_web(self, workers: int = 2, timeout: int = 30) -> None:
        process = self._start("web", gunicorn_args(self.web_port, workers, timeout))
        wait_for_port(self.web_port, 30, process)

    def start_worker(self) -> None:
        celery = str(BIN / "celery")
        self._start("worker", [celery, "-A", "config", "worker", "-c", "2", "-l", "INFO"])

    def start_beat(self) -> None:
        schedule = str(self.directory / "beat-schedule")
        self._start("beat", [str(BIN / "celery"), "-A", "config", "beat", "-s", schedule])

    def kill(self, name: str) -> None:
        """kill -9, the whole process group (a worker's pool children with it)."""
        stop(self.processes.pop(name), sig=signal.SIGKILL)

    def stop_all(self) -> None:
        for name in list(self.processes):
            stop(self.processes.pop(name))

    def log(self, name: str) -> str:
        path = self.directory / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def call(self, method: str, path: str, token: str, body=None, timeout: float = 10):
        """One API request; (status, parsed body or None). A refused connection is (0, None)."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.web_port}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            return error.code, None
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return 0, None


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stack(transactional_db, tmp_path, redis_server):
    """The processes stop (in this fixture's teardown) before the test database is emptied."""
    stack = Stack(directory=tmp_path, redis=redis_server)
    yield stack
    stack.stop_all()


def report(title: str, **counts: int) -> None:
    """Print the counts a fault test is about (pytest shows them with -s, and in the CI log of
    `.ci/run`, which runs the suite with -rA)."""
    print(f"\n[faults] {title}: " + "  ".join(f"{k}={v}" for k, v in counts.items()))


__all__ = ["Stack", "report", "wait_until"]
