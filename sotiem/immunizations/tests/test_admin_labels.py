"""The admin's columns and filters name the fields in the reader's language, not by their English code names."""

import pytest

from sotiem.testing import make_dose, make_person

pytestmark = pytest.mark.django_db

PAGES = [
    ("/admin/immunizations/dose/", "vi", ["Ngày tiêm", "Theo trạng thái mũi tiêm", "Nguồn dữ liệu"]),
    ("/admin/immunizations/dose/", "en", ["Administered on", "By dose status", "Source"]),
    ("/admin/places/site/", "vi", ["Mã điểm tiêm", "Loại điểm tiêm"]),
    ("/admin/audit/auditevent/", "vi", ["Thao tác", "Loại đối tượng"]),
]


@pytest.mark.parametrize(("url", "language", "labels"), PAGES)
def test_the_change_lists_name_their_columns_and_filters_in_the_readers_language(
    client, personas, url, language, labels
):
    make_dose(make_person())  # an empty list shows no columns
    client.force_login(personas.national)
    page = client.get(url, headers={"accept-language": language}).content.decode()
    missing = [label for label in labels if label not in page]
    assert not missing, missing
