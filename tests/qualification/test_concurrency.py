"""Two writers on two database connections at once. Only PostgreSQL shows real row locking;
SQLite serialises whole transactions, which the embedded default relies on instead."""

import threading

import pytest
from django.db import connection

from contacts.models import Contact
from qualification.models import (
    AttributeChange,
    AttributeOutbox,
    DataAttribute,
    Outcome,
    Precedence,
)
from qualification.results import AttributeWriteError, StaleWriteError
from qualification.services import attribute_resync, attributes_apply, data_attribute_update
from qualification.sources import Actor, Source
from tests.factories import ContactFactory, DataAttributeFactory, UserFactory

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


API = Actor("api_token", "7", "Billing sync token")


def in_another_connection(work):
    """Run `work` on a database connection of its own, committed before this returns."""
    run_concurrently(work)


def just_before_the_statement(monkeypatch, change) -> list:
    """Run `change` on another connection, committed, right before the first one-statement
    write of the test's thread is sent: after that write was worked out, before it is stored."""
    from qualification.services import apply as apply_module

    real, calls = apply_module.write_if_current, []

    def interleaved(**kwargs):
        if not calls:
            calls.append(kwargs)
            in_another_connection(change)
        return real(**kwargs)

    monkeypatch.setattr(apply_module, "write_if_current", interleaved)
    return calls


def test_value_and_provenance_only_changes_each_move_the_version_once():
    DataAttributeFactory(name="stage", precedence=Precedence.MANUAL_WINS)
    DataAttributeFactory(name="score", data_type="integer")
    contact = ContactFactory()
    attributes_apply(
        target=contact,
        values={"stage": "Qualified"},
        source=Source.QUALIFICATION,
        actor=Actor("teammate", "1", "Priya"),
    )
    start = Contact.objects.get(pk=contact.pk).version

    def app(name, value_of):
        def work():
            target = Contact.objects.get(pk=contact.pk)  # one instance for every write
            for i in range(ROUNDS):
                attributes_apply(
                    target=target,
                    values={name: value_of(i)},
                    source=Source.REST_API,
                    actor=Actor("api_token", name, name),
                )

        return work

    # One app's values are held by the manual edit: each new one only changes the provenance.
    run_concurrently(app("stage", lambda i: f"app-{i}"), app("score", lambda i: i))

    rows = AttributeChange.objects.filter(target_id=contact.pk, target_version__gt=start)
    assert {r.outcome for r in rows if r.attribute_name == "stage"} == {Outcome.SKIPPED}
    # Every write was stored onto the state it was worked out on, at a version of its own.
    everyone = list(range(start + 1, start + 2 * ROUNDS + 1))
    assert sorted(r.target_version for r in rows) == everyone
    announced = AttributeOutbox.objects.filter(target_id=contact.pk, target_version__gt=start)
    assert sorted(a.target_version for a in announced) == everyone
    final = Contact.objects.get(pk=contact.pk)
    assert final.version == start + 2 * ROUNDS
    assert final.custom_attributes == {"stage": "Qualified", "score": ROUNDS - 1}
    held = final.attribute_provenance["stage"]
    assert (held["locked"], held["pending"]) == (True, f"app-{ROUNDS - 1}")


DEFINITION_CHANGES = {
    "options removed": lambda tier: data_attribute_update(
        attribute=tier, options=["Silver", "Bronze"]
    ),
    "archived": lambda tier: data_attribute_update(attribute=tier, archived=True),
    "policy flipped": lambda tier: data_attribute_update(
        attribute=tier, policy={"api_writable": False}
    ),
}


@pytest.mark.parametrize("change", DEFINITION_CHANGES)
@pytest.mark.parametrize("when", ["after the process read it", "just before the statement"])
def test_a_definition_changed_on_another_connection_is_never_used_to_store(
    monkeypatch, change, when
):
    tier = DataAttributeFactory(name="tier", data_type="options", options=["Gold", "Silver"])
    contact = ContactFactory()
    mine = Contact.objects.get(pk=contact.pk)
    attributes_apply(target=mine, values={"tier": "Silver"}, source=Source.REST_API, actor=API)

    def make_the_change():
        DEFINITION_CHANGES[change](DataAttribute.objects.get(pk=tier.pk))

    if when == "after the process read it":
        in_another_connection(make_the_change)
    else:
        worked_out = just_before_the_statement(monkeypatch, make_the_change)
    with pytest.raises(AttributeWriteError) as refused:
        attributes_apply(target=mine, values={"tier": "Gold"}, source=Source.REST_API, actor=API)
    if when == "just before the statement":
        assert worked_out  # the write was worked out while the definition still allowed it
    assert refused.value.problems[0].attribute == "tier"
    assert Contact.objects.get(pk=contact.pk).custom_attributes == {"tier": "Silver"}
    assert not AttributeChange.objects.filter(attribute_name="tier", new_value="Gold").exists()


def test_a_hold_released_on_another_connection_just_before_the_statement(monkeypatch):
    DataAttributeFactory(name="stage", precedence=Precedence.MANUAL_WINS)
    teammate = UserFactory()
    contact = ContactFactory()
    attributes_apply(
        target=contact, values={"stage": "Qualified"}, source=Source.QUALIFICATION, actor=teammate
    )
    mine = Contact.objects.get(pk=contact.pk)
    worked_out = just_before_the_statement(
        monkeypatch,
        lambda: attribute_resync(
            target=Contact.objects.get(pk=contact.pk), name="stage", actor=teammate
        ),
    )
    result = attributes_apply(
        target=mine, values={"stage": "Churned"}, source=Source.REST_API, actor=API
    )
    # Worked out on `mine`, the app's value was held; the re-sync moved the version, so that
    # write stored nothing and the value was applied on the row as it is.
    put, _ = worked_out[0]["merges"]["attribute_provenance"]
    assert put["stage"]["pending"] == "Churned"
    assert [c.new for c in result.applied] == ["Churned"]
    row = Contact.objects.get(pk=contact.pk)
    assert row.custom_attributes["stage"] == "Churned"
    assert row.attribute_provenance["stage"]["locked"] is False
