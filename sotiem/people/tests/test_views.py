import datetime as dt

import pytest

from sotiem.accounts.models import Level, Role
from sotiem.accounts.services import grant_create, official_create
from sotiem.audit.models import AuditEvent
from sotiem.immunizations.models import DoseStatus
from sotiem.people.models import (
    ContactPoint,
    Person,
    PersonMerge,
    PersonStatus,
    ReviewCandidate,
    ReviewStatus,
)
from sotiem.testing import HANOI, HCM, make_dose, make_person

pytestmark = pytest.mark.django_db

FAMILY_PHONE = "0912 345 678"
FAMILY_E164 = "+84912345678"
REASON_REQUIRED = "Cần nêu lý do"


def make_candidate(first: Person, second: Person, *, weight: float = 9.4) -> ReviewCandidate:
    a, b = sorted((first, second), key=lambda person: person.pk)
    # the words stored with the pair are those of whoever queued it (here English); the page shows its own
    evidence = [
        {
            "field": "name",
            "label": "Name",
            "a": a.full_name,
            "b": b.full_name,
            "level": "key",
            "level_label": "Same without diacritics",
            "weight": 6.2,
        },
        {
            "field": "birth",
            "label": "Birth date",
            "a": str(a.birth_date),
            "b": str(b.birth_date),
            "level": "exact",
            "weight": 8.1,
        },
        {
            "field": "place",
            "label": "Address",
            "a": a.address,
            "b": b.address,
            "level": "different",
            "weight": -1.5,
        },
    ]
    return ReviewCandidate.objects.create(
        person_a=a,
        person_b=b,
        origin="linkage",
        weight=weight,
        probability=0.9973,
        evidence=evidence,
        model_version="test-1",
        province_code=a.province_code,
        other_province_code=b.province_code,
        commune_code=a.commune_code,
        other_commune_code=b.commune_code,
    )


def hcm_pair(weight: float = 9.4) -> ReviewCandidate:
    return make_candidate(
        make_person(full_name="Nguyễn Văn An", address="12 Lê Lợi"),
        make_person(full_name="Nguyen Van An", address="34 Hai Bà Trưng"),
        weight=weight,
    )


def hanoi_pair() -> ReviewCandidate:
    return make_candidate(
        make_person(full_name="Trần Thị Hà", sex="F", province_code=HANOI),
        make_person(full_name="Tran Thi Ha", sex="F", province_code=HANOI),
    )


def hcm_viewer():
    user = official_create(
        username="hcm-viewer", password="test-password-123", full_name="viewer", actor="test"
    )
    grant_create(
        user=user, role=Role.VIEWER, level=Level.PROVINCE, province_code=HCM, actor="test", reason="test"
    )
    return user


def decide(client, candidate, decision="not_same", reason="Khác cha mẹ, khác quê / different parents"):
    return client.post(f"/review/{candidate.public_id}/", {"decision": decision, "reason": reason})


# -- the review queue -----------------------------------------------------------------------------------------


def test_the_review_pages_require_a_login(client):
    candidate = hcm_pair()
    for url in ("/review/", f"/review/{candidate.public_id}/", f"/households/?phone={FAMILY_E164}"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_an_account_without_a_grant_is_refused_the_officials_pages(client, personas):
    client.force_login(personas.citizen)
    assert client.get("/review/").status_code == 403
    assert client.get(f"/households/?phone={FAMILY_E164}").status_code == 403


def test_the_queue_lists_only_the_pairs_of_the_officials_jurisdiction(client, personas):
    hcm, hanoi = hcm_pair(), hanoi_pair()

    client.force_login(personas.hcdc)
    page = client.get("/review/").content.decode()
    assert "<h1>Cặp hồ sơ cần xem xét</h1>" in page and "Records to review" not in page
    assert str(hcm.public_id) in page and str(hanoi.public_id) not in page

    client.force_login(personas.other_province)
    page = client.get("/review/").content.decode()
    assert str(hanoi.public_id) in page and str(hcm.public_id) not in page

    client.force_login(personas.national)
    page = client.get("/review/").content.decode()
    assert str(hanoi.public_id) in page and str(hcm.public_id) in page


def test_the_queue_shows_the_strongest_pending_pair_first(client, personas):
    weak, strong = hcm_pair(weight=3.0), hcm_pair(weight=12.0)
    client.force_login(personas.hcdc)
    page = client.get("/review/").content.decode()
    assert page.index(str(strong.public_id)) < page.index(str(weak.public_id))


def test_the_detail_shows_both_records_and_the_score_field_by_field(client, personas):
    candidate = hcm_pair()
    client.force_login(personas.hcdc)

    response = client.get(f"/review/{candidate.public_id}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Nguyễn Văn An" in page and "Nguyen Van An" in page and "<td>Trùng khi bỏ dấu</td>" in page
    assert '<th scope="row">Họ tên</th>' in page and "+6,2" in page and "-1,5" in page  # Vietnamese comma
    assert '<th scope="row">Địa chỉ</th>' in page and "<td>Khác tỉnh</td>" in page
    assert "+9,4" in page and "99,7%" in page  # the total weight and the probability
    assert "+12,8" in page and "-3,4" in page  # what the fields add, and the prior they start from
    assert "Cùng một người — gộp" in page and "Không phải cùng một người" in page
    assert "Same person" not in page and "Record A" not in page


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        (
            "vi",
            [
                "Hai hồ sơ này có phải cùng một người?",
                "Họ tên",
                "Trùng khi bỏ dấu",
                "Trùng ngày sinh",
                "Hồ sơ A",
            ],
        ),
        (
            "en",
            ["Are these two records one person?", "Name", "Same without diacritics", "Same date", "Record A"],
        ),
    ],
)
def test_the_detail_and_its_match_levels_read_in_the_chosen_language(client, personas, language, texts):
    candidate = hcm_pair()
    client.force_login(personas.hcdc)
    response = client.get(f"/review/{candidate.public_id}/", headers={"accept-language": language})
    page = response.content.decode()
    assert response.status_code == 200 and response["Content-Language"] == language
    for text in texts:
        assert f">{text}<" in page, text
    refused = decide(client, candidate, decision="maybe")
    assert refused.status_code == 400 and "Hãy chọn một quyết định" in refused.content.decode()
    refused = client.post(
        f"/review/{candidate.public_id}/",
        {"decision": "maybe", "reason": "x"},
        headers={"accept-language": "en"},
    )
    assert "Choose a decision" in refused.content.decode()


def test_showing_a_pair_logs_a_read_of_both_persons(client, personas):
    candidate = hcm_pair()
    client.force_login(personas.hcdc)
    client.get(f"/review/{candidate.public_id}/")
    reads = AuditEvent.objects.filter(action="person.read", actor=personas.hcdc)
    assert sorted(reads.values_list("person_id", flat=True)) == sorted(
        [candidate.person_a_id, candidate.person_b_id]
    )


def test_an_official_of_another_province_gets_404_and_cannot_decide(client, personas):
    candidate = hcm_pair()
    client.force_login(personas.other_province)

    assert client.get(f"/review/{candidate.public_id}/").status_code == 404
    assert decide(client, candidate).status_code == 404

    candidate.refresh_from_db()
    assert candidate.status == ReviewStatus.PENDING and candidate.decided_by is None
    assert not AuditEvent.objects.filter(action="person.read", actor=personas.other_province).exists()


def test_a_view_only_official_sees_the_pair_but_may_not_decide(client, personas):
    candidate = hcm_pair()
    client.force_login(hcm_viewer())

    page = client.get(f"/review/{candidate.public_id}/").content.decode()
    assert 'id="decide"' not in page and "Bạn chỉ có quyền xem cặp này" in page
    assert decide(client, candidate).status_code == 403
    candidate.refresh_from_db()
    assert candidate.is_pending()


def test_a_decision_without_a_reason_is_refused_with_a_message(client, personas):
    candidate = hcm_pair()
    client.force_login(personas.hcdc)

    response = decide(client, candidate, reason="   ")

    assert response.status_code == 400 and REASON_REQUIRED in response.content.decode()
    candidate.refresh_from_db()
    assert candidate.is_pending()


def test_a_decision_must_be_one_of_the_two(client, personas):
    candidate = hcm_pair()
    client.force_login(personas.hcdc)
    response = decide(client, candidate, decision="maybe")
    assert response.status_code == 400 and "Hãy chọn một quyết định" in response.content.decode()


def test_deciding_not_same_records_it_and_the_pair_is_never_asked_again(client, personas):
    candidate = hcm_pair()
    client.force_login(personas.hcdc)

    response = decide(client, candidate, decision="not_same")

    assert response.status_code == 302 and response["Location"] == "/review/"
    candidate.refresh_from_db()
    assert candidate.status == ReviewStatus.NOT_SAME and candidate.decided_by == personas.hcdc
    assert candidate.decided_at is not None and "different parents" in candidate.reason
    assert str(candidate.public_id) not in client.get("/review/").content.decode()
    assert str(candidate.public_id) in client.get("/review/?status=not_same").content.decode()
    assert Person.objects.filter(status=PersonStatus.ACTIVE).count() == 2

    again = decide(client, candidate, decision="linked", reason="đổi ý / changed my mind")
    assert again.status_code == 409 and "không xem xét lại" in again.content.decode()
    candidate.refresh_from_db()
    assert candidate.status == ReviewStatus.NOT_SAME and not PersonMerge.objects.exists()
    assert 'id="decide"' not in client.get(f"/review/{candidate.public_id}/").content.decode()


def test_deciding_linked_merges_the_pair_and_the_tombstone_points_at_the_survivor(client, personas):
    candidate = hcm_pair()
    client.force_login(personas.hcdc)

    response = decide(
        client, candidate, decision="linked", reason="Cùng CCCD trên giấy tờ gốc / same ID card seen"
    )

    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.status == ReviewStatus.LINKED and candidate.decided_by == personas.hcdc
    merge = PersonMerge.objects.get(review=candidate)
    tombstone, survivor = Person.objects.get(pk=merge.merged_id), Person.objects.get(pk=merge.survivor_id)
    assert {tombstone.pk, survivor.pk} == {candidate.person_a_id, candidate.person_b_id}
    assert tombstone.status == PersonStatus.MERGED and tombstone.merged_into_id == survivor.pk
    assert survivor.status == PersonStatus.ACTIVE
    assert str(candidate.public_id) not in client.get("/review/").content.decode()


# -- households -----------------------------------------------------------------------------------------------


def family():
    mother = make_person(
        full_name="Trần Thị Hoa", sex="F", birth_date=dt.date(1965, 3, 2), phone=FAMILY_PHONE
    )
    son = make_person(
        full_name="Lê Văn Minh", birth_date=dt.date(1992, 7, 9), phone=FAMILY_E164, relationship="relative"
    )
    make_person(full_name="Đỗ Văn Khác", phone="0987654321")
    return mother, son


def test_the_household_search_lists_everyone_who_gave_the_phone(client, personas):
    mother, son = family()
    client.force_login(personas.hcdc)

    response = client.get("/households/", {"phone": "0912.345.678"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Trần Thị Hoa" in page and "Lê Văn Minh" in page and "Đỗ Văn Khác" not in page
    assert "1965" in page and "1992" in page and "<td>Người thân</td>" in page
    assert page.count("Không phải người nhà") == 2
    assert set(AuditEvent.objects.filter(action="person.read").values_list("person_id", flat=True)) == {
        mother.pk,
        son.pk,
    }


@pytest.mark.parametrize(
    ("language", "error", "heading"),
    [
        ("vi", "Số điện thoại có chữ cái", "Những người dùng chung một số điện thoại"),
        ("en", "The phone number contains letters", "Persons who share a phone"),
    ],
)
def test_a_phone_that_cannot_be_a_phone_shows_the_error_in_the_chosen_language(
    client, personas, language, error, heading
):
    client.force_login(personas.hcdc)
    response = client.get("/households/", {"phone": "09abc"}, headers={"accept-language": language})
    page = response.content.decode()
    assert response.status_code == 400 and error in page and f"<h1>{heading}</h1>" in page


def test_detaching_a_person_removes_them_from_the_household_and_keeps_their_doses(client, personas):
    mother, son = family()
    dose = make_dose(son)
    client.force_login(personas.hcdc)

    response = client.post(
        "/households/",
        {
            "phone": FAMILY_E164,
            "person": str(son.public_id),
            "reason": "Không phải người nhà / not my family member",
        },
        follow=True,
    )

    page = response.content.decode()
    assert (
        response.status_code == 200
        and "Trần Thị Hoa" in page
        and "Lê Văn Minh" not in page.split("<table")[1]
    )
    assert "Đã tách Lê Văn Minh khỏi số +84912345678; các mũi tiêm giữ nguyên" in page
    contact = ContactPoint.objects.get(person=son)
    assert contact.active is False and contact.detached_at is not None
    dose.refresh_from_db()
    assert dose.status == DoseStatus.VALID and dose.person_id == son.pk
    son.refresh_from_db()
    assert son.status == PersonStatus.ACTIVE
    event = AuditEvent.objects.get(action="contact.detach")
    assert event.actor == personas.hcdc and event.person_id == son.pk


def test_detaching_without_a_reason_is_refused_with_a_message(client, personas):
    _, son = family()
    client.force_login(personas.hcdc)

    response = client.post(
        "/households/", {"phone": FAMILY_E164, "person": str(son.public_id), "reason": " "}
    )

    assert response.status_code == 400 and REASON_REQUIRED in response.content.decode()
    assert ContactPoint.objects.get(person=son).active is True


def test_another_province_sees_no_one_behind_the_phone_and_cannot_detach(client, personas):
    _, son = family()
    client.force_login(personas.other_province)

    page = client.get("/households/", {"phone": FAMILY_E164}).content.decode()
    assert "Lê Văn Minh" not in page and "Trần Thị Hoa" not in page

    response = client.post(
        "/households/", {"phone": FAMILY_E164, "person": str(son.public_id), "reason": "x"}
    )
    assert response.status_code == 404
    assert ContactPoint.objects.get(person=son).active is True


def test_a_view_only_official_may_not_detach(client, personas):
    _, son = family()
    client.force_login(hcm_viewer())
    response = client.post(
        "/households/", {"phone": FAMILY_E164, "person": str(son.public_id), "reason": "x"}
    )
    assert response.status_code == 403
    assert ContactPoint.objects.get(person=son).active is True


@pytest.mark.parametrize(("language", "female", "male"), [("vi", "Nữ", "Nam"), ("en", "Female", "Male")])
def test_evidence_codes_are_named_in_the_readers_language(client, personas, language, female, male):
    from sotiem.places.models import AdminUnit

    candidate = hcm_pair()
    province = AdminUnit.objects.filter(level="province", code="79").order_by("-era").first()
    candidate.evidence = [
        {"field": "sex", "label": "Sex", "a": "F", "b": "M", "level": "different", "weight": -2.0},
        {"field": "place", "label": "Address", "a": "79", "b": "79", "level": "same", "weight": 1.0},
    ]
    candidate.save(update_fields=["evidence"])
    client.force_login(personas.hcdc)
    page = client.get(
        f"/review/{candidate.public_id}/", headers={"accept-language": language}
    ).content.decode()
    assert f">{female}<" in page and f">{male}<" in page
    assert province is not None and f">{province.full_name}<" in page and ">79<" not in page
