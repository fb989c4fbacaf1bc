import pytest

from sotiem.accounts.services import apikey_create
from sotiem.testing import make_site


@pytest.fixture
def site():
    """The site the API tests' sender sends for."""
    return make_site(code="S79-0001")


@pytest.fixture
def key(site):
    """The secret of that site's API key, as a sender holds it."""
    return apikey_create(site=site, actor="test")[1]
