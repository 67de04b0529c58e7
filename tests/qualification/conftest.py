import pytest

from tests.factories import ContactFactory


@pytest.fixture
def contact():
    return ContactFactory(values={"name": "Ada Lovelace", "email": "ada@example.com"})
