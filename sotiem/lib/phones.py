"""Vietnamese phone numbers, normalised to E.164 from every way people and spreadsheets write them.

The 2021 platform treated one phone number as one person, which merged families. Normalise phones so they
compare equal, but never key a person on one.
"""

import functools
import re

import phonenumbers

from sotiem.lib import domain
from sotiem.lib.i18n import _

_ALLOWED = re.compile(r"^[\d\s.\-()/+]*$")
_VALID_TYPES = frozenset(
    (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
)


class PhoneError(ValueError):
    """A phone number that cannot be read as a Vietnamese mobile or landline; the message is a `Text`."""


def normalize_phone(raw: str | int) -> str:
    """E.164 (`+84912345678`) from `0912 345 678`, `84…`, `+84…`, `0084…`, a lost leading 0 or a pre-2018 number.

    Raises PhoneError, with the reason in the reader's language, when the number cannot be a Vietnamese
    mobile or landline.
    """
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise PhoneError(_("A phone number must be text (got %(type)s)", type=type(raw).__name__))
    text = str(raw).strip()
    if text in _VALID_OUTPUTS:  # an E.164 this process already produced: normalising it again changes nothing
        return text
    return _normalize(text)


# Outputs already validated, so re-normalising a stored E.164 costs a set lookup (bounded like the cache).
_VALID_OUTPUTS: set[str] = set()


@functools.lru_cache(maxsize=131072)
def _normalize(text: str) -> str:
    national = _national_significant_number(_digits(text))
    national = _convert_2018(national)
    _check_length(national)
    _check_valid(national)
    result = "+84" + national
    if len(_VALID_OUTPUTS) < 1_000_000:
        _VALID_OUTPUTS.add(result)
    return result


def _digits(text: str) -> str:
    """The digits of a number written with any of the usual separators; `+` only in a leading `+84`."""
    if not text:
        raise PhoneError(_("The phone number is empty"))
    if any(char.isalpha() for char in text):
        raise PhoneError(_("The phone number contains letters: '%(text)s'", text=text))
    # "+84 …" and "(+84) …" are both written; a + anywhere else is a typo.
    international = text.lstrip("( ").startswith("+")
    if not _ALLOWED.match(text) or text.count("+") > int(international):
        raise PhoneError(
            _("The phone number has characters that do not belong in a phone number: '%(text)s'", text=text)
        )
    digits = re.sub(r"\D", "", text)
    if not digits:
        raise PhoneError(_("The phone number has no digits: '%(text)s'", text=text))
    if international:
        if not digits.startswith("84"):
            raise PhoneError(
                _("Not a Vietnamese number (the country code must be +84): '%(text)s'", text=text)
            )
        digits = "00" + digits
    return digits


def _national_significant_number(digits: str) -> str:
    """Drop the country code or trunk 0; a number with neither lost its 0 (Excel stores numbers as numbers)."""
    if digits.startswith("0084"):
        national = digits[4:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        national = digits[2:]
    else:
        return digits[1:] if digits.startswith("0") else digits
    # "+84 (0)912…" keeps the trunk 0 after the country code.
    return national[1:] if national.startswith("0") and len(national) in (10, 11) else national


def _convert_2018(national: str) -> str:
    """Rewrite a pre-2018 11-digit mobile (`0162…`) to its 10-digit number; the last 7 digits are kept."""
    if len(national) != 10 or not national.startswith("1"):
        return national
    old_prefix = "0" + national[:3]
    new_prefix = domain.phone_prefix_map_2018().get(old_prefix)
    if new_prefix is None:
        raise PhoneError(
            _(
                "The old prefix %(prefix)s is not in the 2018 table converting 11-digit mobiles to 10 digits",
                prefix=old_prefix,
            )
        )
    return new_prefix[1:] + national[3:]


def _check_length(national: str) -> None:
    shown = "0" + national
    if len(national) < 9:
        raise PhoneError(
            _(
                "The phone number is too short: %(number)s has %(count)s digits, a mobile needs 10",
                number=shown,
                count=len(shown),
            )
        )
    if len(national) > 10:
        raise PhoneError(
            _("The phone number is too long: %(number)s has %(count)s digits", number=shown, count=len(shown))
        )
    if len(national) == 10 and not national.startswith("2"):
        raise PhoneError(
            _("An 11-digit number must be a 02x landline or a pre-2018 01xx mobile: %(number)s", number=shown)
        )


def _check_valid(national: str) -> None:
    """Let `phonenumbers` judge the prefix; its ranges are finer than any carrier list (only 0896–0899...)."""
    number = phonenumbers.PhoneNumber(country_code=84, national_number=int(national))
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in _VALID_TYPES:
        raise PhoneError(
            _(
                "%(number)s is not in any assigned mobile or landline range (prefix %(prefix)s)",
                number="0" + national,
                prefix="0" + national[:2],
            )
        )


def phone_kind(e164: str) -> str:
    """'fixed' for a 02x landline, otherwise 'mobile', for an E.164 number made by normalize_phone."""
    if not e164.startswith("+84"):
        raise PhoneError(_("Not a +84 number: '%(number)s'", number=e164))
    return "fixed" if e164[3:4] == "2" else "mobile"
