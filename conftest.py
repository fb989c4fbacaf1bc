import pytest

from sotiem.testing import Personas, make_personas


@pytest.fixture
def personas(db) -> Personas:  # noqa: ARG001 (db enables database access)
    return make_personas()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the registry's default language: a request in English (LocaleMiddleware activates the
    reader's language for the thread and leaves it so) must not turn the next test's messages English."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_site_cache():
    """Each test's sites are its own (rolled back after it), so no test may see another's cached site."""
    from sotiem.places import selectors

    selectors._site_cache.clear()
    yield
    selectors._site_cache.clear()


@pytest.fixture(autouse=True)
def _signing_keys(tmp_path_factory, settings):
    """Signing keys of a test run live in a temporary directory, never in the developer's var/keys."""
    settings.SOTIEM_SIGNING_KEY_DIR = tmp_path_factory.getbasetemp() / "signing-keys"
