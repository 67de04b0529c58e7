"""Tags on the contact, company and conversation pages, and a contact's companies on its page:
who may, what gets written, what a bad input says, and what the htmx and plain forms get."""

import pytest

from contacts.models import CompanyMembership, Contact
from inbox.models import Conversation
from qualification.models import AttributeChange, Tag
from qualification.sources import Source
from tests.factories import (
    CompanyFactory,
    CompanyMembershipFactory,
    ContactFactory,
    ConversationFactory,
    TagFactory,
    UserFactory,
    given_tags,
)

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def records():
    contact = ContactFactory(values={"name": "Lena Novak", "email": "lena@acme.example"})
    company = CompanyFactory(company_id="acme", values={"name": "Acme"})
    conversation = ConversationFactory(contact=contact, subject="Export is broken")
    return {"contact": contact, "company": company, "conversation": conversation}


PAGES = {
    "contact": "/contacts/{pk}/",
    "company": "/companies/{pk}/",
    "conversation": "/inbox/conversations/{pk}/",
}
KINDS = list(PAGES)


def tag_names(target) -> list[str]:
    return sorted(type(target).objects.get(pk=target.pk).tags.values_list("name", flat=True))


def tag_history(kind, target) -> list[tuple]:
    return list(
        AttributeChange.objects.filter(target_type=kind, target_id=target.pk, attribute_name="tags")
        .order_by("id")
        .values_list("old_value", "new_value", "source", "actor_label")
    )


@pytest.mark.parametrize("kind", KINDS)
def test_teammate_adds_an_existing_tag_in_place(client, agent, records, kind):
    target = records[kind]
    TagFactory(name="VIP")
    client.force_login(agent)
    response = client.post(PAGES[kind].format(pk=target.pk) + "tags/", {"name": " vip "}, **HTMX)
    assert response.status_code == 200
    assert [t.name for t in response.templates if t.name] == ["inbox/_tags.html"]
    html = response.content.decode()
    assert 'aria-label="Remove tag VIP"' in html
    assert tag_names(target) == ["VIP"]
    assert Tag.objects.count() == 1  # found by name, any case: not a second tag
    assert tag_history(kind, target) == [(None, "VIP", Source.QUALIFICATION, "Priya Raman")]


@pytest.mark.parametrize("kind", KINDS)
def test_typing_a_new_name_creates_the_tag(client, agent, records, kind):
    target = records[kind]
    client.force_login(agent)
    response = client.post(
        PAGES[kind].format(pk=target.pk) + "tags/", {"name": "Needs  follow-up"}, **HTMX
    )
    assert response.status_code == 200
    assert tag_names(target) == ["Needs follow-up"]


@pytest.mark.parametrize("kind", KINDS)
def test_teammate_removes_a_tag(client, agent, records, kind):
    target = records[kind]
    vip, keep = TagFactory(name="VIP"), TagFactory(name="Beta")
    given_tags(target, vip, keep)
    client.force_login(agent)
    url = PAGES[kind].format(pk=target.pk) + f"tags/{vip.pk}/remove/"
    response = client.post(url, **HTMX)
    assert response.status_code == 200
    assert "Remove tag VIP" not in response.content.decode()
    assert tag_names(target) == ["Beta"]
    assert tag_history(kind, target) == [("VIP", None, Source.QUALIFICATION, "Priya Raman")]
    # Removing it again changes nothing and records nothing.
    assert client.post(url, **HTMX).status_code == 200
    assert len(tag_history(kind, target)) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_without_javascript_the_page_comes_back(client, agent, records, kind):
    target = records[kind]
    client.force_login(agent)
    page = PAGES[kind].format(pk=target.pk)
    response = client.post(page + "tags/", {"name": "VIP"})
    assert response.status_code == 302 and response["Location"] == page
    assert tag_names(target) == ["VIP"]
    response = client.post(page + "tags/", {"name": ""}, follow=True)
    assert "Type a tag name to add." in response.content.decode()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("", "Type a tag name to add."),
        ("   ", "Type a tag name to add."),
        ("x" * 191, "A tag name can be at most 190 characters long."),
    ],
)
def test_bad_tag_names_are_explained_next_to_the_field(client, agent, records, kind, typed, error):
    target = records[kind]
    client.force_login(agent)
    response = client.post(PAGES[kind].format(pk=target.pk) + "tags/", {"name": typed}, **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert f'<p id="{kind}-tag-error" class="errornote" role="alert">{error}</p>' in html
    assert 'aria-invalid="true"' in html
    assert Tag.objects.count() == 0
    assert tag_history(kind, target) == []


@pytest.mark.parametrize("kind", KINDS)
def test_viewer_sees_tags_without_controls_and_gets_403(client, viewer, records, kind):
    target = records[kind]
    vip = TagFactory(name="VIP")
    given_tags(target, vip)
    client.force_login(viewer)
    page = PAGES[kind].format(pk=target.pk)
    html = client.get(page).content.decode()
    assert "VIP" in html
    assert "Remove tag VIP" not in html and "Add tag" not in html
    assert client.post(page + "tags/", {"name": "New"}, **HTMX).status_code == 403
    assert client.post(page + f"tags/{vip.pk}/remove/", **HTMX).status_code == 403
    assert tag_names(target) == ["VIP"]
    assert list(Tag.objects.values_list("name", flat=True)) == ["VIP"]
    assert tag_history(kind, target) == []


def test_a_role_that_may_tag_but_not_create_tags_picks_an_existing_one(client, records):
    from django.contrib.auth.models import Permission

    user = UserFactory(username="limited", role="Viewer")
    user.user_permissions.add(Permission.objects.get(codename="change_contact"))
    TagFactory(name="VIP")
    client.force_login(user)
    url = f"/contacts/{records['contact'].pk}/tags/"
    html = client.get(f"/contacts/{records['contact'].pk}/").content.decode()
    assert "Pick an existing tag." in html
    response = client.post(url, {"name": "Brand new"}, **HTMX)
    assert response.status_code == 422
    assert "There is no tag called “Brand new”, and your role cannot create tags." in (
        response.content.decode()
    )
    assert list(Tag.objects.values_list("name", flat=True)) == ["VIP"]
    assert client.post(url, {"name": "vip"}, **HTMX).status_code == 200
    assert tag_names(records["contact"]) == ["VIP"]


def test_unknown_records_and_tags_are_404(client, agent, records):
    client.force_login(agent)
    vip = TagFactory(name="VIP")
    assert client.post("/contacts/999999/tags/", {"name": "VIP"}).status_code == 404
    assert client.post(f"/companies/{records['company'].pk}/tags/999999/remove/").status_code == 404
    assert client.post(f"/companies/999999/tags/{vip.pk}/remove/").status_code == 404


def test_tag_suggestions_list_every_tag_name(client, agent, records):
    for name in ["Beta", "VIP", "Churn risk"]:
        TagFactory(name=name)
    client.force_login(agent)
    html = client.get(f"/contacts/{records['contact'].pk}/").content.decode()
    assert (
        '<datalist id="contact-tag-names"><option value="Beta"><option value="Churn risk">'
        '<option value="VIP"></datalist>'
    ) in html
    assert '<label for="contact-tag-name">Add tag</label>' in html


def test_company_page_query_count_does_not_grow_with_tags(
    client, agent, records, django_assert_num_queries
):
    company = records["company"]
    client.force_login(agent)
    url = f"/companies/{company.pk}/"
    client.get(url)
    # session, user, perms (2); company; its tags; history; attributes; people count; tag
    # suggestions; memberships.
    with django_assert_num_queries(11):
        client.get(url)
    tags = [TagFactory(name=f"tag {i}") for i in range(20)]
    given_tags(company, *tags)
    for _ in range(5):
        CompanyMembershipFactory(company=company)
    with django_assert_num_queries(11):
        html = client.get(url).content.decode()
    assert html.count('aria-label="Remove tag tag ') == 20


def test_tag_partial_query_count(client, agent, records, django_assert_num_queries):
    contact = records["contact"]
    given_tags(contact, *[TagFactory(name=f"tag {i}") for i in range(10)])
    client.force_login(agent)
    client.post(f"/contacts/{contact.pk}/tags/", {"name": "tag 0"}, **HTMX)
    # session, user, perms (2); contact; tag lookup; the no-op tagging (savepoint, lock,
    # check, release); the contact again with its tags (2); suggestions.
    with django_assert_num_queries(13):
        client.post(f"/contacts/{contact.pk}/tags/", {"name": "tag 0"}, **HTMX)


# A contact's companies --------------------------------------------------------------------------


def companies_of(contact) -> list[str]:
    return sorted(
        CompanyMembership.objects.filter(contact=contact).values_list("company__name", flat=True)
    )


def company_history(contact) -> list[tuple]:
    return list(
        AttributeChange.objects.filter(
            target_type="contact", target_id=contact.pk, attribute_name="companies"
        )
        .order_by("id")
        .values_list("old_value", "new_value", "source")
    )


@pytest.mark.parametrize("typed", ["Acme", "  aCME "])
def test_an_ambiguous_name_asks_for_the_company_id(client, agent, records, typed):
    CompanyFactory(company_id="acme-2", values={"name": "Acme"})
    contact = records["contact"]
    client.force_login(agent)
    response = client.post(f"/contacts/{contact.pk}/companies/", {"company": typed}, **HTMX)
    assert response.status_code == 422
    assert (
        f"More than one company is called “{typed.strip()}”. Type its company ID instead"
        in response.content.decode()
    )
    assert companies_of(contact) == [] and company_history(contact) == []
    # Its company ID names one.
    response = client.post(f"/contacts/{contact.pk}/companies/", {"company": "acme-2"}, **HTMX)
    assert response.status_code == 200
    assert list(
        CompanyMembership.objects.filter(contact=contact).values_list(
            "company__company_id", flat=True
        )
    ) == ["acme-2"]
    assert company_history(contact) == [(None, "Acme", Source.QUALIFICATION)]


def test_a_unique_name_is_enough(client, agent, records):
    contact = records["contact"]
    client.force_login(agent)
    response = client.post(f"/contacts/{contact.pk}/companies/", {"company": "aCmE"}, **HTMX)
    assert response.status_code == 200
    assert 'aria-label="Remove from Acme"' in response.content.decode()
    assert companies_of(contact) == ["Acme"]
    assert company_history(contact) == [(None, "Acme", Source.QUALIFICATION)]
    # Adding again changes nothing.
    client.post(f"/contacts/{contact.pk}/companies/", {"company": "acme"}, **HTMX)
    assert len(company_history(contact)) == 1


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("", "Type the name of a company to add this person to."),
        ("Initech", "There is no company called “Initech”. Pick one of the suggestions."),
    ],
)
def test_bad_company_input_is_explained_next_to_the_field(client, agent, records, typed, error):
    contact = records["contact"]
    client.force_login(agent)
    response = client.post(f"/contacts/{contact.pk}/companies/", {"company": typed}, **HTMX)
    assert response.status_code == 422
    assert f'<p id="company-error" class="errornote" role="alert">{error}</p>' in (
        response.content.decode()
    )
    assert companies_of(contact) == [] and company_history(contact) == []


def test_teammate_removes_a_contact_from_a_company(client, agent, records):
    contact, acme = records["contact"], records["company"]
    globex = CompanyFactory(values={"name": "Globex"})
    CompanyMembershipFactory(contact=contact, company=acme)
    CompanyMembershipFactory(contact=contact, company=globex)
    client.force_login(agent)
    response = client.post(f"/contacts/{contact.pk}/companies/{acme.pk}/remove/", **HTMX)
    assert response.status_code == 200
    assert "Remove from Acme" not in response.content.decode()
    assert companies_of(contact) == ["Globex"]
    assert company_history(contact) == [("Acme", None, Source.QUALIFICATION)]
    # Without JavaScript: back to the contact page.
    response = client.post(f"/contacts/{contact.pk}/companies/{globex.pk}/remove/")
    assert response.status_code == 302 and response["Location"] == f"/contacts/{contact.pk}/"
    assert companies_of(contact) == []


def test_viewer_cannot_change_a_contacts_companies(client, viewer, records):
    contact = records["contact"]
    globex = CompanyFactory(values={"name": "Globex"})
    CompanyMembershipFactory(contact=contact, company=globex)
    client.force_login(viewer)
    html = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert "Globex" in html and "Add to company" not in html and "Remove from" not in html
    assert client.post(f"/contacts/{contact.pk}/companies/", {"company": "Acme"}).status_code == 403
    assert client.post(f"/contacts/{contact.pk}/companies/{globex.pk}/remove/").status_code == 403
    assert companies_of(contact) == ["Globex"]
    assert company_history(contact) == []
    assert Contact.objects.get(pk=contact.pk).version == contact.version


def test_company_suggestions_match_name_or_id_prefix(client, viewer, records):
    CompanyFactory(company_id="glx-1", values={"name": "Globex"})
    CompanyFactory(company_id="acme-2", values={"name": "Acme Labs"})
    client.force_login(viewer)  # reading companies is enough
    html = client.get("/companies/suggestions/", {"company": "acm"}).content.decode()
    assert html == (
        '<option value="Acme">Acme · acme</option>'
        '<option value="Acme Labs">Acme Labs · acme-2</option>'
    )
    assert client.get("/companies/suggestions/", {"company": "GLX"}).content.decode() == (
        '<option value="Globex">Globex · glx-1</option>'
    )
    assert client.get("/companies/suggestions/", {"company": " "}).content == b""


def test_conversation_tags_do_not_touch_the_contact(client, agent, records):
    conversation = records["conversation"]
    client.force_login(agent)
    client.post(f"/inbox/conversations/{conversation.pk}/tags/", {"name": "Bug"}, **HTMX)
    assert tag_names(conversation) == ["Bug"]
    assert tag_names(records["contact"]) == []
    assert Conversation.objects.get(pk=conversation.pk).version == conversation.version + 1
