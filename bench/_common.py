"""Shared by the benchmarks: Django set-up in a throwaway database, and how figures print."""

import os
import sys
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from core.write_guard import writes_allowed  # noqa: E402


@contextmanager
def throwaway_database(purpose: str):
    """Create, migrate and finally drop a database of the benchmark's own, named after the
    configured one (`switchboard` -> `switchboard_bench_list`), so benchmarks run against
    different DATABASE_URLs at once never drop each other's database."""
    if connection.vendor == "postgresql":
        name = f"{connection.settings_dict['NAME']}_{purpose}"
    else:
        name = str(Path(__file__).parent / f"switchboard_{purpose}.sqlite3")
    connection.settings_dict.setdefault("TEST", {})["NAME"] = name
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        # Benchmarks set their data up directly (and time plain UPDATEs as a baseline); what
        # they measure still goes through the services.
        with writes_allowed():
            yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def latency_line(seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"p50 {percentile(ms, 0.5):.2f} ms  p95 {percentile(ms, 0.95):.2f} ms  "
        f"p99 {percentile(ms, 0.99):.2f} ms"
    )


def environment_line() -> str:
    delivery = "Celery over Redis" if os.environ.get("REDIS_URL") else "in-process"
    return f"database: {connection.vendor}  outbox delivery: {delivery}"
