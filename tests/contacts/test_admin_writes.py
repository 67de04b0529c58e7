"""The admin saves contacts through the contacts services: every change is recorded in history,
announced through the outbox and moves updated_at; a stale save writes nothing at all."""

import pytest
from django.contrib.messages import get_messages

from contacts.models import CompanyMembership, ContactListEntry
from qualification.models import AttributeChange, AttributeOutbox
from qualification.outbox.delivery import outbox_deliver
from qualification.services import attributes_apply
from qualification.sources import Actor, Source
from tests.factories import CompanyFactory, ContactFactory, TagFactory, UserFactory, given_tags
from tests.inbox.test_roles import contact_form

pytestmark = pytest.mark.django_db
API = Actor("api_token", "1", "Sync")


@pytest.fixture
def admin_user():
    return UserFactory(
        username="ada-admin", first_name="Ada", last_name="Admin", is_superuser=True, role="Admin"
    )


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def change_url(contact) -> str:
    return f"/admin/contacts/contact/{contact.pk}/change/"


def history(contact, name):
    return list(
        AttributeChange.objects.filter(target_id=contact.pk, attribute_name=name)
        .order_by("id")
        .values_list("old_value", "new_value", "source", "actor_label")
    )


def test_an_admin_edit_of_role_user_id_and_archived_is_recorded_and_reaches_the_list(
    admin_client,
):
    contact = ContactFactory(role="lead", external_id=None, values={"name": "Lena"})
    outbox_deliver()
    before = ContactListEntry.objects.get(contact_id=contact.pk)
    assert (before.role, before.external_id) == ("lead", "")
    updated_before = contact.updated_at

    form = contact_form(contact, role="user", external_id="u-77", archived="on")
    response = admin_client.post(change_url(contact), form)
    assert response.status_code == 302, response.content[:2000]

    contact.refresh_from_db()
    assert (contact.role, contact.external_id, contact.archived) == ("user", "u-77", True)
    assert contact.updated_at > updated_before
    who = "Ada Admin"
    assert history(contact, "role") == [("lead", "user", "admin", who)]
    assert history(contact, "external_id") == [(None, "u-77", "admin", who)]
    assert history(contact, "archived") == [(False, True, "admin", who)]
    announced = AttributeOutbox.objects.filter(target_id=contact.pk, processed_at__isnull=True)
    assert {n for row in announced for n in row.attribute_names} >= {"role", "external_id"}
    outbox_deliver()
    after = ContactListEntry.objects.get(contact_id=contact.pk)
    assert (after.role, after.external_id) == ("user", "u-77")
    # The contact's history says so, in words.
    page = admin_client.get(f"/contacts/{contact.pk}/").content.decode()
    for shown in ("User ID", "u-77", "Role", "Archived", "Ada Admin"):
        assert shown in page


def test_a_contact_added_in_the_admin_with_nothing_filled_appears_in_the_list(admin_client):
    from contacts.models import Contact

    form = contact_form(ContactFactory.build(role="lead", external_id=None))
    form.pop("seen_version")
    response = admin_client.post("/admin/contacts/contact/add/", form)
    assert response.status_code == 302, response.content[:2000]
    contact = Contact.objects.get()
    assert history(contact, "created") == [(None, "lead", "admin", "Ada Admin")]
    outbox_deliver()
    assert ContactListEntry.objects.filter(contact_id=contact.pk, role="lead").exists()


def test_a_stale_admin_save_writes_nothing_and_says_so(admin_client, admin_user, monkeypatch):
    """Another teammate changes the name after the form checked it and before it is saved:
    the whole save is refused, tags and company links included, and no success is shown."""
    from contacts.admin import ContactAdmin

    kept, added = TagFactory(name="Kept"), TagFactory(name="Added")
    company = CompanyFactory(values={"name": "Initech"})
    contact = ContactFactory(values={"name": "Ada", "email": "ada@example.com"})
    given_tags(contact, kept)
    seen_version = contact.version
    history_before = AttributeChange.objects.count()
    original = ContactAdmin.target_fields_update

    def someone_else_writes_first(self, request, obj, fields):
        attributes_apply(
            target=obj,
            values={"name": "Ada Lovelace"},
            source=Source.QUALIFICATION,
            actor=Actor("teammate", "99", "Grace"),
        )
        original(self, request, obj, fields)

    monkeypatch.setattr(ContactAdmin, "target_fields_update", someone_else_writes_first)
    form = contact_form(
        contact,
        name="Ada King",
        seen_version=seen_version,
        seen_tags=str(kept.pk),
        tags=[str(kept.pk), str(added.pk)],
        external_id="u-new",
        **{
            "memberships-TOTAL_FORMS": "1",
            "memberships-0-company": str(company.pk),
            "memberships-0-contact": str(contact.pk),
        },
    )
    response = admin_client.post(change_url(contact), form)

    assert response.status_code == 302 and response["Location"] == change_url(contact)
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("Nothing was saved" in m and "Grace" in m for m in shown), shown
    assert not any("successfully" in m for m in shown)
    contact.refresh_from_db()
    # The other teammate's write rolled back with the admin's: the transaction is one.
    assert (contact.name, contact.external_id) == ("Ada", contact.external_id)
    assert set(contact.tags.values_list("name", flat=True)) == {"Kept"}
    assert not CompanyMembership.objects.filter(contact=contact).exists()
    assert AttributeChange.objects.count() == history_before


def test_updated_at_moves_on_identity_and_archive_changes_through_the_api(client):
    from contacts.models import Contact
    from workspace.tokens import api_token_create

    _, secret = api_token_create(name="Sync", scopes=["contacts:read", "contacts:write"])
    contact = ContactFactory(role="lead", external_id=None)
    auth = {"Authorization": f"Bearer {secret}"}
    stamps = [Contact.objects.get(pk=contact.pk).updated_at]
    for body in ({"role": "user"}, {"external_id": "u-5"}):
        response = client.put(
            f"/api/contacts/{contact.pk}", body, content_type="application/json", headers=auth
        )
        assert response.status_code == 200, response.content
        stamps.append(Contact.objects.get(pk=contact.pk).updated_at)
        assert response.json()["updated_at"] == int(stamps[-1].timestamp())
    response = client.post(f"/api/contacts/{contact.pk}/archive", headers=auth)
    assert response.status_code == 200, response.content
    stamps.append(Contact.objects.get(pk=contact.pk).updated_at)
    assert stamps == sorted(stamps) and len(set(stamps)) == 4


def test_an_api_created_contact_with_no_values_is_announced(client):
    from workspace.tokens import api_token_create

    _, secret = api_token_create(name="Sync", scopes=["contacts:write"])
    response = client.post(
        "/api/contacts",
        {"role": "lead"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 200, response.content
    contact_id = int(response.json()["id"])
    assert AttributeOutbox.objects.filter(
        target_id=contact_id, attribute_names=["created"]
    ).exists()
    outbox_deliver()
    assert ContactListEntry.objects.filter(contact_id=contact_id, role="lead").exists()


def test_an_admin_save_refuses_a_role_changed_after_the_page_was_read(admin_client):
    """The API turns the lead into a user while the page is open; the admin, who saw a lead,
    only ticks "archived": saving would send the role back to lead, so nothing is saved."""
    from contacts.services import contact_identity_update

    contact = ContactFactory(role="lead", external_id=None, values={"name": "Lena"})
    seen = contact.version
    contact_identity_update(contact=contact, source=Source.REST_API, actor=API, role="user")
    form = contact_form(contact, role="lead", seen_version=seen, archived="on")
    response = admin_client.post(change_url(contact), form)
    assert response.status_code == 200  # the form again, saying why
    assert "Role was changed to &#x27;user&#x27; by Sync" in response.content.decode()
    contact.refresh_from_db()
    assert (contact.role, contact.archived) == ("user", False)


def test_changing_a_company_link_in_the_admin_moves_it(admin_client):
    from contacts.services import contact_company_attach

    first, second = CompanyFactory(values={"name": "A"}), CompanyFactory(values={"name": "B"})
    contact = ContactFactory(values={"name": "Ada"})
    link = contact_company_attach(contact=contact, company=first, source=Source.ADMIN, actor=API)
    contact.refresh_from_db()
    form = contact_form(
        contact,
        **{
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": str(link.pk),
            "memberships-0-contact": str(contact.pk),
            "memberships-0-company": str(second.pk),
        },
    )
    response = admin_client.post(change_url(contact), form)
    assert response.status_code == 302, response.content[:3000]
    assert list(contact.companies.values_list("name", flat=True)) == ["B"]
    assert history(contact, "companies")[-2:] == [
        ("A", None, "admin", "Ada Admin"),
        (None, "B", "admin", "Ada Admin"),
    ]


def test_an_admin_deletes_a_contact_with_links_and_conversations(admin_client):
    from contacts.models import Contact
    from contacts.services import contact_company_attach
    from tests.factories import ConversationFactory

    contact = ContactFactory(values={"name": "Ada"})
    contact_company_attach(
        contact=contact, company=CompanyFactory(), source=Source.ADMIN, actor=API
    )
    ConversationFactory(contact=contact)
    url = f"/admin/contacts/contact/{contact.pk}/delete/"
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert history(contact, "deleted") == [("Ada", None, "admin", "Ada Admin")]


def test_deleting_a_company_is_recorded_on_its_people(client):
    from companies.services import company_delete
    from contacts.services import contact_company_attach

    company = CompanyFactory(values={"name": "Initech"})
    contact = ContactFactory()
    contact_company_attach(contact=contact, company=company, source=Source.ADMIN, actor=API)
    contact.refresh_from_db()
    before = (contact.version, contact.updated_at)
    company_delete(company=company, source=Source.REST_API, actor=API)
    contact.refresh_from_db()
    assert contact.version > before[0] and contact.updated_at > before[1]
    assert history(contact, "companies")[-1] == ("Initech", None, "rest_api", "Sync")
