import pytest

pytestmark = pytest.mark.django_db


def test_healthz_answers_with_the_database_it_reached(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize(
    ("asked", "language", "heading"),
    [
        ({}, "vi", "Sổ tiêm chủng quốc gia"),  # no choice made: Vietnamese
        ({"accept-language": "en"}, "en", "National immunization registry"),
    ],
)
def test_the_landing_page_speaks_the_readers_language(client, asked, language, heading):
    html = client.get("/", headers=asked).content.decode()
    assert html[html.index("<h1>") + len("<h1>") : html.index("</h1>")] == heading
    assert f'<html lang="{language}">' in html and "/admin/" in html


def test_the_landing_page_counts_the_seeded_reference_data(client):
    html = client.get("/").content.decode()
    assert ">34<" in html  # 2025 provinces
    assert ">8<" in html  # vaccines


def test_the_openapi_schema_is_served(client):
    assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "sotiem API"
