import datetime as dt
import uuid

import pytest
from django.db import transaction
from django.utils import timezone

from sotiem.audit.models import AuditEvent
from sotiem.db.bulk import insert_objects, insert_rows
from sotiem.people.models import Person

pytestmark = pytest.mark.django_db


def test_inserted_rows_read_back_with_every_type_intact_and_their_reserved_ids():
    first = Person.objects.create(full_name="Trước", name_key="truoc", birth_date=dt.date(1990, 1, 1))
    public = [uuid.uuid4(), uuid.uuid4()]
    now = timezone.now()
    with transaction.atomic():
        ids = insert_rows(
            Person,
            [
                "public_id",
                "full_name",
                "name_as_given",
                "name_key",
                "birth_date",
                "birth_precision",
                "sex",
                "commune_id",
                "province_code",
                "commune_code",
                "address",
                "block_key",
                "birth_key",
                "status",
                "merged_into_id",
                "created_at",
                "updated_at",
            ],
            [
                (
                    public[0],
                    "Nguyễn Văn An",
                    "nguyen van an",
                    "nguyen van an",
                    dt.date(1990, 5, 17),
                    "day",
                    "M",
                    None,
                    "79",
                    "26734",
                    "12 Lê Lợi",
                    "an nguyen|1990|79",
                    "an nguyen|1990-05-17",
                    "active",
                    None,
                    now,
                    now,
                ),
                (
                    public[1],
                    "Lê Thị Bình",
                    "",
                    "le thi binh",
                    None,
                    "year",
                    "F",
                    None,
                    "",
                    "",
                    "",
                    "binh le|?|?",
                    "",
                    "active",
                    None,
                    now,
                    now,
                ),
            ],
        )
    assert len(set(ids)) == 2 and min(ids) > first.pk
    a, b = Person.objects.get(pk=ids[0]), Person.objects.get(pk=ids[1])
    assert (a.public_id, a.full_name, a.birth_date, a.province_code) == (
        public[0],
        "Nguyễn Văn An",
        dt.date(1990, 5, 17),
        "79",
    )
    assert abs((a.created_at - now).total_seconds()) < 1e-3
    assert b.birth_date is None and b.public_id == public[1]
    later = Person.objects.create(full_name="Sau", name_key="sau")
    assert later.pk > max(ids)  # the sequence moved past the reserved ids


@pytest.mark.parametrize("count", [3, 120])  # one INSERT … RETURNING; reserved ids and COPY / executemany
def test_inserted_objects_get_their_ids_and_json_round_trips(count):
    events = [
        AuditEvent(
            actor_label="t",
            action="x.test",
            object_type="t",
            object_id=str(i),
            after={"n": i, "tên": "Việt", "list": [1, None]},
        )
        for i in range(count)
    ]
    with transaction.atomic():
        insert_objects(events)
    assert len({e.pk for e in events}) == count
    for event in (events[0], events[-1]):
        stored = AuditEvent.objects.get(pk=event.pk)
        assert stored.object_id == event.object_id and stored.created_at is not None
        assert stored.after == {"n": int(event.object_id), "tên": "Việt", "list": [1, None]}


def test_a_partly_loaded_row_reads_its_other_columns_from_the_database_not_defaults():
    from sotiem.db.bulk import loaded

    person = Person.objects.create(
        full_name="Nguyễn Văn An", name_key="nguyen van an", birth_date=dt.date(1990, 5, 17)
    )
    light = loaded(Person, id=person.pk, status="active")
    assert light.public_id == person.public_id and light.full_name == "Nguyễn Văn An"
