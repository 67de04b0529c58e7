import pytest

from companies.models import Company
from contacts.models import ContactListEntry
from qualification.models import AttributeChange, DataType
from qualification.outbox.delivery import outbox_deliver
from tests.api_helpers import bearer, error_of
from tests.factories import CompanyFactory, ContactFactory, DataAttributeFactory
from workspace.tokens import api_token_create

pytestmark = pytest.mark.django_db
ALL = ["contacts:read", "contacts:write", "companies:read", "companies:write"]


@pytest.fixture
def secret():
    return api_token_create(name="CRM sync", scopes=ALL)[1]


def post(client, url, payload, secret):
    return client.post(url, payload, content_type="application/json", headers=bearer(secret))


def test_create_or_update_by_company_id(client, secret):
    DataAttributeFactory(
        model="company", name="tier", data_type=DataType.OPTIONS, options=["Gold", "Silver"]
    )
    first = post(
        client,
        "/api/companies",
        {
            "company_id": "acme",
            "name": "Acme",
            "plan": "Pro",
            "monthly_spend": 99.9,
            "custom_attributes": {"tier": "Gold"},
        },
        secret,
    )
    assert first.status_code == 200, first.content
    body = first.json()
    assert (body["type"], body["company_id"], body["name"], body["monthly_spend"]) == (
        "company",
        "acme",
        "Acme",
        99,
    )
    assert body["plan"] == {"type": "plan", "id": "Pro", "name": "Pro"}
    again = post(client, "/api/companies", {"company_id": "acme", "size": 40}, secret).json()
    assert again["id"] == body["id"] and again["size"] == 40 and again["name"] == "Acme"
    assert Company.objects.count() == 1
    bad = post(
        client,
        "/api/companies",
        {"company_id": "acme", "custom_attributes": {"tier": "Bronze"}},
        secret,
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "parameter_invalid"
    assert AttributeChange.objects.filter(attribute_name="tier").count() == 1


def test_retrieve_by_id_company_id_and_name(client, secret):
    company = CompanyFactory(company_id="globex", values={"name": "Globex"})
    assert (
        client.get(f"/api/companies/{company.pk}", headers=bearer(secret)).json()["name"]
        == "Globex"
    )
    by_id = client.get("/api/companies?company_id=globex", headers=bearer(secret)).json()
    by_name = client.get("/api/companies?name=Globex", headers=bearer(secret)).json()
    assert by_id["type"] == by_name["type"] == "company"
    missing = client.get("/api/companies?company_id=nope", headers=bearer(secret))
    assert missing.status_code == 404
    assert missing.json()["errors"][0] == {
        "code": "company_not_found",
        "message": "Company Not Found",
    }


def test_list_returns_empty_data_past_the_end(client, secret):
    CompanyFactory.create_batch(3)
    first = client.post("/api/companies/list?per_page=2", headers=bearer(secret)).json()
    second = client.post("/api/companies/list?per_page=2&page=2", headers=bearer(secret)).json()
    past = client.post("/api/companies/list?per_page=2&page=3", headers=bearer(secret)).json()
    assert (len(first["data"]), len(second["data"]), past["data"]) == (2, 1, [])


def test_attach_list_detach_and_delete(client, secret):
    contact = ContactFactory()
    company = CompanyFactory(values={"name": "Initech"})
    attached = post(
        client, f"/api/contacts/{contact.pk}/companies", {"id": str(company.pk)}, secret
    )
    assert attached.status_code == 200 and attached.json()["id"] == str(company.pk)
    listed = client.get(f"/api/contacts/{contact.pk}/companies", headers=bearer(secret)).json()
    assert (
        [c["id"] for c in listed["companies"]]
        == [c["id"] for c in listed["data"]]
        == [str(company.pk)]
    )
    people = client.get(f"/api/companies/{company.pk}/contacts", headers=bearer(secret)).json()
    assert [c["id"] for c in people["data"]] == [str(contact.pk)]
    while outbox_deliver():
        pass
    assert ContactListEntry.objects.get(contact_id=contact.pk).company_names == "Initech"

    deleted = client.delete(f"/api/companies/{company.pk}", headers=bearer(secret)).json()
    assert deleted == {"id": str(company.pk), "object": "company", "deleted": True}
    while outbox_deliver():
        pass
    assert ContactListEntry.objects.get(contact_id=contact.pk).company_names == ""
    missing = post(client, f"/api/contacts/{contact.pk}/companies", {"id": "999999"}, secret)
    assert missing.status_code == 404
    unspecified = post(client, f"/api/contacts/{contact.pk}/companies", {}, secret)
    assert error_of(unspecified) == ("parameter_not_found", "company not specified")
    assert unspecified.status_code == 400


def test_company_scopes_are_enforced(client):
    _, contacts_only = api_token_create(name="Contacts only", scopes=["contacts:read"])
    response = post(client, "/api/companies", {"company_id": "x"}, contacts_only)
    assert response.status_code == 403 and not Company.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_official_sdk_manages_companies(intercom):
    from intercom import CreateContactRequestWithEmail, CreateOrUpdateCompanyRequest

    _, token = api_token_create(name="SDK", scopes=ALL)
    client = intercom(token)
    company = client.companies.create_or_update(
        request=CreateOrUpdateCompanyRequest(company_id="wayne", name="Wayne Enterprises", size=500)
    )
    assert company.company_id == "wayne" and company.size == 500
    assert client.companies.find(company.id).name == "Wayne Enterprises"
    found = client.companies.retrieve(company_id="wayne")
    assert found.name == "Wayne Enterprises"
    contact = client.contacts.create(
        request=CreateContactRequestWithEmail(email="bruce@wayne.example")
    )
    client.companies.attach_contact(contact.id, company_id=company.id)
    attached = [c.id for c in client.contacts.list_attached_companies(contact.id)]
    assert attached == [company.id]
    names = [c.name for c in client.companies.list(per_page=5)]
    assert names == ["Wayne Enterprises"]


def test_scroll_walks_every_company_and_a_retried_page_repeats(
    client, secret, django_assert_max_num_queries
):
    from companies.api import SCROLL_PAGE_SIZE

    companies = CompanyFactory.create_batch(SCROLL_PAGE_SIZE + 5)
    with django_assert_max_num_queries(6):
        first = client.get("/api/companies/scroll", headers=bearer(secret)).json()
    assert (first["type"], first["pages"], first["total_count"]) == ("list", None, None)
    assert len(first["data"]) == SCROLL_PAGE_SIZE
    url = f"/api/companies/scroll?scroll_param={first['scroll_param']}"
    second = client.get(url, headers=bearer(secret)).json()
    # Asking with the same scroll_param again (a retry) gives the same page.
    assert client.get(url, headers=bearer(secret)).json()["data"] == second["data"]
    last = client.get(
        f"/api/companies/scroll?scroll_param={second['scroll_param']}", headers=bearer(secret)
    ).json()
    assert last["data"] == [] and last["scroll_param"] is None
    seen = [c["id"] for c in first["data"] + second["data"]]
    assert seen == [str(c.pk) for c in companies]


def test_scroll_with_an_unknown_param_says_to_start_again(client, secret):
    response = client.get("/api/companies/scroll?scroll_param=nope", headers=bearer(secret))
    assert response.status_code == 404
    error = response.json()["errors"][0]
    assert error["code"] == "scroll_param_not_found" and "start again" in error["message"]


@pytest.mark.django_db(transaction=True)
def test_the_sdk_scrolls_over_companies(intercom):

    from companies.api import SCROLL_PAGE_SIZE

    CompanyFactory.create_batch(SCROLL_PAGE_SIZE + 3)
    _, token = api_token_create(name="SDK scroll", scopes=["companies:read"])
    client = intercom(token)
    assert len({c.id for c in client.companies.scroll()}) == SCROLL_PAGE_SIZE + 3


@pytest.mark.parametrize(
    "url",
    [
        "/api/companies/list?page=225112430702272349574163482017792",
        "/api/companies?page=10001",
        # The query parameters' own bounds refuse these; the endpoints check nothing more.
        "/api/companies/list?page=0",
        "/api/companies/list?per_page=61",
        "/api/companies?per_page=0",
        "/api/contacts/{contact}/companies?page=0",
        "/api/contacts/{contact}/companies?per_page=151",
    ],
)
def test_a_page_out_of_bounds_is_refused_not_a_server_error(client, secret, url):
    contact = ContactFactory()
    method = client.post if "/list" in url else client.get
    response = method(url.format(contact=contact.pk), headers=bearer(secret))
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parameter_invalid"


def test_a_company_id_longer_than_its_column_is_a_400_not_a_server_error(client, secret):
    for method, url in (("post", "/api/companies"), ("put", None)):
        if url is None:
            url = f"/api/companies/{CompanyFactory().pk}"
        response = getattr(client, method)(
            url, {"company_id": "c" * 191}, content_type="application/json", headers=bearer(secret)
        )
        assert response.status_code == 400, response.content
        assert error_of(response) == (
            "parameter_invalid",
            "company_id: String should have at most 190 characters",
        )
    assert not Company.objects.filter(company_id="c" * 191).exists()
