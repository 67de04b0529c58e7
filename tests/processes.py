"""Real server processes for tests that need them (gunicorn, nginx, redis-server, a Celery
worker): started on free loopback ports, waited for, and stopped by their own process id."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, seconds: float = 20, process: subprocess.Popen | None = None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process {process.args!r} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


def wait_until(condition, seconds: float = 30, every: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(every)
    return condition()


def stop(process: subprocess.Popen, sig=signal.SIGTERM, seconds: float = 10) -> None:
    """Stop one process we started (its whole process group: gunicorn's and Celery's children
    go with it)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(seconds)


def start(args: list[str], env: dict | None = None, log: Path | None = None) -> subprocess.Popen:
    """A process in a group of its own, so stop() reaches its children and nothing else."""
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        args,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@contextmanager
def running(args, *, port: int | None = None, env=None, log=None, seconds: float = 30):
    process = start(args, env=env, log=log)
    try:
        if port is not None:
            wait_for_port(port, seconds, process)
        yield process
    finally:
        stop(process)


def gunicorn_args(port: int, workers: int = 2, timeout: int = 30) -> list[str]:
    return [
        str(BIN / "gunicorn"),
        "config.wsgi",
        "--workers",
        str(workers),
        "--timeout",
        str(timeout),
        "--bind",
        f"127.0.0.1:{port}",
    ]


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def nginx_config(directory: Path, *, port: int, upstream_port: int, static_root: Path) -> Path:
    """deploy/nginx.conf as shipped, with only its marked lines (and where it keeps its pid,
    logs and temporary files) moved into `directory` and onto loopback ports."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    replacements = {
        "pid /run/nginx-switchboard.pid;": f"pid {directory}/nginx.pid;",
        "error_log /var/log/nginx/switchboard-error.log warn;": (
            f"error_log {directory}/error.log warn;"
        ),
        "access_log /var/log/nginx/switchboard-access.log;": (
            f"access_log {directory}/access.log;\n"
            + "".join(
                f"    {kind}_temp_path {directory}/{kind};\n"
                for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
            )
        ),
        "server 127.0.0.1:8000 ": f"server 127.0.0.1:{upstream_port} ",
        "listen 80;": f"listen 127.0.0.1:{port};",
        "alias /srv/switchboard/staticfiles/;": f"alias {static_root}/;",
    }
    for shipped, here in replacements.items():
        assert text.count(shipped) == 1, f"deploy/nginx.conf no longer has {shipped!r}"
        text = text.replace(shipped, here)
    path = directory / "nginx.conf"
    path.write_text(text)
    return path


def nginx_args(config: Path) -> list[str]:
    return [nginx_binary(), "-c", str(config), "-g", "daemon off;"]
