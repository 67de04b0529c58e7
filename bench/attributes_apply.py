"""Benchmark: 10,000 attribute changes through `attributes_apply`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/switchboard \
        .venv/bin/python bench/attributes_apply.py

Runs in a throwaway database (`switchboard_bench`, dropped at the end). Prints changes per
second and per-call latency for: a baseline of plain single-column UPDATEs (what the database
alone costs), one change per call (the inline-edit shape), and five changes per call (the API
shape). With REDIS_URL unset, outbox delivery runs in-process after each commit and is included.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402


def percentile(samples, q):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(label, changes, seconds, latencies):
    ms = [s * 1000 for s in latencies]
    print(
        f"{label:<38} {changes / seconds:>9,.0f} changes/s   "
        f"per call p50 {percentile(ms, 0.5):.2f} ms  p95 {percentile(ms, 0.95):.2f} ms  "
        f"p99 {percentile(ms, 0.99):.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--contacts", type=int, default=1_000)
    args = parser.parse_args()

    connection.settings_dict.setdefault("TEST", {})["NAME"] = (
        "switchboard_bench"
        if connection.vendor == "postgresql"
        else str(Path(__file__).parent / "bench.sqlite3")
    )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args) -> None:
    from contacts.models import Contact
    from contacts.services import contact_create
    from qualification.models import DataAttribute
    from qualification.services import Actor, Source, attributes_apply

    delivery = "Celery over Redis" if os.environ.get("REDIS_URL") else "in-process"
    print(f"database: {connection.vendor}  outbox delivery: {delivery}  changes: {args.changes}")
    for name, data_type in [
        ("plan_tier", "string"),
        ("projects", "integer"),
        ("score", "float"),
        ("beta", "boolean"),
        ("renews_on", "date"),
    ]:
        DataAttribute.objects.create(model="contact", name=name, label=name, data_type=data_type)
    actor = Actor("api_token", "bench", "Benchmark")
    with transaction.atomic():
        ids = [
            contact_create(
                external_id=f"bench-{i}",
                values={"name": f"Person {i}", "email": f"p{i}@bench.example"},
                source=Source.REST_API,
                actor=actor,
            ).pk
            for i in range(args.contacts)
        ]
    contacts = list(Contact.objects.filter(pk__in=ids))
    n = args.changes

    # Baseline: one plain UPDATE of one column per change, each in its own transaction.
    latencies = []
    started = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        with transaction.atomic():
            Contact.objects.filter(pk=ids[i % len(ids)]).update(name=f"Baseline {i}")
        latencies.append(time.perf_counter() - t)
    report("baseline: plain UPDATE", n, time.perf_counter() - started, latencies)

    def one_change(i):
        which = i % 3
        if which == 0:
            return {"name": f"Renamed {i}"}
        if which == 1:
            return {"projects": i}
        return {"plan_tier": f"tier-{i}"}

    latencies = []
    started = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        attributes_apply(
            target=contacts[i % len(contacts)],
            values=one_change(i),
            source=Source.REST_API,
            actor=actor,
        )
        latencies.append(time.perf_counter() - t)
    report("attributes_apply, 1 change per call", n, time.perf_counter() - started, latencies)

    latencies = []
    calls = n // 5
    started = time.perf_counter()
    for i in range(calls):
        t = time.perf_counter()
        attributes_apply(
            target=contacts[i % len(contacts)],
            values={
                "name": f"Batch {i}",
                "projects": i + 1,
                "score": i / 7,
                "beta": i % 2 == 0,
                "renews_on": f"2027-01-{1 + i % 28:02d}",
            },
            source=Source.REST_API,
            actor=actor,
        )
        latencies.append(time.perf_counter() - t)
    report(
        "attributes_apply, 5 changes per call", calls * 5, time.perf_counter() - started, latencies
    )


if __name__ == "__main__":
    main()
