"""Benchmark: 10,000 attribute changes through `attributes_apply`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/switchboard \
        .venv/bin/python bench/attributes_apply.py

Runs in a throwaway database (`switchboard_bench`, dropped at the end). Prints changes per
second and per-call latency for: a baseline of plain single-column UPDATEs (what the database
alone costs), one change per call (the inline-edit shape), and five changes per call (the API
shape). With REDIS_URL unset, outbox delivery runs in-process after each commit and is included.
"""

import argparse
import time

from _common import environment_line, latency_line, throwaway_database
from django.db import transaction


def report(label, changes, seconds, latencies):
    print(f"{label:<38} {changes / seconds:>9,.0f} changes/s   per call {latency_line(latencies)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--contacts", type=int, default=1_000)
    args = parser.parse_args()
    with throwaway_database("bench"):
        run(args)


def run(args) -> None:
    from contacts.models import Contact
    from contacts.services import contact_create
    from qualification.models import DataAttribute
    from qualification.services import attributes_apply
    from qualification.sources import Actor, Source

    print(f"{environment_line()}  changes: {args.changes}")
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
