"""schemathesis against /api/v1/openapi.json, in process: no 5xx, and every answer documented in the schema
(status, content type and body). `make fuzz` runs it with more examples (SOTIEM_FUZZ_EXAMPLES)."""

import json
import os
from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sotiem.accounts.services import apikey_create
from sotiem.interop.api import HL7_MEDIA_TYPE
from sotiem.testing import make_personas, make_site

EXAMPLES = int(os.environ.get("SOTIEM_FUZZ_EXAMPLES", "50"))  # per operation; `make fuzz` asks for more
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def credentials(db, client):
    """A sender key and an official's session, so the fuzzer also reaches past the authentication."""
    key = apikey_create(site=make_site(code="S79-0001"), actor="test")[1]
    client.force_login(make_personas().hcdc)
    return {
        "headers": {"Authorization": f"Bearer {key}"},
        "cookies": {"sessionid": client.cookies["sessionid"].value},
    }


SENT: Counter[str] = Counter()  # requests per operation, printed by conftest.py at the end of the run


@pytest.fixture(autouse=True)
def one_connection():
    """Django's request signals would close the test's connection, and with it the test transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schemathesis.serializer(HL7_MEDIA_TYPE)
def hl7_text(ctx, value):
    """The HL7 endpoint's body is ER7 text: a lone surrogate goes as the bytes a careless sender would send (not
    UTF-8), and a value that is not text (a negative example) as its JSON."""
    if isinstance(value, bytes):
        return value
    return (value if isinstance(value, str) else json.dumps(value)).encode("utf-8", "surrogatepass")


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_of_the_api_is_documented_and_none_is_a_server_error(case, credentials):
    SENT[f"{case.method} {case.path}"] += 1
    case.call_and_validate(headers=credentials["headers"], cookies=credentials["cookies"], checks=CHECKS)
