"""`attributes_apply` works a write out on the caller's instance and the data attributes this
process read, and stores it only if the row is still at the instance's version and the
definitions at the revision they were read at (`qualification.commit`); otherwise it works the
write out again on the locked row. Nothing written meanwhile, or typed into the instance, may
be lost or mistaken for the stored value."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from contacts.models import Contact
from core.write_guard import writes_allowed
from qualification.commit import DEFINITIONS_REVISION, write_if_current
from qualification.models import (
    AttributeChange,
    AttributeOutbox,
    DataAttribute,
    Outcome,
    Precedence,
)
from qualification.results import AttributeWriteError
from qualification.services import (
    attribute_resync,
    attributes_apply,
    data_attribute_create,
    data_attribute_update,
)
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


def test_an_owner_cannot_be_deleted_behind_the_write_path(contact):
    """Deleting a teammate would have cleared the owner with no new version (SET_NULL); the
    owner is PROTECT now, so the row never changes without the write path knowing."""
    from django.db.models import ProtectedError

    owner = UserFactory()
    apply(read(contact), source=Source.ADMIN, actor=owner, owner_id=owner.pk)
    with pytest.raises(ProtectedError):
        owner.delete()
    assert read(contact).owner_id == owner.pk


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

    with writes_allowed():  # the write path's own step, called without the service around it
        stored = _write_if_current(mine)
    assert stored is False
    assert read(contact).custom_attributes == {"plan": "Pro"}
    assert (AttributeOutbox.objects.count(), AttributeChange.objects.count()) == (
        outboxes,
        changes,
    )


def _write_if_current(mine):
    return write_if_current(
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


@pytest.mark.postgres
@pytest.mark.redis  # without a broker, the outbox is delivered in-process, inside the count
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
    with writes_allowed():
        DataAttribute.objects.filter(name="tier").update(options=["Silver"])
    with pytest.raises(AttributeWriteError) as refused:
        apply(read(contact), tier="Gold")
    assert refused.value.problems[0].attribute == "tier"
    apply(read(contact), tier="Silver")

    apply(read(contact), plan="Pro")
    with writes_allowed():
        DataAttribute.objects.filter(name="plan").update(archived=True)
    with pytest.raises(AttributeWriteError):
        apply(read(contact), plan="Team")
    assert read(contact).custom_attributes == {"tier": "Silver", "plan": "Pro"}

    with writes_allowed():
        DataAttribute.objects.filter(name="plan").update(archived=False)
    apply(read(contact), plan="Team")  # and back: what it read last is not held against it
    assert read(contact).custom_attributes["plan"] == "Team"


# The compare-and-swap: every change of the row moves its version, and one revision covers
# every data attribute definition.


def test_an_instance_knows_whether_it_holds_its_row_as_stored(contact):
    mine = read(contact)
    assert mine.attributes_as_stored
    mine.role = "lead"  # not an attribute: the write path neither reads nor writes it
    assert mine.attributes_as_stored
    mine.name = "Typed in"
    assert not mine.attributes_as_stored
    mine.refresh_from_db()
    assert mine.attributes_as_stored and mine.name == "Ada Lovelace"
    mine.refresh_from_db(fields=["name"])  # a part of the row, read at another moment
    assert not mine.attributes_as_stored
    apply(mine, seats=1)
    assert mine.attributes_as_stored  # the write path stored what it holds
    assert not Contact.objects.only("name").get(pk=contact.pk).attributes_as_stored
    assert not Contact(name="Not stored").attributes_as_stored


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_after_refresh_from_db_a_write_is_still_one_statement(contact, django_assert_num_queries):
    mine = read(contact)
    apply(read(contact), plan="Pro", seats=1)  # the row moves on; the attributes are read
    mine.refresh_from_db()
    with django_assert_num_queries(1):
        apply(mine, plan="Team", seats=2)
    assert read(contact).custom_attributes == {"plan": "Team", "seats": 2}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_write_that_changes_nothing_is_checked_in_one_statement(
    contact, django_assert_num_queries
):
    mine = read(contact)
    apply(mine, plan="Pro")
    with django_assert_num_queries(1):  # nothing to store, but only if the row is as read
        result = apply(mine, plan="Pro")
    assert (result.applied, result.unchanged) == ([], ["plan"])


def test_an_app_value_kept_pending_meanwhile_is_not_recorded_again_from_an_older_read(contact):
    DataAttributeFactory(name="stage", precedence=Precedence.MANUAL_WINS)
    apply(read(contact), source=Source.QUALIFICATION, actor=UserFactory(), stage="Qualified")
    mine = read(contact)
    outboxes = AttributeOutbox.objects.count()
    apply(read(contact), stage="Trial")  # held: only the provenance changes
    row = read(contact)
    assert row.version == mine.version + 1
    # A change of the row, announced like any other (no value changed).
    announced = AttributeOutbox.objects.latest("id")
    assert AttributeOutbox.objects.count() == outboxes + 1
    assert (announced.target_version, announced.attribute_names) == (row.version, [])

    with CaptureQueriesContext(connection) as queries:
        result = apply(mine, stage="Trial")  # the app sends it again, through an older read
    assert [c.new for c in result.skipped] == ["Trial"]
    assert AttributeChange.objects.filter(outcome=Outcome.SKIPPED).count() == 1
    assert read(contact).version == row.version
    assert locked_the_row(queries)


def test_a_hold_released_meanwhile_no_longer_holds_for_an_older_read(contact):
    DataAttributeFactory(name="stage", precedence=Precedence.MANUAL_WINS)
    teammate = UserFactory()
    apply(read(contact), source=Source.QUALIFICATION, actor=teammate, stage="Qualified")
    mine = read(contact)
    attribute_resync(target=read(contact), name="stage", actor=teammate)  # no app value waits
    assert read(contact).version == mine.version + 1

    result = apply(mine, stage="Churned")  # `mine` still shows the value held
    assert [c.new for c in result.applied] == ["Churned"]
    row = read(contact)
    assert row.custom_attributes["stage"] == "Churned"
    assert row.attribute_provenance["stage"]["locked"] is False


def test_definitions_read_inside_a_rolled_back_change_are_never_used_to_store(contact):
    DataAttributeFactory(name="tier", data_type="options", options=["Gold", "Silver"])
    with transaction.atomic():
        with writes_allowed():  # a plain UPDATE, as a data repair would: the trigger sees it
            DataAttribute.objects.filter(name="tier").update(options=["Gold", "Silver", "Platinum"])
        apply(read(contact), tier="Platinum")  # this process keeps "tier" with Platinum
        transaction.set_rollback(True)
    # Any other change: counting up from the restored revision would give it the one the
    # kept definitions were read at.
    with writes_allowed():
        DataAttribute.objects.filter(name="seats").update(label="Seats")
    with pytest.raises(AttributeWriteError):
        apply(read(contact), tier="Platinum")
    assert "tier" not in read(contact).custom_attributes


def definitions_revision() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {DEFINITIONS_REVISION}")
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_every_change_to_any_definition_moves_the_revision_to_one_never_used():
    seen = [definitions_revision()]

    def moved():
        revision = definitions_revision()
        assert revision not in seen
        seen.append(revision)

    tier = data_attribute_create(
        model="contact", name="tier", data_type="options", options=["Gold", "Silver"]
    )
    moved()
    data_attribute_update(attribute=tier, options=["Gold", "Silver", "Bronze"])
    moved()
    data_attribute_update(attribute=tier, archived=True)
    moved()
    data_attribute_update(attribute=tier, policy={"api_writable": False})
    moved()
    # Every other path too (a data repair, raw SQL): the trigger sees the table, not the code.
    with writes_allowed():
        tier.refresh_from_db()
        tier.description = "Billing tier"
        tier.save()
        moved()
        owner = UserFactory()
        DataAttribute.objects.filter(pk=tier.pk).update(created_by=owner)
        moved()
        owner.delete()  # the database empties created_by
        moved()
        with transaction.atomic():
            DataAttribute.objects.filter(pk=tier.pk).update(label="Never")
            rolled_back = definitions_revision()
            transaction.set_rollback(True)
        assert definitions_revision() == seen[-1]
        seen.append(rolled_back)
        tier.delete()
        moved()
