"""Issue 12 item 5: every date/time parameter answers 400 with the reason, never 500; so do paging parameters."""

import base64

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings

from sotiem.accounts.services import apikey_create
from sotiem.lib.tests.test_params import INSTANT_TEXT
from sotiem.testing import make_site

pytestmark = pytest.mark.django_db

# The parameter, its stable code, and the reason as the registry says it (Vietnamese unless asked otherwise).
PROBES = {
    "2021-02-30T00:00:00": ("invalid_instant", "ngày 2021-02-30 không tồn tại"),
    "2021-13-01T00:00:00": ("invalid_instant", "tháng 13 không tồn tại"),
    "0001-01-01T00:00:00+14:00": ("instant_out_of_range", "nằm ngoài khoảng 0001-01-01 – 9999-12-31"),
    "9999-12-31T23:59:59-14:00": ("instant_out_of_range", "nằm ngoài khoảng 0001-01-01 – 9999-12-31"),
    "yesterday": ("invalid_instant", "không phải thời điểm ISO 8601"),
}
IN_ENGLISH = {
    "2021-02-30T00:00:00": "the day 2021-02-30 does not exist",
    "2021-13-01T00:00:00": "month 13 does not exist",
    "0001-01-01T00:00:00+14:00": "falls outside 0001-01-01 – 9999-12-31",
    "9999-12-31T23:59:59-14:00": "falls outside 0001-01-01 – 9999-12-31",
    "yesterday": "is not an ISO 8601 time",
}


@pytest.fixture
def key():
    return apikey_create(site=make_site(), actor="test")[1]


def receipts(client, key, **params):
    return client.get("/api/v1/receipts", params, HTTP_AUTHORIZATION=f"Bearer {key}")


@pytest.mark.parametrize(("since", "probe"), PROBES.items())
def test_it_refuses_a_receipts_since_that_is_no_instant_with_400_and_the_reason(client, key, since, probe):
    code, reason = probe
    response = receipts(client, key, since=since)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["detail"].startswith("Tham số since: ") and reason in response.json()["detail"]


@pytest.mark.parametrize(("since", "reason"), IN_ENGLISH.items())
def test_a_client_asking_for_english_gets_the_reason_in_english_and_the_same_code(client, key, since, reason):
    vietnamese = receipts(client, key, since=since).json()
    response = client.get(
        "/api/v1/receipts", {"since": since}, HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json()["code"] == vietnamese["code"] == PROBES[since][0]
    assert response.json()["detail"].startswith("Parameter `since`: ") and reason in response.json()["detail"]


@pytest.mark.parametrize(("since", "probe"), PROBES.items())
def test_it_refuses_a_revocation_list_since_that_is_no_instant_with_400_and_the_reason(client, since, probe):
    response = client.get("/api/v1/revocation-list", {"since": since})
    assert response.status_code == 400
    assert probe[1] in response.json()["detail"] and response.json()["code"] == probe[0]


@pytest.mark.parametrize(("at", "probe"), PROBES.items())
def test_it_refuses_a_verification_clock_that_is_no_instant_with_400_and_the_reason(client, at, probe):
    response = client.post(
        "/api/v1/certificates/verify", {"hc1": "HC1:xyz", "at": at}, content_type="application/json"
    )
    assert response.status_code == 400
    assert probe[1] in response.json()["detail"] and response.json()["code"] == probe[0]


@pytest.mark.parametrize(
    "since",
    ["0001-01-01T00:00:00-14:00", "9999-12-31T23:59:59+14:00", "2021-08-01", "2021-08-01T07:30:00.5+0700"],
)
def test_it_answers_since_at_the_edges_of_the_representable_range(client, key, since):
    assert receipts(client, key, since=since).status_code == 200
    assert client.get("/api/v1/revocation-list", {"since": since}).status_code == 200


@pytest.mark.parametrize("limit", ["ten", "1.5", "9" * 5000, ""])
def test_it_refuses_a_limit_that_is_not_an_integer_with_422(client, key, limit):
    response = receipts(client, key, limit=limit)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "limit"


@pytest.mark.parametrize("limit", [-5, 0, 10**30])
def test_it_clamps_a_limit_outside_1_to_1000(client, key, limit):
    response = receipts(client, key, limit=limit)
    assert response.status_code == 200 and response.json()["results"] == []


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        "é",
        "eA",
        base64.urlsafe_b64encode(b"d" + b"9" * 30).decode(),
        base64.urlsafe_b64encode(b"d" + b"9" * 5000).decode(),
    ],
)
def test_it_refuses_a_cursor_it_did_not_give_with_400(client, key, cursor):
    response = receipts(client, key, cursor=cursor)
    assert response.status_code == 400
    assert response.json()["detail"] == "Con trỏ không hợp lệ"
    english = client.get(
        "/api/v1/receipts", {"cursor": cursor}, HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.status_code == 400
    assert english.json()["detail"] == "The cursor is not one this API gave"


@pytest.mark.parametrize(("at", "probe"), PROBES.items())
def test_the_verify_command_refuses_a_clock_that_is_no_instant_and_says_why(at, probe):
    with pytest.raises(CommandError) as refused:
        call_command("certificate", "verify", "HC1:xyz", "--at", at)
    assert probe[1] in str(refused.value) and "Tham số --at" in str(refused.value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(since=INSTANT_TEXT)
def test_any_since_is_answered_200_or_400_never_500(client, key, since):
    assert receipts(client, key, since=since).status_code in (200, 400)
    assert client.get("/api/v1/revocation-list", {"since": since}).status_code in (200, 400)


def test_a_verify_body_over_the_upload_limit_is_a_documented_413_not_an_html_page(client, db):
    body = '{"hc1": "' + "A" * (9 * 1024 * 1024) + '"}'
    response = client.post("/api/v1/certificates/verify", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert "8 MB" in response.json()["detail"]
