"""Officials' sign-in is throttled per account and per client address (issue 12, item 7; django-axes).

The probe: 25 wrong admin logins in 12 s were all answered as if nothing happened.
"""

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import F
from django.test import Client

from sotiem.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "test-password-123"  # the personas' (sotiem.testing)
HOME = "198.51.100.7"  # documentation addresses (RFC 5737): only a header value here
OFFICE = "203.0.113.9"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    """Before the personas are made: dozens of sign-ins at a production hasher's cost would take a minute."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_in(username: str, password: str, address: str = HOME, language: str = "vi"):
    return Client(REMOTE_ADDR=address, headers={"accept-language": language}).post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}
    )


def test_it_locks_an_account_after_repeated_wrong_passwords_even_for_the_right_one(personas):
    answers = [sign_in(personas.hcdc.username, f"wrong-{i}").status_code for i in range(25)]
    limit = settings.AXES_FAILURE_LIMIT
    assert answers[: limit - 1] == [200] * (limit - 1)  # the form again, with its error
    assert answers[limit - 1 :] == [429] * (25 - limit + 1)
    locked = sign_in(personas.hcdc.username, PASSWORD, address=OFFICE)  # the right password, from elsewhere
    html = locked.content.decode()
    assert locked.status_code == 429 and "_auth_user_id" not in locked.client.session
    assert re.search(r"đăng nhập bị khóa đến \d\d:\d\d ngày \d\d/\d\d/20\d\d \(giờ Việt Nam\)", html)
    assert "signing in is locked until" not in html  # one language, the reader's
    failed = AuditEvent.objects.filter(action="login.failed", object_id=str(personas.hcdc.pk))
    assert failed.count() == 26 and {event.after["address"] for event in failed} == {HOME, OFFICE}
    assert failed.first().actor_label == "anonymous" and "password" not in str(failed.first().after)
    assert AuditEvent.objects.filter(action="login.lockout", object_id=str(personas.hcdc.pk)).count() >= 1
    in_english = sign_in(personas.hcdc.username, PASSWORD, address=OFFICE, language="en").content.decode()
    until = r"\d\d:\d\d on \d{1,2} [A-Z][a-z]{2} 20\d\d"
    assert re.search(rf"signing in is locked until {until} \(Vietnam time\)", in_english)


def test_wrong_passwords_from_one_address_lock_other_accounts_from_it(personas):
    for i in range(settings.AXES_FAILURE_LIMIT):  # a different, made-up account each time
        sign_in(f"guess-{i}", "wrong-password")
    assert sign_in(personas.national.username, PASSWORD).status_code == 429
    assert sign_in(personas.national.username, PASSWORD, address=OFFICE).status_code == 302  # not the account
    unknown = AuditEvent.objects.filter(action="login.failed", after__username="guess-0")
    assert unknown.count() == 1 and unknown.get().object_type == "axes.accessattempt"


def test_the_lock_ends_after_the_cool_off(personas):
    for i in range(settings.AXES_FAILURE_LIMIT):
        sign_in(personas.hcdc.username, f"wrong-{i}")
    assert sign_in(personas.hcdc.username, PASSWORD).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=1)
    )  # as if the cool-off had passed (no sleeping)
    assert sign_in(personas.hcdc.username, PASSWORD).status_code == 302


def test_a_right_password_before_the_limit_signs_in(personas):
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(personas.hcdc.username, f"wrong-{i}")
    assert sign_in(personas.hcdc.username, PASSWORD).status_code == 302


def test_a_login_without_a_request_is_not_throttled_so_the_test_client_still_signs_in(personas, client):
    for i in range(settings.AXES_FAILURE_LIMIT + 1):
        assert not client.login(username=personas.hcdc.username, password=f"wrong-{i}")
    assert client.login(username=personas.hcdc.username, password=PASSWORD)
    assert not AccessAttempt.objects.exists()  # only sign-ins over HTTP are counted
