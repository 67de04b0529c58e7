import pytest
from django.db import IntegrityError, transaction

from contacts.models import CompanyMembership, Contact, Role
from contacts.services import contact_company_attach, contact_create
from core.write_guard import writes_allowed
from qualification.models import AttributeChange
from qualification.results import AttributeWriteError
from qualification.sources import Actor, Source
from tests.factories import TEST_ACTOR, CompanyFactory, ContactFactory
from tests.helpers import API

pytestmark = pytest.mark.django_db


def test_contact_create_writes_values_through_the_write_path():
    contact = contact_create(
        role=Role.LEAD,
        values={"name": "Lena Novak", "email": "lena@example.com"},
        source=Source.MESSENGER,
        actor=Actor("messenger", "", "Messenger"),
    )
    assert (contact.name, contact.email, contact.role) == ("Lena Novak", "lena@example.com", "lead")
    history = AttributeChange.objects.filter(target_id=contact.pk, source="messenger")
    assert sorted(history.values_list("attribute_name", flat=True)) == ["created", "email", "name"]


def test_contact_create_with_a_bad_value_creates_nothing():
    with pytest.raises(AttributeWriteError):
        contact_create(values={"email": "nope"}, source=Source.REST_API, actor=API)
    assert not Contact.objects.exists()


def test_external_id_is_unique_among_users_only():
    ContactFactory(external_id="u-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactFactory(external_id="u-1")
    # Leads are not identified by external_id; a lead may carry the id of a user it becomes.
    ContactFactory(role=Role.LEAD, external_id="u-1")


def test_role_is_checked_by_the_database():
    with writes_allowed(), pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(role="visitor")


def test_linking_a_company_twice_keeps_the_first_link():
    contact, company = ContactFactory(), CompanyFactory()
    first = contact_company_attach(
        contact=contact, company=company, source=Source.REST_API, actor=TEST_ACTOR
    )
    again = contact_company_attach(
        contact=contact, company=company, source=Source.MESSENGER, actor=TEST_ACTOR
    )
    assert first.pk == again.pk and again.source == Source.REST_API
    assert CompanyMembership.objects.count() == 1
    with writes_allowed(), pytest.raises(IntegrityError), transaction.atomic():
        CompanyMembership.objects.create(
            contact=contact, company=company, linked_at=first.linked_at, source="admin"
        )


def test_every_model_has_a_factory_and_an_admin():
    from django.apps import apps
    from django.contrib import admin

    import tests.factories as factories

    made = {
        f.__dict__["_meta"].model
        for f in vars(factories).values()
        if isinstance(f, type) and hasattr(f, "_meta") and getattr(f._meta, "model", None)
    }
    ours = [
        m
        for app in ("qualification", "companies", "contacts", "inbox")
        for m in apps.get_app_config(app).get_models()
    ]
    assert [m.__name__ for m in ours if m not in made] == []
    assert [m.__name__ for m in ours if not admin.site.is_registered(m)] == []
