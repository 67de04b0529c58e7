"""Data attributes over the REST API: plain HTTP for every field, error and scope (and that a
refused request wrote nothing), and the official python-intercom SDK against a live server."""

import pytest

from contacts.models import Contact
from qualification.models import AttributeChange, DataAttribute, DataType
from tests.api_helpers import bearer, error_of
from tests.factories import (
    ContactFactory,
    DataAttributeFactory,
    QualificationItemFactory,
    SegmentFactory,
    UserFactory,
)
from workspace.tokens import api_token_create

pytestmark = pytest.mark.django_db

ALL_SCOPES = ["data_attributes:read", "data_attributes:write", "contacts:read", "contacts:write"]


@pytest.fixture
def owner():
    return UserFactory(username="dana")


@pytest.fixture
def secret(owner):
    return api_token_create(name="Schema sync", scopes=ALL_SCOPES, created_by=owner)[1]


def post(client, secret, payload):
    return client.post(
        "/api/data_attributes", payload, content_type="application/json", headers=bearer(secret)
    )


def put(client, secret, attribute_id, payload):
    return client.put(
        f"/api/data_attributes/{attribute_id}",
        payload,
        content_type="application/json",
        headers=bearer(secret),
    )


def snapshot():
    """Every attribute definition, to show a refused request changed nothing."""
    return list(DataAttribute.objects.order_by("pk").values())


# Listing ------------------------------------------------------------------------------------------


def test_list_reports_standard_and_custom_attributes_in_intercoms_shape(client, secret, owner):
    tier = DataAttributeFactory(
        name="plan_tier",
        label="Plan tier",
        description="What they pay for",
        data_type=DataType.OPTIONS,
        options=["Free", "Pro"],
        messenger_writable=True,
        ui_writable=False,
        created_by=owner,
    )
    seats = DataAttributeFactory(name="seats", data_type=DataType.INTEGER)
    DataAttributeFactory(name="old_field", archived=True)
    DataAttributeFactory(model="company", name="mrr", data_type=DataType.FLOAT)

    body = client.get("/api/data_attributes?model=contact", headers=bearer(secret)).json()
    assert body["type"] == "list"
    by_name = {a["name"]: a for a in body["data"]}
    assert {a["model"] for a in body["data"]} == {"contact"}
    assert "old_field" not in by_name and "mrr" not in by_name
    assert by_name["plan_tier"] == {
        "type": "data_attribute",
        "id": tier.pk,
        "model": "contact",
        "name": "plan_tier",
        "full_name": "custom_attributes.plan_tier",
        "label": "Plan tier",
        "description": "What they pay for",
        "data_type": "string",
        "options": ["Free", "Pro"],
        "api_writable": True,
        "messenger_writable": True,
        "ui_writable": False,
        "custom": True,
        "archived": False,
        "created_at": int(tier.created_at.timestamp()),
        "updated_at": int(tier.updated_at.timestamp()),
        "admin_id": str(owner.pk),
    }
    assert by_name["seats"]["data_type"] == "integer" and "options" not in by_name["seats"]
    assert by_name["seats"]["admin_id"] is None and by_name["seats"]["id"] == seats.pk
    # Standard attributes: no id, times or creator, as in Intercom's example.
    assert by_name["email"] == {
        "type": "data_attribute",
        "model": "contact",
        "name": "email",
        "full_name": "email",
        "label": "Email",
        "description": "The person's email address.",
        "data_type": "string",
        "api_writable": True,
        "messenger_writable": True,
        "ui_writable": True,
        "custom": False,
        "archived": False,
    }
    assert by_name["location_city"]["full_name"] == "location.city"
    assert by_name["signed_up_at"]["data_type"] == "datetime"
    names = [a["name"] for a in body["data"]]
    assert names.index("email") < names.index("plan_tier") < names.index("seats")

    archived = client.get(
        "/api/data_attributes?model=contact&include_archived=true", headers=bearer(secret)
    ).json()
    old = next(a for a in archived["data"] if a["name"] == "old_field")
    assert old["archived"] is True

    companies = client.get("/api/data_attributes?model=company", headers=bearer(secret)).json()
    plan = next(a for a in companies["data"] if a["name"] == "plan")
    assert plan["full_name"] == "plan.name" and plan["custom"] is False
    mrr = next(a for a in companies["data"] if a["name"] == "mrr")
    assert (mrr["data_type"], mrr["full_name"]) == ("float", "custom_attributes.mrr")

    both = client.get("/api/data_attributes", headers=bearer(secret)).json()["data"]
    models = [a["model"] for a in both]
    assert models == sorted(models, reverse=True)  # people first, then companies
    assert len(both) == DataAttribute.objects.filter(archived=False).count()
    conversations = client.get("/api/data_attributes?model=conversation", headers=bearer(secret))
    assert conversations.json() == {"type": "list", "data": []}


@pytest.mark.parametrize("query", ["model=user", "include_archived=maybe"])
def test_list_refuses_bad_parameters(client, secret, query):
    response = client.get(f"/api/data_attributes?{query}", headers=bearer(secret))
    assert response.status_code == 400 and error_of(response)[0] == "parameter_invalid"


def test_list_query_count_does_not_grow_with_attributes(
    client, secret, owner, django_assert_max_num_queries
):
    for n in range(40):
        DataAttributeFactory(
            model="contact" if n % 2 else "company",
            data_type=DataType.OPTIONS if n % 3 else DataType.STRING,
            created_by=owner if n % 4 else None,
        )
    client.get("/api/data_attributes", headers=bearer(secret))  # records the token's last use
    # The token check, then the list itself.
    with django_assert_max_num_queries(2):
        response = client.get("/api/data_attributes?include_archived=true", headers=bearer(secret))
    assert len(response.json()["data"]) == DataAttribute.objects.count()


# Creating -----------------------------------------------------------------------------------------


def test_create_a_custom_attribute(client, secret, owner):
    response = post(
        client,
        secret,
        {
            "name": "Mithril Shirt",
            "model": "company",
            "data_type": "string",
            "description": "Armour",
            "messenger_writable": True,
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    attribute = DataAttribute.objects.get(name="Mithril Shirt")
    assert body == {
        "type": "data_attribute",
        "id": attribute.pk,
        "model": "company",
        "name": "Mithril Shirt",
        "full_name": "custom_attributes.Mithril Shirt",
        "label": "Mithril Shirt",
        "description": "Armour",
        "data_type": "string",
        "api_writable": True,
        "messenger_writable": True,
        "ui_writable": True,
        "custom": True,
        "archived": False,
        "created_at": int(attribute.created_at.timestamp()),
        "updated_at": int(attribute.updated_at.timestamp()),
        "admin_id": str(owner.pk),
    }
    assert (attribute.is_standard, attribute.created_by, attribute.options) == (False, owner, [])


@pytest.mark.parametrize("data_type", ["string", "integer", "float", "boolean", "date", "datetime"])
def test_create_every_plain_type_with_intercoms_defaults(client, secret, data_type):
    body = post(
        client, secret, {"name": f"a {data_type}", "model": "contact", "data_type": data_type}
    )
    assert body.status_code == 200, body.content
    assert body.json()["data_type"] == data_type
    attribute = DataAttribute.objects.get(name=f"a {data_type}")
    assert attribute.data_type == data_type
    # Messenger writes are opt-in, as in Intercom; a token without a teammate has no admin_id.
    assert attribute.messenger_writable is False and body.json()["messenger_writable"] is False


def test_create_a_list_attribute(client, secret):
    response = post(
        client,
        secret,
        {
            "name": "Team size",
            "model": "contact",
            "data_type": "options",
            "options": [{"value": "1-10"}, {"value": "11-50"}],
        },
    )
    assert response.status_code == 200, response.content
    assert (response.json()["data_type"], response.json()["options"]) == (
        "string",
        ["1-10", "11-50"],
    )
    attribute = DataAttribute.objects.get(name="Team size")
    assert (attribute.data_type, attribute.options) == (DataType.OPTIONS, ["1-10", "11-50"])


def test_a_token_made_without_a_teammate_creates_with_no_admin_id(client):
    _, anonymous = api_token_create(name="CLI", scopes=["data_attributes:write"])
    response = post(client, anonymous, {"name": "flag", "model": "contact", "data_type": "boolean"})
    assert response.status_code == 200 and response.json()["admin_id"] is None


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            {"name": "The One Ring", "model": "company", "data_type": "string"},
            "You already have 'The One Ring' in your company data. "
            "To save this as new company data, use a different name.",
        ),
        (
            {"name": "The One Ring", "model": "contact", "data_type": "integer"},
            "You already have 'The One Ring' in your company data. "
            "To save this as new people data, use a different name.",
        ),
        (
            {"name": "the one ring", "model": "company", "data_type": "string"},
            "You already have 'The One Ring' in your company data.",
        ),
        (
            {"name": "!nv@l!d n@me", "model": "company", "data_type": "string"},
            "Your name for this attribute must only contain alphanumeric characters, "
            "currency symbols, and hyphens",
        ),
        (
            {"name": "plan.tier", "model": "contact", "data_type": "string"},
            "Your name for this attribute must only contain",
        ),
        (
            {"name": "_hidden", "model": "contact", "data_type": "string"},
            "start with a letter or digit",
        ),
        ({"name": "x" * 191, "model": "contact", "data_type": "string"}, "at most 190"),
        ({"name": "  ", "model": "contact", "data_type": "string"}, "name of the attribute"),
        (
            {"name": "The Second Ring", "model": "company", "data_type": "mithril"},
            "Data Type isn't an option",
        ),
        (
            {"name": "Ring", "model": "user", "data_type": "string"},
            "The Data Attribute model field must be either contact or company",
        ),
        (
            {"name": "email", "model": "contact", "data_type": "string"},
            "'email' is one of our standard attributes. "
            "To save this as new people data, use a different name.",
        ),
        (
            {"name": "Plan", "model": "company", "data_type": "string"},
            "'Plan' is one of our standard attributes. To save this as new company data",
        ),
        (
            {
                "name": "Ring size",
                "model": "contact",
                "data_type": "options",
                "options": [{"value": "1-10"}],
            },
            "You must have at least two options on a list type data attribute",
        ),
        (
            {"name": "Ring size", "model": "contact", "data_type": "options"},
            "A list attribute needs its options",
        ),
        (
            {
                "name": "Ring size",
                "model": "contact",
                "data_type": "options",
                "options": {"value": "1-10"},
            },
            "Options isn't an array",
        ),
        (
            {
                "name": "Ring size",
                "model": "contact",
                "data_type": "options",
                "options": [{"value": str(n)} for n in range(1001)],
            },
            "A list attribute has at most 1000 options.",
        ),
        (
            {
                "name": "Ring size",
                "model": "contact",
                "data_type": "options",
                "options": [{"value": "S"}, {"value": "S"}],
            },
            "'S' is listed twice",
        ),
        (
            {
                "name": "Ring size",
                "model": "contact",
                "data_type": "options",
                "options": [{"value": "S"}, {"label": "M"}],
            },
            'non-empty text "value"',
        ),
        (
            {
                "name": "Ring size",
                "model": "contact",
                "data_type": "string",
                "options": [{"value": "S"}, {"value": "M"}],
            },
            "Only a list attribute",
        ),
        (
            {"name": "Ring", "model": "contact", "data_type": "string", "description": "d" * 501},
            "at most 500 characters",
        ),
        ({"model": "contact", "data_type": "string"}, "name"),
        ({"name": "Ring", "model": "contact", "data_type": "string", "label": "R"}, "label"),
    ],
)
def test_create_refusals_write_nothing(client, secret, payload, message):
    DataAttributeFactory(model="company", name="The One Ring")
    before = snapshot()
    response = post(client, secret, payload)
    assert response.status_code == 400, response.content
    code, got = error_of(response)
    assert code == "parameter_invalid" and message in got, got
    assert snapshot() == before


def test_a_name_taken_by_a_standard_attribute_of_the_other_model_is_allowed(client, secret):
    # "website" is a standard company attribute; people may have their own.
    response = post(client, secret, {"name": "website", "model": "contact", "data_type": "string"})
    assert response.status_code == 200, response.content


# Updating -----------------------------------------------------------------------------------------


def test_update_description_messenger_and_archive(client, secret):
    attribute = DataAttributeFactory(name="nickname", description="old")
    response = put(
        client,
        secret,
        attribute.pk,
        {"description": "What friends call them", "messenger_writable": True, "archived": True},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["description"], body["messenger_writable"], body["archived"]) == (
        attribute.pk,
        "What friends call them",
        True,
        True,
    )
    attribute.refresh_from_db()
    assert (attribute.description, attribute.messenger_writable, attribute.archived) == (
        "What friends call them",
        True,
        True,
    )
    assert body["updated_at"] == int(attribute.updated_at.timestamp())
    unarchived = put(client, secret, attribute.pk, {"archived": False, "description": None})
    assert unarchived.json()["archived"] is False and unarchived.json()["description"] == ""
    attribute.refresh_from_db()
    assert attribute.archived is False and attribute.description == ""


def test_update_options_keeps_values_that_use_a_removed_option(client, secret):
    tier = DataAttributeFactory(name="tier", data_type=DataType.OPTIONS, options=["Free", "Pro"])
    contact = ContactFactory(values={"tier": "Pro"})
    response = put(client, secret, tier.pk, {"options": [{"value": "Free"}, {"value": "Business"}]})
    assert response.status_code == 200, response.content
    assert response.json()["options"] == ["Free", "Business"]
    tier.refresh_from_db()
    assert tier.options == ["Free", "Business"]
    contact.refresh_from_db()
    assert contact.custom_attributes == {"tier": "Pro"}  # as in Intercom: values stay
    # Sending back the type as we reported it ("string" for a list) is not a change.
    same = put(client, secret, tier.pk, {"data_type": "string", "name": "tier"})
    assert same.status_code == 200, same.content
    # A later write must pick a current option.
    refused = client.put(
        f"/api/contacts/{contact.pk}",
        {"custom_attributes": {"tier": "Pro"}},
        content_type="application/json",
        headers=bearer(secret),
    )
    assert refused.status_code == 400 and "Business" in error_of(refused)[1]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"options": {"value": "1-10"}}, "Options isn't an array"),
        ({"options": None}, "Options isn't an array"),
        ({"options": [{"value": "1-10"}]}, "at least two options"),
        ({"options": "1-10,11-20"}, "Options isn't an array"),
        ({"name": "renamed"}, "The name of a data attribute cannot be changed"),
        ({"data_type": "integer"}, "The data type of a data attribute cannot be changed"),
        ({"description": "d" * 501}, "at most 500 characters"),
        ({"label": "New label"}, "label"),
        ({"model": "company"}, "model"),
        ({"archived": "sometimes"}, "archived"),
    ],
)
def test_update_refusals_write_nothing(client, secret, payload, message):
    tier = DataAttributeFactory(name="tier", data_type=DataType.OPTIONS, options=["Free", "Pro"])
    before = snapshot()
    response = put(client, secret, tier.pk, payload)
    assert response.status_code == 400, response.content
    code, got = error_of(response)
    assert code == "parameter_invalid" and message in got, got
    assert snapshot() == before


def test_options_on_an_attribute_that_is_not_a_list_are_refused(client, secret):
    attribute = DataAttributeFactory(name="nickname")
    before = snapshot()
    response = put(client, secret, attribute.pk, {"options": [{"value": "A"}, {"value": "B"}]})
    assert response.status_code == 400
    assert error_of(response) == (
        "parameter_invalid",
        "Only a list attribute has options; 'nickname' is string.",
    )
    assert snapshot() == before


def test_update_unknown_or_standard_attributes_is_not_found(client, secret):
    email = DataAttribute.objects.get(model="contact", name="email")
    before = snapshot()
    for attribute_id in (999_999, email.pk):
        response = put(client, secret, attribute_id, {"description": "x", "archived": True})
        assert response.status_code == 404
        assert error_of(response) == (
            "field_not_found",
            "We couldn't find that data attribute to update",
        )
    assert snapshot() == before


def test_archiving_qualification_data_is_refused(client, secret):
    item = QualificationItemFactory(attribute=DataAttributeFactory(model="company", name="arr"))
    before = snapshot()
    response = put(client, secret, item.attribute.pk, {"archived": True, "description": "x"})
    assert response.status_code == 422
    code, message = error_of(response)
    assert code == "data_invalid"
    assert message == (
        "The Data Attribute you are trying to archive has a dependant object: the "
        "qualification-data list for companies. Remove it from there first."
    )
    assert snapshot() == before


def test_archiving_an_attribute_a_segment_filters_on_is_refused(client, secret):
    tier = DataAttributeFactory(name="plan tier")
    other = DataAttributeFactory(name="seats", data_type=DataType.INTEGER)
    SegmentFactory(name="Gold customers", query="role=user&cf=plan+tier&op=is&v=Gold")
    SegmentFactory(name="Everyone", query="role=user")
    before = snapshot()
    response = put(client, secret, tier.pk, {"archived": True})
    assert response.status_code == 422
    code, message = error_of(response)
    assert code == "data_invalid" and "the segment 'Gold customers'" in message
    assert "Everyone" not in message
    assert snapshot() == before
    # An attribute no segment uses archives fine.
    assert put(client, secret, other.pk, {"archived": True}).json()["archived"] is True


def test_unarchiving_and_other_changes_ignore_dependants(client, secret):
    item = QualificationItemFactory(attribute=DataAttributeFactory(name="vip", archived=True))
    response = put(client, secret, item.attribute.pk, {"archived": False, "description": "VIP"})
    assert response.status_code == 200 and response.json()["archived"] is False


# Scopes -------------------------------------------------------------------------------------------


def test_scopes_are_enforced_and_refusals_write_nothing(client):
    attribute = DataAttributeFactory(name="nickname")
    _, reader = api_token_create(name="Reader", scopes=["data_attributes:read"])
    _, contacts_only = api_token_create(name="Contacts", scopes=["contacts:read", "contacts:write"])
    before = snapshot()

    assert error_of(client.get("/api/data_attributes")) == ("unauthorized", "Access Token Invalid")
    assert client.get("/api/data_attributes", headers=bearer(reader)).status_code == 200
    for secret in (reader, contacts_only):
        created = post(client, secret, {"name": "x", "model": "contact", "data_type": "string"})
        updated = put(client, secret, attribute.pk, {"archived": True})
        for response in (created, updated):
            assert response.status_code == 403
            assert error_of(response) == (
                "token_unauthorized",
                "This token may not do this: it lacks the data_attributes:write scope.",
            )
    listed = client.get("/api/data_attributes", headers=bearer(contacts_only))
    assert listed.status_code == 403 and "data_attributes:read" in error_of(listed)[1]
    assert snapshot() == before


# Using the attributes -----------------------------------------------------------------------------


def test_a_new_attribute_takes_values_at_once_and_an_archived_one_refuses_them(client, secret):
    contact = ContactFactory(values={"email": "ada@example.com"})
    created = post(
        client, secret, {"name": "favourite colour", "model": "contact", "data_type": "string"}
    ).json()
    written = client.put(
        f"/api/contacts/{contact.pk}",
        {"custom_attributes": {"favourite colour": "teal"}},
        content_type="application/json",
        headers=bearer(secret),
    )
    assert written.status_code == 200, written.content
    assert written.json()["custom_attributes"] == {"favourite colour": "teal"}

    put(client, secret, created["id"], {"archived": True})
    changes = AttributeChange.objects.count()
    refused = client.put(
        f"/api/contacts/{contact.pk}",
        {"custom_attributes": {"favourite colour": "navy"}},
        content_type="application/json",
        headers=bearer(secret),
    )
    assert refused.status_code == 400
    code, message = error_of(refused)
    assert code == "parameter_invalid" and "favourite colour is archived" in message
    contact.refresh_from_db()
    assert contact.custom_attributes == {"favourite colour": "teal"}
    assert AttributeChange.objects.count() == changes


def test_the_openapi_document_describes_every_data_attribute_operation(client):
    document = client.get("/api/openapi.json")
    assert document.status_code == 200
    paths = document.json()["paths"]
    operations = {
        (path, method): operation
        for path, methods in paths.items()
        if path.startswith("/api/data_attributes")
        for method, operation in methods.items()
    }
    assert set(operations) == {
        ("/api/data_attributes", "get"),
        ("/api/data_attributes", "post"),
        ("/api/data_attributes/{data_attribute_id}", "put"),
    }
    assert all(op["summary"] and op["responses"]["200"]["content"] for op in operations.values())
    schemas = document.json()["components"]["schemas"]
    assert set(schemas["DataAttributeCreate"]["required"]) == {"name", "model", "data_type"}
    assert "id" not in schemas["DataAttributeOut"]["required"]


# The official SDK ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_official_sdk_manages_data_attributes(intercom):
    from intercom import (
        BadRequestError,
        CreateDataAttributeRequestOne,
        CreateDataAttributeRequestOptions,
        CreateDataAttributeRequestOptionsOptionsItem,
        NotFoundError,
        UnprocessableEntityError,
        UpdateDataAttributeRequestOptions,
        UpdateDataAttributeRequestOptionsOptionsItem,
    )

    owner = UserFactory(username="sdk-owner")
    _, secret = api_token_create(name="SDK", scopes=ALL_SCOPES, created_by=owner)
    client = intercom(secret)
    archived = DataAttributeFactory(name="legacy", archived=True)

    listed = client.data_attributes.list(model="contact", include_archived=True)
    assert listed.type == "list"
    names = {a.name for a in listed.data}
    assert {"email", "legacy"} <= names
    assert "legacy" not in {a.name for a in client.data_attributes.list(model="contact").data}
    assert next(a for a in listed.data if a.name == "legacy").id == archived.pk

    created = client.data_attributes.create(
        request=CreateDataAttributeRequestOne(
            data_type="string",
            name="Mithril Shirt",
            model="contact",
            description="Armour",
            messenger_writable=True,
        )
    )
    assert (created.name, created.model, created.custom, created.messenger_writable) == (
        "Mithril Shirt",
        "contact",
        True,
        True,
    )
    assert created.full_name == "custom_attributes.Mithril Shirt"
    assert created.admin_id == str(owner.pk)

    sizes = client.data_attributes.create(
        request=CreateDataAttributeRequestOptions(
            data_type="options",
            options=[
                CreateDataAttributeRequestOptionsOptionsItem(value="1-10"),
                CreateDataAttributeRequestOptionsOptionsItem(value="11-50"),
            ],
            name="Team size",
            model="company",
        )
    )
    assert (sizes.data_type, sizes.options) == ("string", ["1-10", "11-50"])

    updated = client.data_attributes.update(
        sizes.id,
        request=UpdateDataAttributeRequestOptions(
            options=[
                UpdateDataAttributeRequestOptionsOptionsItem(value="1-10"),
                UpdateDataAttributeRequestOptionsOptionsItem(value="11-50"),
                UpdateDataAttributeRequestOptionsOptionsItem(value="51+"),
            ]
        ),
    )
    assert updated.options == ["1-10", "11-50", "51+"]
    archived_now = client.data_attributes.update(
        created.id, request={"archived": True, "description": "Retired"}
    )
    assert (archived_now.archived, archived_now.description) == (True, "Retired")

    with pytest.raises(BadRequestError) as duplicate:
        client.data_attributes.create(
            request=CreateDataAttributeRequestOne(
                data_type="string", name="Mithril Shirt", model="company"
            )
        )
    assert duplicate.value.status_code == 400
    with pytest.raises(BadRequestError):
        client.data_attributes.create(
            request=CreateDataAttributeRequestOne(data_type="mithril", name="x", model="contact")
        )
    with pytest.raises(BadRequestError):
        client.data_attributes.update(sizes.id, request={"options": {"value": "1-10"}})
    with pytest.raises(NotFoundError):
        client.data_attributes.update(999_999, request={"archived": True})
    QualificationItemFactory(attribute=DataAttribute.objects.get(pk=sizes.id))
    with pytest.raises(UnprocessableEntityError):
        client.data_attributes.update(sizes.id, request={"archived": True})
    assert DataAttribute.objects.get(pk=sizes.id).archived is False
    assert not DataAttribute.objects.filter(name="x").exists()
    assert Contact.objects.count() == 0
