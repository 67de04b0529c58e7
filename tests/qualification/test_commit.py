"""`attributes_apply` works a write out on the caller's instance and the data attributes this
process read, and stores it only if the row is still at the instance's version and the
definitions at the revision they were read at (`qualification.commit`); otherwise it works the
write out again on the locked row. Nothing written meanwhile, or typed into the instance, may
be lost or mistaken for the stored value."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from contacts.models import Contact
from qualification.commit import write_if_current
from qualification.models import (
    AttributeChange,
    AttributeOutbox,
    DataAttribute,
    Outcome,
    Precedence,
)
from qualification.results import AttributeWriteError
from qualification.services import attribute_resync, attributes_apply
from qualification.sources import Actor, Source
from tests.factories import ContactFactory, DataAttributeFactory, UserFactory

pytestmark = pytest.mark.django_db

API = Actor("api_token", "7", "Billing sync token")


def apply(target, source=Source.REST_API, actor=API, **values):
    return attributes_apply(target=target, values=values, source=source, actor=actor)


def read(contact):
    return Contact.objects.get(pk=contact.pk)


def locked_the_row(queries) -> bool:
    """Whether the write read its row under a lock (SQLite has no FOR UPDATE to see: there
    every write takes the locked path)."""
    return connection.vendor != "postgresql" or any(
        "FOR UPDATE" in q["sql"] for q in queries.captured_queries
    )


@pytest.fixture
def contact():
    DataAttributeFactory(name="plan")
    DataAttributeFactory(name="seats", data_type="integer")
    return ContactFactory(values={"name": "Ada Lovelace"})


def test_a_write_made_after_the_instance_was_read_is_kept(contact):
    mine, theirs = read(contact), read(contact)
    apply(theirs, plan="Pro")
    result = apply(mine, seats=5)
    assert read(contact).custom_attributes == {"plan": "Pro", "seats": 5}
    assert mine.custom_attributes == {"plan": "Pro", "seats": 5}  # brought up to date
    assert result.version == read(contact).version == theirs.version + 1


def test_the_instance_can_write_again_after_its_own_write(contact):
    mine = read(contact)
    apply(mine, seats=1)
    apply(mine, seats=2)
    apply(read(contact), plan="Pro")
    apply(mine, seats=3)
    assert read(contact).custom_attributes == {"plan": "Pro", "seats": 3}
    assert [r.new_value for r in AttributeChange.objects.filter(attribute_name="seats")] == [
        3,
        2,
        1,
    ]


def test_a_value_filled_into_the_instance_is_not_taken_for_the_stored_one(contact):
    mine = read(contact)
    mine.name = "Ada King"  # as a form fills the instance in before it is saved
    result = apply(mine, source=Source.ADMIN, actor=UserFactory(), name="Ada King")
    assert [(c.old, c.new) for c in result.applied] == [("Ada Lovelace", "Ada King")]
    assert read(contact).name == "Ada King"


def test_a_column_changed_without_a_new_version_is_not_taken_for_the_read_one(contact):
    owner = UserFactory()
    apply(read(contact), source=Source.ADMIN, actor=owner, owner_id=owner.pk)
    mine = read(contact)
    owner.delete()  # the database sets the owner to NULL; nothing bumps the version
    assert read(contact).version == mine.version
    result = apply(mine, source=Source.ADMIN, actor=UserFactory(), owner_id=None)
    assert result.applied == [] and result.unchanged == ["owner_id"]


def test_a_value_changed_in_place_in_the_instance_is_not_stored(contact):
    mine = read(contact)
    mine.custom_attributes["plan"] = "never validated"  # changed in place, never saved
    apply(mine, seats=3)
    assert read(contact).custom_attributes == {"seats": 3}


def test_a_hold_confirmed_meanwhile_moves_the_version_and_still_holds(contact):
    DataAttributeFactory(name="stage", precedence=Precedence.MANUAL_WINS)
    apply(read(contact), stage="Trial")
    mine = read(contact)
    # The teammate confirms the app's value: only the provenance changes, and the version.
    teammate = UserFactory()
    apply(read(contact), source=Source.QUALIFICATION, actor=teammate, stage="Trial")
    assert read(contact).version == mine.version + 1

    with CaptureQueriesContext(connection) as queries:
        result = apply(mine, stage="Churned")
    assert [c.new for c in result.skipped] == ["Churned"]
    assert read(contact).custom_attributes["stage"] == "Trial"
    assert locked_the_row(queries)  # decided on the row as it is now, not as `mine` had it


def test_an_outcome_that_writes_nothing_is_decided_on_the_current_row(contact):
    apply(read(contact), plan="Pro")
    mine = read(contact)
    apply(read(contact), plan="Free")
    # On the row as `mine` read it, "Pro" changes nothing; on the current row it does.
    result = apply(mine, plan="Pro")
    assert [(c.old, c.new) for c in result.applied] == [("Free", "Pro")]
    unchanged = apply(mine, plan="Pro")
    assert unchanged.applied == [] and unchanged.unchanged == ["plan"]


def test_a_resync_inside_the_locked_read_takes_the_released_value(contact):
    DataAttributeFactory(name="stage", precedence=Precedence.MANUAL_WINS)
    teammate = UserFactory()
    apply(read(contact), source=Source.QUALIFICATION, actor=teammate, stage="Qualified")
    apply(read(contact), stage="Trial")
    attribute_resync(target=read(contact), name="stage", actor=teammate)
    assert read(contact).custom_attributes["stage"] == "Trial"


@pytest.mark.postgres  # SQLite does not enforce the length; its path has a savepoint anyway
def test_inside_a_transaction_a_failed_write_leaves_it_usable(contact):
    with transaction.atomic():
        with pytest.raises(DatabaseError):
            apply(read(contact), actor=Actor("api_token", "x" * 65, "Too long an id"), seats=1)
        assert read(contact).custom_attributes == {}  # the transaction still answers


def test_write_if_current_stores_nothing_once_the_row_has_moved_on(contact):
    mine = read(contact)
    apply(read(contact), plan="Pro")
    outboxes, changes = AttributeOutbox.objects.count(), AttributeChange.objects.count()

    stored = write_if_current(
        target=mine,
        version=mine.version,
        columns={"version": mine.version + 1},
        merges={"custom_attributes": ({"seats": 9}, [])},
        outbox=AttributeOutbox(
            target_type="contact",
            target_id=mine.pk,
            target_version=mine.version + 1,
            attribute_names=["seats"],
            source=Source.REST_API,
            created_at=mine.created_at,
        ),
        history=[
            AttributeChange(
                target_type="contact",
                target_id=mine.pk,
                attribute_name="seats",
                new_value=9,
                outcome=Outcome.APPLIED,
                source=Source.REST_API,
                actor_kind="api_token",
                actor_label="Billing sync token",
                target_version=mine.version + 1,
                created_at=mine.created_at,
            )
        ],
    )
    assert stored is False
    assert read(contact).custom_attributes == {"plan": "Pro"}
    assert (AttributeOutbox.objects.count(), AttributeChange.objects.count()) == (
        outboxes,
        changes,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # as in production: no transaction around the write
def test_on_postgresql_a_write_is_one_statement(contact, django_assert_num_queries):
    mine = read(contact)
    with django_assert_num_queries(2):  # the data attributes; update, outbox and history
        apply(mine, plan="Pro", seats=3)
    row = AttributeOutbox.objects.latest("id")
    assert (row.target_id, row.target_version, sorted(row.attribute_names)) == (
        contact.pk,
        mine.version,
        ["plan", "seats"],
    )
    assert AttributeChange.objects.filter(target_version=mine.version).count() == 2
    assert connection.vendor == "postgresql"


def test_a_data_attribute_changed_elsewhere_is_read_again_before_a_value_is_stored(contact):
    DataAttributeFactory(name="tier", data_type="options", options=["Gold", "Silver"])
    apply(read(contact), tier="Silver")  # this process now knows "tier"
    # Another process (no signals here: a plain UPDATE) drops an option, then archives "plan".
    DataAttribute.objects.filter(name="tier").update(options=["Silver"])
    with pytest.raises(AttributeWriteError) as refused:
        apply(read(contact), tier="Gold")
    assert refused.value.problems[0].attribute == "tier"
    apply(read(contact), tier="Silver")

    apply(read(contact), plan="Pro")
    DataAttribute.objects.filter(name="plan").update(archived=True)
    with pytest.raises(AttributeWriteError):
        apply(read(contact), plan="Team")
    assert read(contact).custom_attributes == {"tier": "Silver", "plan": "Pro"}

    DataAttribute.objects.filter(name="plan").update(archived=False)
    apply(read(contact), plan="Team")  # and back: what it read last is not held against it
    assert read(contact).custom_attributes["plan"] == "Team"
