import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.write_guard import writes_allowed
from inbox.models import Conversation, ConversationPart, ConversationState, PartKind
from qualification.models import DataAttribute, QualificationItem
from tests.factories import (
    CompanyFactory,
    CompanyMembershipFactory,
    ContactFactory,
    ConversationFactory,
    ConversationPartFactory,
    DataAttributeFactory,
    EventFactory,
    EventSummaryFactory,
    QualificationItemFactory,
    TagFactory,
    UserFactory,
    given_tags,
)

pytestmark = pytest.mark.django_db
# session, user, perms (2); contact; tags; history; teammates; attributes; event summaries;
# recent events; segments; memberships; conversations with their assignees; tag suggestions.
QUERIES_CONTACT_PAGE = 15
HTMX_LIST = {"HX-Request": "true", "HX-Target": "conversation-list"}


def conversation_with(contact=None, *, minutes_ago=0, **kwargs):
    return ConversationFactory(
        contact=contact or ContactFactory(),
        last_activity_at=timezone.now() - timedelta(minutes=minutes_ago),
        **kwargs,
    )


def listed(response):
    return [c.pk for c in response.context["page"].items]


# Inbox -------------------------------------------------------------------------------------------


def test_inbox_shows_open_conversations_newest_first(client, agent):
    old = conversation_with(minutes_ago=50)
    new = conversation_with(minutes_ago=5)
    closed = conversation_with(state=ConversationState.CLOSED)
    client.force_login(agent)
    response = client.get("/inbox/")
    assert response.status_code == 200
    assert listed(response) == [new.pk, old.pk]
    assert listed(client.get("/inbox/?state=all")) == [closed.pk, new.pk, old.pk]
    assert listed(client.get("/inbox/?state=closed")) == [closed.pk]


def test_inbox_filters_live_in_the_url(client, agent):
    other = UserFactory(username="ada", role="Teammate")
    vip = TagFactory(name="VIP")
    tagged_lead = ContactFactory(
        role="lead", values={"name": "Lena Lead", "email": "lena@x.example"}
    )
    given_tags(tagged_lead, vip)
    with_company = ContactFactory(values={"name": "Carl Company", "email": "carl@acme.example"})
    CompanyMembershipFactory(contact=with_company)
    mine = conversation_with(assignee=agent, subject="Refund please")
    theirs = conversation_with(assignee=other)
    unassigned = conversation_with(tagged_lead, subject="Hello")
    at_company = conversation_with(with_company)
    client.force_login(agent)

    def pks(query):
        return set(listed(client.get(f"/inbox/?{query}")))

    assert pks("assignee=mine") == {mine.pk}
    assert pks(f"assignee={other.pk}") == {theirs.pk}
    assert pks("assignee=unassigned") == {unassigned.pk, at_company.pk}
    assert pks(f"tag={vip.pk}") == {unassigned.pk}
    assert pks("role=lead") == {unassigned.pk}
    assert pks("has_company=yes") == {at_company.pk}
    assert at_company.pk not in pks("has_company=no")
    assert pks("q=refund") == {mine.pk}
    assert pks("q=lena@x") == {unassigned.pk}
    assert pks("q=Carl") == {at_company.pk}
    response = client.get("/inbox/?assignee=nobody-like-this")
    assert response.status_code == 200 and listed(response) == []


def test_inbox_pages_by_cursor_and_swaps_only_the_list_for_htmx(client, agent):
    conversations = [conversation_with(minutes_ago=i) for i in range(30)]
    client.force_login(agent)
    first = client.get("/inbox/")
    assert listed(first) == [c.pk for c in conversations[:25]]
    cursor = first.context["page"].next_cursor
    second = client.get(f"/inbox/?cursor={cursor}")
    assert listed(second) == [c.pk for c in conversations[25:]]
    assert second.context["page"].next_cursor is None
    partial = client.get(f"/inbox/?cursor={cursor}", headers=HTMX_LIST).content.decode()
    assert "<html" not in partial and 'id="conversation-list"' in partial
    assert f"/inbox/conversations/{conversations[29].pk}/" in partial
    assert f"/inbox/conversations/{conversations[0].pk}/" not in partial
    assert client.get("/inbox/?cursor=garbage").status_code == 200


def test_inbox_query_count_does_not_grow_with_conversations(
    client, agent, django_assert_num_queries
):
    tag = TagFactory()
    for i in range(3):
        contact = ContactFactory()
        given_tags(contact, tag)
        conversation_with(contact, minutes_ago=i, assignee=agent)
    client.force_login(agent)
    client.get("/inbox/")
    # session, user, permissions (2), teammates for the filter, tags for the filter,
    # conversations, their contacts' tags.
    with django_assert_num_queries(8):
        client.get("/inbox/")
    for i in range(20):
        contact = ContactFactory()
        given_tags(contact, tag)
        ConversationPartFactory(conversation=conversation_with(contact, minutes_ago=10 + i))
    with django_assert_num_queries(8):
        response = client.get("/inbox/")
    assert len(listed(response)) == 23


# Conversation -----------------------------------------------------------------------------------


@pytest.fixture
def conversation(agent):
    contact = ContactFactory(values={"name": "Ada Lovelace", "email": "ada@example.com"})
    CompanyMembershipFactory(contact=contact, company=CompanyFactory(values={"name": "Acme"}))
    conversation = conversation_with(contact, subject="Export broken")
    ConversationPartFactory(conversation=conversation, body="The export spins forever")
    ConversationPartFactory(
        conversation=conversation, kind=PartKind.NOTE, author_user=agent, body="Known bug"
    )
    return conversation


def test_conversation_page_shows_thread_and_qualification_panel(client, agent, conversation):
    job = DataAttributeFactory(name="job_title", label="Job title")
    QualificationItemFactory(attribute=job, position=5)  # before the default name/email/phone
    client.force_login(agent)
    html = client.get(f"/inbox/conversations/{conversation.pk}/").content.decode()
    assert "The export spins forever" in html and "Known bug" in html
    assert html.index("Job title") < html.index(">Name<")
    for label in ("Job title", "Name", "Email", "Phone", "Company name", "Company size"):
        assert f'aria-label="Edit {label}"' in html
    assert "Send reply" in html and "Add internal note" in html


def test_conversation_company_picker_and_empty_state(client, agent, conversation):
    second = CompanyFactory(values={"name": "Globex"})
    CompanyMembershipFactory(contact=conversation.contact, company=second)
    client.force_login(agent)
    url = f"/inbox/conversations/{conversation.pk}/"
    html = client.get(url).content.decode()
    assert 'id="company-picker"' in html
    panel = client.get(
        f"{url}?company={second.pk}", headers={"HX-Request": "true", "HX-Target": "company-panel"}
    )
    assert b"Globex" in panel.content and b"<html" not in panel.content

    lonely = conversation_with(ContactFactory(values={"name": "Solo"}))
    html = client.get(f"/inbox/conversations/{lonely.pk}/").content.decode()
    assert "Solo</span> isn't linked to a company yet" in html
    assert f'link one on <a href="/contacts/{lonely.contact_id}/#companies-heading">' in html


def test_conversation_page_query_count_is_constant(
    client, agent, conversation, django_assert_num_queries
):
    client.force_login(agent)
    url = f"/inbox/conversations/{conversation.pk}/"
    client.get(url)
    # session, user, perms (2); conversation; parts; memberships; tags; segments; the
    # conversation's tags; teammates; qualification lists; tag suggestions; the previous and
    # next conversations of the inbox.
    with django_assert_num_queries(14):
        client.get(url)
    for i in range(15):
        ConversationPartFactory(conversation=conversation, kind=PartKind.REPLY, body=f"r{i}")
        QualificationItemFactory(attribute=DataAttributeFactory(name=f"q_{i}"))
        QualificationItemFactory(attribute=DataAttributeFactory(model="company", name=f"c_{i}"))
        conversation_with(minutes_ago=i - 7)
    with django_assert_num_queries(14):
        client.get(f"{url}?inbox=state%3Dall%26role%3Duser")
    # An assignee filter checks its value against the teammates (one more query).
    with django_assert_num_queries(15):
        client.get(f"{url}?inbox=state%3Dall%26assignee%3Dunassigned")
    with django_assert_num_queries(14):
        client.get(url)


def test_composer_adds_replies_and_notes(client, agent, conversation):
    client.force_login(agent)
    url = reverse("conversation-part-create", args=[conversation.pk])
    response = client.post(
        url, {"body": "Fixed now!", "kind": "reply"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and b"Fixed now!" in response.content
    client.post(url, {"body": "Tell billing", "kind": "note"}, headers={"HX-Request": "true"})
    kinds = list(conversation.parts.order_by("id").values_list("kind", "body"))
    assert kinds[-2:] == [("reply", "Fixed now!"), ("note", "Tell billing")]
    empty = client.post(url, {"body": "  ", "kind": "reply"}, headers={"HX-Request": "true"})
    assert empty.status_code == 422 and b"Write something before sending." in empty.content
    assert client.post(url, {"body": "no js", "kind": "reply"}).status_code == 302


def test_actions_assign_snooze_close_reopen(client, agent, conversation):
    client.force_login(agent)

    def act(action, **data):
        return client.post(
            reverse("conversation-action", args=[conversation.pk, action]),
            data,
            headers={"HX-Request": "true"},
        )

    assert act("assign", assignee=agent.pk).status_code == 200
    conversation.refresh_from_db()
    assert conversation.assignee == agent
    act("snooze", until="tomorrow")
    conversation.refresh_from_db()
    assert conversation.state == "snoozed" and conversation.snoozed_until > timezone.now()
    act("reopen")
    conversation.refresh_from_db()
    assert conversation.state == "open" and conversation.snoozed_until is None
    response = act("close")
    assert b"Closed" in response.content
    assert act("assign", assignee="").status_code == 200
    conversation.refresh_from_db()
    assert conversation.assignee is None and conversation.state == "closed"
    assert act("snooze", until="forever").status_code == 422
    assert act("explode").status_code == 404


def test_viewer_gets_no_controls_and_403_on_every_write(client, viewer, conversation):
    client.force_login(viewer)
    html = client.get(f"/inbox/conversations/{conversation.pk}/").content.decode()
    assert "Send reply" not in html and "Edit Name" not in html and ">Close<" not in html
    parts_before = ConversationPart.objects.count()
    assert (
        client.post(
            reverse("conversation-part-create", args=[conversation.pk]),
            {"body": "x", "kind": "reply"},
        ).status_code
        == 403
    )
    for action in ("assign", "snooze", "close", "reopen"):
        response = client.post(reverse("conversation-action", args=[conversation.pk, action]))
        assert response.status_code == 403
    assert ConversationPart.objects.count() == parts_before
    assert Conversation.objects.get(pk=conversation.pk).state == "open"


def test_pages_require_login(client, conversation):
    for url in (
        "/inbox/",
        f"/inbox/conversations/{conversation.pk}/",
        f"/contacts/{conversation.contact_id}/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# Contact and company pages -----------------------------------------------------------------------


def test_contact_page_shows_everything_with_a_filterable_timeline(client, agent, conversation):
    from qualification.services import attributes_apply
    from qualification.sources import Actor

    contact = conversation.contact
    attributes_apply(
        target=contact,
        values={"phone": "+1 555"},
        source="rest_api",
        actor=Actor("api_token", "1", "Sync token"),
    )
    client.force_login(agent)
    html = client.get(f"/contacts/{contact.pk}/").content.decode()
    for expected in (
        "Ada Lovelace",
        "Acme",
        "Export broken",
        "Sync token",
        "Last seen",
        'aria-label="Edit Phone"',
    ):
        assert expected in html
    timeline = client.get(
        f"/contacts/{contact.pk}/?source=rest_api",
        headers={"HX-Request": "true", "HX-Target": "timeline"},
    ).content.decode()
    assert "Sync token" in timeline and "Test factory" not in timeline


def test_contact_page_shows_event_summaries_and_recent_events_with_metadata(
    client, agent, conversation
):
    from contacts.services import event_track
    from qualification.sources import Actor

    contact = conversation.contact
    at = timezone.now().replace(microsecond=0) - timedelta(hours=2)
    for minutes, metadata in (
        (0, {"plan": "Pro"}),
        (
            30,
            {
                "price": {"amount": 34999, "currency": "eur"},
                "receipt": {"url": "https://pay.example/r/1", "value": "Receipt 1"},
                "renewal_date": 1767225600,
            },
        ),
    ):
        event_track(
            contact=contact,
            event_name="upgraded-plan",
            created_at=at + timedelta(minutes=minutes),
            metadata=metadata,
            source="rest_api",
            actor=Actor("api_token", "1", "Billing"),
        )
    EventSummaryFactory(contact=contact, event_name="imported-only", tracked_count=0)
    EventFactory(event_name="someone-elses-event")
    client.force_login(agent)
    html = client.get(f"/contacts/{contact.pk}/").content.decode()
    events = html[html.index('id="events-heading"') :]
    assert "No events yet" not in events and "someone-elses-event" not in events
    assert '<th scope="row">upgraded-plan</th><td>2</td>' in events
    assert '<th scope="row">imported-only</th>' in events
    # The one format, in the server's zone here (no teammate zone); how long ago on hover.
    assert f'<time datetime="{at:%Y-%m-%dT%H:%M:%S}Z" title="2\xa0hours ago">' in events
    assert f">{at:%-d %b %Y, %H:%M} UTC</time>" in events
    for shown in (
        "<dt>plan</dt><dd>Pro</dd>",
        "<dt>price</dt><dd>349.99 EUR</dd>",
        '<a href="https://pay.example/r/1" rel="nofollow noopener noreferrer" target="_blank">'
        "Receipt 1</a>",
        "<dt>renewal_date</dt><dd>1 Jan 2026, 00:00 UTC</dd>",
    ):
        assert shown in events
    # Newest first.
    assert events.index("349.99 EUR") < events.index("<dd>Pro</dd>")


def test_contact_page_says_how_events_arrive_when_there_are_none(client, agent, conversation):
    client.force_login(agent)
    html = client.get(f"/contacts/{conversation.contact_id}/").content.decode()
    assert "No events yet — your app records them with POST /api/events or trackEvent." in html


def test_contact_page_query_count_does_not_grow_with_events(
    client, agent, conversation, django_assert_num_queries
):
    contact = conversation.contact
    client.force_login(agent)
    url = f"/contacts/{contact.pk}/"
    client.get(url)
    with django_assert_num_queries(QUERIES_CONTACT_PAGE):
        client.get(url)
    now = timezone.now().replace(microsecond=0)
    for i in range(25):
        EventSummaryFactory(contact=contact, event_name=f"name-{i}")
        EventFactory(
            contact=contact,
            event_name=f"name-{i}",
            created_at=now - timedelta(minutes=i),
            metadata={"k": i, "link": {"url": "https://x.example", "value": "x"}},
        )
    with django_assert_num_queries(QUERIES_CONTACT_PAGE):
        html = client.get(url).content.decode()
    assert html.count("<dt>k</dt>") == 10 and html.count('<th scope="row">name-') == 25


def test_company_page_lists_people_and_attributes(client, agent, conversation):
    company = conversation.contact.companies.get()
    client.force_login(agent)
    html = client.get(f"/companies/{company.pk}/").content.decode()
    assert "Ada Lovelace" in html and 'aria-label="Edit Company name"' in html


# Qualification-data settings ---------------------------------------------------------------------


def test_admin_orders_the_qualification_list(client):
    admin = UserFactory(username="ada-admin", role="Admin")
    job = DataAttributeFactory(name="job_title", label="Job title")
    client.force_login(admin)
    url = "/settings/qualification/?model=contact"
    page = client.get(url).content.decode()
    assert "Move Name up" in page and "Job title" in page

    email_item = QualificationItem.objects.get(attribute__name="email", attribute__model="contact")
    client.post(
        "/settings/qualification/add/",
        {"model": "contact", "attribute": job.pk, "position": email_item.pk},
    )
    order = list(
        QualificationItem.objects.filter(attribute__model="contact")
        .order_by("position")
        .values_list("attribute__name", flat=True)
    )
    assert order == ["name", "email", "job_title", "phone"]
    job_item = QualificationItem.objects.get(attribute=job)
    client.post(f"/settings/qualification/{job_item.pk}/move/", {"direction": "up"})
    client.post(f"/settings/qualification/{email_item.pk}/remove/")
    order = list(
        QualificationItem.objects.filter(attribute__model="contact")
        .order_by("position")
        .values_list("attribute__name", flat=True)
    )
    assert order == ["name", "job_title", "phone"]
    response = client.post(
        "/settings/qualification/add/", {"model": "contact", "attribute": job.pk}, follow=True
    )
    assert "Job title is already qualification data." in response.content.decode()


def test_teammate_cannot_change_the_qualification_list(client, agent):
    client.force_login(agent)
    assert client.get("/settings/qualification/?model=contact").status_code == 403
    name_item = QualificationItem.objects.get(attribute__name="name", attribute__model="contact")
    response = client.post(f"/settings/qualification/{name_item.pk}/remove/")
    assert response.status_code == 403
    assert QualificationItem.objects.filter(pk=name_item.pk).exists()


def test_archived_attributes_leave_the_panel(client, agent, conversation):
    job = DataAttributeFactory(name="job_title", label="Job title")
    QualificationItemFactory(attribute=job)
    client.force_login(agent)
    url = f"/inbox/conversations/{conversation.pk}/"
    assert "Edit Job title" in client.get(url).content.decode()
    with writes_allowed():
        DataAttribute.objects.filter(pk=job.pk).update(archived=True)
    assert "Job title" not in client.get(url).content.decode()


# Stepping through a filtered inbox (j/k) and counts ------------------------------------------


def test_inbox_links_carry_its_filters_and_nothing_else(client, agent):
    mine = conversation_with(assignee=agent)
    client.force_login(agent)
    html = client.get("/inbox/?q=&assignee=mine&state=all&cursor=junk&utm=x").content.decode()
    assert f'href="/inbox/conversations/{mine.pk}/?inbox=state%3Dall%26assignee%3Dmine"' in html
    html = client.get(f"/inbox/conversations/{mine.pk}/?inbox=state%3Dall%26assignee%3Dmine")
    assert '<a href="/inbox/?state=all&amp;assignee=mine">← Inbox</a>' in html.content.decode()


def test_conversation_page_links_the_neighbours_within_the_inbox_filters(client, agent):
    other = UserFactory(username="ada", role="Teammate")
    first = conversation_with(assignee=agent, minutes_ago=1, subject="First")
    conversation_with(assignee=other, minutes_ago=2)  # filtered out
    # Same activity time as `second`: the id breaks the tie, as in the list.
    second = conversation_with(assignee=agent, minutes_ago=3, subject="Second")
    third = ConversationFactory(
        contact=ContactFactory(), assignee=agent, last_activity_at=second.last_activity_at
    )
    closed = conversation_with(assignee=agent, minutes_ago=4, state=ConversationState.CLOSED)
    client.force_login(agent)
    inbox = client.get("/inbox/?assignee=mine")
    assert listed(inbox) == [first.pk, third.pk, second.pk]

    def neighbours(conversation, query="assignee%3Dmine"):
        context = client.get(f"/inbox/conversations/{conversation.pk}/?inbox={query}").context
        return context["previous_id"], context["next_id"]

    assert neighbours(first) == (None, third.pk)
    assert neighbours(third) == (first.pk, second.pk)
    assert neighbours(second) == (third.pk, None)
    # A conversation that left the filtered list (closed meanwhile) still finds its place.
    assert neighbours(closed) == (second.pk, None)
    assert neighbours(second, "assignee%3Dmine%26state%3Dall") == (third.pk, closed.pk)
    html = client.get(f"/inbox/conversations/{third.pk}/?inbox=assignee%3Dmine").content.decode()
    assert f'<a href="/inbox/conversations/{second.pk}/?inbox=assignee%3Dmine" rel="next"' in html
    assert f'<a href="/inbox/conversations/{first.pk}/?inbox=assignee%3Dmine" rel="prev"' in html


def test_conversation_opened_directly_steps_through_the_default_inbox(client, agent):
    newer = conversation_with(minutes_ago=1)
    here = conversation_with(minutes_ago=2)
    conversation_with(minutes_ago=3, state=ConversationState.CLOSED)
    client.force_login(agent)
    for query in ("", "?inbox=", "?inbox=assignee%3Dnobody", "?inbox=tag%3D999999"):
        context = client.get(f"/inbox/conversations/{here.pk}/{query}").context
        expected = (newer.pk, None) if query in ("", "?inbox=") else (None, None)
        assert (context["previous_id"], context["next_id"]) == expected, query
    assert (
        '<a href="/inbox/">← Inbox</a>'
        in client.get(f"/inbox/conversations/{here.pk}/").content.decode()
    )


def test_inbox_counts_exactly_up_to_the_limit_then_says_plus(client, agent, monkeypatch):
    for i in range(7):
        conversation_with(
            minutes_ago=i, assignee=agent if i < 3 else None, subject="Only one" if i == 6 else ""
        )
    client.force_login(agent)
    html = client.get("/inbox/").content.decode()
    assert '<p class="sb-count" id="conversation-count">7 conversations</p>' in html
    assert ">1 conversation</p>" in client.get("/inbox/?q=only+one").content.decode()
    assert ">0 conversations</p>" in client.get("/inbox/?q=nomatch").content.decode()
    monkeypatch.setattr("inbox.views.PAGE_SIZE", 2)
    monkeypatch.setattr("core.counting.COUNT_LIMIT", 5)
    response = client.get("/inbox/")
    assert (response.context["count"].value, response.context["count"].more) == (5, True)
    assert ">5+ conversations</p>" in response.content.decode()
    assert ">5+ conversations</p>" in client.get("/inbox/", headers=HTMX_LIST).content.decode()
    response = client.get("/inbox/?assignee=mine")
    assert (response.context["count"].value, response.context["count"].more) == (3, False)
    assert ">3 conversations</p>" in response.content.decode()
    monkeypatch.setattr("core.counting.COUNT_LIMIT", 10_000)
    assert ">7 conversations</p>" in client.get("/inbox/").content.decode()


def test_inbox_count_costs_one_bounded_query_past_the_first_page(
    client, agent, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr("inbox.views.PAGE_SIZE", 2)
    for i in range(4):
        conversation_with(minutes_ago=i, subject=f"Case {i}")
    client.force_login(agent)
    client.get("/inbox/")
    # session, user, permissions (2), teammates and tags for the filter, conversations,
    # their contacts' tags, and the count: SELECT COUNT(*) FROM (... LIMIT 10001).
    with django_assert_num_queries(9) as queries:
        client.get("/inbox/")
    counting = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counting) == 1 and "LIMIT 10001" in counting[0]
    # A first page that holds every match is its own count.
    with django_assert_num_queries(8):
        client.get("/inbox/?q=case+3")


def test_the_assignee_picker_offers_only_teammates_who_can_reply(client, agent, viewer):
    from tests.factories import UserFactory

    admin = UserFactory(username="ada", first_name="Ada", last_name="Lovelace", role="Admin")
    conversation = ConversationFactory()
    client.force_login(agent)
    page = client.get(reverse("conversation", args=[conversation.pk]))
    picker = page.context["assign_form"].fields["assignee"].choices
    assert [label for _, label in picker] == ["Unassigned", "Ada Lovelace", "Priya Raman"]
    assert admin.pk in dict(picker)

    refused = client.post(
        reverse("conversation-action", args=[conversation.pk, "assign"]),
        {"assignee": viewer.pk},
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 422
    assert "a Viewer can&#x27;t be assigned" in refused.content.decode()
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_the_contact_page_shows_event_summaries_a_page_at_a_time(
    client, agent, django_assert_max_num_queries
):
    """10,003 summaries made 2.9 MB of HTML (issue 16, finding 4): now 25 to a page, with a
    link to the earlier ones and back to the latest."""
    from contacts.models import EventSummary

    contact = ContactFactory()
    moment = timezone.now().replace(microsecond=0) - timedelta(days=1)
    EventSummary.objects.bulk_create(
        EventSummary(
            contact=contact,
            event_name=f"did-{n:04}",
            first_at=moment,
            last_at=moment + timedelta(seconds=n),
            tracked_count=1,
        )
        for n in range(1_000)
    )
    client.force_login(agent)
    url = f"/contacts/{contact.pk}/"
    html = client.get(url).content.decode()
    shown = re.findall(r'<th scope="row">(did-\d+)</th>', html)
    assert shown == [f"did-{n:04}" for n in range(999, 974, -1)]
    assert "Latest events" not in html
    seen = list(shown)
    pages = 1
    while match := re.search(r'href="([^"]*\?events=[^"#]*)#events-heading" rel="next"', html):
        next_url = match.group(1).replace("&amp;", "&")
        assert next_url.startswith(url)
        with django_assert_max_num_queries(40):
            html = client.get(next_url).content.decode()
        assert "Latest events" in html
        seen += re.findall(r'<th scope="row">(did-\d+)</th>', html)
        pages += 1
    assert pages == 40 and sorted(seen) == [f"did-{n:04}" for n in range(1_000)]
