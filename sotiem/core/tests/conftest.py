import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _the_registry_default_language():
    """Each test starts in the registry's default language (Vietnamese): a test client's request leaves the
    language LocaleMiddleware chose active in the thread, so an English request would otherwise leak into the
    next test's messages."""
    translation.deactivate()
    yield
    translation.deactivate()
