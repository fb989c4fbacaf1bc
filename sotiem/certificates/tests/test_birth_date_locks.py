"""Wrong birth dates on the citizen's certificate page are counted in the database (issue 12, item 4).

The probe: after five wrong birth dates, a new one-time code for the same phone (a new session) gave five more
guesses per person. Now the tries are counted per person, per phone and per client address, across codes and
sessions, and the lock lasts (and says until when).
"""

import datetime as dt
import re

import pytest
from django.db.models import F
from django.test import Client

from sotiem.audit.models import AuditEvent
from sotiem.people.models import BirthDateLock, BirthDateTry
from sotiem.people.tests.test_citizen_phone import (
    FAMILY_E164,
    FAMILY_PHONE,
    OTHER_E164,
    OTHER_PHONE,
    code_sent_to,
    locmem_sms,  # noqa: F401 (an autouse fixture: this module's text messages go to the outbox too)
)
from sotiem.testing import make_dose, make_person

pytestmark = pytest.mark.django_db

HOME = "198.51.100.7"  # documentation addresses (RFC 5737): only a header value here, never a destination
CAFE = "203.0.113.9"
WRONG = "01/01/2000"


@pytest.fixture
def prove(django_capture_on_commit_callbacks):
    """A new client (a new session) that proved the phone with a new one-time code, from an address."""

    def proved(phone: str = FAMILY_PHONE, e164: str = FAMILY_E164, address: str = HOME) -> Client:
        client = Client(REMOTE_ADDR=address)
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/my/phone/", {"phone": phone})
        assert client.post("/my/phone/verify/", {"code": code_sent_to(e164)}).status_code == 302
        return client

    return proved


def member(name: str, born: dt.date, phone: str = FAMILY_PHONE):
    someone = make_person(full_name=name, birth_date=born, phone=phone)
    make_dose(someone, vaccine="AZ", administered_on=dt.date(2021, 7, 1))
    make_dose(someone, vaccine="PFIZER", administered_on=dt.date(2021, 9, 1))
    return someone


def url(client: Client, name: str) -> str:
    html = client.get("/my/phone/").content.decode()
    return "/my/certificates/{}/".format(
        re.search(rf"{re.escape(name)}</td>.*?/my/certificates/([^/]+)/", html, re.S).group(1)
    )


def guess(client: Client, name: str, born: str = WRONG, language: str = "vi"):
    return client.post(url(client, name), {"birth_date": born}, headers={"accept-language": language})


def test_it_refuses_the_person_after_five_wrong_dates_across_codes_sessions_and_addresses(prove):
    son = member("Phạm Minh Khoa", dt.date(1995, 7, 9))
    first = prove()
    for left in (4, 3, 2):
        wrong = guess(first, son.full_name)
        assert wrong.status_code == 400 and f"còn {left} lần thử" in wrong.content.decode()
    wrong = guess(first, son.full_name, language="en")
    assert wrong.status_code == 400 and "The birth date does not match; 1 try left" in wrong.content.decode()
    locked = guess(first, son.full_name)
    assert (
        locked.status_code == 429
        and "Đã nhập sai ngày sinh của người này quá nhiều lần" in locked.content.decode()
    )
    assert guess(first, son.full_name, "09/07/1995").status_code == 429  # even the right date, while locked

    # the probe: a new code for the same phone, in a new session -- still locked, and so from another address
    for client in (prove(), prove(address=CAFE)):
        page = client.get(url(client, son.full_name)).content.decode()
        assert 'id="birth-date-lock"' in page and 'id="unlock-form"' not in page
        refused = guess(client, son.full_name, "09/07/1995")
        assert refused.status_code == 429 and "liên hệ trạm y tế" in refused.content.decode()
        in_english = guess(client, son.full_name, "09/07/1995", language="en")
        assert in_english.status_code == 429 and "Too many wrong birth dates for this person" in (
            in_english.content.decode()
        )
    assert BirthDateTry.objects.filter(person=son).count() == 5  # tries refused by the lock are not counted


def test_the_lock_says_until_when_in_vietnam_time(prove):
    son = member("Phạm Minh Khoa", dt.date(1995, 7, 9))
    client = prove()
    for _ in range(5):
        last = guess(client, son.full_name)
    lock = BirthDateLock.objects.get(scope="person")
    first = BirthDateTry.objects.filter(person=son).earliest("created_at").created_at
    assert lock.until == first + dt.timedelta(hours=24) and lock.strike == 1
    local = lock.until.astimezone(dt.timezone(dt.timedelta(hours=7)))
    html = last.content.decode()
    assert f"bị khóa đến {local:%H:%M} ngày {local:%d/%m/%Y} (giờ Việt Nam)" in html
    html = guess(client, son.full_name, language="en").content.decode()
    assert f"locked until {local:%H:%M} on {local.day} {local:%b %Y} (Vietnam time)" in html


def test_a_right_birth_date_does_not_reset_the_count_of_wrong_ones(prove):
    son = member("Phạm Minh Khoa", dt.date(1995, 7, 9))
    client = prove()
    for _ in range(4):
        guess(client, son.full_name)
    assert guess(client, son.full_name, "09/07/1995").status_code == 302
    other = prove(address=CAFE)
    assert guess(other, son.full_name).status_code == 429  # the fifth wrong one in 24 hours


def time_passes(delta: dt.timedelta) -> None:
    """Move every stored try and lock back by `delta`, as if that long had passed (no sleeping)."""
    BirthDateTry.objects.update(created_at=F("created_at") - delta)
    BirthDateLock.objects.update(started_at=F("started_at") - delta, until=F("until") - delta)


def test_the_lock_ends_after_its_time_and_the_next_one_lasts_twice_as_long(prove):
    son = member("Phạm Minh Khoa", dt.date(1995, 7, 9))
    client = prove()
    for _ in range(5):
        guess(client, son.full_name)
    time_passes(dt.timedelta(hours=23, minutes=59))
    assert guess(client, son.full_name, "09/07/1995").status_code == 429
    time_passes(dt.timedelta(minutes=1, seconds=1))
    later = prove(address=CAFE)
    assert 'id="unlock-form"' in later.get(url(later, son.full_name)).content.decode()
    for left in (4, 3, 2, 1):  # the tries the ended lock paid for are not counted again
        assert f"còn {left} lần thử" in guess(later, son.full_name).content.decode()
    assert guess(later, son.full_name).status_code == 429
    second = BirthDateLock.objects.latest("started_at")
    first_try = BirthDateTry.objects.order_by("-created_at")[4].created_at
    assert second.strike == 2 and second.until - first_try == dt.timedelta(hours=48)
    time_passes(dt.timedelta(hours=24, seconds=1))
    assert guess(later, son.full_name, "09/07/1995").status_code == 429  # twice as long: a day is not enough
    time_passes(dt.timedelta(hours=24))
    assert guess(later, son.full_name, "09/07/1995").status_code == 302
    html = later.get(url(later, son.full_name)).content.decode()
    assert son.certificates.get().uvci in html


def test_ten_wrong_dates_from_one_phone_lock_the_phone_for_every_person(prove):
    mother = member("Lê Thị Mai", dt.date(1968, 3, 2))
    son = member("Phạm Minh Khoa", dt.date(1995, 7, 9))
    uncle = member("Đỗ Văn Tùng", dt.date(1979, 11, 30))
    daughter = member("Phạm Thị Hoa", dt.date(2001, 4, 5))
    client = prove()
    for person, times in ((mother, 4), (son, 4), (uncle, 1)):
        for _ in range(times):
            assert guess(client, person.full_name).status_code == 400
    assert guess(client, uncle.full_name).status_code == 429  # the tenth from this phone
    assert BirthDateLock.objects.get().scope == "phone"
    refused = guess(prove(address=CAFE), daughter.full_name, "05/04/2001")
    assert refused.status_code == 429 and "từ số điện thoại này" in refused.content.decode()


def test_wrong_dates_from_one_address_lock_it_for_every_phone(prove, settings):
    settings.SOTIEM_BIRTH_DATE_LIMITS = {
        **settings.SOTIEM_BIRTH_DATE_LIMITS,
        "address": {"tries": 3, "window_hours": 1, "max_hours": 24},
    }
    son = member("Phạm Minh Khoa", dt.date(1995, 7, 9))
    neighbour = member("Vũ Thị Lan", dt.date(1988, 2, 3), phone=OTHER_PHONE)
    client = prove()
    assert guess(client, son.full_name).status_code == 400
    assert guess(client, son.full_name).status_code == 400
    assert guess(client, son.full_name).status_code == 429
    lock = BirthDateLock.objects.get()
    assert lock.scope == "address" and lock.key == HOME
    assert lock.until - BirthDateTry.objects.earliest("created_at").created_at == dt.timedelta(hours=1)
    refused = guess(prove(OTHER_PHONE, OTHER_E164), neighbour.full_name, "03/02/1988")
    assert refused.status_code == 429 and "từ địa chỉ mạng này" in refused.content.decode()
    assert (
        guess(prove(OTHER_PHONE, OTHER_E164, address=CAFE), neighbour.full_name, "03/02/1988").status_code
        == 302
    )


def test_every_wrong_date_and_every_lock_is_audited_as_the_citizen(prove):
    son = member("Phạm Minh Khoa", dt.date(1995, 7, 9))
    client = prove()
    for _ in range(5):
        guess(client, son.full_name)
    wrong = AuditEvent.objects.filter(action="birth_date.wrong", person_id=son.pk)
    locks = AuditEvent.objects.filter(action="birth_date.lock", person_id=son.pk)
    assert wrong.count() == 5 and locks.count() == 1
    assert {e.actor_label for e in [*wrong, *locks]} == {f"citizen:{FAMILY_E164}"}
    assert locks.get().after["scope"] == "person" and wrong.first().after["address"] == HOME
    assert WRONG not in str(list(wrong.values_list("after", flat=True)))  # a guessed birth date is never kept


@pytest.mark.parametrize("typed", ["31/02/1995", "", "ngày sinh"])
def test_a_date_that_cannot_be_one_is_explained_and_is_not_a_try(prove, typed):
    son = member("Phạm Minh Khoa", dt.date(1995, 7, 9))
    client = prove()
    refused = guess(client, son.full_name, typed)
    page = refused.content.decode()
    assert refused.status_code == 400 and "không khớp" not in page and 'id="unlock-form"' in page
    assert BirthDateTry.objects.filter(person=son).count() == 0
