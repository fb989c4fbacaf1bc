import pytest

from sotiem.testing import Personas, make_personas


@pytest.fixture
def personas(db) -> Personas:  # noqa: ARG001 (db enables database access)
    return make_personas()
