"""Settings → Data attributes and Settings → Qualification data."""

import pytest

from qualification.models import DataAttribute, QualificationItem
from tests.factories import DataAttributeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="ada", role="Admin"))
    return client


def test_smoke(admin_client):
    r = admin_client.get("/settings/data-attributes/")
    assert r.status_code == 200, r.content[:2000]
    open("/tmp/attrs/list.html", "wb").write(r.content)
    r = admin_client.get("/settings/data-attributes/new/?model=company")
    assert r.status_code == 200
    open("/tmp/attrs/new.html", "wb").write(r.content)
    r = admin_client.post("/settings/data-attributes/new/", {"model": "company", "name": "tier", "label": "Tier", "data_type": "options", "options": ["Gold", "", "Gold"], "precedence": "app_wins"})
    open("/tmp/attrs/new422.html", "wb").write(r.content)
    assert r.status_code == 422
    r = admin_client.post("/settings/data-attributes/new/", {"model": "company", "name": "tier", "label": "Tier", "data_type": "options", "options": ["Gold", "", "Silver"], "precedence": "app_wins", "ui_writable": "on"})
    assert r.status_code == 302, r.content.decode()[:3000]
    tier = DataAttribute.objects.get(name="tier")
    assert tier.options == ["Gold", "Silver"]
    r = admin_client.get(f"/settings/data-attributes/{tier.pk}/")
    open("/tmp/attrs/edit.html", "wb").write(r.content)
    r = admin_client.get("/settings/qualification/")
    assert r.status_code == 200
    open("/tmp/attrs/q.html", "wb").write(r.content)
    item = QualificationItem.objects.filter(attribute__model="contact").order_by("position").last()
    r = admin_client.post(f"/settings/qualification/{item.pk}/move/", {"direction": "up", "focus": "up"}, HTTP_HX_REQUEST="true")
    open("/tmp/attrs/qmove.html", "wb").write(r.content)
    assert r.status_code == 200
