"""The dose record contract: one field list every channel writes, one set of answers, one batch schema."""

import json

from sotiem.lib.records import (
    CONTENT_FIELDS,
    FIELD_SPECS,
    FIELDS,
    MAX_BATCH,
    RECORD_FIELDS,
    REFUSED,
    RecordFlag,
    RecordStatus,
    batch_json_schema,
)


def test_the_record_id_comes_first_and_the_content_is_every_other_field():
    assert FIELDS[0] == "record_id"
    assert FIELDS[1:] == CONTENT_FIELDS
    assert len(set(FIELDS)) == len(FIELDS)
    assert list(FIELD_SPECS) == list(FIELDS)


def test_every_field_has_a_positive_limit_and_a_known_kind():
    for spec in RECORD_FIELDS:
        assert spec.max_length > 0, spec
        assert spec.kind in ("text", "count", "key"), spec


def test_a_status_is_its_plain_word_in_json_and_in_comparisons():
    assert [s.value for s in RecordStatus] == ["accepted", "duplicate", "conflict", "rejected"]
    assert RecordStatus.REJECTED == "rejected"
    assert json.dumps({"status": RecordStatus.CONFLICT}) == '{"status": "conflict"}'
    assert f"{RecordStatus.DUPLICATE}" == "duplicate"
    assert {"rejected", "conflict"} == REFUSED


def test_the_batch_schema_lists_each_field_with_its_limit_and_requires_only_the_record_id():
    schema = batch_json_schema()
    assert schema["maxItems"] == MAX_BATCH
    item = schema["items"]
    assert item["required"] == ["record_id"]
    assert list(item["properties"]) == list(FIELDS)
    assert {name: p["maxLength"] for name, p in item["properties"].items()} == {
        spec.name: spec.max_length for spec in RECORD_FIELDS
    }


def test_a_flag_is_never_a_status_nor_a_field_name():
    flags = {flag.value for flag in RecordFlag}
    assert not flags & {status.value for status in RecordStatus}
    assert not flags & set(FIELDS)
