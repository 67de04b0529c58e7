"""Only services write customer data: every other path is refused by the code itself, for
every guarded model and every way of writing it (core.write_guard)."""

import pytest
from django.db import transaction
from django.utils import timezone

from companies.models import Company
from contacts.models import CompanyMembership, Contact
from core.write_guard import WriteOutsideService, service, writes_allowed
from inbox.models import Conversation, ConversationPart
from qualification.models import DataAttribute, QualificationItem, Tag
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    ConversationFactory,
    DataAttributeFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

GUARDED = [Contact, Company, CompanyMembership, Conversation, ConversationPart, Tag]
GUARDED += [DataAttribute, QualificationItem]


@pytest.mark.parametrize("model", GUARDED, ids=lambda m: m._meta.label)
def test_bulk_writes_outside_a_service_are_refused(model):
    rows = model.objects.all()
    with pytest.raises(WriteOutsideService, match=model._meta.label):
        rows.update(pk=0)
    with pytest.raises(WriteOutsideService, match=model._meta.label):
        rows.delete()
    with pytest.raises(WriteOutsideService, match=model._meta.label):
        model.objects.bulk_create([])
    with pytest.raises(WriteOutsideService, match=model._meta.label):
        model.objects.bulk_update([], ["pk"])


def test_saving_creating_and_deleting_outside_a_service_are_refused():
    contact, company = ContactFactory(), CompanyFactory()
    conversation, tag = ConversationFactory(contact=contact), TagFactory()
    for instance in (contact, company, conversation, tag, DataAttributeFactory()):
        with pytest.raises(WriteOutsideService):
            instance.save()
        # Refused inside Django's own transaction: a savepoint keeps the test's usable.
        with pytest.raises(WriteOutsideService), transaction.atomic():
            instance.delete()
    with pytest.raises(WriteOutsideService):
        Contact.objects.create(role="lead")
    with pytest.raises(WriteOutsideService):
        Tag.objects.get_or_create(name="New")
    with pytest.raises(WriteOutsideService):
        CompanyMembership.objects.create(
            contact=contact, company=company, linked_at=timezone.now(), source="admin"
        )
    assert not CompanyMembership.objects.exists() and not Tag.objects.filter(name="New")


def test_tagging_outside_a_service_is_refused_from_either_end():
    contact, company, tag = ContactFactory(), CompanyFactory(), TagFactory()
    for change in (
        lambda: contact.tags.add(tag),
        lambda: contact.tags.set([tag]),
        lambda: company.tags.add(tag),
        lambda: tag.contacts.add(contact),
        lambda: contact.tags.clear(),
    ):
        with pytest.raises(WriteOutsideService), transaction.atomic():
            change()
    assert not contact.tags.exists() and not company.tags.exists()


def test_services_and_what_they_call_may_write():
    @service
    def rename(contact):
        contact.name = "Renamed"
        contact.save(update_fields=["name"])

    contact = ContactFactory()
    rename(contact)
    assert Contact.objects.get(pk=contact.pk).name == "Renamed"
    with pytest.raises(WriteOutsideService):  # and the permission ends with the service
        contact.save()


def test_reads_are_never_guarded(django_assert_num_queries):
    ContactFactory()
    with django_assert_num_queries(1):
        assert Contact.objects.count() == 1
    with writes_allowed():
        Contact.objects.update(name="Set up by a test")
    assert Contact.objects.get().name == "Set up by a test"


def test_no_product_code_lifts_the_guard():
    """writes_allowed() is for test set-up, and only services modules mark functions as
    services: a view or a task must call a service, not become one."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    product = [
        path
        for path in root.glob("*/**/*.py")
        if path.parts[len(root.parts)] not in ("tests", ".venv", "bench")
        and path.name != "write_guard.py"
    ]
    lifted = [str(p.relative_to(root)) for p in product if "writes_allowed(" in p.read_text()]
    assert lifted == []
    marked = [
        str(p.relative_to(root))
        for p in product
        if "@service" in p.read_text() and p.name != "services.py" and p.parent.name != "services"
    ]
    assert marked == []
