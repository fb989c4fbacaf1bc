import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation

from sotiem.places.models import AdminUnit, Era, Level, SiteSession, UnitMapping
from sotiem.places.selectors import codes_2025_of, commune_find, province_find, session_search
from sotiem.places.services import session_find_or_create, site_create
from sotiem.testing import make_site, province

pytestmark = pytest.mark.django_db


def test_both_eras_are_loaded_offline():
    def count(era, level):
        return AdminUnit.objects.filter(era=era, level=level).count()

    assert count(Era.Y2021, Level.PROVINCE) == 63
    assert count(Era.Y2021, Level.DISTRICT) == 696
    assert count(Era.Y2021, Level.COMMUNE) > 10000
    assert count(Era.Y2025, Level.PROVINCE) == 34
    assert count(Era.Y2025, Level.COMMUNE) == 3321


def test_every_2021_province_and_commune_maps_to_2025():
    unmapped = (
        AdminUnit.objects.filter(era=Era.Y2021).exclude(level=Level.DISTRICT).exclude(mapped_to__isnull=False)
    )
    assert unmapped.count() == 0
    # a split ward has several targets, exactly one of them the default
    split = UnitMapping.objects.filter(is_default=False).values_list("old_id", flat=True).first()
    assert UnitMapping.objects.filter(old_id=split, is_default=True).count() == 1


def test_a_ward_code_reused_across_eras_is_two_units_told_apart_by_era():
    old = AdminUnit.objects.get(era=Era.Y2021, level=Level.COMMUNE, code="27007")
    new = AdminUnit.objects.get(era=Era.Y2025, level=Level.COMMUNE, code="27007")
    assert old.name == "Phường 15" and new.name == "Tân Sơn"


def test_merged_provinces_map_to_the_new_province():
    long_an = AdminUnit.objects.get(era=Era.Y2021, level=Level.PROVINCE, code="80")
    assert codes_2025_of(long_an)[0] == "80"  # Long An merged into Tây Ninh, which kept Long An's code
    ha_giang = AdminUnit.objects.get(era=Era.Y2021, level=Level.PROVINCE, code="02")
    assert codes_2025_of(ha_giang)[0] == "08"  # into Tuyên Quang


@pytest.mark.parametrize(
    "text", ["79", "079", "Hồ Chí Minh", "ho chi minh", "TP.HCM", "Thành phố Hồ Chí Minh"]
)
def test_a_province_is_found_from_any_way_people_write_it(text):
    assert province_find(text).code == "79"


def test_a_2021_only_province_is_found_in_its_era():
    assert province_find("Hà Giang").era == Era.Y2021


def test_a_commune_is_found_by_name_within_its_province():
    hcm_2021, hcm_2025 = province("79", Era.Y2021), province("79", Era.Y2025)
    assert commune_find("27007", province=hcm_2021).name == "Phường 15"
    assert commune_find("27007", province=hcm_2025).name == "Tân Sơn"
    assert commune_find("phuong tan son", province=hcm_2025).code == "27007"
    assert commune_find("Phường 15", province=hcm_2021) is None  # many districts had a Phường 15: ambiguous


@pytest.mark.parametrize(
    ("language", "refusal"),
    [("vi", "Loại điểm tiêm không hợp lệ: 'boat'"), ("en", "Unknown site kind 'boat'")],
)
def test_a_site_kind_outside_the_list_is_refused_in_the_language_in_use(language, refusal):
    with translation.override(language), pytest.raises(ValidationError, match=refusal):
        site_create(code="X1", name="x", kind="boat", province=province("79"), actor="test")


def test_a_site_belongs_to_a_2025_province():
    with pytest.raises(ValidationError, match="2025"):
        site_create(code="X2", name="x", kind="fixed", province=province("02", Era.Y2021), actor="test")


def test_a_mobile_team_day_in_a_school_gym_is_a_findable_session():
    team = make_site(kind="mobile")
    day = dt.date(2021, 9, 14)
    gym = session_find_or_create(
        site=team, date=day, place_text="Nhà thi đấu  trường THCS Lê Lợi", actor="test"
    )
    again = session_find_or_create(
        site=team, date=day, place_text="Nhà thi đấu trường THCS Lê Lợi", actor="test"
    )
    session_find_or_create(site=team, date=day, place_text="Chợ Bến Thành", actor="test")

    assert gym == again
    assert SiteSession.objects.filter(site=team).count() == 2
    assert list(session_search(date=day, text="Lê Lợi")) == [gym]
    assert list(session_search(date=dt.date(2021, 9, 15), text="Lê Lợi")) == []


SITES = (
    "site_code,name,kind,province,commune\n"
    "S79-0001,Trạm Y tế Phường Bến Nghé,fixed,79,26734\n"
    "X1,Thuyền,boat,79,\n"
    "X2,Trạm Y tế,fixed,Atlantis,\n"
)


@pytest.mark.parametrize(
    ("language", "summary", "refusals"),
    [
        (
            "vi",
            "Điểm tiêm: tạo mới 1, không đổi 0, xung đột 0, từ chối 2",
            [
                "dòng 3: X1 rejected: Loại “boat” không hợp lệ",
                "dòng 4: X2 rejected: Không có tỉnh “Atlantis”",
            ],
        ),
        (
            "en",
            "Sites: created 1, unchanged 0, conflict 0, rejected 2",
            ["line 3: X1 rejected: Unknown kind “boat”", "line 4: X2 rejected: Unknown province “Atlantis”"],
        ),
    ],
)
def test_import_sites_reports_in_the_language_it_runs_in(tmp_path, language, summary, refusals):
    path = tmp_path / "sites.csv"
    path.write_text(SITES, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with translation.override(language):
        call_command("import-sites", str(path), stdout=out, stderr=err)
    assert out.getvalue().strip() == summary
    assert all(refusal in err.getvalue() for refusal in refusals), err.getvalue()


@pytest.mark.parametrize(
    ("language", "headers"),
    [
        ("vi", ["Địa bàn và điểm tiêm", "Điểm tiêm", "Buổi tiêm", "Đơn vị hành chính", "Chuyển đổi đơn vị"]),
        ("en", ["Places and sites", "Sites", "Site sessions", "Administrative units", "Unit mappings"]),
    ],
)
def test_the_admin_names_places_in_the_readers_language(client, personas, language, headers):
    client.force_login(personas.national)
    index = client.get("/admin/", headers={"accept-language": language}).content.decode()
    assert all(header in index for header in headers), index
    make_site(kind="mobile")
    sites = client.get("/admin/places/site/", headers={"accept-language": language}).content.decode()
    assert {"vi": "Đội tiêm lưu động", "en": "Mobile team"}[language] in sites
