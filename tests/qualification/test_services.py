from datetime import UTC, datetime

import pytest

from contacts.models import Contact
from core.request_context import request_id_var
from core.write_guard import writes_allowed
from qualification.models import AttributeChange, AttributeOutbox, DataType, Outcome, Precedence
from qualification.results import AttributeWriteError, StaleWriteError
from qualification.services import attribute_resync, attributes_apply
from qualification.sources import LENIENT_SOURCES, Actor, Source
from tests.factories import CompanyFactory, DataAttributeFactory, UserFactory

pytestmark = pytest.mark.django_db

API = Actor("api_token", "7", "Billing sync token")
MESSENGER = Actor("messenger", "", "Messenger")
ALL_SOURCES = [
    Source.QUALIFICATION,
    Source.ADMIN,
    Source.MESSENGER,
    Source.MESSENGER_VERIFIED,
    Source.REST_API,
    Source.CSV_IMPORT,
    Source.WORKFLOW,
    "app:stripe",
]
POLICY = {
    Source.QUALIFICATION: "ui_writable",
    Source.ADMIN: "ui_writable",
    Source.MESSENGER: "messenger_writable",
    Source.MESSENGER_VERIFIED: "messenger_writable",
    Source.REST_API: "api_writable",
    Source.CSV_IMPORT: "import_writable",
    Source.WORKFLOW: "workflow_writable",
    "app:stripe": "apps_writable",
}
POLICY_FIELDS = sorted(set(POLICY.values()))


def history(contact, **filters):
    return list(
        AttributeChange.objects.filter(
            target_type="contact", target_id=contact.pk, **filters
        ).order_by("id")
    )


def fresh(contact):
    return Contact.objects.get(pk=contact.pk)


@pytest.fixture
def teammate():
    return UserFactory(username="priya", first_name="Priya", last_name="Raman")


# Types ------------------------------------------------------------------------------------------

VALID = [
    (DataType.STRING, "Enterprise", "Enterprise"),
    (DataType.INTEGER, "12", 12),
    (DataType.FLOAT, 99.5, 99.5),
    (DataType.BOOLEAN, "true", True),
    (DataType.DATE, "2026-03-01", "2026-03-01"),
    (DataType.DATETIME, 1767225600, "2026-01-01T00:00:00Z"),
    (DataType.OPTIONS, "Gold", "Gold"),
]
INVALID = [
    (DataType.STRING, 5),
    (DataType.INTEGER, "twelve"),
    (DataType.FLOAT, "lots"),
    (DataType.BOOLEAN, "perhaps"),
    (DataType.DATE, "01/03/2026"),
    (DataType.DATETIME, "soon"),
    (DataType.OPTIONS, "Diamond"),
]


@pytest.mark.parametrize(("data_type", "raw", "stored"), VALID)
def test_custom_values_of_every_type_are_stored_canonically(contact, data_type, raw, stored):
    DataAttributeFactory(name="tier", label="Tier", data_type=data_type)
    result = attributes_apply(
        target=contact, values={"tier": raw}, source=Source.REST_API, actor=API
    )
    assert [c.new for c in result.applied] == [stored]
    assert fresh(contact).custom_attributes["tier"] == stored
    assert type(fresh(contact).custom_attributes["tier"]) is type(stored)


@pytest.mark.parametrize(("data_type", "raw"), INVALID)
def test_invalid_values_are_refused_by_label_saying_what_is_allowed(contact, data_type, raw):
    DataAttributeFactory(name="tier", label="Tier", data_type=data_type)
    before = fresh(contact)
    with pytest.raises(AttributeWriteError) as caught:
        attributes_apply(
            target=contact,
            values={"tier": raw, "name": "Changed"},
            source=Source.REST_API,
            actor=API,
        )
    [problem] = caught.value.problems
    assert problem.attribute == "tier"
    assert problem.code == "invalid_value"
    # The label and plain words: no API name, no Python repr of what was sent.
    assert problem.message.startswith("Tier must be ")
    assert "'tier'" not in problem.message and repr(raw) not in problem.message
    after = fresh(contact)
    assert (after.name, after.version, after.custom_attributes) == (
        before.name,
        before.version,
        before.custom_attributes,
    )
    assert not history(contact, attribute_name="tier")


def test_options_error_lists_the_allowed_options(contact):
    DataAttributeFactory(
        name="tier", label="Tier", data_type=DataType.OPTIONS, options=["Bronze", "Gold"]
    )
    with pytest.raises(AttributeWriteError, match="must be one of: Bronze, Gold"):
        attributes_apply(
            target=contact, values={"tier": "Silver"}, source=Source.REST_API, actor=API
        )


def test_unknown_attribute_is_refused_and_nothing_else_is_written(contact):
    with pytest.raises(AttributeWriteError) as caught:
        attributes_apply(
            target=contact,
            values={"name": "New name", "favourite_colour": "blue"},
            source=Source.REST_API,
            actor=API,
        )
    [problem] = caught.value.problems
    assert problem.code == "unknown_attribute"
    assert "Custom attribute 'favourite_colour' does not exist" in problem.message
    assert fresh(contact).name == "Ada Lovelace"


def test_archived_attribute_refuses_writes_and_keeps_history(contact):
    tier = DataAttributeFactory(name="tier", label="Tier")
    attributes_apply(target=contact, values={"tier": "A"}, source=Source.REST_API, actor=API)
    with writes_allowed():
        tier.archived = True
        tier.save()
    with pytest.raises(AttributeWriteError, match="archived"):
        attributes_apply(target=contact, values={"tier": "B"}, source=Source.REST_API, actor=API)
    assert fresh(contact).custom_attributes["tier"] == "A"
    assert len(history(contact, attribute_name="tier")) == 1


def test_company_attributes_are_separate_from_people_attributes():
    company = CompanyFactory(values={"name": "Acme"})
    DataAttributeFactory(model="contact", name="tier")
    with pytest.raises(AttributeWriteError, match="Create it as company data first"):
        attributes_apply(target=company, values={"tier": "x"}, source=Source.REST_API, actor=API)
    result = attributes_apply(
        target=company,
        values={"monthly_spend": "120.5", "size": 40},
        source=Source.REST_API,
        actor=API,
    )
    assert {c.attribute for c in result.applied} == {"monthly_spend", "size"}
    company.refresh_from_db()
    assert (company.monthly_spend, company.size) == (120.5, 40)


# Standard attributes ------------------------------------------------------------------------------


def test_standard_attributes_are_columns_with_their_own_rules(contact, teammate):
    attributes_apply(
        target=contact,
        values={
            "signed_up_at": "2025-06-01T09:00:00Z",
            "owner_id": teammate.pk,
            "unsubscribed_from_emails": "yes",
        },
        source=Source.REST_API,
        actor=API,
    )
    row = fresh(contact)
    assert row.signed_up_at == datetime(2025, 6, 1, 9, tzinfo=UTC)
    assert row.owner == teammate
    assert row.unsubscribed_from_emails is True
    assert row.custom_attributes == {}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"email": "not an email"}, "^Email must be an email address, like ada@example.com.$"),
        ({"phone": "1" * 65}, r"^Phone must be 64 characters at most \(this is 65\).$"),
        ({"owner_id": 999999}, "^Owner must be a teammate in this workspace.$"),
        ({"unsubscribed_from_emails": None}, "^Unsubscribed from emails cannot be empty.$"),
    ],
)
def test_standard_attribute_problems_are_explained(contact, values, message):
    with pytest.raises(AttributeWriteError, match=message):
        attributes_apply(target=contact, values=values, source=Source.REST_API, actor=API)


def test_column_validators_apply_to_standard_values():
    company = CompanyFactory()
    with pytest.raises(AttributeWriteError, match="greater than or equal to 0"):
        attributes_apply(target=company, values={"size": -1}, source=Source.REST_API, actor=API)


def test_caller_instance_is_brought_up_to_date(contact):
    stale_copy = Contact.objects.get(pk=contact.pk)
    attributes_apply(target=stale_copy, values={"name": "Grace"}, source=Source.REST_API, actor=API)
    assert stale_copy.name == "Grace"
    assert stale_copy.version == fresh(contact).version
    assert stale_copy.attribute_provenance["name"]["source"] == Source.REST_API


# Write policy -------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ALL_SOURCES)
def test_each_source_may_write_only_what_the_policy_allows(contact, source):
    allowed_flag = POLICY[source]
    policy = {flag: flag != allowed_flag for flag in POLICY_FIELDS}
    DataAttributeFactory(name="blocked", label="Blocked", **policy)
    DataAttributeFactory(name="open", label="Open", **dict.fromkeys(POLICY_FIELDS, True))
    values = {"blocked": "x", "open": "y"}
    if source in LENIENT_SOURCES:
        result = attributes_apply(target=contact, values=values, source=source, actor=MESSENGER)
        assert [c.attribute for c in result.applied] == ["open"]
        assert [p.code for p in result.rejected] == ["not_writable"]
        assert fresh(contact).custom_attributes == {"open": "y"}
        [rejected] = history(contact, outcome=Outcome.REJECTED)
        assert rejected.attribute_name == "blocked"
        assert "cannot be written by" in rejected.reason
    else:
        with pytest.raises(AttributeWriteError) as caught:
            attributes_apply(target=contact, values=values, source=source, actor=API)
        [problem] = caught.value.problems
        assert problem.code == "not_writable"
        assert problem.attribute == "blocked"
        assert "An admin can change who may write it" in problem.message
        assert fresh(contact).custom_attributes == {}


def test_messenger_drops_unknown_and_invalid_values_but_keeps_the_good_ones(contact):
    DataAttributeFactory(name="projects", data_type=DataType.INTEGER, messenger_writable=True)
    result = attributes_apply(
        target=contact,
        values={"projects": "3", "mystery": "x", "last_seen_at": "not a time"},
        source=Source.MESSENGER,
        actor=MESSENGER,
    )
    assert [c.attribute for c in result.applied] == ["projects"]
    assert sorted(p.attribute for p in result.rejected) == ["last_seen_at", "mystery"]
    assert sorted(r.attribute_name for r in history(contact, outcome=Outcome.REJECTED)) == [
        "last_seen_at",
        "mystery",
    ]


def test_unknown_source_is_a_programming_error(contact):
    with pytest.raises(ValueError, match="Unknown source"):
        attributes_apply(target=contact, values={"name": "x"}, source="carrier_pigeon", actor=API)


# Precedence ---------------------------------------------------------------------------------------


def test_app_data_wins_by_default_over_a_manual_edit(contact, teammate):
    DataAttributeFactory(name="tier", messenger_writable=True)
    attributes_apply(
        target=contact, values={"tier": "Manual"}, source=Source.QUALIFICATION, actor=teammate
    )
    assert fresh(contact).attribute_provenance["tier"]["locked"] is False
    attributes_apply(
        target=contact, values={"tier": "From app"}, source=Source.MESSENGER, actor=MESSENGER
    )
    assert fresh(contact).custom_attributes["tier"] == "From app"
    attributes_apply(target=contact, values={"tier": "From API"}, source=Source.REST_API, actor=API)
    attributes_apply(
        target=contact,
        values={"tier": "At login"},
        source=Source.MESSENGER_VERIFIED,
        actor=MESSENGER,
    )
    assert fresh(contact).custom_attributes["tier"] == "At login"


def test_manual_edits_win_until_resynced(contact, teammate):
    DataAttributeFactory(name="stage", precedence=Precedence.MANUAL_WINS, messenger_writable=True)
    attributes_apply(target=contact, values={"stage": "App 1"}, source=Source.REST_API, actor=API)
    attributes_apply(
        target=contact, values={"stage": "Qualified"}, source=Source.QUALIFICATION, actor=teammate
    )
    assert fresh(contact).attribute_provenance["stage"]["locked"] is True
    version = fresh(contact).version

    result = attributes_apply(
        target=contact, values={"stage": "App 2"}, source=Source.REST_API, actor=API
    )
    attributes_apply(
        target=contact, values={"stage": "App 3"}, source=Source.MESSENGER, actor=MESSENGER
    )
    assert [c.new for c in result.skipped] == ["App 2"]
    assert result.applied == []
    row = fresh(contact)
    assert row.custom_attributes["stage"] == "Qualified"
    # No value changed, but each new app value kept pending is a change of the row: the
    # version moves with it (a write worked out on the row as it was must not be stored).
    assert row.version == version + 2
    assert result.version == version + 1
    skipped = history(contact, outcome=Outcome.SKIPPED)
    assert [(s.new_value, s.source) for s in skipped] == [
        ("App 2", Source.REST_API),
        ("App 3", Source.MESSENGER),
    ]
    assert "Held by a manual edit from Priya Raman" in skipped[0].reason

    # Another teammate's manual edit still applies.
    attributes_apply(
        target=contact, values={"stage": "Customer"}, source=Source.ADMIN, actor=teammate
    )
    assert fresh(contact).custom_attributes["stage"] == "Customer"

    # Re-sync takes the app's latest value (sent while held) and releases the hold.
    result = attribute_resync(target=contact, name="stage", actor=teammate)
    assert [c.new for c in result.applied] == ["App 3"]
    row = fresh(contact)
    assert row.custom_attributes["stage"] == "App 3"
    assert row.attribute_provenance["stage"]["source"] == Source.MESSENGER
    assert row.attribute_provenance["stage"]["locked"] is False
    assert history(contact, attribute_name="stage")[-1].reason == "Re-synced by Priya Raman"

    attributes_apply(target=contact, values={"stage": "App 4"}, source=Source.REST_API, actor=API)
    assert fresh(contact).custom_attributes["stage"] == "App 4"


def test_resync_without_a_waiting_app_value_just_releases_the_hold(contact, teammate):
    DataAttributeFactory(name="stage", precedence=Precedence.MANUAL_WINS)
    attributes_apply(
        target=contact, values={"stage": "Mine"}, source=Source.QUALIFICATION, actor=teammate
    )
    result = attribute_resync(target=contact, name="stage", actor=teammate)
    assert result.applied == []
    assert fresh(contact).attribute_provenance["stage"]["locked"] is False
    assert fresh(contact).custom_attributes["stage"] == "Mine"
    # The re-sync itself is in the history, with who did it.
    released = AttributeChange.objects.get(attribute_name="stage", outcome=Outcome.RELEASED)
    assert (released.source, released.old_value, released.new_value) == (
        Source.QUALIFICATION,
        "Mine",
        "Mine",
    )
    assert released.actor_id == str(teammate.pk)


# History, no-ops, outbox --------------------------------------------------------------------------


def test_each_applied_change_writes_one_history_row(contact, teammate):
    DataAttributeFactory(name="tier")
    token = request_id_var.set("req-123")
    try:
        result = attributes_apply(
            target=contact,
            values={"name": "Ada King", "tier": "Gold"},
            source=Source.QUALIFICATION,
            actor=teammate,
        )
    finally:
        request_id_var.reset(token)
    rows = history(contact, source=Source.QUALIFICATION)
    assert [(r.attribute_name, r.old_value, r.new_value, r.outcome) for r in rows] == [
        ("name", "Ada Lovelace", "Ada King", Outcome.APPLIED),
        ("tier", None, "Gold", Outcome.APPLIED),
    ]
    for row in rows:
        assert (row.actor_kind, row.actor_id, row.actor_label) == (
            "teammate",
            str(teammate.pk),
            "Priya Raman",
        )
        assert row.request_id == "req-123"
        assert row.target_version == result.version
    provenance = fresh(contact).attribute_provenance["tier"]
    assert provenance["actor_label"] == "Priya Raman"
    assert provenance["version"] == result.version


def test_no_op_writes_write_nothing(contact):
    before = fresh(contact)
    changes, outbox = AttributeChange.objects.count(), AttributeOutbox.objects.count()
    result = attributes_apply(
        target=contact,
        values={"name": "  Ada Lovelace ", "email": "ada@example.com"},
        source=Source.REST_API,
        actor=API,
    )
    assert result.applied == [] and sorted(result.unchanged) == ["email", "name"]
    after = fresh(contact)
    assert after.version == before.version
    assert after.attribute_provenance == before.attribute_provenance
    assert AttributeChange.objects.count() == changes
    assert AttributeOutbox.objects.count() == outbox


def test_clearing_a_value_is_a_change(contact):
    DataAttributeFactory(name="tier")
    attributes_apply(target=contact, values={"tier": "Gold"}, source=Source.REST_API, actor=API)
    result = attributes_apply(
        target=contact, values={"tier": ""}, source=Source.REST_API, actor=API
    )
    assert [(c.old, c.new) for c in result.applied] == [("Gold", None)]
    assert "tier" not in fresh(contact).custom_attributes


def test_applied_writes_leave_an_outbox_row_in_the_same_transaction(contact):
    result = attributes_apply(
        target=contact, values={"name": "Grace"}, source=Source.REST_API, actor=API
    )
    row = AttributeOutbox.objects.latest("id")
    assert (row.target_type, row.target_id, row.target_version, row.attribute_names) == (
        "contact",
        contact.pk,
        result.version,
        ["name"],
    )
    assert row.processed_at is None  # delivered only after commit


# Concurrency --------------------------------------------------------------------------------------


def test_stale_write_is_refused_with_the_current_value_and_who_set_it(contact, teammate):
    seen = fresh(contact).version
    attributes_apply(
        target=contact, values={"name": "Set by the app"}, source=Source.REST_API, actor=API
    )
    with pytest.raises(StaleWriteError) as caught:
        attributes_apply(
            target=contact,
            values={"name": "My edit"},
            source=Source.QUALIFICATION,
            actor=teammate,
            expected=seen,
        )
    [conflict] = caught.value.conflicts
    assert conflict.current_value == "Set by the app"
    assert conflict.set_by.actor_label == "Billing sync token"
    assert conflict.set_by.source_label == "REST API"
    assert "Set by the app" in str(caught.value)
    assert fresh(contact).name == "Set by the app"
    assert not history(contact, source=Source.QUALIFICATION)


def test_a_change_to_another_attribute_is_not_a_conflict(contact, teammate):
    seen = fresh(contact).version
    attributes_apply(
        target=contact, values={"email": "new@example.com"}, source=Source.REST_API, actor=API
    )
    attributes_apply(
        target=contact,
        values={"name": "Mine"},
        source=Source.QUALIFICATION,
        actor=teammate,
        expected=seen,
    )
    assert (fresh(contact).name, fresh(contact).email) == ("Mine", "new@example.com")


def test_an_app_resending_a_held_value_is_recorded_once(contact, teammate):
    DataAttributeFactory(name="stage", precedence=Precedence.MANUAL_WINS, messenger_writable=True)
    attributes_apply(
        target=contact, values={"stage": "Mine"}, source=Source.QUALIFICATION, actor=teammate
    )
    for _ in range(5):
        attributes_apply(
            target=contact, values={"stage": "App"}, source=Source.MESSENGER, actor=MESSENGER
        )
    assert len(history(contact, outcome=Outcome.SKIPPED)) == 1
    assert fresh(contact).attribute_provenance["stage"]["pending"] == "App"


def test_confirming_the_apps_value_by_hand_makes_it_hold(contact, teammate):
    DataAttributeFactory(name="stage", precedence=Precedence.MANUAL_WINS)
    attributes_apply(target=contact, values={"stage": "Trial"}, source=Source.REST_API, actor=API)
    attributes_apply(
        target=contact, values={"stage": "Trial"}, source=Source.QUALIFICATION, actor=teammate
    )
    assert fresh(contact).attribute_provenance["stage"]["locked"] is True
    attributes_apply(target=contact, values={"stage": "Churned"}, source=Source.REST_API, actor=API)
    assert fresh(contact).custom_attributes["stage"] == "Trial"


def test_untrusted_messenger_junk_is_recorded_boundedly(contact):
    values = {f"junk_{i}_" + "x" * 300: "\x00bad" for i in range(50)}
    result = attributes_apply(
        target=contact, values=values, source=Source.MESSENGER, actor=MESSENGER
    )
    assert len(result.rejected) == 50
    rows = history(contact, outcome=Outcome.REJECTED)
    assert len(rows) == 20
    assert all(len(r.attribute_name) <= 190 and "\x00" not in r.new_value for r in rows)


def test_resync_refused_by_the_attribute_keeps_the_hold(contact, teammate):
    stage = DataAttributeFactory(
        name="stage",
        data_type=DataType.OPTIONS,
        options=["Gold", "Silver"],
        precedence=Precedence.MANUAL_WINS,
    )
    attributes_apply(
        target=contact, values={"stage": "Silver"}, source=Source.QUALIFICATION, actor=teammate
    )
    attributes_apply(target=contact, values={"stage": "Gold"}, source=Source.REST_API, actor=API)
    with writes_allowed():
        stage.options = ["Silver"]
        stage.save()
    with pytest.raises(AttributeWriteError):
        attribute_resync(target=contact, name="stage", actor=teammate)
    row = fresh(contact)
    assert row.custom_attributes["stage"] == "Silver"
    assert row.attribute_provenance["stage"]["locked"] is True


def test_resync_takes_the_attributes_own_value_not_a_record_change_of_the_same_name(contact):
    """A custom attribute named "role" is not the contact's role: re-syncing it takes the
    app's last value of the attribute, even after the contact's role changed."""
    from contacts.services import contact_identity_update

    DataAttributeFactory(name="role", label="Job role", precedence=Precedence.MANUAL_WINS)
    teammate = UserFactory()
    attributes_apply(
        target=contact, values={"role": "CTO"}, source=Source.QUALIFICATION, actor=teammate
    )
    attributes_apply(target=contact, values={"role": "VP"}, source=Source.REST_API, actor=API)
    contact_identity_update(contact=contact, source=Source.REST_API, actor=API, role="lead")
    attribute_resync(target=contact, name="role", actor=teammate)
    contact.refresh_from_db()
    assert (contact.role, contact.custom_attributes["role"]) == ("lead", "VP")
