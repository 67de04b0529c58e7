"""Who a contact is: one user per user id and per email (any case), enforced by the database;
leads may share an email, as in Intercom. Lookups by email use an index."""

import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from contacts.models import Contact
from contacts.services import contact_create
from qualification.sources import Actor, Source

API = Actor("api_token", "1", "Sync")


def create(role, email):
    return contact_create(role=role, values={"email": email}, source=Source.REST_API, actor=API)


@pytest.mark.django_db
def test_one_user_per_email_whatever_its_case_and_leads_may_share_one():
    create("user", "ada@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        create("user", "ADA@example.com")
    create("lead", "ada@example.com")
    create("lead", "Ada@example.com")
    assert Contact.objects.filter(email__iexact="ada@example.com").count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_creates_of_one_user_make_one():
    """While the first create is uncommitted, the second waits on its row (here it gives up
    after half a second, to show it waited); once the first commits, the second is refused:
    no check-then-act window, whatever the timing."""
    from django.db import OperationalError

    first_inserted, second_tried, outcome = threading.Event(), threading.Event(), []

    def first():
        with transaction.atomic():
            create("user", "twin@example.com")
            first_inserted.set()
            second_tried.wait(20)
        connections.close_all()

    def second():
        first_inserted.wait(20)
        try:
            with transaction.atomic():
                with connections["default"].cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '500ms'")
                create("user", "TWIN@example.com")
            outcome.append("created while the first was open")
        except OperationalError:
            outcome.append("waited for the first")
        second_tried.set()
        first_thread.join(20)
        try:
            with transaction.atomic():
                create("user", "TWIN@example.com")
            outcome.append("created")
        except IntegrityError:
            outcome.append("refused")
        connections.close_all()

    first_thread, second_thread = threading.Thread(target=first), threading.Thread(target=second)
    first_thread.start()
    second_thread.start()
    second_thread.join(60)
    assert outcome == ["waited for the first", "refused"]
    assert Contact.objects.filter(email__iexact="twin@example.com").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db
def test_lookups_by_email_without_regard_to_case_use_an_index():
    query = Contact.objects.filter(role="user", email__iexact="ada@example.com")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()
    assert "contact_unique_user_email" in plan or "contact_email_upper_idx" in plan, plan
