"""Property-based checks of the whole REST API against its own OpenAPI document: no request
schemathesis can make gets a server error or a response the document does not describe."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from config.wsgi import application
from inbox.tokens import SCOPES, api_token_create
from tests.factories import CompanyFactory, ContactFactory, TagFactory


@pytest.fixture
def token(db, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 10**9
    # Some resources to find, so not every generated request is a 404.
    for contact in ContactFactory.create_batch(3):
        contact.tags.add(TagFactory())
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
