"""The admin's search boxes answer any text: a hostile search term is cut to what a database can take, never a 500."""

import pytest

from sotiem.testing import make_person

pytestmark = pytest.mark.django_db

LISTS = [
    "/admin/people/person/",
    "/admin/accounts/grant/",
    "/admin/audit/auditevent/",
    "/admin/immunizations/dose/",
    "/admin/places/adminunit/",
    "/admin/places/site/",
    "/admin/places/sitesession/",
]


@pytest.mark.parametrize("url", LISTS)
def test_a_search_longer_than_sqlites_like_limit_is_cut_not_a_server_error(client, personas, url):
    client.force_login(personas.national)
    response = client.get(url, {"q": "A" * 50_001})
    assert response.status_code == 200
    assert "Đã tìm theo 200 ký tự đầu" in response.content.decode()


def test_the_cut_search_is_said_in_the_readers_language(client, personas):
    client.force_login(personas.national)
    response = client.get("/admin/audit/auditevent/", {"q": "A" * 300}, headers={"accept-language": "en"})
    assert "Searched for the first 200 characters" in response.content.decode()


@pytest.mark.parametrize("term", ["An\x00", "\x01\x02An"])
def test_a_search_with_control_characters_is_cleaned_not_a_server_error(client, personas, term):
    make_person(full_name="Nguyễn Văn An")
    client.force_login(personas.national)
    response = client.get("/admin/people/person/", {"q": term})
    assert response.status_code == 200
    assert "Nguyễn Văn An" in response.content.decode()
