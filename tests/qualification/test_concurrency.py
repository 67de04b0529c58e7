"""Two writers on two database connections at once. Only PostgreSQL shows real row locking;
SQLite serialises whole transactions, which the embedded default relies on instead."""

import threading

import pytest
from django.db import connection

from contacts.models import Contact
from qualification.models import AttributeChange, Outcome
from qualification.results import StaleWriteError
from qualification.services import attributes_apply
from qualification.sources import Actor, Source
from tests.factories import ContactFactory, DataAttributeFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

ROUNDS = 40


def run_concurrently(*workers):
    barrier = threading.Barrier(len(workers))
    errors = []

    def wrap(work):
        try:
            barrier.wait()
            work()
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors


def test_two_writers_to_the_same_attribute_never_lose_an_update():
    DataAttributeFactory(name="score", data_type="integer")
    contact = ContactFactory()
    start_version = Contact.objects.get(pk=contact.pk).version

    def writer(offset):
        def work():
            target = Contact.objects.get(pk=contact.pk)
            for i in range(ROUNDS):
                attributes_apply(
                    target=target,
                    values={"score": offset + i},
                    source=Source.REST_API,
                    actor=Actor("api_token", str(offset), f"Writer {offset}"),
                )

        return work

    run_concurrently(writer(1000), writer(2000))

    rows = list(
        AttributeChange.objects.filter(
            target_id=contact.pk, attribute_name="score", outcome=Outcome.APPLIED
        ).order_by("target_version")
    )
    final = Contact.objects.get(pk=contact.pk)
    assert len(rows) == 2 * ROUNDS
    # Every change saw the value the previous one left: nothing was overwritten unseen.
    assert rows[0].old_value is None
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.old_value == before.new_value
        assert after.target_version == before.target_version + 1
    assert final.custom_attributes["score"] == rows[-1].new_value
    assert final.version == start_version + 2 * ROUNDS


def test_two_writers_to_different_custom_attributes_keep_both():
    DataAttributeFactory(name="left", data_type="integer")
    DataAttributeFactory(name="right", data_type="integer")
    contact = ContactFactory()

    def writer(name):
        def work():
            target = Contact.objects.get(pk=contact.pk)
            for i in range(ROUNDS):
                attributes_apply(
                    target=target,
                    values={name: i},
                    source=Source.REST_API,
                    actor=Actor("api_token", name, name),
                )

        return work

    run_concurrently(writer("left"), writer("right"))
    final = Contact.objects.get(pk=contact.pk)
    assert final.custom_attributes == {"left": ROUNDS - 1, "right": ROUNDS - 1}


def test_two_teammates_saving_the_same_version_one_wins_one_is_told():
    contact = ContactFactory(values={"name": "Original"})
    seen = Contact.objects.get(pk=contact.pk).version
    outcomes = []

    def editor(name):
        def work():
            try:
                attributes_apply(
                    target=Contact.objects.get(pk=contact.pk),
                    values={"name": name},
                    source=Source.QUALIFICATION,
                    actor=Actor("teammate", name, name),
                    expected=seen,
                )
                outcomes.append(("saved", name))
            except StaleWriteError as exc:
                outcomes.append(("stale", exc.conflicts[0].current_value))

        return work

    run_concurrently(editor("Alice's edit"), editor("Bob's edit"))
    saved = [value for kind, value in outcomes if kind == "saved"]
    stale = [value for kind, value in outcomes if kind == "stale"]
    assert len(saved) == 1 and len(stale) == 1
    assert stale == saved  # the loser is shown exactly the winner's value
    assert Contact.objects.get(pk=contact.pk).name == saved[0]
