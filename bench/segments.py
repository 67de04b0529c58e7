"""Benchmark: what saved segments cost the outbox drain (issue 16, finding 9).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/switchboard \
        .venv/bin/python bench/segments.py

Runs in a throwaway database (`<name>_bench_segments`, dropped at the end). Writes `--changes`
attribute changes to `--contacts` contacts with delivery held back, then times one drain of
the outbox (the contact-list projection and segment evaluation), for each segment count in
`--segments`. The drain with no segment at all is the same-run baseline; the segment limit
(`contacts.services.SEGMENTS_MAX`) is the most a workspace can now have, and counts above it
(made directly, past the limit) show what an unlimited workspace cost.

Measured 2026-11-30 on the 2-core CI machine (PostgreSQL 15, shared with other work), 1,000
changes to 500 contacts, this script run on the code before (no limit, three queries per
segment and projection, filters built each time) and after:

    segments   before                      after
    0          0.33 s (baseline)           0.39 s (baseline)
    50         3.69 s (11.2x its baseline) 1.62 s (4.2x)    <- the most a workspace may keep
    500        46.72 s (142x)              14.49 s (38x)    <- no longer possible
"""

import argparse
import time

from _common import environment_line, throwaway_database
from django.db import transaction


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--changes", type=int, default=1_000)
    parser.add_argument("--contacts", type=int, default=500)
    parser.add_argument("--segments", type=int, nargs="+", default=[0, 50, 500])
    args = parser.parse_args()
    with throwaway_database("bench_segments"):
        run(args)


def run(args) -> None:
    import qualification.outbox.enqueue as enqueue
    from contacts import services
    from contacts.models import Segment
    from contacts.services import contact_create
    from qualification.models import AttributeOutbox, DataAttribute
    from qualification.outbox.delivery import outbox_drain
    from qualification.services import attributes_apply
    from qualification.sources import Actor, Source

    print(f"{environment_line()}  changes: {args.changes}  contacts: {args.contacts}")
    # None on the code before the limit, for a before/after comparison in one checkout.
    limit = getattr(services, "SEGMENTS_MAX", None)
    print(f"segment limit (SEGMENTS_MAX): {limit}")
    DataAttribute.objects.create(model="contact", name="score", label="Score", data_type="float")
    actor = Actor("api_token", "bench", "Benchmark")
    held = enqueue.enqueue_delivery
    enqueue.enqueue_delivery = lambda: None  # rows stay pending until the timed drain
    try:
        with transaction.atomic():
            contacts = [
                contact_create(
                    external_id=f"bench-{i}",
                    values={"name": f"Person {i}", "email": f"p{i}@bench.example"},
                    source=Source.REST_API,
                    actor=actor,
                )
                for i in range(args.contacts)
            ]
        outbox_drain()
        baseline = None
        for count in args.segments:
            Segment.objects.all().delete()
            Segment.objects.bulk_create(
                Segment(name=f"Score over {i}", query=f"cf=score&op=gte&v={i % 10}")
                for i in range(count)
            )
            for i in range(args.changes):
                attributes_apply(
                    target=contacts[i % len(contacts)],
                    values={"score": (i * 7) % 11},
                    source=Source.REST_API,
                    actor=actor,
                )
            pending = AttributeOutbox.objects.filter(processed_at__isnull=True).count()
            started = time.perf_counter()
            delivered, finished = outbox_drain()
            seconds = time.perf_counter() - started
            assert finished and delivered == pending, (delivered, pending)
            baseline = seconds if baseline is None else baseline
            note = "  (baseline)" if count == 0 else f"  {seconds / baseline:.1f}x the baseline"
            if limit is not None and count > limit:
                note += "  (past the limit: only possible before it)"
            print(
                f"{count:>4} segments: drained {delivered} rows in {seconds:6.2f} s "
                f"({delivered / seconds:,.0f} rows/s){note}"
            )
    finally:
        enqueue.enqueue_delivery = held


if __name__ == "__main__":
    main()
