"""Issue 12: arbitrary JSON in any field of a record, between good records, never costs the batch.

For every field, hypothesis sends values of every JSON shape (huge integers, NaN and infinities, text with lone
surrogates and control characters, lists, objects) in one record of a batch of three: never a 5xx, both good
neighbours stored, and the fuzzed record accepted or rejected with each error naming a field and a reason. A body
holding NaN or Infinity is not JSON and is refused whole with 400.
"""

import itertools
import json
import math
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sotiem.lib.records import FIELDS
from sotiem.testing import sent_record

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

_ids = itertools.count()

ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=()), max_size=40)  # surrogates and controls too
SHARP_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)  # rare in ANY_TEXT
    | st.characters(max_codepoint=0x7F),
    max_size=12,
)
LONG_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x1EF9), min_size=30, max_size=320
)
HUGE = st.integers(4301, 6000).map(lambda digits: 10**digits - 1)  # past Python's int-to-text limit
EDGES = st.sampled_from(
    [
        -(10**400),
        2**63,
        1e400,
        -1e400,
        1e300,
        -0.0,
        0,
        21,
        "²",
        "1" * 17,
        "A" * 201,
        "L" * 41,
        "\x00",
        "\ud800",
        "\udfff x",
        "a\tb\nc",
        "",
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | ANY_TEXT
    | SHARP_TEXT
    | LONG_TEXT
    | EDGES
    | HUGE
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(ANY_TEXT, children, max_size=3),
    max_leaves=6,
)


def good(rid: str) -> dict[str, Any]:
    return sent_record(rid)


def dumps(value: Any) -> str:
    """JSON as a careless sender writes it: NaN and Infinity as bare words, integers of any length, surrogates
    as \\uXXXX escapes (valid JSON text)."""
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return json.dumps(value, allow_nan=True)
    finally:
        sys.set_int_max_str_digits(limit)


def has_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, list):
        return any(has_non_finite(v) for v in value)
    if isinstance(value, dict):
        return any(has_non_finite(v) for v in value.values())
    return False


@pytest.mark.parametrize("field", FIELDS)
@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=JSON_VALUES)
def test_it_never_fails_a_batch_for_any_json_value_in_any_field(client, key, field, value):
    n = next(_ids)
    before, after = good(f"GOOD-{n}-A"), good(f"GOOD-{n}-B")
    fuzzed = good(f"FUZZ-{n}") | {field: value}
    response = client.post(
        "/api/v1/dose-records",
        data=dumps([before, fuzzed, after]).encode(),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code < 500
    if has_non_finite(value):  # NaN/Infinity are not JSON: the body is refused whole, with the reason
        assert response.status_code == 400 and response.json()["detail"]
        return
    assert response.status_code == 200, response.content[:300]
    first, result, last = response.json()["results"]
    assert first["status"] == last["status"] == "accepted", (first, last)
    if result["status"] == "rejected":
        assert all(e["message"] for e in result["errors"]) and any(e["field"] for e in result["errors"]), (
            result
        )
    elif field == "record_id" and result["status"] in ("duplicate", "conflict"):
        assert result["dose_id"]  # an id an earlier example sent (e.g. 0 or ""): legitimately held already
    else:
        assert result["status"] == "accepted", result
