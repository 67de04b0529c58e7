"""Benchmark: the inline save beside a conversation, as the server sees it.

    DEBUG=false SECRET_KEY=bench SECURE_SSL_REDIRECT=false ALLOWED_HOSTS=testserver \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/switchboard \\
    REDIS_URL=redis://127.0.0.1:6379/13 .venv/bin/python bench/inline_save.py

In a throwaway database (`switchboard_bench_inline`): 100,000 contacts, each with values for 50
custom attributes, and a teammate who saves one attribute at a time through the inline-edit URL
(the htmx POST the panel sends). Requests go through Django's whole stack in-process (test
client: middleware, session, permissions, view, write path, template), so the figure is server
time without the network. The same run times a trivial request (the row partial, a GET) as a
baseline.

Bulk loading the contacts writes their rows directly (COPY-like speed for set-up only); every
measured save goes through `attributes_apply`.
"""

import argparse
import random
import time

from _common import environment_line, latency_line, throwaway_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--attributes", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1_000)
    args = parser.parse_args()
    with throwaway_database("bench_inline"):
        run(args)


def run(args) -> None:
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from contacts.models import Contact
    from qualification.models import DataAttribute, DataType
    from qualification.services import qualification_item_add
    from tests.factories import UserFactory

    call_command("collectstatic", interactive=False, verbosity=0)  # production static files
    setup_test_environment()
    rng = random.Random(7)
    types = [DataType.STRING, DataType.INTEGER, DataType.FLOAT, DataType.BOOLEAN, DataType.DATE]
    attributes = [
        DataAttribute.objects.create(
            model="contact",
            name=f"attr_{i}",
            label=f"Attribute {i}",
            data_type=types[i % len(types)],
        )
        for i in range(args.attributes)
    ]
    for attribute in attributes[:10]:
        qualification_item_add(attribute=attribute)

    def sample(attribute, n):
        match attribute.data_type:
            case DataType.INTEGER:
                return n
            case DataType.FLOAT:
                return n / 4
            case DataType.BOOLEAN:
                return n % 2 == 0
            case DataType.DATE:
                return f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}"
        return f"value {n}"

    started = time.perf_counter()
    batch = 5_000
    for offset in range(0, args.contacts, batch):
        Contact.objects.bulk_create(
            [
                Contact(
                    external_id=f"user-{n}",
                    name=f"Person {n}",
                    email=f"person{n}@bench.example",
                    custom_attributes={a.name: sample(a, n) for a in attributes},
                )
                for n in range(offset, min(offset + batch, args.contacts))
            ]
        )
    print(f"{environment_line()}")
    print(
        f"loaded {args.contacts:,} contacts with {args.attributes} custom attributes "
        f"in {time.perf_counter() - started:.0f} s"
    )

    agent = UserFactory(username="agent", role="Teammate")
    client = Client()
    client.force_login(agent)
    htmx = {"HX-Request": "true", "HX-Current-URL": "http://testserver/inbox/conversations/1/"}
    ids = list(Contact.objects.values_list("pk", flat=True)[:: max(1, args.contacts // 5000)])
    typed = [a for a in attributes if a.data_type in (DataType.STRING, DataType.INTEGER)]

    def timed(method, url, data=None):
        t = time.perf_counter()
        response = method(url, data, headers=htmx) if data else method(url, headers=htmx)
        elapsed = time.perf_counter() - t
        assert response.status_code == 200, (response.status_code, response.content[:500])
        return elapsed

    warmup = 50
    reads, saves = [], []
    for i in range(args.requests + warmup):
        pk = rng.choice(ids)
        attribute = rng.choice(typed)
        url = reverse("attribute-row", args=["contact", pk, attribute.pk])
        version = Contact.objects.filter(pk=pk).values_list("version", flat=True).get()
        value = f"edited {i}" if attribute.data_type == DataType.STRING else str(i)
        read = timed(client.get, url)
        save = timed(client.post, url, {"value": value, "version": version})
        if i >= warmup:
            reads.append(read)
            saves.append(save)
    print(f"baseline: GET the row partial     {latency_line(reads)}")
    print(f"inline save (POST, write path)    {latency_line(saves)}   n={len(saves)}")


if __name__ == "__main__":
    main()
