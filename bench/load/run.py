"""The load test: the production shape on this machine, driven by Locust, headless.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/switchboard \
    REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/load/run.py

In a throwaway database (`<name>_load`, dropped at the end) it loads the demo workspace
(`seed_demo --contacts 1000 --conversations 300`), then starts, all on 127.0.0.1: gunicorn
(four sync workers, the README's recipe), nginx in front of it with deploy/nginx.conf if nginx
is installed, a Celery worker and beat. Locust (bench/load/locustfile.py) then runs, each stage
a fresh headless run:

1. the /healthz ceiling: `--ceiling-users` users asking as fast as answers come;
2. the steady load: `--steady-users` users of the mix (teammates and API clients);
3. steps of `--steps` users of the mix, to find the highest load held with p95 under 500 ms
   and no errors (after a 10 s warm-up run of the mix that is not reported).

It prints throughput, p50/p95/p99 and errors per stage, and the same run's /healthz ceiling
beside them. Teammates start signed in (sessions made here): sign-in's deliberately slow
password hashing is not part of the mix. The machine's cores are shared by Locust itself.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent.parent))

from _common import throwaway_database  # noqa: E402

from tests.processes import (  # noqa: E402
    BIN,
    ROOT,
    free_port,
    gunicorn_args,
    nginx_args,
    nginx_binary,
    nginx_config,
    start,
    stop,
    wait_for_port,
)

P95_LIMIT_MS = 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=20, help="length of each stage")
    parser.add_argument("--ceiling-users", type=int, default=20)
    parser.add_argument("--steady-users", type=int, default=5)
    parser.add_argument("--steps", type=int, nargs="+", default=[5, 10, 20, 40, 80, 160])
    parser.add_argument("--web-workers", type=int, default=4)
    args = parser.parse_args()
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        sys.exit(
            "Set DATABASE_URL (PostgreSQL) and REDIS_URL: the load test runs production's shape."
        )
    with throwaway_database("load"), tempfile.TemporaryDirectory() as scratch:
        run(args, Path(scratch))


def _fixture(scratch: Path) -> Path:
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.urls import reverse

    from contacts.models import Contact
    from inbox.models import Conversation
    from qualification.models import DataAttribute
    from workspace.tokens import SCOPES, api_token_create

    started = time.monotonic()
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", contacts=1000, companies=80, conversations=300, stdout=quiet)
    print(f"demo workspace loaded in {time.monotonic() - started:.0f} s")
    agent = get_user_model().objects.get(username="agent")
    sessions = []
    for _ in range(200):
        session = SessionStore()
        session[SESSION_KEY] = str(agent.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = agent.get_session_auth_hash()
        session.create()
        sessions.append(session.session_key)
    contacts = list(Contact.objects.values_list("pk", flat=True))
    job_title = DataAttribute.objects.get(model="contact", name="job_title")
    edits = [
        {
            "edit": reverse("attribute-edit", args=["contact", pk, job_title.pk]),
            "row": reverse("attribute-row", args=["contact", pk, job_title.pk]),
        }
        for pk in contacts[:500]
    ]
    fixture = {
        "sessions": sessions,
        "contacts": contacts,
        "conversations": list(Conversation.objects.values_list("pk", flat=True)),
        "edits": edits,
        "token": api_token_create(name="Load test", scopes=SCOPES)[1],
    }
    path = scratch / "fixture.json"
    path.write_text(json.dumps(fixture))
    return path


def _stage(name: str, host: str, fixture: Path, scratch: Path, users: int, seconds: int, classes):
    prefix = scratch / name
    subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            str(HERE / "locustfile.py"),
            "--headless",
            "--only-summary",
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{seconds}s",
            "--host",
            host,
            "--csv",
            str(prefix),
            "--loglevel",
            "ERROR",
            *classes,
        ],
        env={**os.environ, "SWITCHBOARD_LOAD_FIXTURE": str(fixture)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    with open(f"{prefix}_stats.csv") as stats:
        rows = {row["Name"]: row for row in csv.DictReader(stats)}
    total = rows["Aggregated"]
    figures = {
        "users": users,
        "requests": int(total["Request Count"]),
        "errors": int(total["Failure Count"]),
        "rps": _number(total["Requests/s"]),
        "p50": _number(total["50%"]),
        "p95": _number(total["95%"]),
        "p99": _number(total["99%"]),
    }
    slowest = sorted(
        (r for n, r in rows.items() if n != "Aggregated"), key=lambda r: -_number(r["95%"])
    )[:3]
    figures["slowest"] = ", ".join(f"{r['Name']} p95 {_number(r['95%']):.0f} ms" for r in slowest)
    return figures


def _number(text: str) -> float:
    return float(text) if text not in ("", "N/A") else float("nan")


def _line(label: str, f: dict, ceiling: float | None) -> str:
    beside = f"  ({f['rps'] / ceiling:.0%} of the /healthz ceiling)" if ceiling else ""
    return (
        f"{label:<22} {f['users']:>3} users  {f['rps']:7.1f} req/s  p50 {f['p50']:5.0f} ms  "
        f"p95 {f['p95']:5.0f} ms  p99 {f['p99']:5.0f} ms  errors {f['errors']}/{f['requests']}"
        f"{beside}"
    )


def run(args, scratch: Path) -> None:
    from django.db import connection

    fixture = _fixture(scratch)
    db = connection.settings_dict
    env = {
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "DEBUG": "true",  # plain http on loopback: production's settings would want TLS
        "API_RATE_LIMIT_PER_MINUTE": "100000000",
    }
    web_port = free_port()
    processes = [
        start(gunicorn_args(web_port, workers=args.web_workers), env=env, log=scratch / "web.log"),
        start([str(BIN / "celery"), "-A", "config", "worker", "-c", "2", "-l", "WARNING"], env=env),
        start(
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "beat",
                "-l",
                "WARNING",
                "-s",
                str(scratch / "beat"),
            ],
            env=env,
        ),  # fmt: skip
    ]
    try:
        wait_for_port(web_port, 60, processes[0])
        port, front = web_port, "gunicorn directly (nginx is not installed)"
        if nginx_binary():
            port = free_port()
            config = nginx_config(
                scratch, port=port, upstream_port=web_port, static_root=ROOT / "static"
            )
            processes.append(start(nginx_args(config), log=scratch / "nginx.log"))
            wait_for_port(port, 20, processes[-1])
            front = "nginx (deploy/nginx.conf) in front of gunicorn"
        host = f"http://127.0.0.1:{port}"
        print(f"{front}, {args.web_workers} sync workers; Celery worker (2) and beat; "
              f"PostgreSQL and Redis; all on 127.0.0.1; {os.cpu_count()} cores; "
              f"load average {os.getloadavg()[0]:.1f} before")  # fmt: skip
        ceiling = _stage(
            "ceiling", host, fixture, scratch, args.ceiling_users, args.seconds, ["Healthz"]
        )
        print(_line("/healthz ceiling", ceiling, None))
        mix = ["Teammate", "ApiClient"]
        # Not reported: every gunicorn worker's first pages load templates and caches.
        _stage("warm-up", host, fixture, scratch, args.steady_users, 10, mix)
        steady = _stage("steady", host, fixture, scratch, args.steady_users, args.seconds, mix)
        print(_line("steady mix", steady, ceiling["rps"]))
        print(f"{'':<22} slowest: {steady['slowest']}")
        held = None
        for users in args.steps:
            step = _stage(f"step{users}", host, fixture, scratch, users, args.seconds, mix)
            ok = step["p95"] < P95_LIMIT_MS and step["errors"] == 0
            print(_line(f"step {'held' if ok else 'NOT held'}", step, ceiling["rps"]))
            print(f"{'':<22} slowest: {step['slowest']}")
            if not ok:
                break
            held = step
        print(f"load average {os.getloadavg()[0]:.1f} after")
        if held:
            print(_line(f"highest held (p95<{P95_LIMIT_MS})", held, ceiling["rps"]))
        else:
            print(f"no step held p95 under {P95_LIMIT_MS} ms with no errors")
    finally:
        for process in reversed(processes):
            stop(process)


if __name__ == "__main__":
    main()
