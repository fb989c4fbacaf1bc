import io

import pytest
from django.core.management import call_command

from sotiem.immunizations import ingest
from sotiem.immunizations.ingest import Sender, ingest_records
from sotiem.immunizations.models import Dose, InboxBatch
from sotiem.testing import make_site

pytestmark = pytest.mark.django_db

RECORD = {
    "record_id": "I-1",
    "full_name": "Đỗ Thị Hạnh",
    "birth_date": "1970",
    "sex": "Nữ",
    "vaccine": "Moderna",
    "administered_on": "2021-09-01",
    "site_code": "S79-0001",
}


def test_a_batch_whose_processing_fails_stays_in_the_inbox_with_its_error_and_can_be_rerun(monkeypatch):
    make_site(code="S79-0001")
    real = ingest._process

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest, "_process", broken)
    with pytest.raises(RuntimeError):
        ingest_records(sender=Sender(source="S79-0001"), records=[RECORD], channel="api", actor="t")
    batch = InboxBatch.objects.get()
    assert batch.status == "failed" and "disk full" in batch.error and batch.payload == [RECORD]
    assert Dose.objects.count() == 0

    out = io.StringIO()
    call_command("inbox", "list", stdout=out)
    assert "disk full" in out.getvalue()

    monkeypatch.setattr(ingest, "_process", real)
    call_command("inbox", "rerun", stdout=io.StringIO())
    batch.refresh_from_db()
    assert batch.status == "processed" and Dose.objects.get().source_record_id == "I-1"
    call_command("inbox", "rerun", "--id", str(batch.pk), stdout=io.StringIO())  # nothing left to do
    assert Dose.objects.count() == 1
