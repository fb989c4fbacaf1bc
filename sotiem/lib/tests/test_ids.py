"""Identifier checks: every rejection names its reason, and every generated CCCD validates."""

import datetime
from collections.abc import Callable

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from sotiem.lib import domain
from sotiem.lib.ids import (
    BHYT,
    CCCD,
    CMND,
    PASSPORT,
    UNKNOWN,
    IdCheck,
    bhyt_key,
    check_bhyt,
    check_cccd,
    check_cmnd,
    check_national_id,
    check_passport,
    make_cccd,
)

HCMC_MALE_2003 = "079203001234"
THIS_YEAR = datetime.date.today().year

province_codes = st.sampled_from(sorted(domain.provinces_2021()))
sexes = st.sampled_from(["M", "F"])
birth_years = st.integers(min_value=1900, max_value=THIS_YEAR)
serials = st.integers(min_value=0, max_value=999_999)


def assert_said_in_both_languages(check: Callable[..., IdCheck], value: str) -> None:
    """Every error and warning of a check has its Vietnamese and its English wording (in the language active
    when the check ran: they are plain strings)."""
    said = {}
    for language in ("vi", "en"):
        with translation.override(language):
            result = check(value)
        said[language] = result.errors + result.warnings
    assert len(said["vi"]) == len(said["en"])
    for vietnamese, english in zip(said["vi"], said["en"], strict=True):
        assert vietnamese and english and vietnamese != english


def test_it_reads_province_sex_and_birth_year_from_a_cccd() -> None:
    check = check_cccd(HCMC_MALE_2003)
    assert check.valid and check.errors == [] and check.warnings == []
    assert (check.scheme, check.birth_province_code, check.sex, check.birth_year) == (CCCD, "79", "M", 2003)
    assert check.key == HCMC_MALE_2003


def test_it_ignores_the_spaces_dots_and_dashes_people_group_digits_with() -> None:
    assert check_cccd("079 203.001-234").value == HCMC_MALE_2003
    assert check_cccd("079 203.001-234").valid


def test_it_rejects_a_cccd_with_eleven_digits() -> None:
    check = check_cccd("07920300123")
    assert not check.valid
    assert "exactly 12 digits (got 11)" in check.errors[0]


def test_it_rejects_a_cccd_with_a_letter_o_for_a_zero() -> None:
    check = check_cccd("0792O3001234")
    assert not check.valid and "only digits (found 'O')" in check.errors[0]


def test_it_rejects_an_empty_cccd() -> None:
    check = check_cccd("  ")
    assert not check.valid and "empty" in check.errors[0]


def test_it_only_warns_about_an_unknown_prefix_because_it_may_be_a_country_code() -> None:
    check = check_cccd("999203001234")
    assert check.valid and check.errors == []
    assert check.birth_province_code is None
    assert "country code" in check.warnings[0] and "'999'" in check.warnings[0]


def test_it_rejects_a_cccd_whose_sex_digit_disagrees_with_the_record() -> None:
    check = check_cccd(HCMC_MALE_2003, sex="F")
    assert not check.valid
    assert "encodes male, but the record says female" in check.errors[0]


def test_an_id_check_speaks_the_language_active_when_it_runs() -> None:
    with translation.override("vi"):
        vietnamese = check_cccd(HCMC_MALE_2003, sex="F").errors
    with translation.override("en"):
        english = check_cccd(HCMC_MALE_2003, sex="F").errors
    assert vietnamese == ["Chữ số thứ 4 của số CCCD ('2') là giới tính nam, nhưng hồ sơ ghi nữ"]
    assert english == ["The 4th digit '2' of the CCCD encodes male, but the record says female"]


def test_it_rejects_a_cccd_whose_century_digit_disagrees_with_the_birth_year() -> None:
    check = check_cccd(HCMC_MALE_2003, birth_year=1903)
    assert not check.valid
    assert "gives birth year 2003" in check.errors[0] and "the record says 1903" in check.errors[0]


def test_it_rejects_a_century_digit_above_three_as_a_birth_year_in_the_future() -> None:
    check = check_cccd("079403001234")
    assert not check.valid
    assert check.birth_year == 2103
    assert "birth year in the future" in check.errors[0]


def test_it_rejects_a_birth_year_later_than_this_year() -> None:
    check = check_cccd("079399001234")
    assert not check.valid and "birth year in the future" in check.errors[0]


def test_it_accepts_sex_in_lower_case_but_refuses_other_words() -> None:
    assert check_cccd(HCMC_MALE_2003, sex="m").valid
    with pytest.raises(ValueError):
        check_cccd(HCMC_MALE_2003, sex="male")


def test_it_accepts_a_nine_digit_cmnd() -> None:
    check = check_cmnd("02 345 6789")
    assert check.valid and check.scheme == CMND and check.key == "023456789"


def test_it_checks_a_twelve_digit_cmnd_like_a_cccd_but_keeps_the_scheme() -> None:
    check = check_cmnd(HCMC_MALE_2003, sex="F")
    assert check.scheme == CMND and not check.valid
    assert "4th digit" in check.errors[0] and "CMND" in check.errors[0]


def test_it_rejects_a_cmnd_of_ten_digits() -> None:
    check = check_cmnd("0123456789")
    assert not check.valid and "exactly 9 or 12 digits (got 10)" in check.errors[0]


def test_it_warns_about_the_cmnd_block_issued_in_two_provinces() -> None:
    check = check_cmnd("271460000")
    assert check.valid and "Đồng Nai" in check.warnings[0]


def test_it_keys_a_bhyt_card_on_its_ten_digit_social_insurance_number() -> None:
    check = check_bhyt("dn 4 79 7915432101")
    assert check.valid and check.value == "DN4797915432101"
    assert check.key == "7915432101" == bhyt_key("DN4797915432101")


def test_it_accepts_the_bare_social_insurance_number_with_a_warning() -> None:
    check = check_bhyt("7915432101")
    assert check.valid and check.key == "7915432101"
    assert "Only the 10-digit social-insurance number" in check.warnings[0]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "empty"),
        ("DN479791543210", "must have 15 characters"),
        ("D14797915432101", "beneficiary-group letters"),
        ("DN6797915432101", "benefit level and must be 1 to 5, not '6'"),
        ("DN479791543210X", "last 12 characters of a BHYT code must be digits"),
    ],
)
def test_it_rejects_a_malformed_bhyt_code_saying_which_part_is_wrong(value: str, reason: str) -> None:
    check = check_bhyt(value)
    assert not check.valid and check.key is None and bhyt_key(value) is None
    assert any(reason in error for error in check.errors), check.errors


def test_it_accepts_a_vietnamese_passport_number() -> None:
    assert check_passport("c1234567").valid
    check = check_passport("C123456")
    assert not check.valid and "one letter and 7 digits" in check.errors[0]


@pytest.mark.parametrize(
    ("value", "scheme"),
    [(HCMC_MALE_2003, CCCD), ("023456789", CMND), ("DN4797915432101", BHYT), ("B1234567", PASSPORT)],
)
def test_it_guesses_the_scheme_of_a_free_text_id(value: str, scheme: str) -> None:
    check = check_national_id(value)
    assert check.valid and check.scheme == scheme


def test_it_passes_sex_and_birth_year_on_when_it_guesses_a_cccd() -> None:
    check = check_national_id(HCMC_MALE_2003, sex="F", birth_year=2003)
    assert not check.valid and "record says female" in check.errors[0]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "empty"),
        ("0912345678", "if it is the social-insurance number, enter it as BHYT"),
        ("07920300123", "12 digits (CCCD) or 9 digits (CMND) (got 11)"),
        ("ABC-123", "Cannot tell what kind of identifier 'ABC123' is"),
    ],
)
def test_it_refuses_to_guess_an_unrecognisable_id(value: str, reason: str) -> None:
    check = check_national_id(value)
    assert check.scheme == UNKNOWN and not check.valid
    assert reason in check.errors[0]
    assert_said_in_both_languages(check_national_id, value)


def test_make_cccd_refuses_what_no_card_could_hold() -> None:
    with pytest.raises(ValueError, match="province"):
        make_cccd(province_code="03", sex="M", birth_year=1990, serial=1)
    with pytest.raises(ValueError, match="outside"):
        make_cccd(province_code="79", sex="M", birth_year=1850, serial=1)
    with pytest.raises(ValueError, match="serial"):
        make_cccd(province_code="079", sex="F", birth_year=1990, serial=1_000_000)


@settings(max_examples=200)
@given(province=province_codes, sex=sexes, birth_year=birth_years, serial=serials)
def test_every_made_cccd_validates_and_round_trips_province_sex_and_year(
    province: str, sex: str, birth_year: int, serial: int
) -> None:
    number = make_cccd(province_code=province, sex=sex, birth_year=birth_year, serial=serial)
    check = check_cccd(number, sex=sex, birth_year=birth_year)
    assert check.valid, check.errors
    assert (check.birth_province_code, check.sex, check.birth_year) == (province, sex, birth_year)
    assert check_national_id(number).scheme == CCCD


@settings(max_examples=200)
@given(province=province_codes, sex=sexes, birth_year=birth_years, serial=serials, other_year=birth_years)
def test_a_made_cccd_fails_for_any_other_sex_or_birth_year(
    province: str, sex: str, birth_year: int, serial: int, other_year: int
) -> None:
    number = make_cccd(province_code=province, sex=sex, birth_year=birth_year, serial=serial)
    assert not check_cccd(number, sex="F" if sex == "M" else "M").valid
    assert check_cccd(number, birth_year=other_year).valid == (other_year == birth_year)


@settings(max_examples=200)
@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_any_eleven_digit_string_is_rejected_with_a_message(value: str) -> None:
    for check in (check_cccd(value), check_national_id(value)):
        assert not check.valid and "(got 11)" in check.errors[0]
    assert_said_in_both_languages(check_cccd, value)
    assert_said_in_both_languages(check_national_id, value)


@settings(max_examples=200)
@given(
    digits=st.text(alphabet="0123456789", min_size=11, max_size=11),
    letter=st.characters(categories=["L"]),
    position=st.integers(min_value=0, max_value=11),
)
def test_any_cccd_with_a_letter_is_rejected_with_a_message(digits: str, letter: str, position: int) -> None:
    value = digits[:position] + letter + digits[position:]
    check = check_cccd(value)
    assert not check.valid and "only digits" in check.errors[0]
    assert_said_in_both_languages(check_cccd, value)


@settings(max_examples=200)
@given(
    province=province_codes,
    sex=sexes,
    birth_year=birth_years,
    serial=serials,
    separators=st.lists(st.sampled_from([" ", ".", "-", "  "]), min_size=11, max_size=11),
)
def test_separators_between_digits_do_not_change_the_result(
    province: str, sex: str, birth_year: int, serial: int, separators: list[str]
) -> None:
    number = make_cccd(province_code=province, sex=sex, birth_year=birth_year, serial=serial)
    written = "".join(digit + separator for digit, separator in zip(number, separators + [""], strict=True))
    assert check_cccd(written) == check_cccd(number)


@settings(max_examples=200)
@given(st.text(max_size=20))
def test_checks_never_raise_and_every_error_is_said_in_both_languages(value: str) -> None:
    for check in (check_cccd, check_cmnd, check_bhyt, check_national_id):
        result = check(value)
        assert result.valid == (not result.errors)
        assert_said_in_both_languages(check, value)
