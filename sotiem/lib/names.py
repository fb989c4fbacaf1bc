"""Vietnamese personal names: display normalisation, matching keys and Telex typed with the IME off.

Two records of one person rarely spell the name the same way: ID cards print upper case, old keyboards
put the tone on another vowel (hoà / hòa), SMS forms drop diacritics, and people with the Vietnamese input
method switched off type Telex ("Nguyeenx"). `normalize_name` gives one display form; `name_key` gives one
comparison form that ignores all of those differences.
"""

import functools
import re
import unicodedata

# Combining marks as they appear after NFD. Tones are the five marks that move between vowels; the
# others are part of the letter (â ă ê ô ơ ư) and never move.
_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"
_TONES = frozenset((_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT))
_CIRCUMFLEX, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"
_VOWELS = frozenset("aeiouy")
# Initial consonants and final consonants a Vietnamese syllable may have ("" = none).
_INITIALS = frozenset({"", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng"})
_INITIALS |= {"ngh", "nh", "p", "ph", "qu", "r", "s", "t", "th", "tr", "v", "x"}
_FINALS = frozenset({"", "c", "ch", "m", "n", "ng", "nh", "p", "t"})
_APOSTROPHES = re.compile("[\u2018\u2019\u02bc\u02b9`\u00b4]")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\ufeff\u00ad]")
_WORD = re.compile(r"[^\W\d_]+")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")

# Telex: the key typed after a vowel gives it a mark; these keys never end a Vietnamese syllable.
_TELEX_TONE_KEYS = {"s": _ACUTE, "f": _GRAVE, "r": _HOOK, "x": _TILDE, "j": _DOT}
_TELEX_OF_TONE = {mark: key for key, mark in _TELEX_TONE_KEYS.items()}
_TELEX_OF_SHAPE = {
    ("a", _CIRCUMFLEX): "a",
    ("e", _CIRCUMFLEX): "e",
    ("o", _CIRCUMFLEX): "o",
    ("a", _BREVE): "w",
    ("o", _HORN): "w",
    ("u", _HORN): "w",
}


class _Letter:
    """One letter with its shape mark (circumflex, breve, horn) kept apart from any tone mark."""

    __slots__ = ("base", "shape", "tone")

    def __init__(self, base: str, shape: str = "", tone: str = "") -> None:
        self.base, self.shape, self.tone = base, shape, tone

    @property
    def is_vowel(self) -> bool:
        return self.base.lower() in _VOWELS

    def text(self) -> str:
        return self.base + self.shape + self.tone


def _letters(word: str) -> list[_Letter]:
    """Split a word into letters, pulling tone marks off whichever vowel they were typed on."""
    letters: list[_Letter] = []
    for char in unicodedata.normalize("NFD", word):
        if unicodedata.combining(char) and letters:
            if char in _TONES:
                letters[-1].tone = char
            else:
                letters[-1].shape += char
        else:
            letters.append(_Letter(char))
    return letters


def _syllable_parts(letters: list[_Letter]) -> tuple[int, int] | None:
    """(start, end) of the vowel nucleus, or None when the word is not a plain Vietnamese syllable.

    The u of "qu" and the i of "gi" before another vowel belong to the initial consonant, which is why
    quý and giữa carry their tones where they do.
    """
    lower = [letter.base.lower() for letter in letters]
    start = 0
    while start < len(lower) and lower[start] not in _VOWELS:
        start += 1
    end = start
    while end < len(lower) and lower[end] in _VOWELS:
        end += 1
    if end - start > 1:
        initial = "".join(lower[:start])
        if (initial, lower[start]) == ("q", "u") or (
            (initial, lower[start]) == ("g", "i") and not letters[start].shape
        ):
            start += 1
    initial, final = "".join(lower[:start]), "".join(lower[end:])
    if not 1 <= end - start <= 3 or initial not in _INITIALS or final not in _FINALS:
        return None
    return start, end


def _tone_position(letters: list[_Letter], start: int, end: int) -> int:
    """Which vowel of the nucleus carries the tone, in the traditional placement (hòa, thủy, khỏe).

    A vowel with a shape mark wins (the last one: ươ takes it on ơ); a closed syllable takes it on the last
    vowel (hoàng); an open one on the middle of three vowels or the first of two.
    """
    shaped = [i for i in range(start, end) if letters[i].shape]
    if shaped:
        return shaped[-1]
    if end < len(letters):
        return end - 1
    if end - start == 3:
        return start + 1
    return start


def _place_tone(letters: list[_Letter], tone: str) -> str | None:
    """The word with `tone` on its proper vowel, or None when the word is not a Vietnamese syllable."""
    parts = _syllable_parts(letters)
    if parts is None:
        return None
    for letter in letters:
        letter.tone = ""
    letters[_tone_position(letters, *parts)].tone = tone
    return unicodedata.normalize("NFC", "".join(letter.text() for letter in letters))


def _retone(word: str) -> str:
    """Move a misplaced tone mark to its traditional vowel; leave non-Vietnamese words alone."""
    letters = _letters(word)
    tones = [letter.tone for letter in letters if letter.tone]
    if len(tones) != 1:
        return word
    return _place_tone(letters, tones[0]) or word


def _title(word: str) -> str:
    """Upper-case the first letter of each part of a word; apostrophes and hyphens start a new part."""
    parts = re.split(r"(['\-])", word)
    # title() rather than upper() for the first letter: "ß".upper() is "SS", which would not be stable.
    return "".join(part[:1].title() + part[1:].lower() for part in parts)


def _clean(text: str) -> str:
    text = _INVISIBLE.sub("", _APOSTROPHES.sub("'", unicodedata.normalize("NFC", str(text))))
    return " ".join(text.split())


@functools.lru_cache(maxsize=65536)
def normalize_name(text: str) -> str:
    """One display form: NFC, single spaces, traditional tone placement, Title Case (ID cards print CAPS).

    Apostrophes and one-letter words are kept because Ê Đê names such as "H' Hen Niê" and "Y Bih Niê" have
    them.
    """
    words = []
    for word in _clean(text).split(" "):
        pieces = re.split(r"(['\-])", word)
        words.append(_title("".join(_retone(piece) if _WORD.fullmatch(piece) else piece for piece in pieces)))
    return " ".join(words)


def strip_diacritics(text: str) -> str:
    """Remove every accent but keep case; Đ/đ become D/d, which NFD alone would leave untouched."""
    decomposed = unicodedata.normalize("NFD", str(text).replace("Đ", "D").replace("đ", "d"))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


@functools.lru_cache(maxsize=65536)
def name_key(text: str) -> str:
    """The comparison form of a name: lower-case ASCII words separated by single spaces.

    It ignores case, spacing, diacritics, tone placement and punctuation. An apostrophe separates words, so
    "H'Hen" and "H' Hen" agree. "qui" becomes "quy" because Quí and Quý are the same name.
    """
    ascii_text = strip_diacritics(_clean(text)).casefold()
    words = _NOT_ALNUM.sub(" ", ascii_text).split()
    return " ".join("quy" if word == "qui" else word for word in words)


def name_tokens(text: str) -> list[str]:
    """The words of the name key; compare them as a set too, since Western order puts the given name first."""
    return name_key(text).split()


def split_name(text: str) -> tuple[str, str, str]:
    """(surname, middle names, given name) of a name in Vietnamese order; a single word is a given name."""
    words = normalize_name(text).split()
    if not words:
        return "", "", ""
    if len(words) == 1:
        return "", "", words[0]
    return words[0], " ".join(words[1:-1]), words[-1]


def to_telex(text: str) -> str:
    """Spell text as Telex typed with the input method off ("Đặng" -> "DDawngj"), to inject realistic errors."""
    return _WORD.sub(lambda match: _word_to_telex(match.group()), unicodedata.normalize("NFC", str(text)))


def _word_to_telex(word: str) -> str:
    out: list[str] = []
    tone_key = ""
    for letter in _letters(word):
        base = letter.base
        if base in "đĐ":
            out.append("DD" if base == "Đ" else "dd")
            continue
        out.append(base)
        extra = _TELEX_OF_SHAPE.get((base.lower(), letter.shape))
        if extra:
            out.append(extra.upper() if base.isupper() else extra)
        if letter.tone:
            tone_key = _TELEX_OF_TONE[letter.tone]
    if tone_key and word.isupper():
        tone_key = tone_key.upper()
    return "".join(out) + tone_key


def telex_to_unicode(text: str) -> str:
    """Best-effort decoding of Telex typed with the IME off ("Nguyeenx" -> "Nguyễn", "Hoaf" -> "Hòa").

    A word is changed only when the decoded result is a plausible Vietnamese syllable, so ASCII names,
    minority names such as "Ksor", and text that already has diacritics pass through unchanged.
    """
    return _WORD.sub(lambda match: _decode_telex_word(match.group()), unicodedata.normalize("NFC", str(text)))


def _decode_telex_word(word: str) -> str:
    if not word.isascii():
        return word
    letters: list[_Letter] = []
    tone = ""
    rest = word
    if rest[:2].lower() == "dd":
        letters.append(_Letter("Đ" if rest[0].isupper() else "đ"))
        rest = rest[2:]
    for char in rest:
        lower = char.lower()
        previous = letters[-1] if letters else None
        seen_vowel = any(letter.is_vowel for letter in letters)
        if seen_vowel and lower in _TELEX_TONE_KEYS:
            tone = _TELEX_TONE_KEYS[lower]
        elif previous and not previous.shape and lower in "aeo" and previous.base.lower() == lower:
            previous.shape = _CIRCUMFLEX
        elif previous and not previous.shape and lower == "w" and previous.base.lower() in "aou":
            _apply_w(letters)
        else:
            letters.append(_Letter(char))
    if not any(letter.is_vowel for letter in letters):
        return word
    _horn_uo(letters)
    decoded = _place_tone(letters, tone)
    return decoded if decoded is not None else word


def _apply_w(letters: list[_Letter]) -> None:
    """Telex w: a -> ă, o -> ơ, u -> ư."""
    last = letters[-1]
    last.shape = _BREVE if last.base.lower() == "a" else _HORN


def _horn_uo(letters: list[_Letter]) -> None:
    """People type ươ as "uow"; uơ without a following letter is the one exception (thuở, huơ)."""
    for first, second in zip(letters, letters[1:-1], strict=False):
        if (
            first.base.lower() == "u"
            and not first.shape
            and second.base.lower() == "o"
            and second.shape == _HORN
        ):
            first.shape = _HORN
