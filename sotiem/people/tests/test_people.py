import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from sotiem.audit.models import AuditEvent
from sotiem.immunizations.models import DoseStatus
from sotiem.immunizations.selectors import person_history
from sotiem.people.models import ContactPoint, Identifier, Person
from sotiem.people.selectors import household_of, person_get, person_list
from sotiem.people.services import (
    ContactIn,
    IdentifierIn,
    check_identifier,
    contact_point_add,
    contact_point_detach,
    person_create,
    person_update,
)
from sotiem.testing import HANOI, make_dose, make_person

pytestmark = pytest.mark.django_db

FAMILY_PHONE = "0912 345 678"


def test_two_persons_sharing_a_phone_stay_two_persons():
    mother = make_person(
        full_name="Trần Thị Hoa", sex="F", birth_date=dt.date(1965, 3, 2), phone=FAMILY_PHONE
    )
    son = make_person(
        full_name="Lê Văn Minh", birth_date=dt.date(1992, 7, 9), phone="+84912345678", relationship="relative"
    )

    assert mother.pk != son.pk
    assert Person.objects.count() == 2
    assert set(ContactPoint.objects.filter(phone="+84912345678").values_list("person_id", flat=True)) == {
        mother.pk,
        son.pk,
    }


def test_twins_on_one_phone_with_one_birth_date_stay_two_persons():
    born = dt.date(2010, 1, 5)
    first = make_person(
        full_name="Nguyễn Thị Lan", sex="F", birth_date=born, phone=FAMILY_PHONE, relationship="guardian"
    )
    second = make_person(
        full_name="Nguyễn Thị Huệ", sex="F", birth_date=born, phone=FAMILY_PHONE, relationship="guardian"
    )
    assert first.pk != second.pk and first.name_key != second.name_key


def test_a_household_is_everyone_who_gave_the_phone(personas):
    a = make_person(full_name="Phạm Văn Tài", phone=FAMILY_PHONE)
    b = make_person(full_name="Phạm Thị Thu", sex="F", phone=FAMILY_PHONE, relationship="relative")
    make_person(full_name="Đỗ Văn Khác", phone="0987654321")

    household = household_of(viewer=personas.hcdc, phone="+84912345678")

    assert set(household) == {a, b}


def test_detaching_a_person_from_a_phone_keeps_their_doses_and_the_row(personas):
    person = make_person(phone=FAMILY_PHONE, relationship="relative")
    dose = make_dose(person)
    contact = person.contact_points.get()

    contact_point_detach(contact=contact, actor=personas.hcdc, reason="Không phải người nhà / not my family")

    contact.refresh_from_db()
    dose.refresh_from_db()
    assert contact.active is False and contact.detached_at is not None
    assert dose.status == DoseStatus.VALID and dose.person_id == person.pk
    assert list(household_of(viewer=personas.hcdc, phone="+84912345678")) == []


def test_detaching_without_a_reason_is_refused(personas):
    contact = make_person(phone=FAMILY_PHONE).contact_points.get()
    with pytest.raises(ValidationError, match="Cần nêu lý do"):
        contact_point_detach(contact=contact, actor=personas.hcdc, reason=" ")


def test_a_phone_that_cannot_be_a_phone_is_refused_with_its_reason():
    person = make_person()
    with pytest.raises(ValidationError) as exc:
        contact_point_add(person=person, phone="09abc", actor="test")
    assert exc.value.messages


def test_an_identifier_that_fails_its_checks_is_kept_with_a_note():
    # a female CCCD digit (1) on a man born 1990: kept, not validated, with the reason
    person = person_create(
        full_name="Võ Văn Tám",
        birth_date=dt.date(1990, 1, 1),
        sex="M",
        identifiers=[IdentifierIn(scheme="CCCD", value="079190123456")],
        actor="test",
    )
    ident = Identifier.objects.get(person=person)
    assert ident.validated is False
    assert ident.validation_note


def test_a_valid_cccd_is_stored_validated():
    person = make_person(cccd=True)
    assert person.identifiers.get().validated is True


def test_a_name_is_normalised_and_keyed_without_diacritics():
    person = make_person(full_name="  NGUYỄN   THỊ  HOÀ ", sex="F")
    assert person.full_name == "Nguyễn Thị Hòa"
    assert person.name_as_given == "NGUYỄN   THỊ  HOÀ"
    assert person.name_key == "nguyen thi hoa"


def test_a_birth_date_in_the_future_is_refused():
    with pytest.raises(ValidationError, match="ở tương lai"):
        make_person(birth_date=dt.date.today() + dt.timedelta(days=2))


def test_the_address_commune_of_2021_gives_the_2025_jurisdiction():
    person = make_person(province_code="79")
    assert person.province_code == "79"
    assert person.commune_code  # mapped to a 2025 commune


def test_person_create_and_update_are_audited(personas):
    person = make_person()
    assert AuditEvent.objects.filter(action="person.create", person_id=person.pk).count() == 1

    person_update(
        person=person, full_name="Nguyễn Văn Ân", actor=personas.hcdc, reason="Sai dấu / wrong accent"
    )

    event = AuditEvent.objects.get(action="person.update", person_id=person.pk)
    assert event.before["full_name"] == "Nguyễn Văn An" and event.after["full_name"] == "Nguyễn Văn Ân"
    assert event.actor == personas.hcdc and event.reason


def test_the_hcm_official_sees_hcm_persons_and_the_hanoi_official_does_not(personas):
    hcm_person = make_person(province_code="79")
    hanoi_person = make_person(full_name="Bùi Thị Hà", sex="F", province_code=HANOI)

    assert set(person_list(viewer=personas.hcdc)) == {hcm_person}
    assert set(person_list(viewer=personas.other_province)) == {hanoi_person}
    assert set(person_list(viewer=personas.national)) == {hcm_person, hanoi_person}
    assert list(person_list(viewer=personas.citizen)) == []
    assert person_get(viewer=personas.other_province, public_id=hcm_person.public_id) is None


def test_a_province_official_also_sees_a_visitor_vaccinated_at_one_of_its_sites(personas):
    visitor = make_person(full_name="Hoàng Văn Khách", province_code=HANOI)
    make_dose(visitor, site=personas.nurse_site)
    assert visitor in set(person_list(viewer=personas.hcdc))


def test_a_nurse_sees_only_persons_vaccinated_at_her_site(personas):
    mine = make_person(full_name="Lý Thị Mai", sex="F")
    make_dose(mine, site=personas.nurse_site)
    other = make_person(full_name="Lý Văn Nam")
    make_dose(other)

    assert set(person_list(viewer=personas.nurse)) == {mine}


def test_reading_a_person_is_audited_and_history_is_scoped(personas):
    person = make_person()
    assert person_get(viewer=personas.hcdc, public_id=person.public_id) == person
    assert AuditEvent.objects.filter(action="person.read", person_id=person.pk, actor=personas.hcdc).exists()
    assert person_history(viewer=personas.hcdc, person=person).exists()
    assert not person_history(viewer=personas.other_province, person=person).exists()


def test_the_person_api_refuses_another_jurisdiction(client, personas):
    person = make_person()
    make_dose(person)
    url = f"/api/v1/persons/{person.public_id}"

    assert client.get(url).status_code == 401

    client.force_login(personas.other_province)
    assert client.get(url).status_code == 404

    client.force_login(personas.hcdc)
    response = client.get(url)
    assert response.status_code == 200
    body = response.json()
    assert body["full_name"] == "Nguyễn Văn An" and [d["dose_number"] for d in body["doses"]] == [1]


def test_contacts_are_normalised_to_e164_from_any_written_form():
    person = person_create(
        full_name="Đặng Văn Bình",
        birth_date=None,
        sex="M",
        actor="test",
        contacts=[ContactIn(phone="01662345678"), ContactIn(phone="84 912 000 111")],
    )
    assert set(person.contact_points.values_list("phone", flat=True)) == {"+84362345678", "+84912000111"}


def test_a_batch_with_one_bad_person_is_refused_whole_and_names_the_position():
    from sotiem.people.services import PersonIn, person_create_many

    items = [
        PersonIn(full_name="Ngô Văn Một", birth_date=dt.date(1980, 1, 1), sex="M"),
        PersonIn(full_name="  ", birth_date=dt.date(1980, 1, 1), sex="M"),
    ]
    with pytest.raises(ValidationError, match="#2"):
        person_create_many(items=items, actor="test")
    assert Person.objects.count() == 0


def test_an_official_opening_a_person_in_the_admin_is_logged_and_sees_the_doses(client, personas):
    person = make_person()
    make_dose(person)
    client.force_login(personas.hcdc)
    response = client.get(f"/admin/people/person/{person.pk}/change/")
    assert response.status_code == 200
    assert "Mũi tiêm" in response.content.decode()
    assert AuditEvent.objects.filter(action="person.read", person_id=person.pk, actor=personas.hcdc).exists()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "vi",
            [
                "Họ tên",
                "Ngày sinh",
                "Giới tính",
                "Mã tỉnh",
                "Trạng thái",
                "Theo trạng thái",
                "Tên như khi gửi",
                "Khóa tên",
            ],
        ),
        (
            "en",
            [
                "Full name",
                "Birth date",
                "Sex",
                "Province code",
                "Person&#x27;s status",
                "Name as given",
                "Name key",
            ],
        ),
    ],
)
def test_the_person_admin_names_its_columns_filters_and_fields_in_the_readers_language(
    client, personas, language, words
):
    person = make_person()
    client.force_login(personas.hcdc)
    headers = {"accept-language": language}
    page = client.get("/admin/people/person/", headers=headers).content.decode()
    page += client.get(f"/admin/people/person/{person.pk}/change/", headers=headers).content.decode()
    assert [word for word in words if word not in page] == []


def test_an_official_of_another_province_cannot_open_the_person_in_the_admin(client, personas):
    person = make_person()
    client.force_login(personas.other_province)
    response = client.get(f"/admin/people/person/{person.pk}/change/", follow=True)
    assert person.full_name not in response.content.decode()
    assert not AuditEvent.objects.filter(action="person.read", person_id=person.pk).exists()


def test_an_identifier_check_answers_in_each_language_though_it_is_cached():
    # the same identifier checked in Vietnamese, then in English, then in Vietnamese again (all from the cache)
    notes = {}
    for language in ("vi", "en", "vi"):
        with translation.override(language):
            scheme, value, valid, note = check_identifier("CCCD", "0791234", sex="M", birth_year=None)
        assert (scheme, value, valid) == ("CCCD", "0791234", False)
        notes.setdefault(language, set()).add(note)
    assert notes["vi"] == {"Số CCCD phải có đúng 12 chữ số, số này có 7"}
    assert notes["en"] == {"A CCCD number must have exactly 12 digits (got 7)"}
