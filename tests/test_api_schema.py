"""Property-based checks of the whole REST API against its own OpenAPI document: no request
schemathesis can make gets a server error or a response the document does not describe."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from config.wsgi import application
from tests.factories import CompanyFactory, ContactFactory, TagFactory, given_tags
from workspace.tokens import SCOPES, api_token_create


@pytest.fixture
def keep_connection():
    """Requests go to the WSGI app in this thread, inside the test's transaction: Django must
    not close the connection at the end of each one (its own test client does the same)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(db, settings, keep_connection):
    settings.API_RATE_LIMIT_PER_MINUTE = 10**9
    # Some resources to find, so not every generated request is a 404.
    for contact in ContactFactory.create_batch(3):
        given_tags(contact, TagFactory())
    CompanyFactory.create_batch(2)
    return api_token_create(name="Schemathesis", scopes=SCOPES)[1]


# Loaded from the app itself, in-process (no server): the document the API serves.
# What the document promises about responses. Schemathesis's positive_data_acceptance and
# negative_data_rejection judge the document's request schemas instead: they would flag every
# rule the document does not spell out (an opaque cursor that does not decode, a lead merged
# into a lead), so they are not part of this contract.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.unsupported_method,
]
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_keeps_its_document(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
