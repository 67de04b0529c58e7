import re
from datetime import timedelta

import pytest
from django.utils import timezone

from contacts.models import Contact, Segment
from contacts.projection import segment_populate
from qualification.models import AttributeOutbox, DataType, Precedence
from qualification.services import attributes_apply
from qualification.sources import Source
from tests.factories import (
    TEST_ACTOR,
    CompanyFactory,
    CompanyMembershipFactory,
    ContactFactory,
    DataAttributeFactory,
    TagFactory,
    UserFactory,
)
from tests.helpers import API, deliver_pending

pytestmark = pytest.mark.django_db


def listed(response):
    return [e.contact_id for e in response.context["page"].entries]


@pytest.fixture
def people():
    for name, data_type in [
        ("job", DataType.STRING),
        ("projects", DataType.INTEGER),
        ("score", DataType.FLOAT),
        ("beta", DataType.BOOLEAN),
        ("renews_on", DataType.DATE),
        ("plan_tier", DataType.OPTIONS),
    ]:
        DataAttributeFactory(
            name=name, data_type=data_type, options=["Free", "Pro"] if name == "plan_tier" else []
        )
    now = timezone.now()
    ada = ContactFactory(values={"name": "Ada Lovelace", "email": "ada@math.example"})
    bob = ContactFactory(role="lead", values={"name": "Bob Byte", "email": "bob@bits.example"})
    cyd = ContactFactory(values={"name": "Cyd Charisse", "email": "cyd@dance.example"})
    attributes_apply(
        target=ada,
        values={
            "job": "Chief Engineer",
            "projects": 12,
            "score": 4.5,
            "beta": True,
            "renews_on": "2026-03-01",
            "plan_tier": "Pro",
            "last_seen_at": now - timedelta(minutes=5),
        },
        source="rest_api",
        actor=API,
    )
    attributes_apply(
        target=cyd,
        values={
            "job": "Dancer",
            "projects": 3,
            "beta": False,
            "plan_tier": "Free",
            "last_seen_at": now - timedelta(days=2),
        },
        source="rest_api",
        actor=API,
    )
    vip = TagFactory(name="VIP")
    from contacts.services import contact_tag

    contact_tag(contact=bob, tag=vip, source=Source.ADMIN, actor=TEST_ACTOR)
    CompanyMembershipFactory(contact=cyd, company=CompanyFactory(values={"name": "Globex"}))
    from contacts.projection import contact_list_rebuild

    deliver_pending()
    contact_list_rebuild()
    return {"ada": ada, "bob": bob, "cyd": cyd, "vip": vip}


def test_contact_list_filters(client, agent, people):
    client.force_login(agent)
    ada, bob, cyd = people["ada"].pk, people["bob"].pk, people["cyd"].pk

    def pks(query):
        response = client.get(f"/contacts/?{query}")
        assert response.status_code == 200
        return set(listed(response))

    assert pks("") == {ada, bob, cyd}
    assert pks("role=lead") == {bob}
    assert pks(f"tag={people['vip'].pk}") == {bob}
    assert pks("company=glob") == {cyd}
    assert pks("q=lovelace") == {ada}
    assert pks("q=bits.example") == {bob}
    assert pks("cf=job&op=contains&v=engineer") == {ada}
    assert pks("cf=projects&op=between&v=2&v2=5") == {cyd}
    assert pks("cf=projects&op=gte&v=10") == {ada}
    assert pks("cf=score&op=lte&v=5") == {ada}
    assert pks("cf=beta&op=true") == {ada}
    assert pks("cf=beta&op=false") == {cyd}
    assert pks("cf=renews_on&op=gte&v=2026-02-01") == {ada}
    assert pks("cf=plan_tier&op=is&v=Free") == {cyd}
    bad = client.get("/contacts/?cf=projects&op=gte&v=lots")
    assert listed(bad) == [] and "must be a whole number, like 42." in bad.content.decode()


def test_contact_list_sorts_and_pages(client, agent, people):
    client.force_login(agent)
    ada, bob, cyd = people["ada"].pk, people["bob"].pk, people["cyd"].pk
    assert listed(client.get("/contacts/")) == [ada, cyd, bob]  # last seen, never seen last
    assert listed(client.get("/contacts/?sort=name")) == [ada, bob, cyd]
    assert listed(client.get("/contacts/?sort=-name")) == [cyd, bob, ada]
    import contacts.views

    original = contacts.views.PAGE_SIZE
    contacts.views.PAGE_SIZE = 2
    try:
        first = client.get("/contacts/?sort=name")
        second = client.get(f"/contacts/?sort=name&cursor={first.context['page'].next_cursor}")
    finally:
        contacts.views.PAGE_SIZE = original
    assert listed(first) == [ada, bob] and listed(second) == [cyd]


def test_update_pending_and_how_far_behind(client, agent, people):
    client.force_login(agent)
    html = client.get("/contacts/").content.decode()
    assert "The contact list is up to date." in html and ">Update pending</span>" not in html
    attributes_apply(
        target=people["ada"], values={"name": "Ada King"}, source="rest_api", actor=API
    )
    html = client.get("/contacts/").content.decode()
    assert ">Update pending</span>" in html
    assert "up to date but for changes of the last few seconds, which are on their way" in html
    assert "Ada Lovelace" in html  # the list still shows the old name...
    contact_page = client.get(f"/contacts/{people['ada'].pk}/").content.decode()
    assert "Ada King" in contact_page  # ...while the contact's own page is current
    deliver_pending()
    html = client.get("/contacts/").content.decode()
    assert "Ada King" in html and ">Update pending</span>" not in html


def freshness_line(html: str) -> str:
    tag = '<div class="sb-freshness" role="status">'
    start = html.index(tag) + len(tag)
    return " ".join(html[start : html.index("<", start)].split())


def test_freshness_line_never_says_zero_seconds_behind(client, agent, people):
    """Up to date, then "on their way" for a change of the last seconds, then whole seconds
    behind only from BEHIND_AFTER_SECONDS on: never "0 seconds behind"."""
    deliver_pending()
    client.force_login(agent)
    assert freshness_line(client.get("/contacts/").content.decode()) == (
        "The contact list is up to date."
    )
    attributes_apply(
        target=people["ada"], values={"name": "Ada King"}, source="rest_api", actor=API
    )
    assert freshness_line(client.get("/contacts/").content.decode()) == (
        "The contact list is up to date but for changes of the last few seconds, "
        "which are on their way."
    )
    AttributeOutbox.objects.filter(processed_at__isnull=True).update(
        created_at=timezone.now() - timedelta(seconds=7.6)
    )
    line = freshness_line(client.get("/contacts/").content.decode())
    # Whole seconds, counted from the oldest change waiting (7.6 s and the request's own time).
    assert re.fullmatch(r"The contact list is (\d+) seconds behind recent changes\.", line)
    assert 7 <= int(line.split()[4]) <= 30


def test_a_value_held_back_by_a_manual_edit_is_not_an_update_pending(client, agent, people):
    DataAttributeFactory(name="stage", precedence=Precedence.MANUAL_WINS, api_writable=True)
    attributes_apply(
        target=people["bob"], values={"stage": "Qualified"}, source="qualification", actor=agent
    )
    deliver_pending()
    result = attributes_apply(
        target=people["bob"], values={"stage": "Trial"}, source="rest_api", actor=API
    )
    assert [c.attribute for c in result.skipped] == ["stage"]
    client.force_login(agent)
    html = client.get("/contacts/").content.decode()
    assert ">Update pending</span>" not in html
    assert "The contact list is up to date." in html


def test_contact_list_query_count_is_constant(client, agent, people, django_assert_num_queries):
    client.force_login(agent)
    client.get("/contacts/")
    # session, user, perms (2), custom attributes, tags (filter), entries, tag names, pending,
    # oldest pending, recent lag, segments, segment permission check is cached.
    with django_assert_num_queries(11):
        client.get("/contacts/?cf=projects&op=gte&v=1&role=user")
    ContactFactory.create_batch(20)
    deliver_pending()
    with django_assert_num_queries(11):
        client.get("/contacts/?cf=projects&op=gte&v=1&role=user")


def test_saving_a_segment_and_its_badges(client, agent, people, django_capture_on_commit_callbacks):
    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/contacts/segments/", {"name": "Pro", "query": "cf=plan_tier&op=is&v=Pro"}
        )
    assert response.status_code == 302
    segment = Segment.objects.get(name="Pro")
    # With Redis configured the population runs in a worker; run it here (it is idempotent).
    segment_populate(segment_id=segment.pk)
    assert list(segment.members.values_list("pk", flat=True)) == [people["ada"].pk]
    assert "Pro" in client.get(f"/contacts/{people['ada'].pk}/").content.decode()
    again = client.post("/contacts/segments/", {"name": "Pro", "query": "role=lead"}, follow=True)
    assert "already exists" in again.content.decode()


def test_viewer_cannot_save_segments(client, people):
    client.force_login(UserFactory(username="victor", role="Viewer"))
    assert client.get("/contacts/").status_code == 200
    assert client.post("/contacts/segments/", {"name": "X", "query": ""}).status_code == 403
    assert not Segment.objects.exists()


def test_contact_list_counts_exactly_up_to_the_limit_then_says_plus(
    client, agent, people, monkeypatch, django_assert_num_queries
):
    client.force_login(agent)
    html = client.get("/contacts/").content.decode()
    assert '<p class="sb-count" id="contact-count">3 contacts</p>' in html
    assert ">1 contact</p>" in client.get("/contacts/?role=lead").content.decode()
    assert ">0 contacts</p>" in client.get("/contacts/?q=nobody").content.decode()
    monkeypatch.setattr("contacts.views.PAGE_SIZE", 1)
    response = client.get("/contacts/?role=user")
    assert ">2 contacts</p>" in response.content.decode()
    monkeypatch.setattr("core.counting.COUNT_LIMIT", 2)
    response = client.get(
        "/contacts/", headers={"HX-Request": "true", "HX-Target": "contact-table"}
    )
    assert ">2+ contacts</p>" in response.content.decode()
    # Past one page, the count is one more query, bounded: COUNT(*) FROM (... LIMIT 3).
    with django_assert_num_queries(12) as queries:
        client.get("/contacts/?cf=projects&op=gte&v=1&role=user")
    counting = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counting) == 1 and "LIMIT 3" in counting[0]


# A new contact -----------------------------------------------------------------------------------

HTMX = {"HTTP_HX_REQUEST": "true"}


def new_contact(client, htmx=True, **data):
    form = {"role": "user", "name": "", "email": "", "external_id": "", **data}
    return client.post("/contacts/new/", form, **(HTMX if htmx else {}))


def test_the_contact_list_links_to_a_new_contact_form(client, agent):
    client.force_login(agent)
    html = client.get("/contacts/").content.decode()
    assert '<a class="button" href="/contacts/new/">New contact</a>' in html
    html = client.get("/contacts/new/").content.decode()
    assert "<title>New contact | Switchboard</title>" in html
    for label in ["Name", "Email", "User ID"]:
        assert f">{label}</label>" in html
    assert "<legend>Role</legend>" in html


def test_teammate_creates_a_user_through_the_service(client, agent):
    from qualification.models import AttributeChange

    client.force_login(agent)
    response = new_contact(
        client, name="Grace Hopper", email="grace@navy.example", external_id="u-42"
    )
    contact = Contact.objects.get()
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/contacts/{contact.pk}/"
    assert (contact.role, contact.name, contact.email, contact.external_id) == (
        "user",
        "Grace Hopper",
        "grace@navy.example",
        "u-42",
    )
    changes = AttributeChange.objects.filter(target_type="contact", target_id=contact.pk)
    assert set(changes.values_list("source", "actor_label")) == {("qualification", "Priya Raman")}
    assert {"name", "email"} <= set(changes.values_list("attribute_name", flat=True))


def test_a_lead_without_javascript(client, agent):
    client.force_login(agent)
    response = new_contact(client, htmx=False, role="lead", name="Visitor from Berlin")
    contact = Contact.objects.get()
    assert (contact.role, contact.name, contact.email) == ("lead", "Visitor from Berlin", None)
    assert response.status_code == 302 and response["Location"] == f"/contacts/{contact.pk}/"
    assert "Created Visitor from Berlin." in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"email": "not-an-email"}, "email", "This is not an email address; it should look like"),
        ({"role": "robot", "name": "X"}, "role", "Pick User or Lead."),
        ({}, None, "Give at least a name, an email or a user ID."),
        ({"name": "x" * 256}, "name", "This is too long: at most 255 characters."),
        (
            {"role": "lead", "name": "L", "external_id": "u-1"},
            "external_id",
            "Only users have a user ID; leave it empty for a lead.",
        ),
    ],
)
def test_bad_input_is_explained_next_to_the_field(client, agent, data, field, error):
    client.force_login(agent)
    response = new_contact(client, **data)
    assert response.status_code == 422
    html = response.content.decode()
    if field:
        assert f'<p id="id_{field}_error" class="errornote">{error}' in html
    else:
        assert f'role="alert">{error}</div>' in html
    assert not Contact.objects.exists()


def test_a_duplicate_user_email_links_to_the_existing_contact(client, agent):
    ada = ContactFactory(values={"name": "Ada Lovelace", "email": "ada@math.example"})
    client.force_login(agent)
    response = new_contact(client, name="Ada again", email="ADA@math.example")
    assert response.status_code == 422
    assert (
        '<p id="id_email_error" class="errornote">A user with this email already exists. '
        f'<a href="/contacts/{ada.pk}/">Open Ada Lovelace</a></p>'
    ) in response.content.decode()
    response = new_contact(client, name="Ada again", external_id=ada.external_id)
    assert f'<a href="/contacts/{ada.pk}/">Open Ada Lovelace</a>' in response.content.decode()
    assert list(Contact.objects.all()) == [ada]
    # A lead may share a user's email.
    assert new_contact(client, role="lead", email="ada@math.example").status_code == 200
    assert Contact.objects.count() == 2


def test_viewer_cannot_create_contacts(client, viewer):
    client.force_login(viewer)
    assert "New contact" not in client.get("/contacts/").content.decode()
    assert client.get("/contacts/new/").status_code == 403
    assert new_contact(client, name="Nope").status_code == 403
    assert not Contact.objects.exists()


# Segments: renamed and deleted by their owner or an Admin -----------------------------------------


@pytest.fixture
def segments(agent):
    from tests.factories import SegmentFactory

    other = UserFactory(username="sam", role="Teammate")
    return {
        "mine": SegmentFactory(name="Pro users", created_by=agent, query="role=user"),
        "theirs": SegmentFactory(name="Leads", created_by=other, query="role=lead"),
    }


def segment_names():
    return list(Segment.objects.order_by("name").values_list("name", flat=True))


def test_owner_renames_their_segment_in_place(client, agent, segments):
    client.force_login(agent)
    mine = segments["mine"]
    response = client.post(
        f"/contacts/segments/{mine.pk}/rename/", {"name": "Paying users", "query": "q=a"}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="segments"' in html and "Renamed the segment to “Paying users”." in html
    assert '<input type="hidden" name="query" value="q=a">' in html
    assert segment_names() == ["Leads", "Paying users"]
    assert Segment.objects.get(pk=mine.pk).query == "role=user"


def test_owner_deletes_their_segment_without_javascript(client, agent, segments):
    client.force_login(agent)
    mine = segments["mine"]
    response = client.post(f"/contacts/segments/{mine.pk}/delete/", {"query": "role=user"})
    assert response.status_code == 302 and response["Location"] == "/contacts/?role=user"
    assert segment_names() == ["Leads"]


def test_only_owners_and_admins_see_and_use_the_controls(client, agent, viewer, segments):
    mine, theirs = segments["mine"], segments["theirs"]
    client.force_login(agent)
    html = client.get("/contacts/").content.decode()
    assert "Delete segment Pro users" in html and "Delete segment Leads" not in html
    assert client.post(f"/contacts/segments/{theirs.pk}/rename/", {"name": "X"}).status_code == 403
    assert client.post(f"/contacts/segments/{theirs.pk}/delete/").status_code == 403
    client.force_login(viewer)
    assert "Delete segment" not in client.get("/contacts/").content.decode()
    assert client.post(f"/contacts/segments/{mine.pk}/rename/", {"name": "X"}).status_code == 403
    assert client.post(f"/contacts/segments/{mine.pk}/delete/").status_code == 403
    assert segment_names() == ["Leads", "Pro users"]
    admin = UserFactory(username="ada", role="Admin")
    client.force_login(admin)
    html = client.get("/contacts/").content.decode()
    assert "Delete segment Pro users" in html and "Delete segment Leads" in html
    assert client.post(f"/contacts/segments/{theirs.pk}/delete/", **HTMX).status_code == 200
    assert segment_names() == ["Pro users"]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("  ", "Give the segment a name; it was not renamed."),
        ("Leads", "A segment called “Leads” already exists; pick another name."),
        ("x" * 191, "A segment name can be at most 190 characters long."),
    ],
)
def test_bad_segment_names_are_explained_next_to_the_field(client, agent, segments, name, error):
    client.force_login(agent)
    mine = segments["mine"]
    response = client.post(f"/contacts/segments/{mine.pk}/rename/", {"name": name}, **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert f'<p id="segment-{mine.pk}-error" class="errornote" role="alert">{error}</p>' in html
    assert segment_names() == ["Leads", "Pro users"]


def test_unknown_segments_are_404(client, agent):
    client.force_login(agent)
    assert client.post("/contacts/segments/999/rename/", {"name": "X"}).status_code == 404
    assert client.post("/contacts/segments/999/delete/").status_code == 404


def test_contact_list_query_count_does_not_grow_with_segments(
    client, agent, segments, django_assert_num_queries
):
    from tests.factories import SegmentFactory

    client.force_login(agent)
    client.get("/contacts/")
    # As many queries whatever the number of segments: the owner-or-Admin check of each
    # uses the permissions already loaded.
    with django_assert_num_queries(10):
        client.get("/contacts/")
    for i in range(10):
        SegmentFactory(name=f"S{i}", created_by=agent if i % 2 else None)
    with django_assert_num_queries(10):
        html = client.get("/contacts/").content.decode()
    assert html.count("Delete segment ") == 6
