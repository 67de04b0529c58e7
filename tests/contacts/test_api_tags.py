"""Tags and segments over the REST API: plain HTTP for every body shape, error and scope, and the
official python-intercom SDK against a live server for wire compatibility."""

import json

import pytest

from companies.models import Company
from contacts.models import ContactListEntry
from core.write_guard import writes_allowed
from qualification.models import AttributeOutbox, Tag
from tests.api_helpers import bearer, error_of
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    SegmentFactory,
    SegmentMembershipFactory,
    TagFactory,
    given_tags,
)
from tests.helpers import deliver_pending
from workspace.tokens import api_token_create

pytestmark = pytest.mark.django_db
ALL = ["contacts:read", "contacts:write", "tags:read", "tags:write"]


@pytest.fixture
def secret():
    return api_token_create(name="Tag sync", scopes=ALL)[1]


def post(client, url, payload, secret):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(url, body, content_type="application/json", headers=bearer(secret))


def listed_tags(contact):
    return ContactListEntry.objects.get(contact_id=contact.pk).tag_ids


def tag_touches(target_type):
    return list(
        AttributeOutbox.objects.filter(target_type=target_type, attribute_names=["tags"])
        .order_by("target_id")
        .values_list("target_id", "source")
    )


# POST /tags: create and rename ---------------------------------------------------------------


def test_create_finds_by_name_in_any_case_and_lists_and_finds(client, secret):
    created = post(client, "/api/tags", {"name": "VIP"}, secret)
    assert created.status_code == 200, created.content
    tag = Tag.objects.get()
    assert created.json() == {"type": "tag", "id": str(tag.pk), "name": "VIP"}
    again = post(client, "/api/tags", {"name": " vip "}, secret).json()
    assert again["id"] == str(tag.pk) and Tag.objects.count() == 1
    other = TagFactory(name="Beta")

    listed = client.get("/api/tags", headers=bearer(secret)).json()
    assert listed == {
        "type": "list",
        "data": [
            {"type": "tag", "id": str(other.pk), "name": "Beta"},
            {"type": "tag", "id": str(tag.pk), "name": "VIP"},
        ],
    }
    found = client.get(f"/api/tags/{tag.pk}", headers=bearer(secret))
    assert found.json() == {"type": "tag", "id": str(tag.pk), "name": "VIP"}
    for missing in ("999999", "abc", "99999999999999999999999"):
        response = client.get(f"/api/tags/{missing}", headers=bearer(secret))
        assert response.status_code == 404
        assert error_of(response) == ("not_found", "Resource Not Found")


def test_rename_keeps_the_id_and_refuses_a_taken_name(client, secret):
    tag, other = TagFactory(name="Trial"), TagFactory(name="Paying")
    renamed = post(client, "/api/tags", {"name": "Trialist", "id": str(tag.pk)}, secret)
    assert renamed.json() == {"type": "tag", "id": str(tag.pk), "name": "Trialist"}
    assert post(client, "/api/tags", {"name": "TRIALIST", "id": tag.pk}, secret).status_code == 200
    taken = post(client, "/api/tags", {"name": "paying", "id": str(tag.pk)}, secret)
    assert taken.status_code == 400
    assert error_of(taken) == ("parameter_invalid", "A tag named 'paying' already exists.")
    missing = post(client, "/api/tags", {"name": "x", "id": "999999"}, secret)
    assert missing.status_code == 404 and error_of(missing) == ("not_found", "Resource Not Found")
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["Paying", "TRIALIST"]
    assert other.name == Tag.objects.get(pk=other.pk).name


# POST /tags: companies ----------------------------------------------------------------------


def test_tag_companies_by_id_and_company_id_creating_the_tag(client, secret):
    acme, globex, initech = (
        CompanyFactory(company_id="acme"),
        CompanyFactory(company_id="globex"),
        CompanyFactory(company_id="initech"),
    )
    response = post(
        client,
        "/api/tags",
        {"name": "Enterprise", "companies": [{"id": str(acme.pk)}, {"company_id": "globex"}]},
        secret,
    )
    assert response.status_code == 200, response.content
    tag = Tag.objects.get(name="Enterprise")
    assert response.json() == {"type": "tag", "id": str(tag.pk), "name": "Enterprise"}
    assert set(tag.companies.all()) == {acme, globex}
    assert tag_touches("company") == [(acme.pk, "rest_api"), (globex.pk, "rest_api")]
    # Tagging again changes nothing and announces nothing.
    post(client, "/api/tags", {"name": "enterprise", "companies": [{"id": acme.pk}]}, secret)
    assert len(tag_touches("company")) == 2

    untagged = post(
        client,
        "/api/tags",
        {
            "name": "Enterprise",
            "companies": [
                {"id": str(acme.pk), "untag": True},
                {"company_id": "initech"},
                {"id": str(globex.pk), "company_id": "globex", "untag": True},
            ],
        },
        secret,
    )
    assert untagged.json()["id"] == str(tag.pk)
    assert list(tag.companies.all()) == [initech]
    assert len(tag_touches("company")) == 5


def test_an_unknown_company_writes_nothing(client, secret):
    known = CompanyFactory(company_id="known")
    before = AttributeOutbox.objects.count()
    for item in (
        {"company_id": "nope"},
        {"id": "999999"},
        {"id": str(known.pk), "company_id": "x"},
    ):
        response = post(
            client,
            "/api/tags",
            {"name": "Churn", "companies": [{"id": str(known.pk)}, item]},
            secret,
        )
        assert response.status_code == 404
        assert error_of(response) == ("company_not_found", "Company Not Found")
    assert not Tag.objects.exists() and not known.tags.exists()
    assert AttributeOutbox.objects.count() == before


def test_untagging_only_with_an_unknown_tag_is_not_found(client, secret):
    company = CompanyFactory()
    response = post(
        client,
        "/api/tags",
        {"name": "Ghost", "companies": [{"id": company.pk, "untag": True}]},
        secret,
    )
    assert response.status_code == 404 and error_of(response) == ("not_found", "Resource Not Found")
    assert not Tag.objects.exists()


# POST /tags: users --------------------------------------------------------------------------


def test_tag_and_untag_users_and_the_contact_list_follows(client, secret):
    ada, bob = ContactFactory(), ContactFactory()
    deliver_pending()
    response = post(
        client,
        "/api/tags",
        {"name": "Beta", "users": [{"id": str(ada.pk)}, {"id": bob.pk}]},
        secret,
    )
    assert response.status_code == 200, response.content
    tag = Tag.objects.get(name="Beta")
    assert response.json() == {"type": "tag", "id": str(tag.pk), "name": "Beta"}
    assert set(tag.contacts.all()) == {ada, bob}
    deliver_pending()
    assert listed_tags(ada) == listed_tags(bob) == [tag.pk]

    post(
        client, "/api/tags", {"name": "Beta", "users": [{"id": str(ada.pk), "untag": True}]}, secret
    )
    assert list(tag.contacts.all()) == [bob]
    deliver_pending()
    assert (listed_tags(ada), listed_tags(bob)) == ([], [tag.pk])


def test_an_unknown_user_writes_nothing(client, secret):
    known = ContactFactory()
    before = AttributeOutbox.objects.count()
    for unknown in ("999999", "abc"):
        response = post(
            client,
            "/api/tags",
            {"name": "Beta", "users": [{"id": str(known.pk)}, {"id": unknown}]},
            secret,
        )
        assert response.status_code == 404
        assert error_of(response) == ("not_found", "User Not Found")
    assert not Tag.objects.exists() and not known.tags.exists()
    assert AttributeOutbox.objects.count() == before


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"test": "invalid"},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 191},
        {"name": 5},
        {"name": "x", "colour": "blue"},
        {"name": "x", "companies": []},
        {"name": "x", "users": []},
        {"name": "x", "companies": [{}]},
        {"name": "x", "companies": [{"untag": True}]},
        {"name": "x", "companies": [{"id": "1", "colour": "blue"}]},
        {"name": "x", "companies": "acme"},
        {"name": "x", "users": [{"email": "a@b.example"}]},
        {"name": "x", "users": [{"id": True}]},
        {"name": "x", "id": "1", "companies": [{"id": "1"}]},
        {"name": "x", "companies": [{"id": "1"}], "users": [{"id": "1"}]},
        ["name"],
        "null",
    ],
)
def test_bad_shapes_are_refused_and_nothing_is_written(client, secret, payload):
    CompanyFactory(company_id="1")
    ContactFactory()
    before = AttributeOutbox.objects.count()
    response = post(client, "/api/tags", payload, secret)
    assert response.status_code == 400
    assert error_of(response) == ("parameter_invalid", "invalid tag parameters")
    assert not Tag.objects.exists() and AttributeOutbox.objects.count() == before


def test_a_body_that_is_not_json_is_a_bad_request(client, secret):
    response = post(client, "/api/tags", "{not json", secret)
    assert response.status_code == 400
    assert error_of(response) == ("bad_request", "The request body is not valid JSON.")
    assert not Tag.objects.exists()


# DELETE /tags/{id} --------------------------------------------------------------------------


def test_delete_untags_everyone_and_the_contact_list_follows(client, secret):
    tag, kept = TagFactory(name="Old"), TagFactory(name="Kept")
    contact, company = ContactFactory(), CompanyFactory()
    given_tags(contact, tag, kept)
    given_tags(company, tag)
    deliver_pending()
    assert listed_tags(contact) == sorted([tag.pk, kept.pk])

    response = client.delete(f"/api/tags/{tag.pk}", headers=bearer(secret))
    assert response.status_code == 200 and response.content == b""
    assert list(Tag.objects.all()) == [kept]
    assert tag_touches("company") == [(company.pk, "rest_api")]
    assert (contact.pk, "rest_api") in tag_touches("contact")
    deliver_pending()
    assert listed_tags(contact) == [kept.pk]
    again = client.delete(f"/api/tags/{tag.pk}", headers=bearer(secret))
    assert again.status_code == 404 and error_of(again) == ("not_found", "Resource Not Found")


def test_deleting_a_widely_used_tag_takes_a_fixed_number_of_queries(
    client, secret, django_assert_max_num_queries
):
    tag = TagFactory(name="Everyone")
    contacts = ContactFactory.create_batch(40)
    for contact in contacts:
        given_tags(contact, tag)
    # The same count for 4 or 4,000 tagged contacts: no statement per contact (per model: one
    # UPDATE of versions, one read of them, one INSERT of history, one of outbox rows).
    with django_assert_max_num_queries(21):
        response = client.delete(f"/api/tags/{tag.pk}", headers=bearer(secret))
    assert response.status_code == 200
    assert sorted(pk for pk, _ in tag_touches("contact")) == sorted(c.pk for c in contacts)


def test_a_tag_a_segment_filters_on_cannot_be_deleted(client, secret):
    tag = TagFactory(name="VIP")
    SegmentFactory(name="VIP users", query=f"role=user&tag={tag.pk}")
    SegmentFactory(name="Leads", query="role=lead")
    contact = ContactFactory()
    given_tags(contact, tag)
    before = AttributeOutbox.objects.count()
    response = client.delete(f"/api/tags/{tag.pk}", headers=bearer(secret))
    assert response.status_code == 400
    assert error_of(response) == (
        "tag_has_dependent_objects",
        "Unable to delete Tag with dependent objects. Segments: VIP users.",
    )
    assert list(contact.tags.all()) == [tag] and AttributeOutbox.objects.count() == before


# /contacts/{id}/tags ------------------------------------------------------------------------


def test_tag_list_and_untag_a_contact(client, secret):
    contact = ContactFactory()
    vip, beta = TagFactory(name="VIP"), TagFactory(name="Beta")
    deliver_pending()
    for tag in (vip, beta, vip):
        tagged = post(client, f"/api/contacts/{contact.pk}/tags", {"id": str(tag.pk)}, secret)
        assert tagged.status_code == 200, tagged.content
        assert tagged.json() == {"type": "tag", "id": str(tag.pk), "name": tag.name}
    assert tag_touches("contact") == [(contact.pk, "rest_api")] * 2
    listed = client.get(f"/api/contacts/{contact.pk}/tags", headers=bearer(secret)).json()
    assert listed == {
        "type": "list",
        "data": [
            {"type": "tag", "id": str(beta.pk), "name": "Beta"},
            {"type": "tag", "id": str(vip.pk), "name": "VIP"},
        ],
    }
    deliver_pending()
    assert listed_tags(contact) == sorted([vip.pk, beta.pk])

    removed = client.delete(f"/api/contacts/{contact.pk}/tags/{vip.pk}", headers=bearer(secret))
    assert removed.json() == {"type": "tag", "id": str(vip.pk), "name": "VIP"}
    # Removing it again is not an error: the contact does not carry it, as asked.
    again = client.delete(f"/api/contacts/{contact.pk}/tags/{vip.pk}", headers=bearer(secret))
    assert again.status_code == 200
    assert list(contact.tags.all()) == [beta] and len(tag_touches("contact")) == 3
    deliver_pending()
    assert listed_tags(contact) == [beta.pk]


def test_contact_tag_errors_write_nothing(client, secret):
    contact, tag = ContactFactory(), TagFactory()
    before = AttributeOutbox.objects.count()
    cases = [
        (post(client, "/api/contacts/999999/tags", {"id": tag.pk}, secret), 404, "not_found"),
        (
            post(client, f"/api/contacts/{contact.pk}/tags", {"id": "9999"}, secret),
            404,
            "not_found",
        ),
        (post(client, f"/api/contacts/{contact.pk}/tags", {}, secret), 400, "parameter_invalid"),
        (
            post(client, f"/api/contacts/{contact.pk}/tags", {"id": True}, secret),
            400,
            "parameter_invalid",
        ),
        (client.get("/api/contacts/abc/tags", headers=bearer(secret)), 404, "not_found"),
        (
            client.delete(f"/api/contacts/{contact.pk}/tags/9999", headers=bearer(secret)),
            404,
            "not_found",
        ),
    ]
    for response, status, code in cases:
        assert response.status_code == status and error_of(response)[0] == code
    assert error_of(cases[0][0])[1] == "User Not Found"
    assert error_of(cases[1][0])[1] == "Resource Not Found"
    assert not contact.tags.exists() and AttributeOutbox.objects.count() == before


# Segments -----------------------------------------------------------------------------------


def test_segments_list_with_and_without_counts_find_and_a_contacts_segments(client, secret):
    users = SegmentFactory(name="Active users", query="role=user")
    leads = SegmentFactory(name="Fresh leads", query="role=lead&q=new")
    ada, bob = ContactFactory(), ContactFactory()
    SegmentMembershipFactory(segment=users, contact=ada)
    SegmentMembershipFactory(segment=users, contact=bob)

    def shape(segment, **extra):
        return {
            "type": "segment",
            "id": str(segment.pk),
            "name": segment.name,
            "created_at": int(segment.created_at.timestamp()),
            "updated_at": int(segment.created_at.timestamp()),
            "person_type": "contact" if segment is leads else "user",
            **extra,
        }

    plain = client.get("/api/segments", headers=bearer(secret)).json()
    assert plain == {"type": "segment.list", "segments": [shape(users), shape(leads)]}
    counted = client.get("/api/segments?include_count=true", headers=bearer(secret)).json()
    assert counted["segments"] == [shape(users, count=2), shape(leads, count=0)]
    assert client.get(f"/api/segments/{leads.pk}", headers=bearer(secret)).json() == shape(leads)
    missing = client.get("/api/segments/999999", headers=bearer(secret))
    assert missing.status_code == 404 and error_of(missing) == ("not_found", "Resource Not Found")

    mine = client.get(f"/api/contacts/{ada.pk}/segments", headers=bearer(secret)).json()
    assert mine == {"type": "list", "data": [shape(users)]}
    nobody = client.get("/api/contacts/999999/segments", headers=bearer(secret))
    assert nobody.status_code == 404 and error_of(nobody) == ("not_found", "User Not Found")


# Scopes -------------------------------------------------------------------------------------

TAG_ID, CONTACT_ID = "<tag>", "<contact>"


@pytest.mark.parametrize(
    ("scopes", "method", "url", "body"),
    [
        (["tags:write"], "get", "/api/tags", None),
        (["tags:write"], "get", f"/api/tags/{TAG_ID}", None),
        (["tags:read", "contacts:write"], "post", "/api/tags", {"name": "New"}),
        (["tags:read"], "post", "/api/tags", {"name": "New", "users": [{"id": CONTACT_ID}]}),
        (["tags:read", "contacts:write"], "delete", f"/api/tags/{TAG_ID}", None),
        (["tags:read"], "get", f"/api/contacts/{CONTACT_ID}/tags", None),
        (["contacts:write"], "post", f"/api/contacts/{CONTACT_ID}/tags", {"id": TAG_ID}),
        (["contacts:write"], "delete", f"/api/contacts/{CONTACT_ID}/tags/{TAG_ID}", None),
        (["tags:read"], "get", "/api/segments", None),
        (["tags:read"], "get", "/api/segments/<segment>", None),
        (["tags:read"], "get", f"/api/contacts/{CONTACT_ID}/segments", None),
    ],
)
def test_scopes_are_enforced_and_nothing_is_written(client, scopes, method, url, body):
    tag, contact, segment = TagFactory(name="Existing"), ContactFactory(), SegmentFactory()
    given_tags(contact, tag)
    names = {TAG_ID: str(tag.pk), CONTACT_ID: str(contact.pk), "<segment>": str(segment.pk)}
    for placeholder, value in names.items():
        url = url.replace(placeholder, value)
    body = json.loads(
        json.dumps(body).replace(TAG_ID, str(tag.pk)).replace(CONTACT_ID, str(contact.pk))
    )
    _, token = api_token_create(name="Narrow", scopes=scopes)
    before = AttributeOutbox.objects.count()
    kwargs = {"headers": bearer(token)}
    if body is not None:
        kwargs |= {"data": json.dumps(body), "content_type": "application/json"}
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code == 403
    assert error_of(response)[0] == "token_unauthorized"
    assert list(Tag.objects.all()) == [tag] and list(contact.tags.all()) == [tag]
    assert AttributeOutbox.objects.count() == before


def test_requests_without_a_token_are_unauthorized(client):
    for url in ("/api/tags", "/api/segments", "/api/contacts/1/tags"):
        response = client.get(url)
        assert response.status_code == 401
        assert error_of(response) == ("unauthorized", "Access Token Invalid")


# Query counts -------------------------------------------------------------------------------


def test_list_endpoints_do_not_grow_queries_with_rows(
    client, secret, django_assert_max_num_queries
):
    contact = ContactFactory()
    tags = TagFactory.create_batch(30)
    given_tags(contact, *tags)
    segments = SegmentFactory.create_batch(30)
    for segment in segments:
        SegmentMembershipFactory(segment=segment, contact=contact)
    # Auth (token, rate limit bookkeeping) plus one or two reads, whatever the row count.
    for url, rows in [
        ("/api/tags", 30),
        (f"/api/contacts/{contact.pk}/tags", 30),
        ("/api/segments?include_count=true", 30),
        (f"/api/contacts/{contact.pk}/segments", 30),
    ]:
        with django_assert_max_num_queries(4):
            body = client.get(url, headers=bearer(secret)).json()
        assert len(body.get("data") or body.get("segments")) == rows


# OpenAPI ------------------------------------------------------------------------------------


def test_the_openapi_document_describes_every_tag_and_segment_operation(client):
    document = client.get("/api/openapi.json").json()
    components = document["components"]["schemas"]
    ours = {
        path: operations
        for path, operations in document["paths"].items()
        if "/tags" in path or "/segments" in path
    }
    assert len([op for ops in ours.values() for op in ops]) == 10

    def resolved(node):
        if isinstance(node, dict):
            if "$ref" in node:
                assert node["$ref"].startswith("#/components/schemas/")
                assert node["$ref"].rsplit("/", 1)[-1] in components
            for value in node.values():
                resolved(value)
        elif isinstance(node, list):
            for value in node:
                resolved(value)

    for path, operations in ours.items():
        for method, operation in operations.items():
            assert operation["summary"], (method, path)
            assert "200" in operation["responses"] and "403" in operation["responses"]
            resolved(operation)
    body = ours["/api/tags"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert [shape["title"] for shape in body["anyOf"]] == [
        "TagCreateOrRename",
        "TagCompanies",
        "TagUsers",
    ]
    assert "$defs" not in json.dumps(body)


# The official SDK ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_official_sdk_manages_tags_and_reads_segments(intercom):
    from intercom import (
        CreateOrUpdateTagRequest,
        TagCompanyRequest,
        TagCompanyRequestCompaniesItem,
        TagMultipleUsersRequest,
        TagMultipleUsersRequestUsersItem,
        UntagCompanyRequest,
        UntagCompanyRequestCompaniesItem,
    )
    from intercom.core.api_error import ApiError
    from intercom.errors import BadRequestError, NotFoundError

    _, token = api_token_create(name="SDK", scopes=ALL)
    client = intercom(token)
    acme = CompanyFactory(company_id="acme")
    ada, bob = ContactFactory(), ContactFactory()

    vip = client.tags.create(request=CreateOrUpdateTagRequest(name="VIP"))
    assert (vip.type, vip.name) == ("tag", "VIP")
    renamed = client.tags.create(request=CreateOrUpdateTagRequest(name="Very VIP", id=vip.id))
    assert (renamed.id, renamed.name) == (vip.id, "Very VIP")

    enterprise = client.tags.create(
        request=TagCompanyRequest(
            name="Enterprise", companies=[TagCompanyRequestCompaniesItem(company_id="acme")]
        )
    )
    assert [t.name for t in Company.objects.get(pk=acme.pk).tags.all()] == ["Enterprise"]
    client.tags.create(
        request=UntagCompanyRequest(
            name="Enterprise",
            companies=[UntagCompanyRequestCompaniesItem(id=str(acme.pk), untag=True)],
        )
    )
    assert not Company.objects.get(pk=acme.pk).tags.exists()
    with pytest.raises(NotFoundError):
        client.tags.create(
            request=TagCompanyRequest(
                name="Enterprise", companies=[TagCompanyRequestCompaniesItem(company_id="nope")]
            )
        )
    with pytest.raises(BadRequestError):
        client.tags.create(request={"test": "invalid"})

    beta = client.tags.create(
        request=TagMultipleUsersRequest(
            name="Beta",
            users=[
                TagMultipleUsersRequestUsersItem(id=str(ada.pk)),
                TagMultipleUsersRequestUsersItem(id=str(bob.pk)),
            ],
        )
    )
    applied = client.tags.tag_contact(str(ada.pk), tag_id=vip.id)
    assert (applied.id, applied.name) == (vip.id, "Very VIP")
    attached = client.contacts.list_attached_tags(str(ada.pk))
    assert [t.name for t in attached.data] == ["Beta", "Very VIP"]
    removed = client.tags.untag_contact(str(ada.pk), tag_id=vip.id)
    assert removed.id == vip.id
    assert [t.id for t in client.contacts.list_attached_tags(str(ada.pk)).data] == [beta.id]
    deliver_pending()
    assert listed_tags(ada) == listed_tags(bob) == [int(beta.id)]

    assert [t.name for t in client.tags.list().data] == ["Beta", "Enterprise", "Very VIP"]
    assert client.tags.find(beta.id).name == "Beta"
    assert client.tags.delete(enterprise.id) is None
    with pytest.raises(NotFoundError):
        client.tags.find(enterprise.id)

    segment = SegmentFactory(name="Beta testers", query=f"tag={beta.id}")
    SegmentMembershipFactory(segment=segment, contact=ada)
    with pytest.raises(BadRequestError):
        client.tags.delete(beta.id)
    listed = client.segments.list(include_count=True)
    assert listed.type == "segment.list"
    assert [(s.id, s.name, s.count, s.person_type) for s in listed.segments] == [
        (str(segment.pk), "Beta testers", 1, "user")
    ]
    assert client.segments.find(str(segment.pk)).name == "Beta testers"
    with pytest.raises(NotFoundError):
        client.segments.find("999999")
    mine = client.contacts.list_attached_segments(str(ada.pk))
    assert [s.name for s in mine.data] == ["Beta testers"]
    assert client.contacts.list_attached_segments(str(bob.pk)).data == []
    assert issubclass(NotFoundError, ApiError)


# Foreign keys are checked at commit, so the test commits as production does.
@pytest.mark.django_db(transaction=True)
def test_a_tag_deleted_while_being_applied_is_a_conflict_not_a_server_error(client, monkeypatch):
    import contacts.api_tags as api_tags
    from contacts.models import Contact
    from qualification.models import Tag

    _, token = api_token_create(name="Racer", scopes=["tags:write", "contacts:read"])
    contact = ContactFactory()
    tag = TagFactory(name="Gone soon")
    found = api_tags._tag

    def found_then_deleted(tag_id):
        result = found(tag_id)
        with writes_allowed():  # another request deletes it meanwhile
            Tag.objects.filter(pk=result.pk).delete()
        return result

    monkeypatch.setattr(api_tags, "_tag", found_then_deleted)
    response = client.post(
        f"/api/contacts/{contact.pk}/tags",
        {"id": str(tag.pk)},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "conflict"
    assert not Contact.tags.through.objects.exists()


@pytest.mark.parametrize("kind", ["users", "companies"])
def test_at_most_100_contacts_or_companies_are_tagged_in_one_request(client, secret, kind):
    """50,000 users ran into the worker timeout; now the list is refused before any write,
    naming the limit (issue 16, finding 3)."""
    items = [{"id": str(n)} for n in range(1, 50_001)]
    response = post(client, "/api/tags", {"name": "Bulk", kind: items}, secret)
    assert response.status_code == 400, response.content
    assert error_of(response) == (
        "parameter_invalid",
        f"{kind}: at most 100 in one request (this one has 50000); send them in batches.",
    )
    assert not Tag.objects.filter(name="Bulk").exists()
    factory = ContactFactory if kind == "users" else CompanyFactory
    targets = [{"id": str(factory().pk)} for _ in range(3)] * 33 + [{"id": str(factory().pk)}]
    assert post(client, "/api/tags", {"name": "Bulk", kind: targets}, secret).status_code == 200
