"""A citizen proves their phone with a one-time code, sees who gave it, and detaches who is not family."""

import datetime as dt
import json
import re
import time

import pytest
from django.test import Client
from django.utils import timezone

from sotiem.audit.models import AuditEvent
from sotiem.immunizations.models import Dose
from sotiem.people import sms
from sotiem.people.citizen_views import PROOF_KEY
from sotiem.people.models import ContactPoint, PhoneChallenge
from sotiem.people.services import phone_challenge_start, phone_challenge_verify
from sotiem.testing import make_dose, make_person

pytestmark = pytest.mark.django_db

FAMILY_PHONE = "0912 345 678"
FAMILY_E164 = "+84912345678"
CITIZEN = f"citizen:{FAMILY_E164}"
OTHER_PHONE = "0987 654 321"
OTHER_E164 = "+84987654321"


@pytest.fixture(autouse=True)
def locmem_sms(settings):
    """Text messages go to the outbox, empty at the start, where the tests read the codes they carry."""
    settings.SOTIEM_SMS_BACKEND = "locmem"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """POST a phone to the page, running what waits for the commit (the text message), as a real request does."""

    def post(client: Client, phone: str):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/my/phone/", {"phone": phone})

    return post


def code_sent_to(phone: str) -> str:
    messages = [m for m in sms.outbox if m.phone == phone]
    assert messages, f"no text message to {phone}"
    return re.search(r"sotiem(?: code)?: (\d{6}) ", messages[-1].text).group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def prove(client: Client, send, phone: str = FAMILY_PHONE, e164: str = FAMILY_E164):
    send(client, phone)
    return client.post("/my/phone/verify/", {"code": code_sent_to(e164)})


def family():
    mother = make_person(
        full_name="Lê Thị Mai",
        sex="F",
        birth_date=dt.date(1968, 3, 2),
        phone=FAMILY_PHONE,
        address="12 Lê Lợi",
        cccd=True,
    )
    son = make_person(
        full_name="Phạm Minh Khoa",
        birth_date=dt.date(1995, 7, 9),
        phone=FAMILY_PHONE,
        relationship="relative",
    )
    stranger = make_person(
        full_name="Đỗ Văn Tùng",
        birth_date=dt.date(1979, 11, 30),
        phone=FAMILY_PHONE,
        relationship="group_organiser",
    )
    elsewhere = make_person(full_name="Vũ Thị Lan", sex="F", phone=OTHER_PHONE)
    return mother, son, stranger, elsewhere


def detach(
    client: Client, response, name: str, reason: str = "Không quen người này / I do not know this person"
):
    handle = re.search(
        rf'{re.escape(name)}</td>.*?name="member" value="([^"]+)"', response.content.decode(), re.S
    ).group(1)
    return client.post("/my/phone/detach/", {"member": handle, "reason": reason})


def test_a_citizen_proves_the_phone_sees_the_household_and_detaches_a_stranger(client, send):
    mother, son, stranger, elsewhere = family()
    dose = make_dose(stranger)

    page = client.get("/my/phone/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>Số điện thoại của tôi</h1>" in html and "My phone" not in html
    assert 'name="csrfmiddlewaretoken"' in html

    response = send(client, FAMILY_PHONE)
    assert response.status_code == 302 and response["Location"] == "/my/phone/"
    assert [m.phone for m in sms.outbox] == [FAMILY_E164]
    code = code_sent_to(FAMILY_E164)
    assert sms.outbox[0].text == f"Mã xác nhận sotiem: {code} (hiệu lực 10 phút)"
    challenge = PhoneChallenge.objects.get()
    assert challenge.phone == FAMILY_E164 and code not in challenge.code_hash

    page = client.get("/my/phone/")
    assert 'id="code-form"' in page.content.decode() and "Lê Thị Mai" not in page.content.decode()

    refused = client.post("/my/phone/verify/", {"code": wrong(code)})
    assert refused.status_code == 400
    assert "Mã không đúng, còn 4 lần thử" in refused.content.decode()
    challenge.refresh_from_db()
    assert challenge.attempts == 1 and challenge.verified_at is None
    assert "Lê Thị Mai" not in refused.content.decode()

    proved = client.post("/my/phone/verify/", {"code": code})
    assert proved.status_code == 302
    challenge.refresh_from_db()
    assert challenge.attempts == 2 and challenge.verified_at is not None

    reads_before = AuditEvent.objects.filter(action="person.read").count()
    page = client.get("/my/phone/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('class="member"') == 3
    for person in (mother, son, stranger):
        assert person.full_name in html and str(person.birth_date.year) in html
    assert elsewhere.full_name not in html
    # name and birth year only: no identifiers, addresses, dates of birth, relationships or doses
    assert "12 Lê Lợi" not in html and mother.identifiers.get().value not in html
    assert all(str(p.public_id) not in html for p in (mother, son, stranger))
    assert "02/03/1968" not in html and "1968-03-02" not in html
    assert "Người đăng ký hộ nhóm" not in html and "PFIZER" not in html
    reads = AuditEvent.objects.filter(action="person.read").order_by("pk")[reads_before:]
    assert {e.person_id for e in reads} == {mother.pk, son.pk, stranger.pk}
    assert {e.actor_label for e in reads} == {CITIZEN}

    done = detach(client, page, stranger.full_name)
    assert done.status_code == 302 and done["Location"] == "/my/phone/"
    link = ContactPoint.objects.get(person=stranger)
    assert not link.active and link.detached_at is not None
    event = AuditEvent.objects.get(action="contact.detach")
    assert event.actor_label == CITIZEN and event.person_id == stranger.pk
    assert event.reason == "Không quen người này / I do not know this person"
    dose.refresh_from_db()
    assert dose.person_id == stranger.pk and dose.status == "valid"
    assert Dose.objects.filter(person=stranger).count() == 1

    page = client.get("/my/phone/")
    html = page.content.decode()
    assert (
        f"Đã tách {stranger.full_name} khỏi số {FAMILY_E164}; hồ sơ và các mũi tiêm của họ giữ nguyên" in html
    )
    assert (
        stranger.full_name not in html.split("</ul>", 1)[-1]
    )  # gone from the list (named only in the notice)
    assert html.count('class="member"') == 2 and '<span id="household-count">2</span>' in html

    flow = AuditEvent.objects.filter(
        action__in=["phone.challenge", "phone.verify", "person.read", "contact.detach"]
    )
    assert set(flow.values_list("action", flat=True)) == {
        "phone.challenge",
        "phone.verify",
        "person.read",
        "contact.detach",
    }
    verified = flow.filter(action="phone.verify").order_by("pk")
    assert [e.after["outcome"] for e in verified] == ["wrong_code", "verified"]
    assert verified.last().actor_label == CITIZEN
    for event in AuditEvent.objects.all():
        written = json.dumps(
            [event.before, event.after, event.reason, event.object_repr, event.actor_label],
            ensure_ascii=False,
        )
        assert code not in written and challenge.code_hash not in written


def test_a_post_without_the_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    assert client.post("/my/phone/", {"phone": FAMILY_PHONE}).status_code == 403
    assert not PhoneChallenge.objects.exists() and not sms.outbox


def test_it_refuses_an_expired_code(client, send):
    send(client, FAMILY_PHONE)
    PhoneChallenge.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.post("/my/phone/verify/", {"code": code_sent_to(FAMILY_E164)})
    assert response.status_code == 400
    assert "Mã đã hết hạn, hãy yêu cầu mã mới" in response.content.decode()
    assert PhoneChallenge.objects.get().verified_at is None
    assert 'id="phone-form"' in response.content.decode()  # back to asking for a new code
    assert PROOF_KEY not in client.session


def test_a_challenge_lasts_ten_minutes():
    challenge = phone_challenge_start(phone=FAMILY_PHONE)
    assert challenge.expires_at - challenge.created_at == dt.timedelta(minutes=10)


def test_it_refuses_the_sixth_attempt_even_with_the_right_code(client, send):
    send(client, FAMILY_PHONE)
    code = code_sent_to(FAMILY_E164)
    for left in (4, 3, 2, 1):
        response = client.post("/my/phone/verify/", {"code": wrong(code)})
        assert f"còn {left} lần thử" in response.content.decode()
    fifth = client.post("/my/phone/verify/", {"code": wrong(code)})
    assert "Đã nhập sai 5 lần" in fifth.content.decode()
    sixth = client.post("/my/phone/verify/", {"code": code})
    assert sixth.status_code == 400 and "Đã nhập sai 5 lần" in sixth.content.decode()
    challenge = PhoneChallenge.objects.get()
    assert challenge.attempts == 5 and challenge.verified_at is None
    assert PROOF_KEY not in client.session
    outcomes = (
        AuditEvent.objects.filter(action="phone.verify")
        .order_by("pk")
        .values_list("after__outcome", flat=True)
    )
    assert list(outcomes) == ["wrong_code"] * 5 + ["too_many_attempts"]


def test_a_code_proves_the_phone_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        challenge = phone_challenge_start(phone=FAMILY_PHONE)
    code = code_sent_to(FAMILY_E164)
    assert phone_challenge_verify(challenge=challenge, code=code)
    assert challenge.verified_at is not None
    assert not phone_challenge_verify(challenge=challenge, code=code)
    outcomes = (
        AuditEvent.objects.filter(action="phone.verify")
        .order_by("pk")
        .values_list("after__outcome", flat=True)
    )
    assert list(outcomes) == ["verified", "already_verified"]


def test_it_sends_at_most_three_codes_a_phone_in_fifteen_minutes(client, send):
    for _ in range(3):
        assert send(client, FAMILY_PHONE).status_code == 302
    response = send(client, FAMILY_PHONE)
    html = response.content.decode()
    assert response.status_code == 400
    assert "Vui lòng đợi" in html and "tối đa 3 mã trong 15 phút" in html
    assert len(sms.outbox) == 3 and PhoneChallenge.objects.count() == 3
    assert send(client, OTHER_PHONE).status_code == 302  # another phone is not held up

    PhoneChallenge.objects.filter(phone=FAMILY_E164).update(
        created_at=timezone.now() - dt.timedelta(minutes=16)
    )
    assert send(client, FAMILY_PHONE).status_code == 302


def test_a_citizen_cannot_detach_a_contact_point_of_another_phone(client, send):
    mother, son, stranger, elsewhere = family()
    other_citizen = Client()
    prove(other_citizen, send, OTHER_PHONE, OTHER_E164)
    other_page = other_citizen.get("/my/phone/")
    assert elsewhere.full_name in other_page.content.decode()

    prove(client, send)
    page = client.get("/my/phone/")
    other_handle = re.search(r'name="member" value="([^"]+)"', other_page.content.decode()).group(1)
    other_link = ContactPoint.objects.get(person=elsewhere)
    for member in (other_handle, str(other_link.pk), str(elsewhere.public_id), ""):
        response = client.post("/my/phone/detach/", {"member": member, "reason": "không quen / do not know"})
        assert response.status_code == 404

    # a handle shown for the first phone stops working once the session proves another phone
    handle = re.search(r'name="member" value="([^"]+)"', page.content.decode()).group(1)
    prove(client, send, OTHER_PHONE, OTHER_E164)
    session = client.session
    session[PROOF_KEY]["handles"][handle] = ContactPoint.objects.get(
        person=mother
    ).pk  # as if it had lingered
    session.save()
    response = client.post("/my/phone/detach/", {"member": handle, "reason": "không quen / do not know"})
    assert response.status_code == 404
    assert ContactPoint.objects.filter(active=True).count() == 4
    assert not AuditEvent.objects.filter(action="contact.detach").exists()


def test_detaching_needs_a_reason(client, send):
    mother, *_ = family()
    prove(client, send)
    response = detach(client, client.get("/my/phone/"), mother.full_name, reason="  ")
    assert response.status_code == 400 and "Cần nêu lý do" in response.content.decode()
    assert ContactPoint.objects.get(person=mother).active


def test_the_proof_of_the_phone_expires_after_thirty_minutes(client, send):
    mother, *_ = family()
    prove(client, send)
    proof = client.session[PROOF_KEY]
    assert 29 * 60 < proof["until"] - time.time() <= 30 * 60
    page = client.get("/my/phone/")
    assert mother.full_name in page.content.decode()

    session = client.session
    session[PROOF_KEY]["until"] = time.time() - 1
    session.save()
    reads = AuditEvent.objects.filter(action="person.read").count()
    response = client.post(
        "/my/phone/detach/",
        {
            "member": re.search(r'name="member" value="([^"]+)"', page.content.decode()).group(1),
            "reason": "không quen / do not know",
        },
    )
    assert response.status_code == 302 and ContactPoint.objects.get(person=mother).active
    page = client.get("/my/phone/")
    html = page.content.decode()
    assert "Phiên xác nhận số điện thoại đã hết hạn (30 phút)" in html
    assert mother.full_name not in html and 'id="phone-form"' in html
    assert AuditEvent.objects.filter(action="person.read").count() == reads
    assert PROOF_KEY not in client.session


@pytest.mark.parametrize(
    ("language", "letters", "short"),
    [
        ("vi", "Số điện thoại có chữ cái", "quá ngắn"),
        ("en", "The phone number contains letters", "too short"),
    ],
)
def test_a_bad_phone_is_refused_in_the_language_asked_for(send, language, letters, short):
    client = Client(headers={"accept-language": language})
    response = send(client, "0912 abc")
    html = response.content.decode()
    assert response.status_code == 400 and letters in html
    response = send(client, "12345")
    assert response.status_code == 400 and short in response.content.decode()
    assert not sms.outbox and not PhoneChallenge.objects.exists()


@pytest.mark.parametrize(
    ("language", "heading", "sent", "text", "wrong_code"),
    [
        (
            "vi",
            "<h1>Số điện thoại của tôi</h1>",
            "Đã gửi mã xác nhận tới +84912345678",
            "Mã xác nhận sotiem: {code} (hiệu lực 10 phút)",
            "Mã không đúng, còn 4 lần thử",
        ),
        (
            "en",
            "<h1>My phone</h1>",
            "A code was sent to +84912345678",
            "sotiem code: {code} (valid 10 minutes)",
            "Wrong code; 4 tries left",
        ),
    ],
)
def test_the_citizens_page_and_its_text_message_speak_the_language_asked_for(
    send, language, heading, sent, text, wrong_code
):
    client = Client(headers={"accept-language": language})
    page = client.get("/my/phone/")
    assert page["Content-Language"] == language and heading in page.content.decode()
    send(client, FAMILY_PHONE)
    code = code_sent_to(FAMILY_E164)
    assert sms.outbox[-1].text == text.format(code=code)
    page = client.get("/my/phone/").content.decode()
    assert sent in page and 'id="code-form"' in page
    refused = client.post("/my/phone/verify/", {"code": wrong(code)})
    assert refused.status_code == 400 and wrong_code in refused.content.decode()


def test_the_landing_page_links_the_citizens_page(client):
    assert 'href="/my/phone/"' in client.get("/").content.decode()
