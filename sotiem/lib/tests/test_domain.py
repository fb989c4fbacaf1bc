"""Reference tables load as the rest of the lib expects them."""

from sotiem.lib import domain


def test_there_are_63_cccd_province_codes_each_zero_plus_the_gso_code() -> None:
    codes = domain.cccd_province_codes()
    assert len(codes) == 63
    assert all(
        code == "0" + gso for gso, code in ((g, r["cccd_code"]) for g, r in domain.provinces_2021().items())
    )
    assert {"001", "079", "096"} <= codes


def test_every_2021_province_went_to_one_of_the_34_provinces_of_2025() -> None:
    provinces_2025 = domain.provinces_2025()
    assert len(provinces_2025) == 34
    assert all(row["province_2025_code"] in provinces_2025 for row in domain.provinces_2021().values())


def test_the_cccd_fourth_digit_covers_five_centuries_for_each_sex() -> None:
    table = domain.gender_century()
    assert table["0"] == ("M", 1900, 1999) and table["3"] == ("F", 2000, 2099)
    assert sorted(table) == list("0123456789")


def test_the_2018_phone_map_has_all_21_conversions() -> None:
    mapping = domain.phone_prefix_map_2018()
    assert len(mapping) == 21 and mapping["0162"] == "032" and mapping["0199"] == "059"


def test_abdala_is_listed_with_three_doses_and_no_product_codes() -> None:
    abdala = domain.vaccines_by_key()["ABDALA"]
    assert len(domain.vaccines()) == 8
    assert abdala["primary_series_doses"] == 3 and abdala["min_interval_days"] == 14
    assert abdala["icd11_who_ddcc"] is None and abdala["eu_dcc_mp_code"] is None
    assert domain.vaccines_by_key()["JANSSEN"]["min_interval_days"] is None


def test_names_tables_load_with_numbers_as_numbers() -> None:
    assert domain.surnames()[0]["surname"] == "Nguyễn" and domain.surnames()[0]["pct"] == 38.4
    assert {row["sex"] for row in domain.given_names()} == {"F", "M"}
