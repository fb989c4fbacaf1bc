"""Vietnamese personal identifiers: CCCD, CMND, BHYT card codes and passports.

A check never raises on bad input: it returns an `IdCheck` whose `errors` say what is wrong, so an import can
report every problem of a row at once. They are plain strings in the language active when the check ran, because
callers join them and store them as notes. A valid number proves only that it is well formed (no check digit
exists); identity was confirmed against the population database, not here.
"""

import datetime
import re
from dataclasses import dataclass, field

from sotiem.lib import domain
from sotiem.lib.i18n import Text, _

CCCD = "CCCD"
CMND = "CMND"
BHYT = "BHYT"
PASSPORT = "PASSPORT"
UNKNOWN = "UNKNOWN"

# People write numbers in groups ("079 203 001234", "079.203.001234"); these separators carry no meaning.
_SEPARATORS = re.compile(r"[\s.\-_/]+")
_BHYT = re.compile(r"^[A-Z]{2}[1-5]\d{12}$")
_PASSPORT = re.compile(r"^[A-Z]\d{7}$")
# Known defect: this CMND block was issued by both Đồng Nai and Bà Rịa–Vũng Tàu police.
_CMND_DUPLICATE_BLOCK = range(271450001, 271500001)


@dataclass(frozen=True)
class IdCheck:
    """The outcome of checking one identifier; `key` is what to match a person on when `valid`."""

    scheme: str
    value: str
    valid: bool
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    birth_province_code: str | None = None  # 2-digit GSO code (2021 era) from a CCCD prefix
    sex: str | None = None  # 'M' / 'F'
    birth_year: int | None = None
    key: str | None = None


def _compact(value: str) -> str:
    return _SEPARATORS.sub("", str(value)).upper()


def _normalise_sex(sex: str | None) -> str | None:
    """Accept 'M'/'F' in any case; anything else is a programming error, not a data error."""
    if sex is None:
        return None
    upper = sex.strip().upper()
    if upper not in ("M", "F"):
        raise ValueError(f"sex must be 'M' or 'F', got {sex!r}")
    return upper


_SEX = {"M": _("male"), "F": _("female")}


def _digit_errors(label: str, value: str, lengths: tuple[int, ...]) -> list[str]:
    """Errors for an all-digit identifier of one of `lengths` digits; empty when the shape is right."""
    if not value:
        return [str(_("The %(label)s number is empty", label=label))]
    if not value.isdigit() or not value.isascii():
        bad = "".join(sorted({c for c in value if not (c.isascii() and c.isdigit())}))
        return [str(_("A %(label)s number must contain only digits (found '%(bad)s')", label=label, bad=bad))]
    if len(value) not in lengths:
        if len(lengths) == 1:
            message = _(
                "A %(label)s number must have exactly %(wanted)s digits (got %(count)s)",
                label=label,
                wanted=lengths[0],
                count=len(value),
            )
        else:
            message = _(
                "A %(label)s number must have exactly %(wanted)s or %(other)s digits (got %(count)s)",
                label=label,
                wanted=lengths[0],
                other=lengths[-1],
                count=len(value),
            )
        return [str(message)]
    return []


def _check_twelve_digits(
    label: str, value: str, sex: str | None, birth_year: int | None
) -> tuple[list[str], list[str], str | None, str | None, int | None]:
    """The CCCD structure (province, sex/century digit, year); shared with the 12-digit CMND."""
    errors: list[str] = []
    warnings: list[str] = []
    prefix, digit, yy = value[:3], value[3], int(value[4:6])
    province = domain.cccd_code_to_gso().get(prefix)
    if province is None:
        warnings.append(
            str(
                _(
                    "The first three digits '%(prefix)s' of the %(label)s are not one of the 63 province codes; "
                    "they may be a country code (born abroad)",
                    prefix=prefix,
                    label=label,
                )
            )
        )
    found_sex, century_start, _century_end = domain.gender_century()[digit]
    found_year = century_start + yy
    if digit not in "0123":
        errors.append(
            str(
                _(
                    "The 4th digit '%(digit)s' means born in %(year)s: birth year in the future",
                    digit=digit,
                    year=found_year,
                )
            )
        )
    elif found_year > datetime.date.today().year:
        errors.append(
            str(
                _(
                    "The %(label)s gives birth year %(year)s: birth year in the future",
                    label=label,
                    year=found_year,
                )
            )
        )
    if sex is not None and sex != found_sex:
        errors.append(
            str(
                _(
                    "The 4th digit '%(digit)s' of the %(label)s encodes %(found)s, but the record says %(recorded)s",
                    digit=digit,
                    label=label,
                    found=_SEX[found_sex],
                    recorded=_SEX[sex],
                )
            )
        )
    if birth_year is not None and birth_year != found_year:
        errors.append(
            str(
                _(
                    "The %(label)s gives birth year %(year)s (century from the 4th digit '%(digit)s' plus "
                    "'%(yy)s'), but the record says %(recorded)s",
                    label=label,
                    year=found_year,
                    digit=digit,
                    yy=f"{yy:02d}",
                    recorded=birth_year,
                )
            )
        )
    return errors, warnings, province, found_sex, found_year


def check_cccd(value: str, *, sex: str | None = None, birth_year: int | None = None) -> IdCheck:
    """Check a 12-digit CCCD / personal identification number against its structure and the record."""
    return _check_twelve_digit_scheme(CCCD, value, sex=sex, birth_year=birth_year)


def _check_twelve_digit_scheme(
    scheme: str, value: str, *, sex: str | None, birth_year: int | None
) -> IdCheck:
    compact = _compact(value)
    sex = _normalise_sex(sex)
    errors = _digit_errors(scheme, compact, (12,))
    if errors:
        return IdCheck(scheme=scheme, value=compact, valid=False, errors=errors)
    errors, warnings, province, found_sex, found_year = _check_twelve_digits(scheme, compact, sex, birth_year)
    return IdCheck(
        scheme=scheme,
        value=compact,
        valid=not errors,
        errors=errors,
        warnings=warnings,
        birth_province_code=province,
        sex=found_sex,
        birth_year=found_year,
        key=None if errors else compact,
    )


def check_cmnd(value: str, *, sex: str | None = None, birth_year: int | None = None) -> IdCheck:
    """Check an old identity-card number: 9 digits, or 12 digits laid out exactly like a CCCD."""
    compact = _compact(value)
    if len(compact) == 12:
        return _check_twelve_digit_scheme(CMND, compact, sex=sex, birth_year=birth_year)
    _normalise_sex(sex)
    errors = _digit_errors(CMND, compact, (9, 12))
    if errors:
        return IdCheck(scheme=CMND, value=compact, valid=False, errors=errors)
    warnings = []
    if int(compact) in _CMND_DUPLICATE_BLOCK:
        warnings.append(
            str(
                _(
                    "This CMND falls in the block 271450001–271500000 issued in both Đồng Nai and Bà Rịa–Vũng Tàu"
                )
            )
        )
    return IdCheck(scheme=CMND, value=compact, valid=True, warnings=warnings, key=compact)


def check_bhyt(value: str) -> IdCheck:
    """Check a 15-character health-insurance card code, or the bare 10-digit social-insurance number.

    Cards issued from April 2021 highlight the 10-digit number and the rest of the code changes with the
    holder's group, so `key` is always the 10-digit number.
    """
    compact = _compact(value)
    if compact.isdigit() and len(compact) == 10:
        return IdCheck(
            scheme=BHYT,
            value=compact,
            valid=True,
            warnings=[
                str(
                    _(
                        "Only the 10-digit social-insurance number was given, not the full 15-character BHYT code"
                    )
                )
            ],
            key=compact,
        )
    errors = _bhyt_errors(compact)
    return IdCheck(
        scheme=BHYT, value=compact, valid=not errors, errors=errors, key=None if errors else compact[5:]
    )


def _bhyt_errors(code: str) -> list[str]:
    if not code:
        return [str(_("The BHYT code is empty"))]
    if len(code) != 15:
        return [
            str(
                _(
                    "A BHYT code must have 15 characters (2 letters, a benefit level, 12 digits) or be the "
                    "10-digit social-insurance number (got %(count)s)",
                    count=len(code),
                )
            )
        ]
    errors = []
    if not (code[:2].isascii() and code[:2].isalpha()):
        errors.append(
            str(
                _(
                    "The first two characters of a BHYT code must be the beneficiary-group letters, not '%(found)s'",
                    found=code[:2],
                )
            )
        )
    if code[2] not in "12345":
        errors.append(
            str(
                _(
                    "The 3rd character of a BHYT code is the benefit level and must be 1 to 5, not '%(found)s'",
                    found=code[2],
                )
            )
        )
    if not (code[3:].isascii() and code[3:].isdigit()):
        errors.append(
            str(_("The last 12 characters of a BHYT code must be digits, not '%(found)s'", found=code[3:]))
        )
    return errors


def bhyt_key(value: str) -> str | None:
    """The 10-digit social-insurance number to match on, or None when the BHYT value is not valid."""
    return check_bhyt(value).key


def check_passport(value: str) -> IdCheck:
    """Check a Vietnamese passport number: one letter then 7 digits (B1234567, C1234567, N1234567...)."""
    compact = _compact(value)
    if _PASSPORT.match(compact):
        return IdCheck(scheme=PASSPORT, value=compact, valid=True, key=compact)
    error = _(
        "A Vietnamese passport number is one letter and 7 digits (e.g. C1234567), not '%(found)s'",
        found=compact,
    )
    return IdCheck(scheme=PASSPORT, value=compact, valid=False, errors=[str(error)])


def check_national_id(value: str, *, sex: str | None = None, birth_year: int | None = None) -> IdCheck:
    """Guess which identifier a free-text 'ID number' field holds and check it as that.

    A bare 10-digit number is refused rather than taken as a BHXH number: in an ID field it is far more
    often a phone number or a CCCD with digits missing.
    """
    compact = _compact(value)
    if compact.isdigit() and compact.isascii():
        if len(compact) == 12:
            return check_cccd(compact, sex=sex, birth_year=birth_year)
        if len(compact) == 9:
            return check_cmnd(compact)
    elif _BHYT.match(compact):
        return check_bhyt(compact)
    elif _PASSPORT.match(compact):
        return check_passport(compact)
    return IdCheck(scheme=UNKNOWN, value=compact, valid=False, errors=[str(_unknown_scheme_error(compact))])


def _unknown_scheme_error(compact: str) -> Text:
    if not compact:
        return _("The identity number is empty")
    if compact.isdigit() and len(compact) == 10:
        return _(
            "A 10-digit number is neither a CCCD (12 digits) nor a CMND (9); if it is the social-insurance "
            "number, enter it as BHYT"
        )
    if compact.isdigit():
        return _(
            "An identity number must have 12 digits (CCCD) or 9 digits (CMND) (got %(count)s)",
            count=len(compact),
        )
    return _(
        "Cannot tell what kind of identifier '%(found)s' is: expected a 12-digit CCCD, a 9-digit CMND, "
        "a 15-character BHYT code or a passport (one letter + 7 digits)",
        found=compact,
    )


def make_cccd(*, province_code: str, sex: str, birth_year: int, serial: int) -> str:
    """Build a well-formed CCCD for synthetic data; `province_code` is the GSO code ('79') or CCCD code ('079')."""
    code = province_code if len(province_code) == 3 else "0" + province_code
    if code not in domain.cccd_province_codes():
        raise ValueError(f"unknown province code {province_code!r}")
    normalised_sex = _normalise_sex(sex)
    digit = next(
        (
            digit
            for digit, (digit_sex, year_from, year_to) in domain.gender_century().items()
            if digit_sex == normalised_sex and year_from <= birth_year <= year_to
        ),
        None,
    )
    if digit is None:
        raise ValueError(f"birth year {birth_year} is outside the CCCD centuries")
    if not 0 <= serial <= 999_999:
        raise ValueError(f"serial must be 0..999999, got {serial}")
    return f"{code}{digit}{birth_year % 100:02d}{serial:06d}"
