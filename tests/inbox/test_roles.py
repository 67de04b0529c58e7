"""Roles are groups made by a data migration, enforced on the server. /admin/ is a break-glass
tool for superusers only; its forms still go through the write path."""

import pytest
from django.contrib.auth.models import Group

from contacts.models import Contact
from core.write_guard import writes_allowed
from qualification.models import AttributeChange, DataAttribute
from tests.factories import CompanyFactory, ContactFactory, DataAttributeFactory, UserFactory

pytestmark = pytest.mark.django_db


def perms(group_name):
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name=group_name).permissions.select_related("content_type")
    }


def test_viewer_reads_everything_and_edits_nothing():
    viewer = perms("Viewer")
    assert {
        "contacts.view_contact",
        "companies.view_company",
        "inbox.view_conversation",
        "qualification.view_dataattribute",
        "qualification.view_attributechange",
    } <= viewer
    assert all(".view_" in p for p in viewer)


def test_teammate_edits_customer_data_and_conversations_only():
    teammate = perms("Teammate")
    assert {
        "contacts.change_contact",
        "companies.change_company",
        "inbox.change_conversation",
        "inbox.add_conversationpart",
        "qualification.add_tag",
    } <= teammate
    assert "qualification.change_dataattribute" not in teammate
    assert "qualification.change_qualificationitem" not in teammate
    assert "auth.change_user" not in teammate


def test_admin_also_manages_attributes_qualification_list_and_teammates():
    admin = perms("Admin")
    assert {
        "qualification.add_dataattribute",
        "qualification.change_dataattribute",
        "qualification.change_qualificationitem",
        "auth.change_user",
        "auth.change_group",
        "contacts.delete_contact",
    } <= admin
    # History is append-only, for admins too.
    assert (
        not {
            "qualification.change_attributechange",
            "qualification.delete_attributechange",
            "qualification.add_attributechange",
        }
        & admin
    )


def contact_form(contact, **changes):
    data = {
        "role": contact.role,
        "external_id": contact.external_id or "",
        "email": contact.email or "",
        "name": contact.name or "",
        "phone": "",
        "owner": "",
        "language_override": "",
        "seen_version": contact.version,
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    data.update(changes)
    return data


def superuser(**kwargs):
    return UserFactory(role="Admin", is_superuser=True, **kwargs)


@pytest.mark.parametrize("role", ["Admin", "Teammate", "Viewer"])
def test_the_django_admin_refuses_every_role_but_superusers(client, role):
    contact = ContactFactory(values={"name": "Ada", "email": "ada@example.com"})
    history_before = AttributeChange.objects.count()
    client.force_login(UserFactory(role=role))
    url = f"/admin/contacts/contact/{contact.pk}/change/"
    assert client.get("/admin/").status_code == 403
    assert client.get(url).status_code == 403
    assert client.post(url, contact_form(contact, name="Hacked")).status_code == 403
    assert client.post("/admin/contacts/contact/add/", contact_form(contact)).status_code == 403
    assert Contact.objects.get(pk=contact.pk).name == "Ada"
    assert AttributeChange.objects.count() == history_before
    assert Contact.objects.count() == 1


def test_the_django_admin_sends_a_signed_out_visitor_to_its_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_superusers_read_the_django_admin(client):
    client.force_login(superuser())
    assert client.get("/admin/").status_code == 200


def test_superuser_changes_in_the_admin_go_through_the_write_path(client):
    agent = superuser(first_name="Priya", last_name="Raman")
    contact = ContactFactory(values={"name": "Ada", "email": "ada@example.com"})
    client.force_login(agent)
    response = client.post(
        f"/admin/contacts/contact/{contact.pk}/change/", contact_form(contact, name="Ada King")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = AttributeChange.objects.get(target_id=contact.pk, source="admin", actor_id=str(agent.pk))
    assert (row.attribute_name, row.old_value, row.new_value, row.actor_label) == (
        "name",
        "Ada",
        "Ada King",
        "Priya Raman",
    )
    assert Contact.objects.get(pk=contact.pk).attribute_provenance["name"]["source"] == "admin"


def test_admin_form_offers_no_way_around_the_write_path(client):
    agent = superuser()
    contact = ContactFactory(values={"name": "Ada", "email": "ada@example.com"})
    client.force_login(agent)
    url = f"/admin/contacts/contact/{contact.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="custom_attributes"' not in page
    assert 'name="browser"' not in page  # only the messenger writes it
    assert 'name="name"' in page
    client.post(
        url,
        contact_form(contact, custom_attributes='{"plan": "free"}', browser="Hacked", os="X"),
    )
    row = Contact.objects.get(pk=contact.pk)
    assert (row.custom_attributes, row.browser, row.os) == ({}, None, None)


def test_admin_form_shows_write_path_errors_beside_the_field(client):
    agent = superuser()
    contact = ContactFactory(values={"name": "Ada", "email": "ada@example.com"})
    client.force_login(agent)
    response = client.post(
        f"/admin/contacts/contact/{contact.pk}/change/",
        contact_form(contact, email="not-an-email"),
    )
    assert response.status_code == 200
    assert "Email must be an email address, like ada@example.com" in response.content.decode()
    assert Contact.objects.get(pk=contact.pk).email == "ada@example.com"


def test_admin_form_refuses_a_stale_save(client):
    from qualification.services import attributes_apply
    from qualification.sources import Actor

    agent = superuser()
    contact = ContactFactory(values={"name": "Ada", "email": "ada@example.com"})
    seen = Contact.objects.get(pk=contact.pk)
    attributes_apply(
        target=contact,
        values={"name": "From the app"},
        source="rest_api",
        actor=Actor("api_token", "1", "Sync token"),
    )
    client.force_login(agent)
    response = client.post(
        f"/admin/contacts/contact/{contact.pk}/change/", contact_form(seen, name="Mine")
    )
    assert response.status_code == 200
    assert "was changed to &#x27;From the app&#x27; by Sync token" in response.content.decode()
    assert Contact.objects.get(pk=contact.pk).name == "From the app"


def test_company_id_cannot_change_once_set(client):
    client.force_login(superuser())
    company = CompanyFactory(company_id="acme-1")
    page = client.get(f"/admin/companies/company/{company.pk}/change/")
    assert b'name="company_id"' not in page.content


def test_standard_attribute_model_delete_is_refused():
    from django.core.exceptions import ValidationError

    with writes_allowed():
        with pytest.raises(ValidationError, match="standard attribute"):
            DataAttribute.objects.get(model="contact", name="name").delete()
        DataAttributeFactory(name="throwaway").delete()


def test_superuser_sees_teammates_with_their_roles_in_the_admin(client):
    UserFactory(username="pat", role="Viewer")
    client.force_login(superuser(username="boss"))
    page = client.get("/admin/auth/user/").content.decode()
    assert "pat" in page and "Viewer" in page


def test_internal_tables_and_conversation_parts_are_read_only_even_for_superusers(rf):
    from django.contrib import admin

    from contacts.models import CompanyMembership, ContactListEntry, EventSummary
    from inbox.models import ConversationPart
    from qualification.models import AttributeOutbox

    request = rf.get("/admin/")
    request.user = superuser()
    for model in (
        AttributeOutbox,
        ContactListEntry,
        EventSummary,
        CompanyMembership,
        ConversationPart,
        AttributeChange,
    ):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request), model
        assert not model_admin.has_change_permission(request), model
        assert not model_admin.has_delete_permission(request), model


def test_no_one_posts_or_back_dates_a_conversation_part_through_the_admin(client):
    from tests.factories import ConversationFactory

    conversation = ConversationFactory()
    client.force_login(superuser())
    response = client.post(
        "/admin/inbox/conversationpart/add/",
        {"conversation": conversation.pk, "part_type": "reply", "body": "As someone else"},
    )
    assert response.status_code == 403
    assert conversation.parts.count() == 0
