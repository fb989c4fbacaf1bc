"""Phones: every way a number is written gives one E.164 form, and every refusal says why."""

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from sotiem.lib import domain
from sotiem.lib.phones import PhoneError, normalize_phone, phone_kind

CONVERSIONS = list(domain.phone_prefix_map_2018().items())
EXAMPLES_2018 = [
    ("01207878888", "0707878888"),
    ("01627878888", "0327878888"),
    ("01997878888", "0597878888"),
]


@st.composite
def mobile_numbers(draw: st.DrawFn) -> str:
    """A 9-digit national mobile number that `phonenumbers` 9.0.43 accepts, per mobile_prefixes.csv."""
    row = draw(st.sampled_from(list(domain.mobile_prefixes().values())))
    fourth = draw(st.sampled_from(row["phonenumbers_9.0.43_valid_4th_digits"]))
    rest = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    return row["prefix"][1:] + fourth + rest


@st.composite
def written_forms(draw: st.DrawFn, national: str) -> str:
    """One of the ways people, forms and spreadsheets write the same number."""
    prefix = draw(st.sampled_from(["0", "84", "+84", "+84 ", "0084", "", "+84 (0)", "(+84) "]))
    digits = list(national)
    separators = [draw(st.sampled_from(["", "", " ", ".", "-"])) for _ in digits[1:]]
    body = digits[0] + "".join(sep + digit for sep, digit in zip(separators, digits[1:], strict=True))
    return draw(st.sampled_from(["", " "])) + prefix + body + draw(st.sampled_from(["", " "]))


@pytest.mark.parametrize(
    "written",
    [
        "0912345678",
        "84912345678",
        "+84912345678",
        "+84 91 234 5678",
        "0084 912 345 678",
        "912345678",
        "0912.345.678",
        "091-234-5678",
        "(091) 234 5678",
        "+84 (0) 912 345 678",
        " 0912345678 ",
        912345678,
    ],
)
def test_it_reads_every_usual_way_of_writing_a_mobile(written: str | int) -> None:
    assert normalize_phone(written) == "+84912345678"


@pytest.mark.parametrize(("old", "new"), EXAMPLES_2018)
def test_it_converts_an_old_eleven_digit_mobile_in_any_written_form(old: str, new: str) -> None:
    expected = "+84" + new[1:]
    for written in [old, "84" + old[1:], "+84 " + old[1:], old[1:], "0084" + old[1:]]:
        assert normalize_phone(written) == expected


def test_it_reads_a_landline_with_its_area_code() -> None:
    assert normalize_phone("028 3812 3456") == "+842838123456"
    assert normalize_phone("2838123456") == "+842838123456"
    assert phone_kind("+842838123456") == "fixed"
    assert phone_kind("+84912345678") == "mobile"


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("", "The phone number is empty"),
        ("   ", "The phone number is empty"),
        ("0912abc678", "contains letters"),
        ("09l2345678", "contains letters"),
        ("0912#345678", "characters that do not belong"),
        ("0912+345678", "characters that do not belong"),
        ("( )", "has no digits"),
        ("091234567", "too short: 091234567 has 9 digits"),
        ("12345", "too short"),
        ("091234567890", "too long"),
        ("09123456789", "must be a 02x landline or a pre-2018 01xx mobile"),
        ("0992123456", "not in any assigned mobile or landline range (prefix 099)"),
        ("0201234567", "not in any assigned"),
        ("01117878888", "The old prefix 0111 is not in the 2018 table"),
        ("+1 202 555 0100", "the country code must be +84"),
    ],
)
def test_it_refuses_a_number_saying_why(written: str, reason: str) -> None:
    with pytest.raises(PhoneError) as caught:
        normalize_phone(written)
    message = str(caught.value)
    assert reason in message
    with translation.override("vi"):
        assert reason not in str(caught.value)  # translated, not the English again


def test_a_phone_refusal_is_said_in_the_readers_language() -> None:
    with pytest.raises(PhoneError) as caught:
        normalize_phone("0912abc678")
    with translation.override("vi"):
        assert str(caught.value) == "Số điện thoại có chữ cái: '0912abc678'"
    with translation.override("en"):
        assert str(caught.value) == "The phone number contains letters: '0912abc678'"


def test_it_refuses_something_that_is_not_text() -> None:
    with pytest.raises(PhoneError, match="must be text"):
        normalize_phone(None)  # type: ignore[arg-type]


def test_a_phone_error_is_a_value_error_so_forms_can_catch_either() -> None:
    assert issubclass(PhoneError, ValueError)


@settings(max_examples=200)
@given(st.data(), mobile_numbers())
def test_every_written_form_of_a_number_gives_the_same_e164(data: st.DataObject, national: str) -> None:
    written = data.draw(written_forms(national))
    assert normalize_phone(written) == "+84" + national


@settings(max_examples=200)
@given(mobile_numbers())
def test_normalising_is_idempotent_on_its_output(national: str) -> None:
    e164 = normalize_phone("0" + national)
    assert normalize_phone(e164) == e164
    assert phone_kind(e164) == "mobile"


@settings(max_examples=200)
@given(
    st.data(),
    st.sampled_from(CONVERSIONS),
    st.text(alphabet="0123456789", min_size=7, max_size=7),
)
def test_old_eleven_digit_numbers_convert_per_the_2018_map(
    data: st.DataObject, conversion: tuple[str, str], last_seven: str
) -> None:
    old_prefix, new_prefix = conversion
    written = data.draw(written_forms(old_prefix[1:] + last_seven))
    assert normalize_phone(written) == "+84" + new_prefix[1:] + last_seven


@settings(max_examples=200)
@given(
    st.text(alphabet="0123456789 .-", max_size=12),
    st.characters(categories=["L"]),
    st.text(alphabet="0123456789 .-", max_size=12),
)
def test_any_number_with_a_letter_is_refused_with_a_message(before: str, letter: str, after: str) -> None:
    with pytest.raises(PhoneError, match="contains letters"):
        normalize_phone(before + letter + after)


@settings(max_examples=200)
@given(st.text(max_size=20))
def test_it_either_returns_a_valid_e164_or_raises_a_phone_error(text: str) -> None:
    try:
        e164 = normalize_phone(text)
    except PhoneError as error:
        english = str(error)
        with translation.override("vi"):
            assert english and str(error) != english
    else:
        assert e164.startswith("+84") and e164[1:].isdigit() and normalize_phone(e164) == e164
