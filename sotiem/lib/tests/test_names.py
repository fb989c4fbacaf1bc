"""Names: one display form, one comparison key, and Telex typed with the input method off."""

import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sotiem.lib import domain
from sotiem.lib.names import (
    name_key,
    name_tokens,
    normalize_name,
    split_name,
    strip_diacritics,
    telex_to_unicode,
    to_telex,
)

# Common middle names as listed in shared/domain/VIETNAM.md section 5.
MIDDLE_NAMES = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Quốc", "Công", "Thanh", "Ngọc", "Thu", "Phương", "Hoàng"]
MIDDLE_NAMES += ["Xuân", "Kim", "Bảo", "Gia"]
SURNAMES = sorted({part for row in domain.surnames() for part in row["surname"].split("/")})
GIVEN_NAMES = sorted({row["given_name"] for row in domain.given_names()})
TONE_PAIRS = [
    (row["variant_a"], row["variant_b"]) for row in domain.name_variants() if row["type"] == "tone_placement"
]
# Open oa/oe/uy syllables written with the tone on either vowel, capitalised as they would be in a name.
TONE_VARIANTS = [(a.capitalize(), b.capitalize()) for a, b in TONE_PAIRS if a[:3] != "quý"]

surnames = st.sampled_from(SURNAMES)
middles = st.lists(st.sampled_from(MIDDLE_NAMES), max_size=2)
given_names = st.sampled_from(GIVEN_NAMES)


@st.composite
def names(draw: st.DrawFn) -> str:
    return " ".join([draw(surnames), *draw(middles), draw(given_names)])


@st.composite
def messy(draw: st.DrawFn, name: str) -> str:
    """The same name as another system might have typed it: other case, stray spaces, NFD."""
    cases: list[Callable[[str], str]] = [str.upper, str.lower, str.title, str]
    words = [draw(st.sampled_from(cases))(word) for word in name.split()]
    gaps = [draw(st.sampled_from([" ", "  ", "\t", " \u00a0"])) for _ in words[1:]]
    text = words[0] + "".join(gap + word for gap, word in zip(gaps, words[1:], strict=True))
    text = draw(st.sampled_from(["", " ", "\n"])) + text + draw(st.sampled_from(["", "  "]))
    return unicodedata.normalize(draw(st.sampled_from(["NFC", "NFD"])), text)


def test_it_title_cases_an_upper_case_id_card_name() -> None:
    assert normalize_name("NGUYỄN VĂN AN") == "Nguyễn Văn An"
    assert normalize_name("ĐẶNG THỊ ÁNH") == "Đặng Thị Ánh"


def test_it_collapses_whitespace_and_composes_decomposed_text() -> None:
    assert normalize_name("  nguyễn \t thị   lan ") == "Nguyễn Thị Lan"
    assert normalize_name(unicodedata.normalize("NFD", "Trần Thị Thủy")) == "Trần Thị Thủy"


@pytest.mark.parametrize(("moved", "placed"), TONE_PAIRS)
def test_it_puts_the_tone_where_the_variants_list_says_and_keys_both_alike(moved: str, placed: str) -> None:
    assert name_key(moved) == name_key(placed)
    if moved[:3] != "quý":
        assert normalize_name(moved) == normalize_name(placed) == placed.capitalize()


def test_it_uses_the_traditional_tone_placement_of_id_cards() -> None:
    assert normalize_name("lê thị hoà thuỷ") == "Lê Thị Hòa Thủy"
    assert normalize_name("khoẻ") == "Khỏe"


def test_it_keeps_tones_that_are_already_right_in_closed_and_three_vowel_syllables() -> None:
    for word in ["Hoàng", "Huỳnh", "Nguyễn", "Người", "Ngoài", "Khuỷu", "Giữa", "Quốc", "Quý", "Trường"]:
        assert normalize_name(word) == word


def test_it_moves_a_misplaced_tone_in_a_closed_syllable() -> None:
    assert normalize_name("Hòang") == "Hoàng"
    assert normalize_name("Nguỳên") == "Nguyền"
    assert normalize_name("Ngúyễn") == "Ngúyễn"  # two tones: nothing to tell which is right, left alone


def test_it_keeps_apostrophes_and_single_letter_words_of_minority_names() -> None:
    assert normalize_name("h’ hen niê") == "H' Hen Niê"
    assert normalize_name("Y BIH NIÊ") == "Y Bih Niê"
    assert normalize_name("ksor h'bia") == "Ksor H'Bia"


def test_the_key_maps_d_with_stroke_which_unicode_decomposition_leaves_alone() -> None:
    assert unicodedata.normalize("NFD", "Đ") == "Đ"
    assert name_key("Đặng Đình Đức") == "dang dinh duc"
    assert strip_diacritics("Đặng Thị Ánh") == "Dang Thi Anh"


def test_the_key_treats_an_apostrophe_as_a_word_break() -> None:
    assert name_key("H'Hen Niê") == name_key("H' Hen Niê") == "h hen nie"


def test_the_key_treats_qui_and_quy_alike() -> None:
    assert name_key("Nguyễn Văn Quí") == name_key("Nguyễn Văn Quý")


def test_tokens_and_parts_of_a_name() -> None:
    assert name_tokens("NGUYỄN  Thị Ngọc Ánh") == ["nguyen", "thi", "ngoc", "anh"]
    assert split_name("nguyễn thị ngọc ánh") == ("Nguyễn", "Thị Ngọc", "Ánh")
    assert split_name("Lê An") == ("Lê", "", "An")
    assert split_name("An") == ("", "", "An")
    assert split_name("  ") == ("", "", "")


@pytest.mark.parametrize(
    ("typed", "meant"), [("Nguyeenx", "Nguyễn"), ("DDawngj", "Đặng"), ("Traafn", "Trần"), ("Hoaf", "Hòa")]
)
def test_it_decodes_telex_typed_with_the_input_method_off(typed: str, meant: str) -> None:
    assert telex_to_unicode(typed) == meant


def test_it_decodes_every_telex_example_in_the_variants_list() -> None:
    for row in domain.name_variants():
        if row["type"] == "telex_off":
            assert telex_to_unicode(row["variant_b"]) == row["variant_a"]


def test_it_decodes_uow_as_uo_with_horns_except_at_the_end_of_thuo() -> None:
    assert telex_to_unicode("Truwowngf Duowng") == "Trường Dương"
    assert telex_to_unicode("thuowr") == "thuở"


def test_it_leaves_words_that_would_not_decode_to_a_vietnamese_syllable() -> None:
    assert telex_to_unicode("Ksor Chris Nguyễn Nguyen") == "Ksor Chris Nguyễn Nguyen"


def test_it_spells_names_in_telex_for_the_error_injector() -> None:
    assert to_telex("Nguyễn") == "Nguyeenx"
    assert to_telex("Đặng Thị Ánh") == "DDawngj Thij Anhs"
    assert to_telex("TRẦN") == "TRAANF"


@settings(max_examples=200)
@given(st.text(max_size=30))
def test_the_key_is_idempotent_on_any_text(text: str) -> None:
    key = name_key(text)
    assert name_key(key) == key
    assert key == key.strip() and "  " not in key and key.isascii()


@settings(max_examples=200)
@given(st.text(max_size=30))
def test_normalising_is_idempotent_on_any_text(text: str) -> None:
    once = normalize_name(text)
    assert normalize_name(once) == once


@settings(max_examples=200)
@given(st.data(), names())
def test_the_key_ignores_case_spacing_and_unicode_form(data: st.DataObject, name: str) -> None:
    written = data.draw(messy(name))
    assert name_key(written) == name_key(name)
    assert normalize_name(written) == normalize_name(name)


@settings(max_examples=200)
@given(names())
def test_the_key_ignores_diacritics(name: str) -> None:
    assert name_key(strip_diacritics(name)) == name_key(name)
    assert name_key(name.upper()) == name_key(name)


@settings(max_examples=200)
@given(surnames, st.sampled_from(TONE_VARIANTS), given_names)
def test_the_key_and_display_form_ignore_tone_placement(
    surname: str, variants: tuple[str, str], given: str
) -> None:
    moved, placed = (f"{surname} {variant} {given}" for variant in variants)
    assert name_key(moved) == name_key(placed)
    assert normalize_name(moved) == normalize_name(placed)


@settings(max_examples=200)
@given(names())
def test_telex_round_trips_names_built_from_the_csv_syllables(name: str) -> None:
    assert name_key(telex_to_unicode(to_telex(name))) == name_key(name)
    assert telex_to_unicode(to_telex(name)) == normalize_name(name)
    assert telex_to_unicode(to_telex(name.upper())) == normalize_name(name).upper()
