import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from sotiem.audit.models import AuditEvent
from sotiem.immunizations.models import Appointment, Dose, DoseStatus, Vaccine
from sotiem.immunizations.selectors import dose_list, vaccine_find
from sotiem.immunizations.services import (
    appointment_cancel,
    appointment_schedule,
    dose_dispute,
    dose_restore,
    dose_void,
)
from sotiem.testing import make_dose, make_person

pytestmark = pytest.mark.django_db


def test_the_catalogue_holds_the_eight_vaccines_with_their_primary_series():
    doses = dict(Vaccine.objects.values_list("code", "primary_doses"))
    assert len(doses) == 8
    assert doses["JANSSEN"] == 1 and doses["ABDALA"] == 3 and doses["AZ"] == 2
    assert Vaccine.objects.get(code="PFIZER").eu_product_code == "EU/1/20/1528"


@pytest.mark.parametrize(
    "written, code",
    [
        ("AstraZeneca", "AZ"),
        ("Vero Cell", "VEROCELL"),
        ("sinopharm", "VEROCELL"),
        ("PFIZER", "PFIZER"),
        ("Moderna", "MODERNA"),
        ("Hayat-Vax", "HAYATVAX"),
    ],
)
def test_a_vaccine_is_found_from_what_people_write(written, code):
    assert vaccine_find(written).code == code


def test_an_unknown_vaccine_name_is_not_guessed():
    assert vaccine_find("Covaxin") is None


def test_an_appointment_past_its_date_is_still_not_a_dose():
    person = make_person()
    make_dose(person, administered_on=dt.date(2021, 7, 1))
    appointment = appointment_schedule(
        person=person,
        dose_number=2,
        due_on=dt.date(2021, 7, 22),
        vaccine=Vaccine.objects.get(code="PFIZER"),
        actor="test",
    )

    assert appointment.is_missed(dt.date(2021, 9, 1))
    assert Dose.objects.filter(person=person).count() == 1
    assert [d.dose_number_derived for d in Dose.objects.filter(person=person)] == [1]


def test_recording_the_dose_fulfils_the_appointment_and_only_then_counts():
    person = make_person()
    make_dose(person, administered_on=dt.date(2021, 7, 1))
    appointment = appointment_schedule(
        person=person, dose_number=2, due_on=dt.date(2021, 7, 22), actor="test"
    )

    second = make_dose(person, administered_on=dt.date(2021, 7, 23))

    appointment.refresh_from_db()
    assert appointment.fulfilled_by == second
    assert second.dose_number_derived == 2
    assert not appointment.is_missed(dt.date(2021, 9, 1))


def test_a_cancelled_appointment_is_kept():
    person = make_person()
    appointment = appointment_schedule(
        person=person, dose_number=1, due_on=dt.date(2021, 7, 22), actor="test"
    )
    appointment_cancel(appointment=appointment, actor="test", reason="Chuyển nơi ở / moved away")
    assert Appointment.objects.get(pk=appointment.pk).status == "cancelled"


def test_a_voided_dose_is_kept_with_its_reason_and_stops_counting(personas):
    person = make_person()
    first = make_dose(person, administered_on=dt.date(2021, 7, 1))
    second = make_dose(person, administered_on=dt.date(2021, 7, 25))

    dose_void(dose=first, actor=personas.hcdc, reason="Nhập trùng / entered twice")

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == DoseStatus.VOIDED and first.status_reason == "Nhập trùng / entered twice"
    assert first.dose_number_derived is None and second.dose_number_derived == 1
    assert Dose.objects.filter(pk=first.pk).exists()
    assert list(dose_list(viewer=personas.hcdc, person=person, include_voided=False)) == [second]


def test_a_voided_dose_can_be_restored():
    person = make_person()
    dose = make_dose(person)
    dose_void(dose=dose, actor="test", reason="nhầm / mistake")
    dose = dose_restore(dose=dose, actor="test", reason="hủy nhầm / voided by mistake")
    assert dose.status == DoseStatus.VALID and dose.dose_number_derived == 1


def test_voiding_needs_a_reason():
    dose = make_dose(make_person())
    with pytest.raises(ValidationError, match="Cần nêu lý do"):
        dose_void(dose=dose, actor="test", reason="")
    with translation.override("en"), pytest.raises(ValidationError, match="A reason is required"):
        dose_void(dose=dose, actor="test", reason="")


def test_a_disputed_dose_stops_counting_at_once():
    person = make_person()
    make_dose(person, administered_on=dt.date(2021, 7, 1))
    scheduled_second = make_dose(person, administered_on=dt.date(2021, 7, 22))

    dose_dispute(
        dose=scheduled_second, actor="citizen", reason="Tôi không tiêm mũi này / I did not receive it"
    )

    scheduled_second.refresh_from_db()
    assert scheduled_second.status == DoseStatus.DISPUTED and not scheduled_second.counts()
    assert scheduled_second.dose_number_derived is None


def test_a_sender_record_id_is_held_once():
    person = make_person()
    make_dose(person, source="S79-0001", source_record_id="R-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_dose(person, source="S79-0001", source_record_id="R-1")
    make_dose(person, source="S79-0002", source_record_id="R-1")  # another sender may use the same id


def test_a_dose_is_refused_on_a_merged_tombstone():
    survivor, tombstone = make_person(), make_person(full_name="Nguyễn Văn Ann")
    tombstone.status, tombstone.merged_into = "merged", survivor
    tombstone.save()
    with pytest.raises(ValidationError, match="Hồ sơ đã gộp; ghi vào hồ sơ chính"):
        make_dose(tombstone)
    with translation.override("en"), pytest.raises(ValidationError, match="merged; record on the survivor"):
        make_dose(tombstone)


def test_every_dose_service_writes_an_audit_event(personas):
    person = make_person()
    dose = make_dose(person)
    dose_dispute(dose=dose, actor=personas.hcdc, reason="khiếu nại / complaint")
    dose_restore(dose=dose, actor=personas.hcdc, reason="đã xác minh / verified")
    dose_void(dose=dose, actor=personas.hcdc, reason="trùng / duplicate")
    actions = list(
        AuditEvent.objects.filter(object_type="immunizations.dose", object_id=str(dose.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["dose.record", "dose.dispute", "dose.restore", "dose.void"]


def test_doses_are_scoped_to_the_viewer(personas):
    person = make_person()
    make_dose(person, site=personas.nurse_site)
    assert dose_list(viewer=personas.hcdc, person=person).count() == 1
    assert dose_list(viewer=personas.other_province, person=person).count() == 0
    assert dose_list(viewer=personas.nurse, person=person).count() == 1


def test_a_batch_of_doses_numbers_each_person_in_date_order():
    from sotiem.immunizations.services import DoseIn, dose_record_many
    from sotiem.testing import make_site

    site = make_site()
    pfizer = Vaccine.objects.get(code="PFIZER")
    a, b = make_person(), make_person(full_name="Trương Thị Bé", sex="F")
    make_dose(a, site=site, administered_on=dt.date(2021, 9, 1))
    doses = dose_record_many(
        items=[
            DoseIn(
                person=a, vaccine=pfizer, site=site, administered_on=dt.date(2021, 8, 1)
            ),  # before the held one
            DoseIn(person=b, vaccine=pfizer, site=site, administered_on=dt.date(2021, 8, 2)),
        ],
        source="S",
        actor="test",
    )
    assert [d.dose_number_derived for d in doses] == [1, 1]
    assert [d.dose_number_derived for d in Dose.objects.filter(person=a)] == [1, 2]
