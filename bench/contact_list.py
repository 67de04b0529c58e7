"""Benchmark: the contact list at 1,000,000 contacts, and its lag behind changes under load.

    DEBUG=false SECRET_KEY=bench SECURE_SSL_REDIRECT=false ALLOWED_HOSTS=testserver \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/switchboard \\
    REDIS_URL=redis://127.0.0.1:6379/12 .venv/bin/python bench/contact_list.py

In a throwaway database (`switchboard_bench_list`):

1. Loads 1,000,000 rows into the list's read model with COPY (set-up only; the projector is
   what writes it in production), each with five custom attributes, then times /contacts/
   through Django's whole stack in-process (server time, no network): the first page and a
   page 500,000 rows deep (by cursor), with and without a custom-attribute filter.
2. Starts a real Celery worker (a separate process, over Redis), creates 10,000 real contacts,
   then applies attribute changes at a steady 200 a second through `attributes_apply` and
   measures each change's lag from commit to the list (outbox row created -> delivered, which
   happens only once the projector has written the row): p50/p95/p99; and what each change cost
   in CPU, in the writers (the write and its enqueue) and in the Celery worker.

Targets (issue "The contact list as a read model"): every list page under 50 ms at p95, lag
under 1 s at p99.

With `--replica` (and `--skip-lag`), the pages are timed twice in one run: read from the
primary, and read from a real hot standby of it that this script starts on free loopback ports
(the DATABASE_URL given is not used then).
"""

import argparse
import contextlib
import io
import json
import multiprocessing
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path


def _with_a_replica() -> None:
    """`--replica`: run this benchmark again against a small primary and a real hot standby of
    it (tests/replica_cluster.py), the list read from the standby; then remove both."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.replica_cluster import Cluster, server_binaries

    binaries = server_binaries()
    if binaries is None:
        sys.exit("--replica needs the PostgreSQL server binaries (/usr/lib/postgresql/*/bin).")
    cluster = Cluster(binaries)
    try:
        cluster.start()
        env = os.environ | {
            "DATABASE_URL": cluster.url(cluster.primary_port),
            "REPLICA_DATABASE_URL": cluster.url(cluster.replica_port),
            "BENCH_ON_REPLICA": "1",
        }
        sys.exit(subprocess.run([sys.executable, *sys.argv], env=env).returncode)
    finally:
        cluster.stop()


if "--replica" in sys.argv and not os.environ.get("BENCH_ON_REPLICA"):
    _with_a_replica()

from _common import environment_line, latency_line, percentile, throwaway_database  # noqa: E402
from django.db import connection  # noqa: E402

PLANS = ["Free", "Starter", "Pro", "Enterprise"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rate", type=int, default=200, help="changes per second")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--skip-lag", action="store_true", help="Only time the pages.")
    parser.add_argument(
        "--replica",
        action="store_true",
        help="Also time the pages read from a real hot standby (started and removed here), "
        "beside the same pages read from the primary.",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this benchmark on PostgreSQL (set DATABASE_URL).")
    with throwaway_database("bench_list"):
        print(environment_line())
        load_rows(args.rows)
        if args.replica:
            time_pages_on_both_sides(args.requests, args.rows)
        else:
            time_pages(args.requests, args.rows)
        if not args.skip_lag:
            measure_lag(args)


def load_rows(n: int) -> None:
    from qualification.models import DataAttribute

    for name, data_type, options in [
        ("plan_tier", "options", PLANS),
        ("projects", "integer", []),
        ("score", "float", []),
        ("beta", "boolean", []),
        ("renews_on", "date", []),
    ]:
        DataAttribute.objects.create(
            model="contact", name=name, label=name, data_type=data_type, options=options
        )
    started = time.perf_counter()
    rng = random.Random(1)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    columns = (
        "contact_id, role, name, email, external_id, owner_id, owner_name, company_ids, "
        "company_names, tag_ids, custom_attributes, last_seen_at, signed_up_at, created_at, "
        "unsubscribed_from_emails, archived, sort_name, sort_last_seen, sort_signed_up, "
        "source_version, changed_at, projected_at"
    )
    # Offset the ids so they never collide with the real contacts made later.
    first_id = 10_000_000
    with connection.cursor() as cursor:
        raw = cursor.cursor
        chunk = 100_000
        for offset in range(0, n, chunk):
            buffer = io.StringIO()
            for i in range(offset, min(n, offset + chunk)):
                seen = base + timedelta(seconds=rng.randint(0, 30_000_000))
                custom = {
                    "plan_tier": PLANS[i % 4],
                    "projects": i % 97,
                    "score": (i % 50) / 10,
                    "beta": i % 3 == 0,
                    "renews_on": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
                }
                name = f"Person {i}"
                buffer.write(
                    "\t".join(
                        [
                            str(first_id + i),
                            "user" if i % 5 else "lead",
                            name,
                            f"person{i}@bench.example",
                            f"user-{i}",
                            "\\N",
                            "",
                            json.dumps([i % 40_000]),
                            f"Company {i % 40_000}",
                            "[]",
                            json.dumps(custom),
                            seen.isoformat(),
                            seen.isoformat(),
                            seen.isoformat(),
                            "f",
                            "f",
                            name.lower(),
                            seen.isoformat(),
                            seen.isoformat(),
                            "2",
                            seen.isoformat(),
                            seen.isoformat(),
                        ]
                    )
                    + "\n"
                )
            buffer.seek(0)
            with raw.copy(f"COPY contacts_contactlistentry ({columns}) FROM STDIN") as copy:
                copy.write(buffer.read())
        cursor.execute("ANALYZE contacts_contactlistentry")
    print(f"loaded {n:,} list rows in {time.perf_counter() - started:.0f} s")


def time_pages(requests: int, rows: int) -> None:
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from contacts.models import ContactListEntry

    call_command("collectstatic", interactive=False, verbosity=0)  # production static files
    from core.pagination import encode_cursor as _encode
    from tests.factories import UserFactory

    with contextlib.suppress(RuntimeError):  # set up by the first of two timings (--replica)
        setup_test_environment()
    client = Client()
    client.force_login(UserFactory(username="bench-agent", role="Teammate"))
    deep = (
        ContactListEntry.objects.order_by("-sort_last_seen", "-contact_id")
        .values_list("sort_last_seen", "contact_id")[rows // 2 : rows // 2 + 1]
        .get()
    )
    deep_cursor = _encode(*deep)
    pro = ContactListEntry.objects.filter(custom_attributes__contains={"plan_tier": "Pro"})
    deep_pro = (
        pro.order_by("-sort_last_seen", "-contact_id")
        .values_list("sort_last_seen", "contact_id")[rows // 8 : rows // 8 + 1]
        .get()
    )
    cases = [
        ("first page", "/contacts/"),
        (f"page {rows // 2:,} rows deep (cursor)", f"/contacts/?cursor={deep_cursor}"),
        ("first page, plan_tier is Pro", "/contacts/?cf=plan_tier&op=is&v=Pro"),
        (
            "deep page, plan_tier is Pro",
            f"/contacts/?cf=plan_tier&op=is&v=Pro&cursor={_encode(*deep_pro)}",
        ),
        ("first page, projects between 10 and 20", "/contacts/?cf=projects&op=between&v=10&v2=20"),
    ]
    print(f"/contacts/ server time over {requests} requests each (target: p95 under 50 ms)")
    for label, url in cases:
        for _ in range(10):
            client.get(url)
        times = []
        for _ in range(requests):
            t = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - t)
            assert response.status_code == 200
        assert len(response.context["page"].entries) == 50, label
        print(f"  {label:<40} {latency_line(times)}")


def time_pages_on_both_sides(requests: int, rows: int) -> None:
    """The same pages read from the primary (the list's own fallback, forced) and from the
    standby, in one run."""
    from django.conf import settings
    from django.db import connections

    from contacts.models import ContactListEntry
    from contacts.replica import contact_list_source

    replica = connections["replica"]
    replica.settings_dict["NAME"] = connection.settings_dict["NAME"]  # the throwaway database
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            if ContactListEntry.objects.using("replica").count() >= rows:
                break
        except Exception:  # the database is not on the standby yet
            replica.close()
        time.sleep(1)
    limit = settings.REPLICA_MAX_LAG_SECONDS
    for side, max_lag in (("primary", -1.0), ("replica (hot standby)", limit)):
        settings.REPLICA_MAX_LAG_SECONDS = max_lag  # -1: always "too far behind", the primary
        source = contact_list_source(fresh=True)
        print(f"-- read from the {side}: list alias {source.alias!r}")
        time_pages(requests, rows)
    settings.REPLICA_MAX_LAG_SECONDS = limit


def _write_changes(contacts, actor, begin, total, interval, offset, step) -> None:
    from django.db import connection as child_connection

    from qualification.services import attributes_apply

    child_connection.close()
    rng = random.Random(offset)
    for n in range(offset, total, step):
        delay = begin + n * interval - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        attributes_apply(
            target=rng.choice(contacts),
            values={"name": f"Renamed {n}"},
            source="rest_api",
            actor=actor,
        )
    child_connection.close()


def measure_lag(args) -> None:
    from contacts.models import Contact
    from contacts.services import contact_create
    from qualification.models import AttributeOutbox
    from qualification.outbox.delivery import outbox_sweep
    from qualification.sources import Actor

    actor = Actor("api_token", "bench", "Benchmark")
    ids = []
    started = time.perf_counter()
    for i in range(args.contacts):
        ids.append(
            contact_create(
                external_id=f"lag-{i}", values={"name": f"Lag {i}"}, source="rest_api", actor=actor
            ).pk
        )
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    outbox_sweep(max_rows=10**9)  # project the new contacts before measuring
    print(f"created {args.contacts:,} contacts in {time.perf_counter() - started:.0f} s")

    settings_dict = connection.settings_dict
    env = dict(os.environ)
    env["DATABASE_URL"] = (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/"
        f"{settings_dict['NAME']}"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel=WARNING",
            "--concurrency=2",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(4)  # let the worker connect
        first_outbox = AttributeOutbox.objects.order_by("-id").values_list("id", flat=True).first()
        total = args.rate * args.seconds
        interval = 1.0 / args.rate
        contacts = list(Contact.objects.filter(pk__in=ids))
        # Writer processes (the GIL would cap threads), each sending a share of the rate.
        writers = 4
        begin = time.perf_counter() + 1.0
        connection.close()  # children must not share the parent's database connection
        processes = [
            multiprocessing.get_context("fork").Process(
                target=_write_changes,
                args=(contacts, actor, begin, total, interval, k, writers),
            )
            for k in range(writers)
        ]
        worker_cpu, writers_cpu = _cpu_seconds(worker.pid), _reaped_children_cpu()
        for p in processes:
            p.start()
        for p in processes:
            p.join()
        writers_cpu = _reaped_children_cpu() - writers_cpu
        sent = [total]
        elapsed = time.perf_counter() - begin
        deadline = time.monotonic() + 60
        while (
            time.monotonic() < deadline
            and AttributeOutbox.objects.filter(processed_at__isnull=True).exists()
        ):
            time.sleep(0.2)
        worker_cpu = _cpu_seconds(worker.pid) - worker_cpu
        left = redis.Redis.from_url(os.environ["REDIS_URL"]).llen("celery")
        lags = [
            (processed - created).total_seconds()
            for created, processed in AttributeOutbox.objects.filter(
                id__gt=first_outbox or 0, processed_at__isnull=False
            ).values_list("created_at", "processed_at")
        ]
        pending = AttributeOutbox.objects.filter(processed_at__isnull=True).count()
        print(
            f"lag from commit to the list: {sent[0]} changes in {elapsed:.1f} s "
            f"({sent[0] / elapsed:.0f}/s), pending after: {pending}"
        )
        ms = [lag * 1000 for lag in lags]
        print(
            f"  p50 {percentile(ms, 0.5):.0f} ms  p95 {percentile(ms, 0.95):.0f} ms"
            f"  p99 {percentile(ms, 0.99):.0f} ms  max {max(ms):.0f} ms  (target: p99 under 1 s)"
        )
        print(
            f"  CPU per change: writers {writers_cpu / total * 1000:.2f} ms, Celery worker "
            f"{worker_cpu / total * 1000:.2f} ms; tasks still queued when the last row was "
            f"delivered: {left}"
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def _cpu_seconds(root: int) -> float:
    """CPU time (user + system) so far of a process and its descendants, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as f:
                    fields = f.read().rpartition(")")[2].split()
            except OSError:
                continue
            stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    total, pids = 0, [root]
    while pids:
        pid = pids.pop()
        total += stats.get(pid, (0, 0))[1]
        pids.extend(p for p, (ppid, _) in stats.items() if ppid == pid)
    return total / ticks


def _reaped_children_cpu() -> float:
    """CPU time of this process's children that have ended (the writers, once joined)."""
    times = os.times()
    return times.children_user + times.children_system


if __name__ == "__main__":
    main()
