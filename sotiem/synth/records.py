"""Records as sites send them: representation varies by site, and entry errors are injected at known rates.

Each record is rendered from the true person and the true dose. Representation choices (province as a name
or a code of either era, sex as Nam/Nữ or M/F, vaccine as a code or a common name, phone format) are made per
site, as one site's software writes them one way; they are not errors. Entry errors are drawn per record, so
two records of the same person differ, and each applied error is listed in truth_records.csv. An error is
only applied (and listed) when it changes the value.
"""

from __future__ import annotations

import random
import unicodedata

from sotiem.lib.names import strip_diacritics, to_telex

from . import tables
from .places import Geography
from .population import Person

# Per-record error rates at sites; the backlog (typed later from paper by a province team) has
# BACKLOG_FACTOR times these rates. Conditional rates apply only where the error is possible.
ERROR_RATES = {
    "dropped_middle": 0.04,  # of names with a Thị/Văn middle name
    "sound_alike": 0.012,
    "no_diacritics": 0.07,
    "telex": 0.012,
    "unicode_nfd": 0.01,
    "upper_case": 0.04,
    "double_space": 0.02,
    "day_month_swap": 0.03,  # of birth dates with day <= 12 and day != month
    "year_only": 0.008,
    "month_year": 0.005,
    "missing_id": 0.06,  # of persons who have an ID
    "cmnd_for_cccd": 0.06,  # of persons who have both
    "mistyped_id": 0.02,
    "relative_phone": 0.10,  # of persons whose own phone differs from the household phone
    "old_11_digit_phone": 0.02,  # of numbers whose prefix was converted in 2018
    "lost_leading_zero": 0.02,
}
ERROR_KINDS = list(ERROR_RATES)
BACKLOG_FACTOR = 1.5

# Sound-alike spellings (southern and northern mergers: Bảo/Bửu, ch/tr, s/x, d/gi/v, i/y).
SOUND_ALIKE = {
    "Bảo": "Bửu",
    "Trang": "Chang",
    "Trâm": "Châm",
    "Trinh": "Chinh",
    "Trung": "Chung",
    "Xuân": "Suân",
    "Sơn": "Xơn",
    "Sang": "Xang",
    "Vy": "Vi",
    "Vi": "Vy",
    "Vân": "Dân",
    "Vinh": "Dinh",
    "Dương": "Giương",
    "Giang": "Dang",
    "Quý": "Quí",
    "Thúy": "Thúi",
    "Duyên": "Giuyên",
    "Yến": "Iến",
    "Huy": "Hui",
    "Thùy": "Thùi",
    "Trường": "Chường",
    "Sương": "Xương",
    "Dung": "Giung",
}
# Hỏi and ngã are one tone in the south, so they are swapped in writing (Nguyễn -> Nguyển).
_HOI = "ảẩẳẻểỉỏổởủửỷẢẨẲẺỂỈỎỔỞỦỬỶ"
_NGA = "ãẫẵẽễĩõỗỡũữỹÃẪẴẼỄĨÕỖỠŨỮỸ"
HOI_NGA = str.maketrans(_HOI + _NGA, _NGA + _HOI)
PLACE_STYLES = 5  # 0 names 2021, 1 names 2021 without diacritics, 2 codes 2021, 3 codes 2025, 4 names 2025


def site_style(rng: random.Random) -> tuple[int, bool, int, bool, int]:
    """(place style, sex as M/F, phone format, vaccine as common name, which Vero Cell name) of one sender."""
    place = rng.choices(range(PLACE_STYLES), (45, 15, 25, 5, 10))[0]
    phone = rng.choices(range(4), (70, 10, 5, 15))[0]
    return place, rng.random() < 0.15, phone, rng.random() < 0.6, rng.randrange(2)


class RecordMaker:
    """Renders one record per dose; one per process (it caches Telex spellings and place texts)."""

    def __init__(self, geo: Geography) -> None:
        self.geo = geo
        letters = "".join(chr(c) for c in range(0xC0, 0x1EFA) if unicodedata.category(chr(c)).startswith("L"))
        self.ascii = str.maketrans(
            {c: strip_diacritics(c) for c in letters + "Đđ" if strip_diacritics(c) != c}
        )
        self.telex_cache: dict[str, str] = {}
        self.places: dict[tuple[int, int], tuple[str, str]] = {}
        self.old_prefix = tables.old_prefix_of()

    def place(self, commune: int, style: int) -> tuple[str, str]:
        key = (commune, style)
        hit = self.places.get(key)
        if hit is None:
            c = self.geo.communes[commune]
            if style == 0:
                hit = (self.geo.province_names[c.province_2021], c.name)
            elif style == 1:
                hit = (
                    self.geo.province_names[c.province_2021].translate(self.ascii),
                    c.name.translate(self.ascii),
                )
            elif style == 2:
                hit = (c.province_2021, c.code_2021)
            elif style == 3:
                hit = (c.province_2025, c.code_2025)
            else:
                hit = (self.geo.province_2025_names[c.province_2025], c.name_2025)
            self.places[key] = hit
        return hit

    def telex(self, name: str) -> str:
        hit = self.telex_cache.get(name)
        if hit is None:
            hit = self.telex_cache[name] = to_telex(name)
        return hit

    # -- the error model -----------------------------------------------------------------------------------

    def name(self, rng: random.Random, name: str, f: float, errors: list[str]) -> str:
        rnd = rng.random
        if rnd() < ERROR_RATES["dropped_middle"] * f:
            words = name.split(" ")
            for i in range(1, len(words) - 1):
                if words[i] in ("Thị", "Văn"):
                    del words[i]
                    name = " ".join(words)
                    errors.append("dropped_middle")
                    break
        if rnd() < ERROR_RATES["sound_alike"] * f:
            words = name.split(" ")
            changed = False
            for i in range(len(words) - 1, -1, -1):
                alt = SOUND_ALIKE.get(words[i])
                if alt:
                    words[i] = alt
                    changed = True
                    break
            alike = " ".join(words) if changed else name.translate(HOI_NGA)
            if alike != name:
                name = alike
                errors.append("sound_alike")
        r = rnd()
        if r < ERROR_RATES["no_diacritics"] * f:
            plain = name.translate(self.ascii)
            if plain != name:
                name = plain
                errors.append("no_diacritics")
        elif r < (ERROR_RATES["no_diacritics"] + ERROR_RATES["telex"]) * f:
            typed = self.telex(name)
            if typed != name:
                name = typed
                errors.append("telex")
        elif r < (ERROR_RATES["no_diacritics"] + ERROR_RATES["telex"] + ERROR_RATES["unicode_nfd"]) * f:
            decomposed = unicodedata.normalize("NFD", name)
            if decomposed != name:
                name = decomposed
                errors.append("unicode_nfd")
        if rnd() < ERROR_RATES["upper_case"] * f:
            upper = name.upper()
            if upper != name:
                name = upper
                errors.append("upper_case")
        if rnd() < ERROR_RATES["double_space"] * f and " " in name:
            spaces = [i for i, ch in enumerate(name) if ch == " "]
            i = spaces[rng.randrange(len(spaces))]
            name = name[:i] + " " + name[i:]
            errors.append("double_space")
        return name

    @staticmethod
    def birth_date(rng: random.Random, day: int, f: float, errors: list[str]) -> str:
        r = rng.random()
        i = day - tables.FIRST_DAY
        if r < ERROR_RATES["day_month_swap"] * f:
            d, m = tables.DAY_OF[i], tables.MONTH_OF[i]
            if d <= 12 and d != m:
                errors.append("day_month_swap")
                return f"{m:02d}/{d:02d}/{tables.YEAR_OF[i]}"
        elif r < (ERROR_RATES["day_month_swap"] + ERROR_RATES["year_only"]) * f:
            errors.append("year_only")
            return str(tables.YEAR_OF[i])
        elif r < (ERROR_RATES["day_month_swap"] + ERROR_RATES["year_only"] + ERROR_RATES["month_year"]) * f:
            errors.append("month_year")
            return f"{tables.MONTH_OF[i]:02d}/{tables.YEAR_OF[i]}"
        return tables.DMY[i]

    @staticmethod
    def national_id(rng: random.Random, person: Person, f: float, errors: list[str]) -> str:
        clean = person.cccd or person.cmnd or person.bhyt
        if not clean:
            return ""
        r = rng.random()
        missing = ERROR_RATES["missing_id"] * f
        swapped = missing + ERROR_RATES["cmnd_for_cccd"] * f
        if r < missing:
            errors.append("missing_id")
            return ""
        if r < swapped:
            if person.cccd and person.cmnd:
                errors.append("cmnd_for_cccd")
                return person.cmnd
        elif r < swapped + ERROR_RATES["mistyped_id"] * f:
            errors.append("mistyped_id")
            return mistype(rng, clean)
        return clean

    def phone(self, rng: random.Random, person: Person, style: int, f: float, errors: list[str]) -> str:
        number = person.phone or person.household_phone
        if (
            person.phone
            and person.phone != person.household_phone
            and rng.random() < ERROR_RATES["relative_phone"] * f
        ):
            number = person.household_phone
            errors.append("relative_phone")
        r = rng.random()
        if r < ERROR_RATES["old_11_digit_phone"] * f:
            old = self.old_prefix.get(number[:3])
            if old:
                errors.append("old_11_digit_phone")
                return old + number[3:]
        elif r < (ERROR_RATES["old_11_digit_phone"] + ERROR_RATES["lost_leading_zero"]) * f:
            errors.append("lost_leading_zero")
            return number[1:]
        if style == 0:
            return number
        if style == 1:
            return "+84" + number[1:]
        if style == 2:
            return "84" + number[1:]
        return f"{number[:4]} {number[4:7]} {number[7:]}"


def mistype(rng: random.Random, value: str) -> str:
    """One digit changed, or two adjacent different digits swapped; letters (a BHYT group) are kept."""
    digits = [i for i, ch in enumerate(value) if ch.isdigit()]
    chars = list(value)
    if rng.random() < 0.5:
        pairs = [
            i for i in digits if i + 1 < len(value) and value[i + 1].isdigit() and value[i] != value[i + 1]
        ]
        if pairs:
            i = pairs[rng.randrange(len(pairs))]
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
            return "".join(chars)
    i = digits[rng.randrange(len(digits))]
    chars[i] = str((int(chars[i]) + rng.randint(1, 9)) % 10)
    return "".join(chars)
