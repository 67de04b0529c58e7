"""Settings → Data attributes and Settings → Qualification data: only Admins open them, every
change goes through the services, bad input is explained beside its field and changes nothing."""

import pytest
from django.urls import reverse

from qualification.models import DataAttribute, DataType, QualificationItem
from tests.factories import DataAttributeFactory, SegmentFactory, UserFactory

pytestmark = pytest.mark.django_db

ATTRIBUTES = "/settings/data-attributes/"
QUALIFICATION = "/settings/qualification/"
HTMX = {"HX-Request": "true", "HX-Target": "qualification-data"}


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="ada", first_name="Ada", role="Admin"))
    return client


def new_attribute(**overrides):
    data = {
        "model": "contact",
        "name": "plan",
        "label": "Plan",
        "description": "",
        "data_type": DataType.STRING,
        "ui_writable": "on",
        "api_writable": "on",
        "precedence": "app_wins",
    }
    return data | overrides


def edit_data(attribute, **overrides):
    data = {
        "label": attribute.label,
        "description": attribute.description,
        "precedence": attribute.precedence,
        "options": list(attribute.options),
    }
    for field in ("ui_writable", "api_writable", "messenger_writable", "import_writable"):
        if getattr(attribute, field):
            data[field] = "on"
    for field in ("workflow_writable", "apps_writable"):
        if getattr(attribute, field):
            data[field] = "on"
    return data | overrides


def snapshot():
    return (
        list(DataAttribute.objects.order_by("pk").values()),
        list(QualificationItem.objects.order_by("pk").values()),
    )


def qualification_order(model="contact"):
    return list(
        QualificationItem.objects.filter(attribute__model=model)
        .order_by("position", "id")
        .values_list("attribute__label", flat=True)
    )


# Who may open them -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["Teammate", "Viewer"])
def test_teammates_and_viewers_get_403_on_every_page_and_action_and_nothing_is_written(
    client, role
):
    client.force_login(UserFactory(username="someone", role=role))
    attribute = DataAttributeFactory(name="tier", label="Tier")
    item = QualificationItem.objects.filter(attribute__model="contact").first()
    other = DataAttributeFactory(name="seats", label="Seats")
    before = snapshot()
    gets = [
        ATTRIBUTES,
        f"{ATTRIBUTES}new/",
        f"{ATTRIBUTES}{attribute.pk}/",
        QUALIFICATION,
    ]
    for url in gets:
        assert client.get(url).status_code == 403, url
    posts = [
        (f"{ATTRIBUTES}new/", new_attribute(name="sneaky")),
        (f"{ATTRIBUTES}{attribute.pk}/", edit_data(attribute, label="Hacked")),
        (f"{ATTRIBUTES}{attribute.pk}/archive/", {"archived": "yes"}),
        (f"{QUALIFICATION}add/", {"model": "contact", "attribute": other.pk}),
        (f"{QUALIFICATION}{item.pk}/move/", {"direction": "down"}),
        (f"{QUALIFICATION}{item.pk}/remove/", {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
        assert client.post(url, data, headers=HTMX).status_code == 403, url
    assert snapshot() == before


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get(ATTRIBUTES)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_both_pages_are_in_the_settings_navigation_for_admins_only(admin_client, client):
    page = admin_client.get("/settings/").content.decode()
    assert f'href="{ATTRIBUTES}"' in page and f'href="{QUALIFICATION}"' in page
    client.force_login(UserFactory(username="pat", role="Teammate"))
    page = client.get("/settings/").content.decode()
    assert ATTRIBUTES not in page and QUALIFICATION not in page


def test_the_pages_are_served_before_the_settings_slot_route():
    assert reverse("settings-data-attributes") == ATTRIBUTES
    assert reverse("settings-qualification") == QUALIFICATION


# Data attributes: the list -----------------------------------------------------------------------


def test_the_list_shows_each_attribute_with_its_policy_in_words(
    admin_client, django_assert_num_queries
):
    DataAttributeFactory(
        name="plan",
        label="Plan",
        ui_writable=False,
        messenger_writable=True,
        precedence="manual_wins",
    )
    DataAttributeFactory(name="old", label="Old thing", archived=True)
    DataAttributeFactory(model="company", name="tier", label="Tier")
    # session, user, the user's permissions (groups and own), the attributes
    with django_assert_num_queries(5):
        page = admin_client.get(ATTRIBUTES).content.decode()
    assert '<th scope="row">Plan</th>' in page
    assert "REST API, Messenger, CSV imports, Workflows, Apps · manual edits win" in page
    assert '<th scope="row">Old thing</th>' in page and ">Archived<" in page
    assert "Tier" not in page  # companies are on their own tab
    assert "Standard" in page and "Custom" in page
    assert "history of every change keep pointing at them" in page
    companies = admin_client.get(f"{ATTRIBUTES}?model=company").content.decode()
    assert '<th scope="row">Tier</th>' in companies and "Old thing" not in companies


def test_an_unknown_model_shows_people(admin_client):
    page = admin_client.get(f"{ATTRIBUTES}?model=nonsense").content.decode()
    assert 'href="?model=contact" aria-current="page"' in page


# Data attributes: creating -----------------------------------------------------------------------


def test_an_admin_creates_an_attribute_with_its_policy(admin_client):
    response = admin_client.post(f"{ATTRIBUTES}new/", new_attribute(precedence="manual_wins"))
    assert response.status_code == 302
    assert response["Location"] == f"{ATTRIBUTES}?model=contact"
    plan = DataAttribute.objects.get(model="contact", name="plan")
    assert (
        plan.model,
        plan.label,
        plan.data_type,
        plan.ui_writable,
        plan.api_writable,
        plan.messenger_writable,
        plan.import_writable,
        plan.precedence,
        plan.created_by.username,
    ) == ("contact", "Plan", "string", True, True, False, False, "manual_wins", "ada")


def test_a_list_attribute_takes_its_options_as_rows_and_ignores_blank_ones(admin_client):
    response = admin_client.post(
        f"{ATTRIBUTES}new/",
        new_attribute(
            model="company",
            name="tier",
            label="Tier",
            data_type="options",
            options=[" Gold ", "", "Silver", "Bronze"],
        ),
    )
    assert response.status_code == 302
    tier = DataAttribute.objects.get(name="tier")
    assert (tier.model, tier.options) == ("company", ["Gold", "Silver", "Bronze"])


@pytest.mark.parametrize(
    "overrides, field_id, message",
    [
        (
            {"data_type": "options", "options": ["Gold", ""]},
            "options-errors",
            "Plan needs at least 2 options, one per row.",
        ),
        (
            {"data_type": "options", "options": ["Gold", "Gold"]},
            "options-errors",
            "Plan lists “Gold” twice: each option may appear only once.",
        ),
        ({"name": "email"}, "id_name-errors", "&#x27;email&#x27; is one of our standard"),
        ({"name": "no_dots.here"}, "id_name-errors", "must only contain alphanumeric characters"),
        ({"label": "x" * 101}, "id_label-errors", "The label must be at most 100 characters long."),
        ({"precedence": ""}, "precedence-errors", "Choose which wins: app data or manual edits."),
    ],
)
def test_bad_input_is_explained_beside_its_field_and_nothing_is_saved(
    admin_client, overrides, field_id, message
):
    before = snapshot()
    response = admin_client.post(f"{ATTRIBUTES}new/", new_attribute(**overrides))
    assert response.status_code == 422
    page = response.content.decode()
    start = page.index(f'id="{field_id}"')
    assert message in page[start : start + 400]
    assert snapshot() == before


def test_a_custom_name_is_unique_across_people_and_companies(admin_client):
    DataAttributeFactory(model="company", name="Seats")
    response = admin_client.post(f"{ATTRIBUTES}new/", new_attribute(name="seats"))
    assert response.status_code == 422
    assert "You already have &#x27;Seats&#x27; in your company data" in response.content.decode()
    assert not DataAttribute.objects.filter(model="contact", name__iexact="seats").exists()


def test_the_create_form_explains_write_policy_and_precedence_with_an_example(admin_client):
    page = admin_client.get(f"{ATTRIBUTES}new/?model=company").content.decode()
    assert "New companies attribute" in page
    assert "If your app sends Plan, it replaces a teammate&#x27;s edit." in page
    assert "held back and shown beside the field until someone chooses" in page


# Data attributes: editing and archiving ----------------------------------------------------------


def test_an_admin_changes_label_policy_precedence_and_options(admin_client):
    tier = DataAttributeFactory(name="tier", label="Tier", data_type=DataType.OPTIONS)
    data = edit_data(
        tier, label="Tier of service", precedence="manual_wins", options=["Gold", "Silver"]
    )
    data.pop("import_writable")
    data["messenger_writable"] = "on"
    response = admin_client.post(f"{ATTRIBUTES}{tier.pk}/", data)
    assert response.status_code == 302
    tier.refresh_from_db()
    assert (
        tier.label,
        tier.precedence,
        tier.options,
        tier.import_writable,
        tier.messenger_writable,
        tier.name,
        tier.data_type,
    ) == ("Tier of service", "manual_wins", ["Gold", "Silver"], False, True, "tier", "options")


def test_the_edit_page_uses_the_attribute_label_in_its_example(admin_client):
    tier = DataAttributeFactory(name="tier", label="Tier")
    page = admin_client.get(f"{ATTRIBUTES}{tier.pk}/").content.decode()
    assert "If your app sends Tier, it replaces a teammate&#x27;s edit." in page
    assert 'name="name"' not in page and 'name="data_type"' not in page


def test_a_standard_attribute_keeps_its_options_and_cannot_be_archived(admin_client):
    email = DataAttribute.objects.get(model="contact", name="email")
    page = admin_client.get(f"{ATTRIBUTES}{email.pk}/").content.decode()
    assert 'name="options"' not in page and "Archive Email" not in page
    response = admin_client.post(f"{ATTRIBUTES}{email.pk}/", edit_data(email, label="E-mail"))
    assert response.status_code == 302
    email.refresh_from_db()
    assert email.label == "E-mail"
    before = snapshot()
    admin_client.post(f"{ATTRIBUTES}{email.pk}/archive/", {"archived": "yes"})
    assert snapshot() == before


def test_an_empty_label_is_refused_beside_the_field(admin_client):
    tier = DataAttributeFactory(name="tier", label="Tier")
    before = snapshot()
    response = admin_client.post(f"{ATTRIBUTES}{tier.pk}/", edit_data(tier, label=" "))
    assert response.status_code == 422
    assert "The label is required: it is what teammates see." in response.content.decode()
    assert snapshot() == before


def test_archiving_and_unarchiving(admin_client):
    tier = DataAttributeFactory(name="tier", label="Tier")
    response = admin_client.post(f"{ATTRIBUTES}{tier.pk}/archive/", {"archived": "yes"})
    assert response.status_code == 302
    tier.refresh_from_db()
    assert tier.archived is True
    page = admin_client.get(response["Location"]).content.decode()
    assert "Archived Tier. Its values and history stay; no one can set it now." in page
    admin_client.post(f"{ATTRIBUTES}{tier.pk}/archive/", {"archived": "no"})
    tier.refresh_from_db()
    assert tier.archived is False


def test_what_depends_on_an_attribute_is_listed_linked_and_archiving_is_refused(admin_client):
    plan = DataAttributeFactory(name="plan", label="Plan")
    with_item = DataAttributeFactory(name="seats", label="Seats")
    from qualification.services import qualification_item_add

    qualification_item_add(attribute=with_item)
    SegmentFactory(name="Gold customers", query="cf=plan&op=eq&v=gold")
    page = admin_client.get(f"{ATTRIBUTES}{plan.pk}/").content.decode()
    assert (
        '<a href="/contacts/?cf=plan&amp;op=eq&amp;v=gold">The segment &#x27;Gold customers&#x27;'
        in page
    )
    seats_page = admin_client.get(f"{ATTRIBUTES}{with_item.pk}/").content.decode()
    assert f'<a href="{QUALIFICATION}?model=contact">The qualification-data list' in seats_page

    response = admin_client.post(f"{ATTRIBUTES}{plan.pk}/archive/", {"archived": "yes"})
    assert response["Location"] == f"{ATTRIBUTES}{plan.pk}/"
    plan.refresh_from_db()
    assert plan.archived is False
    page = admin_client.get(response["Location"]).content.decode()
    assert (
        "Plan was not archived because it is still in use by the segment "
        "&#x27;Gold customers&#x27;. Remove it from there first, then archive it."
    ) in page


def test_the_edit_page_query_count_is_pinned(admin_client, django_assert_num_queries):
    plan = DataAttributeFactory(name="plan", label="Plan")
    SegmentFactory(name="Gold customers", query="cf=plan&op=eq&v=gold")
    # session, user, permissions (2), the attribute, its qualification item, segments
    with django_assert_num_queries(7):
        assert admin_client.get(f"{ATTRIBUTES}{plan.pk}/").status_code == 200


def test_an_unknown_attribute_is_404(admin_client):
    assert admin_client.get(f"{ATTRIBUTES}999999/").status_code == 404
    assert admin_client.post(f"{ATTRIBUTES}999999/archive/").status_code == 404


# Qualification data ------------------------------------------------------------------------------


def test_the_qualification_page_lists_items_in_order_with_query_count_pinned(
    admin_client, django_assert_num_queries
):
    # session, user, permissions (2), the items, the attributes to add
    with django_assert_num_queries(6):
        page = admin_client.get(QUALIFICATION).content.decode()
    order = qualification_order()
    positions = [page.index(f"<strong>{label}</strong>") for label in order]
    assert positions == sorted(positions) and order
    assert 'aria-label="Move ' + order[0] + ' up" disabled' in page
    assert 'role="status"' in page


def test_moving_an_item_down_by_htmx_answers_the_list_with_focus_and_announcement(admin_client):
    order = qualification_order()
    first = QualificationItem.objects.get(attribute__label=order[0], attribute__model="contact")
    response = admin_client.post(
        f"{QUALIFICATION}{first.pk}/move/", {"direction": "down", "focus": "down"}, headers=HTMX
    )
    assert response.status_code == 200
    assert qualification_order() == [order[1], order[0], *order[2:]]
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="qualification-data"')
    assert (
        f'<span hx-swap-oob="innerHTML:#qualification-status">{order[0]} moved to position 2 '
        f"of {len(order)}.</span>" in body
    )
    start = body.index(f'aria-label="Move {order[0]} down"')
    assert "data-reorder-focus" in body[start : start + 120]


def test_dropping_an_item_moves_it_to_that_position(admin_client):
    extra = DataAttributeFactory(name="plan", label="Plan")
    from qualification.services import qualification_item_add

    item = qualification_item_add(attribute=extra)
    order = qualification_order()
    response = admin_client.post(
        f"{QUALIFICATION}{item.pk}/move/", {"position": "1", "focus": "handle"}, headers=HTMX
    )
    assert qualification_order() == ["Plan", *order[:-1]]
    assert f"Plan moved to position 1 of {len(order)}." in response.content.decode()


@pytest.mark.parametrize("data", [{"position": "0"}, {"position": "99"}, {"direction": "left"}, {}])
def test_a_bad_move_changes_nothing(admin_client, data):
    item = QualificationItem.objects.filter(attribute__model="contact").first()
    before = snapshot()
    response = admin_client.post(f"{QUALIFICATION}{item.pk}/move/", data, headers=HTMX)
    assert response.status_code == 200
    assert "Choose where to move it; nothing moved." in response.content.decode()
    assert snapshot() == before


def test_without_htmx_a_move_goes_back_to_the_page_with_a_message(admin_client):
    order = qualification_order()
    last = QualificationItem.objects.get(attribute__label=order[-1], attribute__model="contact")
    response = admin_client.post(f"{QUALIFICATION}{last.pk}/move/", {"direction": "up"})
    assert response.status_code == 302
    assert response["Location"] == f"{QUALIFICATION}?model=contact"
    assert qualification_order()[-2] == order[-1]


def test_adding_and_removing_items(admin_client):
    plan = DataAttributeFactory(name="plan", label="Plan")
    order = qualification_order()
    response = admin_client.post(
        f"{QUALIFICATION}add/",
        {"model": "contact", "attribute": plan.pk, "position": "top"},
        headers=HTMX,
    )
    assert qualification_order() == ["Plan", *order]
    assert "Plan is now qualification data." in response.content.decode()
    item = plan.qualification_item
    response = admin_client.post(f"{QUALIFICATION}{item.pk}/remove/", headers=HTMX)
    assert qualification_order() == order
    assert "Plan was removed from qualification data." in response.content.decode()


@pytest.mark.parametrize("attribute", ["", "abc", "999999", "company"])
def test_adding_something_not_on_offer_changes_nothing(admin_client, attribute):
    company_attribute = DataAttributeFactory(model="company", name="tier", label="Tier")
    if attribute == "company":
        attribute = str(company_attribute.pk)
    before = snapshot()
    response = admin_client.post(
        f"{QUALIFICATION}add/", {"model": "contact", "attribute": attribute}, headers=HTMX
    )
    assert "Choose an attribute from the list; nothing was changed." in response.content.decode()
    assert snapshot() == before


def test_an_archived_attribute_cannot_be_added(admin_client):
    old = DataAttributeFactory(name="old", label="Old", archived=True)
    before = snapshot()
    response = admin_client.post(
        f"{QUALIFICATION}add/", {"model": "contact", "attribute": old.pk}, headers=HTMX
    )
    assert "Old is archived; unarchive it first." in response.content.decode()
    assert snapshot() == before
