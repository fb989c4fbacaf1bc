import pytest

pytestmark = pytest.mark.django_db


def test_healthz_answers_with_the_database_it_reached(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_the_landing_page_speaks_vietnamese_first_and_english(client):
    html = client.get("/").content.decode()
    heading = html[html.index("<h1>") : html.index("</h1>")]
    assert heading.index("Sổ tiêm chủng quốc gia") < heading.index("National immunization registry")
    assert '<html lang="vi">' in html and "/admin/" in html


def test_the_landing_page_counts_the_seeded_reference_data(client):
    html = client.get("/").content.decode()
    assert ">34<" in html  # 2025 provinces
    assert ">8<" in html  # vaccines


def test_the_openapi_schema_is_served(client):
    assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "sotiem API"
