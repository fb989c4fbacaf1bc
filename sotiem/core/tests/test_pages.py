"""What every page shares: the officials' navigation with sign-out, and the 404/403/500 pages."""

import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.utils import translation
from django.views.defaults import server_error

from sotiem.accounts.models import Level, Role
from sotiem.accounts.services import grant_create, official_create
from sotiem.immunizations.models import ImportRun, ImportStatus
from sotiem.people.models import ReviewCandidate
from sotiem.people.views import OFFICIALS_ONLY
from sotiem.testing import HCM, make_person

NAVIGATION = 'id="officials-nav"'
SIGN_OUT = 'action="/admin/logout/"'
TEMPLATES = Path(settings.BASE_DIR) / "templates"


def officials_pages(official) -> list[str]:
    """Every officials' page, with a run and a pair of the official's own jurisdiction behind the detail pages."""
    run = ImportRun.objects.create(
        source="P79-BACKLOG",
        file_name="backlog.csv",
        file_sha256="0" * 64,
        status=ImportStatus.DONE,
        started_by=official,
    )
    a, b = sorted(
        (make_person(full_name="Nguyễn Văn An"), make_person(full_name="Nguyen Van An")),
        key=lambda person: person.pk,
    )
    pair = ReviewCandidate.objects.create(
        person_a=a,
        person_b=b,
        origin="linkage",
        weight=9.4,
        probability=0.99,
        evidence=[],
        model_version="test-1",
        province_code=HCM,
        other_province_code=HCM,
    )
    return [
        "/imports/",
        f"/imports/{run.public_id}/",
        "/review/",
        f"/review/{pair.public_id}/",
        "/households/",
        "/households/?phone=0912345678",
    ]


def csrf_token_of(page: str) -> str:
    form = re.search(r'<form method="post" action="/admin/logout/".*?</form>', page, re.S)
    assert form, "no sign-out form"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(0))
    assert token, "the sign-out form carries no CSRF token"
    return token.group(1)


@pytest.mark.django_db
def test_every_officials_page_shows_the_navigation_with_who_is_signed_in_and_a_sign_out_form(
    client, personas
):
    client.force_login(personas.hcdc)
    for url in officials_pages(personas.hcdc):
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 200, url
        assert "officials/base.html" in [t.name for t in response.templates], url
        assert page.count(NAVIGATION) == 1 and SIGN_OUT in page, url
        assert 'id="signed-in-as">hcdc<' in page, url
        for link in ('href="/imports/"', 'href="/review/"', 'href="/households/"', 'href="/admin/"'):
            assert link in page, (url, link)
        csrf_token_of(page)


@pytest.mark.django_db
def test_the_navigation_marks_the_section_the_official_is_in(client, personas):
    client.force_login(personas.hcdc)
    page = client.get("/review/").content.decode()
    assert re.search(r'href="/review/" aria-current="page"', page)
    assert not re.search(r'href="/imports/" aria-current', page)


@pytest.mark.django_db
def test_the_administration_link_is_only_for_staff(client):
    official = official_create(
        username="not-staff", password="test-password-123", full_name="x", actor="test", staff=False
    )
    grant_create(
        user=official, role=Role.VIEWER, level=Level.PROVINCE, province_code=HCM, actor="test", reason="test"
    )
    client.force_login(official)
    page = client.get("/review/").content.decode()
    assert NAVIGATION in page and 'href="/admin/"' not in page


@pytest.mark.django_db
def test_the_sign_out_form_signs_the_official_out(personas):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.hcdc)
    token = csrf_token_of(client.get("/households/").content.decode())

    response = client.post("/admin/logout/", {"csrfmiddlewaretoken": token, "next": "/"})

    assert response.status_code == 302 and response["Location"] == "/"
    assert "_auth_user_id" not in client.session
    again = client.get("/review/")
    assert again.status_code == 302 and again["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_signing_out_without_the_csrf_token_is_refused(personas):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.hcdc)
    assert client.post("/admin/logout/", {"next": "/"}).status_code == 403
    assert client.get("/review/").status_code == 200


@pytest.mark.django_db
def test_citizen_pages_never_show_the_officials_navigation(client, personas):
    for who in (None, personas.hcdc):  # not even to an official who opens them
        if who is not None:
            client.force_login(who)
        page = client.get("/my/phone/").content.decode()
        assert "Số điện thoại của tôi" in page
        assert NAVIGATION not in page and SIGN_OUT not in page


def test_no_citizen_template_extends_the_officials_base():
    citizen = [*TEMPLATES.glob("*/citizen/**/*.html")]
    assert len(citizen) >= 3
    for path in citizen:
        assert "officials/base.html" not in path.read_text(encoding="utf-8"), path


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("asked", "title", "other"),
    [
        ({}, "Không tìm thấy trang", "Page not found"),
        ({"accept-language": "en"}, "Page not found", "Không tìm"),
    ],
)
def test_a_missing_address_renders_the_404_page_in_the_readers_language(client, asked, title, other):
    assert settings.DEBUG is False
    response = client.get("/no-such-page/", headers=asked)
    page = response.content.decode()
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    assert title in page and other not in page and 'href="/"' in page


@pytest.mark.django_db
def test_a_record_outside_the_officials_reach_renders_the_404_page(client, personas):
    client.force_login(personas.hcdc)
    response = client.get(f"/review/{uuid.uuid4()}/")
    assert response.status_code == 404 and "404.html" in [t.name for t in response.templates]


@pytest.mark.django_db
def test_a_refused_account_gets_the_403_page_with_the_reason_and_no_officials_navigation(client, personas):
    client.force_login(personas.citizen)
    for url in ("/review/", "/households/", "/imports/"):
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 403, url
        assert "403.html" in [t.name for t in response.templates], url
        assert "Bạn không có quyền xem trang này" in page and 'id="reason"' in page and 'href="/"' in page, (
            url
        )
        assert NAVIGATION not in page, url
    assert str(OFFICIALS_ONLY) in client.get("/review/").content.decode()


def test_the_500_page_renders_without_a_request_or_the_database():
    # no django_db mark: any database query here fails the test
    page = render_to_string("500.html", {})
    assert "Đã có lỗi ở máy chủ" in page and "Something went wrong" not in page and 'href="/"' in page
    with translation.override("en"):
        assert "Something went wrong on the server" in render_to_string("500.html", {})

    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500 and b"error-500" in response.content
