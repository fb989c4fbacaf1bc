import datetime as dt
import json

import pytest

from sotiem.accounts.services import apikey_create, apikey_revoke
from sotiem.immunizations.models import Dose, InboxBatch
from sotiem.lib.ids import make_cccd
from sotiem.lib.records import FIELDS, MAX_BATCH, RECORD_FIELDS, RecordFlag
from sotiem.people.models import Person
from sotiem.testing import make_site, sent_record

pytestmark = pytest.mark.django_db


def record(rid="R-1", **over):
    return sent_record(**{"record_id": rid, **over})


def send(client, key, records, raw=None, language=None):
    body = raw if raw is not None else json.dumps(records)
    headers = {"accept-language": language} if language else {}
    return client.post(
        "/api/v1/dose-records",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
        headers=headers,
    )


def results(client, key, records):
    response = send(client, key, records)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_new_record_is_accepted_with_its_dose_person_and_hash(client, key):
    [result] = results(client, key, [record()])
    assert result["status"] == "accepted" and result["errors"] == []
    dose = Dose.objects.get(public_id=result["dose_id"])
    assert str(dose.person.public_id) == result["person_id"]
    assert dose.content_hash == result["content_hash"] and result["content_hash"].startswith("sha256:")
    assert dose.source == "S79-0001" and dose.source_record_id == "R-1"
    assert dose.vaccine.code == "AZ" and dose.administered_on == dt.date(2021, 8, 2)


def test_resending_the_same_record_is_a_duplicate_and_changes_nothing(client, key):
    [first] = results(client, key, [record()])
    [again] = results(client, key, [record(phone="0912345678", commune=None)])  # null and "" are the same
    assert again["status"] == "duplicate"
    assert (again["dose_id"], again["content_hash"]) == (first["dose_id"], first["content_hash"])
    assert Dose.objects.count() == 1 and Person.objects.count() == 1


def test_the_same_record_id_with_other_content_is_a_conflict_that_names_what_differs(client, key):
    [first] = results(client, key, [record()])
    [clash] = results(client, key, [record(administered_on="03/08/2021")])
    assert clash["status"] == "conflict" and clash["dose_id"] == first["dose_id"]
    assert [e["field"] for e in clash["errors"]] == ["administered_on"]
    assert "02/08/2021" in clash["errors"][0]["message"] and "03/08/2021" in clash["errors"][0]["message"]
    assert Dose.objects.get().administered_on == dt.date(2021, 8, 2)


def test_each_invalid_field_is_named_and_the_good_record_next_to_it_is_kept(client, key):
    out = results(
        client,
        key,
        [
            record("BAD", vaccine="Covaxin", administered_on="31/02/2021", sex="X", dose_number="hai"),
            record("GOOD"),
        ],
    )
    bad, good = out
    assert bad["status"] == "rejected" and bad["dose_id"] is None
    assert {e["field"] for e in bad["errors"]} == {"vaccine", "administered_on", "sex", "dose_number"}
    messages = {e["field"]: e["message"] for e in bad["errors"]}
    assert (
        messages["vaccine"] == "Không có vắc xin “Covaxin” trong danh mục"
    )  # Vietnamese without Accept-Language
    assert messages["sex"] == "Giới tính “X” không hợp lệ (Nam/Nữ hoặc M/F)"
    assert good["status"] == "accepted"
    assert list(Dose.objects.values_list("source_record_id", flat=True)) == ["GOOD"]


@pytest.mark.parametrize(
    ("language", "vaccine", "lot"),
    [
        ("vi", "Không có vắc xin “Covaxin” trong danh mục", "Thiếu số lô vắc xin"),
        ("en", "“Covaxin” is not a vaccine of the catalogue", "The vaccine lot number is missing"),
    ],
)
def test_errors_and_flags_speak_the_language_asked_for_with_the_same_codes(
    client, key, language, vaccine, lot
):
    response = send(
        client, key, [record("BAD", vaccine="Covaxin"), record("NO-LOT", lot_number="")], language=language
    )
    assert response.status_code == 200 and response["Content-Language"] == language
    bad, no_lot = response.json()["results"]
    assert bad["errors"] == [{"field": "vaccine", "code": "unknown_vaccine", "message": vaccine}]
    assert {"field": "lot_number", "code": "lot_missing", "message": lot} in no_lot["flags"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"vaccine": ""}, "vaccine"),
        ({"administered_on": None}, "administered_on"),
        ({"full_name": "", "national_id": ""}, "full_name"),
        ({"site_code": "S99-9999"}, "site_code"),
        ({"record_id": ""}, "record_id"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_what_cannot_be_a_dose_is_refused_with_its_reason(client, key, change, field):
    [result] = results(client, key, [record(**change)])
    assert result["status"] == "rejected"
    assert field in {e["field"] for e in result["errors"]}


def test_implausible_but_real_doses_are_kept_with_flags(client, key):
    out = results(
        client,
        key,
        [
            record("EARLY-1", administered_on="02/08/2021", dose_number="1"),
            record(
                "EARLY-2", administered_on="10/08/2021", dose_number="3"
            ),  # 8 days after AZ; stated 3, is 2
            record(
                "UNBORN",
                full_name="Trần Thị Bé",
                sex="Nữ",
                birth_date="01/01/2022",
                national_id="",
                administered_on="02/08/2021",
                lot_number="",
            ),
            record(
                "MISMATCH",
                full_name="Lê Văn Cường",
                national_id=make_cccd(province_code="79", sex="F", birth_year=1990, serial=9),
            ),
        ],
    )
    assert [r["status"] for r in out] == ["accepted"] * 4
    codes = [{f["code"] for f in r["flags"]} for r in out]
    assert {"interval_too_short", "dose_number_mismatch"} <= codes[1]
    assert {"dose_before_birth", "lot_missing"} <= codes[2]
    assert "id_inconsistent" in codes[3]
    assert Dose.objects.get(source_record_id="UNBORN").quality_flags
    assert set().union(*codes) <= {flag.value for flag in RecordFlag}  # every flag is one the contract names


def test_a_future_dose_is_kept_and_flagged(client, key):
    future = (dt.date.today() + dt.timedelta(days=30)).strftime("%d/%m/%Y")
    [result] = results(client, key, [record(administered_on=future)])
    assert result["status"] == "accepted" and "dose_in_future" in {f["code"] for f in result["flags"]}


def test_records_with_one_valid_national_id_land_on_one_person(client, key):
    out = results(client, key, [record("A"), record("B", administered_on="01/11/2021", dose_number="2")])
    later = results(
        client, key, [record("C", administered_on="01/05/2022", dose_number="3", full_name="NGUYEN VAN AN")]
    )
    assert len({r["person_id"] for r in out + later}) == 1


def test_two_people_sharing_a_phone_without_ids_stay_two_persons(client, key):
    out = results(
        client,
        key,
        [
            record("MOM", full_name="Phạm Thị Hoa", sex="Nữ", birth_date="1965", national_id=""),
            record("SON", full_name="Lê Văn Minh", birth_date="09/07/1992", national_id=""),
        ],
    )
    assert out[0]["person_id"] != out[1]["person_id"]


def test_a_record_id_twice_in_one_batch_is_held_once(client, key):
    out = results(client, key, [record("X"), record("X"), record("X", lot_number="B9")])
    assert [r["status"] for r in out] == ["accepted", "duplicate", "conflict"]
    assert Dose.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "language", "detail"),
    [
        ("{not json", "vi", "Dữ liệu không phải JSON hợp lệ ("),
        ("{not json", "en", "The body is not valid JSON ("),
        ('{"record_id": "x"}', "vi", "Cần một danh sách bản ghi JSON"),
        ('{"record_id": "x"}', "en", "The body must be a JSON list of records"),
    ],
)
def test_a_malformed_batch_is_refused_whole(client, key, body, language, detail):
    response = send(client, key, None, raw=body, language=language)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)
    assert Dose.objects.count() == 0 and InboxBatch.objects.count() == 0


def test_a_batch_over_the_limit_is_refused_whole(client, key):
    response = send(client, key, [record(f"R{i}") for i in range(1001)])
    assert response.status_code == 413
    assert Dose.objects.count() == 0 and InboxBatch.objects.count() == 0


def test_without_a_valid_key_nothing_is_accepted(client, site):
    key_obj, secret = apikey_create(site=site, actor="test")
    assert send(client, "sk_nope_nope", [record()]).status_code == 401
    apikey_revoke(key=key_obj, actor="test", reason="lost laptop")
    assert send(client, secret, [record()]).status_code == 401
    assert Dose.objects.count() == 0


def test_a_site_key_cannot_send_another_sites_doses(client, key):
    make_site(code="S79-0002")
    [result] = results(client, key, [record(site_code="S79-0002")])
    assert result["status"] == "rejected" and result["errors"][0]["code"] == "not_your_site"


def test_a_team_key_sends_for_any_site_of_its_province_only(client, site):
    make_site(province_code="01", code="S01-0001")
    _, team = apikey_create(team_code="HCM-BACKLOG", province_code="79", actor="test")
    out = results(client, team, [record("T1"), record("T2", site_code="S01-0001")])
    assert [r["status"] for r in out] == ["accepted", "rejected"]
    assert Dose.objects.get().source == "HCM-BACKLOG"


def test_the_raw_batch_is_kept_in_the_inbox(client, key):
    results(client, key, [record()])
    batch = InboxBatch.objects.get()
    assert batch.status == "processed" and batch.payload[0]["record_id"] == "R-1"


def receipts(client, key, **params):
    response = client.get("/api/v1/receipts", params, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200, response.content
    return response.json()


def test_receipts_list_every_held_record_page_by_page_and_nothing_refused(client, key, site):
    sent = results(
        client,
        key,
        [record(f"R{i}", national_id="", full_name=f"Người Thứ {i}") for i in range(25)]
        + [record("REFUSED", vaccine="")],
    )
    _, other = apikey_create(site=make_site(code="S79-0003"), actor="test")
    results(client, other, [record("OTHER", site_code="S79-0003")])

    seen, cursor = [], None
    while True:
        page = receipts(client, key, limit=10, **({"cursor": cursor} if cursor else {}))
        seen += page["results"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    held = {r["record_id"]: r for r in sent if r["status"] == "accepted"}
    assert {r["record_id"] for r in seen} == set(held)
    assert all(r["content_hash"] == held[r["record_id"]]["content_hash"] for r in seen)
    assert all(r["dose_id"] == held[r["record_id"]]["dose_id"] for r in seen)


def test_receipts_since_a_time_leave_out_older_records(client, key):
    results(client, key, [record("OLD")])
    Dose.objects.filter(source_record_id="OLD").update(created_at=dt.datetime(2021, 1, 1, tzinfo=dt.UTC))
    results(client, key, [record("NEW", national_id="")])
    page = receipts(client, key, since="2022-01-01T00:00:00Z")
    assert [r["record_id"] for r in page["results"]] == ["NEW"]
    assert (
        client.get("/api/v1/receipts", {"since": "yesterday"}, HTTP_AUTHORIZATION=f"Bearer {key}").status_code
        == 400
    )


def test_receipts_need_a_key(client):
    assert client.get("/api/v1/receipts").status_code == 401


def test_numbers_and_text_of_the_same_value_are_the_same_content(client, key):
    [first] = results(client, key, [record(dose_number=1)])
    [again] = results(client, key, [record(dose_number="1", administered_on="02/08/2021 ")])
    assert again["status"] == "duplicate" and again["content_hash"] == first["content_hash"]


def test_iso_dates_are_accepted_like_the_template_forms(client, key):
    [result] = results(client, key, [record(administered_on="2021-08-02", birth_date="1990-05-17")])
    dose = Dose.objects.get(public_id=result["dose_id"])
    assert dose.administered_on == dt.date(2021, 8, 2) and dose.person.birth_date == dt.date(1990, 5, 17)


@pytest.mark.parametrize("national_id", ["HS8757571610301", "12345", "ABCDEFGHIJ", "0791900001234567"])
def test_an_id_of_no_known_shape_is_flagged_and_never_fails_the_batch(client, key, national_id):
    out = results(client, key, [record("ODD", national_id=national_id), record("NEXT", national_id="")])
    assert [r["status"] for r in out] == ["accepted", "accepted"]
    assert "id_invalid" in {f["code"] for f in out[0]["flags"]}


def test_a_record_a_service_refuses_late_is_rejected_alone(client, key, monkeypatch):
    from sotiem.immunizations import ingest

    real = ingest.dose_record_batch

    def refuse_ann(*, items, **kwargs):
        from django.core.exceptions import ValidationError

        if any(i.source_record_id == "BAD" for i in items):
            raise ValidationError("Not acceptable")
        return real(items=items, **kwargs)

    monkeypatch.setattr(ingest, "dose_record_batch", refuse_ann)
    out = results(
        client,
        key,
        [
            record("A", national_id=""),
            record("BAD", national_id="", full_name="Bùi An"),
            record("C", national_id="", full_name="Cao Văn C"),
        ],
    )
    assert [r["status"] for r in out] == ["accepted", "rejected", "accepted"]
    assert "Not acceptable" in out[1]["errors"][0]["message"]
    assert set(Dose.objects.values_list("source_record_id", flat=True)) == {"A", "C"}


def test_a_received_batch_is_audited_once_and_shows_in_the_history_of_each_person_in_it(
    client, key, personas
):
    from sotiem.audit.models import AuditEvent
    from sotiem.immunizations.selectors import person_history

    out = results(
        client,
        key,
        [
            record("H-1"),
            record("H-2", national_id="", full_name="Trần Thị Bình", birth_date="01/01/1985", sex="Nữ"),
        ],
    )
    assert [r["status"] for r in out] == ["accepted", "accepted"]
    [event] = AuditEvent.objects.filter(action="ingest.batch")
    doses = {d.public_id.hex: d for d in Dose.objects.all()}
    assert sorted(event.after["doses"]) == sorted([d.pk, d.person_id] for d in doses.values())
    assert all(d.inbox_batch_id == int(event.object_id) for d in doses.values())
    assert len(event.after["sessions"]) == 1 and len(event.after["persons_created"]) == 2
    for dose in doses.values():
        history = person_history(viewer=personas.national, person=dose.person)
        assert history.filter(action="ingest.batch").count() == 1
        assert history.filter(action="person.create", person_id=dose.person_id).count() == 1


def test_the_openapi_body_is_the_record_contract(client):
    body = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/dose-records"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert body["required"] is True
    assert schema["type"] == "array"
    assert schema["maxItems"] == MAX_BATCH
    assert schema["items"]["required"] == ["record_id"]
    properties = schema["items"]["properties"]
    assert list(properties) == list(FIELDS)
    assert {name: p["maxLength"] for name, p in properties.items()} == {
        spec.name: spec.max_length for spec in RECORD_FIELDS
    }


def test_the_openapi_result_names_every_record_status(client):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert schemas["RecordStatus"]["enum"] == ["accepted", "duplicate", "conflict", "rejected"]


def test_a_refused_date_is_explained_in_each_language_though_its_reading_is_cached(client, key):
    answers = {}
    for language in ("vi", "en", "vi"):
        response = send(client, key, [record("D", administered_on="31/02/2021")], language=language)
        [error] = response.json()["results"][0]["errors"]
        assert (error["field"], error["code"]) == ("administered_on", "invalid_date")
        answers.setdefault(language, set()).add(error["message"])
    assert len(answers["vi"]) == 1 and len(answers["en"]) == 1  # the same record, the same words each time
    assert answers["vi"] != answers["en"] and "31/02/2021" in answers["en"].pop()
