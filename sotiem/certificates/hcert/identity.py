"""Names and identifiers inside a DCC: ICAO 9303 transliteration and the UVCI with its checksum."""

import re
import unicodedata

# ICAO 9303 part 3, section 6. Latin letters that do not reduce to one base letter by dropping
# diacritics (applied before decomposition, so that Ä becomes AE rather than A).
_ICAO_LATIN = {
    "Ä": "AE",
    "Æ": "AE",
    "Å": "AA",
    "Ö": "OE",
    "Ø": "OE",
    "Œ": "OE",
    "Ü": "UE",
    "ß": "SS",
    "ẞ": "SS",
    "Þ": "TH",
    "Ĳ": "IJ",
}
# Letters without a decomposition, and the Cyrillic and Greek tables (applied to base letters).
_ICAO_BASE = str.maketrans(
    {
        "Đ": "D",
        "Ð": "D",
        "Ł": "L",
        "Ħ": "H",
        "Ŧ": "T",
        "ı": "I",
        "А": "A",
        "Б": "B",
        "В": "V",
        "Г": "G",
        "Ґ": "G",
        "Д": "D",
        "Ђ": "D",
        "Е": "E",
        "Є": "IE",
        "Ж": "ZH",
        "З": "Z",
        "Ѕ": "DZ",
        "И": "I",
        "І": "I",
        "Ј": "J",
        "К": "K",
        "Л": "L",
        "Љ": "LJ",
        "М": "M",
        "Н": "N",
        "Њ": "NJ",
        "О": "O",
        "П": "P",
        "Р": "R",
        "С": "S",
        "Т": "T",
        "Ћ": "C",
        "У": "U",
        "Ф": "F",
        "Х": "KH",
        "Ц": "TS",
        "Ч": "CH",
        "Џ": "DZ",
        "Ш": "SH",
        "Щ": "SHCH",
        "Ъ": "IE",
        "Ы": "Y",
        "Ь": "",
        "Э": "E",
        "Ю": "IU",
        "Я": "IA",
        "Α": "A",
        "Β": "V",
        "Γ": "G",
        "Δ": "D",
        "Ε": "E",
        "Ζ": "Z",
        "Η": "I",
        "Θ": "TH",
        "Ι": "I",
        "Κ": "K",
        "Λ": "L",
        "Μ": "M",
        "Ν": "N",
        "Ξ": "X",
        "Ο": "O",
        "Π": "P",
        "Ρ": "R",
        "Σ": "S",
        "Τ": "T",
        "Υ": "Y",
        "Φ": "F",
        "Χ": "CH",
        "Ψ": "PS",
        "Ω": "O",
    }
)
_SEPARATORS = re.compile(r"[\s\-,<]+")
_NOT_MRZ = re.compile(r"[^A-Z<]")
MAX_NAME = 80


def transliterate_icao(name: str) -> str:
    """The ICAO 9303 machine-readable form of a name (DCC fnt/gnt): A-Z and '<', at most 80 characters.

    Latin (Vietnamese included: Nguyễn → NGUYEN, Đặng → DANG), Cyrillic and Greek letters are
    transliterated; letters of other scripts are dropped, which can leave an empty string.
    """
    upper = unicodedata.normalize("NFC", name).upper()
    spelled = "".join(_ICAO_LATIN.get(ch, ch) for ch in upper)
    # Vietnamese tones and vowel marks (ẫ, ư, ơ ...) are combining marks once decomposed.
    bare = "".join(ch for ch in unicodedata.normalize("NFD", spelled) if not unicodedata.combining(ch))
    separated = _SEPARATORS.sub("<", bare.translate(_ICAO_BASE).strip())
    return _NOT_MRZ.sub("", separated).strip("<")[:MAX_NAME]


# Luhn mod N over the code points of the eHN UVCI guidelines (Annex 2) as fixed by the DCC schema FAQ:
# A-Z, then 0-9, then '/' and ':' (N = 38). '#' only separates the check character and is not counted.
UVCI_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:"
_N = len(UVCI_ALPHABET)
_CODE = {ch: i for i, ch in enumerate(UVCI_ALPHABET)}
_PART = re.compile(r"[A-Z0-9]+")
_UVCI = re.compile(r"(URN:UVCI:)?01:[A-Z]{2}:[A-Z0-9/]+#[A-Z0-9/:]")
MAX_UVCI = 80


# each character's addend when doubled, and when not (Luhn mod N adds the digits of the product in base N)
_DOUBLED = {ch: (2 * i) // _N + (2 * i) % _N for ch, i in _CODE.items()}


def _luhn_sum(text: str, factor: int) -> int:
    """Luhn mod N sum of text, doubling from the right starting with factor (2 to generate, 1 to check)."""
    backwards = text[::-1]
    doubled, single = (
        (backwards[0::2], backwards[1::2]) if factor == 2 else (backwards[1::2], backwards[0::2])
    )
    return (sum(map(_DOUBLED.__getitem__, doubled)) + sum(map(_CODE.__getitem__, single))) % _N


def uvci_check_character(text: str) -> str:
    """The Luhn mod 38 check character of a UVCI body (everything before '#')."""
    return UVCI_ALPHABET[(_N - _luhn_sum(text, 2)) % _N]


def uvci(*, country: str = "VN", issuer: str, opaque: str) -> str:
    """A UVCI 'URN:UVCI:01:<country>:<issuer>/<opaque>#<check>' (eHN guidelines Annex 2, option 1)."""
    for label, part in (("country", country), ("issuer", issuer), ("opaque", opaque)):
        if not _PART.fullmatch(part):
            raise ValueError(f"UVCI {label} must be upper-case A-Z/0-9: {part!r}")
    if len(country) != 2 or not country.isalpha():
        raise ValueError(f"UVCI country must be two letters: {country!r}")
    body = f"URN:UVCI:01:{country}:{issuer}/{opaque}"
    if len(body) + 2 > MAX_UVCI:
        raise ValueError(f"UVCI longer than {MAX_UVCI} characters")
    return f"{body}#{uvci_check_character(body)}"


def uvci_valid(text: str) -> bool:
    """Whether text is a version-01 UVCI with a correct check character (the URN:UVCI: prefix is optional)."""
    if len(text) > MAX_UVCI or not _UVCI.fullmatch(text):
        return False
    body, check = text[:-2], text[-1]
    return _luhn_sum(body + check, 1) == 0
