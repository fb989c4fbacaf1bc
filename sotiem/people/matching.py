"""Fellegi–Sunter record linkage: how strongly two person records say "the same human being".

A record (an incoming dose record's person, or a person held) becomes a `MatchRecord` of comparison-ready
features. Six comparisons each fall into one level; a level's weight is log2(m/u), where m is how often true
matches show that level and u how often non-matches do. Weights are trained with Splink (expectation
maximisation, `sotiem linkage train`) and kept in a versioned model file. The same levels are written once in
Python (online matching) and once in SQL (Splink training and registry-wide deduplication); a test holds the
two to agreement.

A phone is weak evidence: families, relatives and group organisers share one, so its weight is capped and it
never decides a match on its own. A changed given name is never linked automatically (twins share everything
else).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, gettext_noop
from rapidfuzz.distance import Levenshtein

from sotiem.lib.i18n import Text
from sotiem.lib.names import name_key, normalize_name, telex_to_unicode

MODEL_PATH = Path(__file__).resolve().parent / "data" / "match_model.json"
MIDDLE_WORDS = frozenset({"van", "thi"})
# Weak aliases of family names (one clan, two spellings) and sound-alike initials of the south and north.
FAMILY_ALIASES = {"huynh": "hoang", "vo": "vu"}
_INITIAL_FOLDS = (("tr", "ch"), ("gi", "d"), ("v", "d"), ("s", "x"))
_WORD_FOLDS = {"buu": "bao", "qui": "quy"}
PHONE_MAX_WEIGHT = 1.0  # bits: a shared phone may nudge a score, never carry it
# A level never seen among true matches in training (synthetic data has no sex typos) would weigh -infinity;
# real records do carry such typos, so no single disagreement counts for more than this.
MIN_LEVEL_WEIGHT = -15.0
# Likewise a level true matches never showed in training is given the rate of a rare typo, not zero.
M_FLOOR = 1e-3

# The levels of each comparison, in the order they are tested; level 0 is "no evidence" (a value is missing).
# Their labels stay plain English strings (Splink's charts read them); `level_label` gives them in the reader's
# language.
LEVELS: dict[str, list[tuple[str, str]]] = {
    "name": [
        ("missing", gettext_noop("Missing")),
        ("exact", gettext_noop("Identical")),
        ("key", gettext_noop("Same without diacritics")),
        ("core", gettext_noop("Same without Văn/Thị or in another order")),
        ("folded", gettext_noop("Sounds alike (Hoàng~Huỳnh, Vũ~Võ, tr~ch…)")),
        ("given_same", gettext_noop("Same given name, other family or middle name")),
        ("given_typo", gettext_noop("Given name one letter apart")),
        ("different", gettext_noop("Different given name")),
    ],
    "birth": [
        ("missing", gettext_noop("Missing")),
        ("exact", gettext_noop("Same date")),
        ("partial", gettext_noop("Agrees where only year or month is known")),
        ("swapped", gettext_noop("Day and month swapped")),
        ("off_by_one", gettext_noop("One day or one year apart")),
        ("same_year", gettext_noop("Same year")),
        ("different", gettext_noop("Different")),
    ],
    "sex": [
        ("missing", gettext_noop("Missing")),
        ("same", gettext_noop("Same")),
        ("different", gettext_noop("Different")),
    ],
    "place": [
        ("missing", gettext_noop("Missing")),
        ("commune", gettext_noop("Same commune")),
        ("province", gettext_noop("Same province")),
        ("different", gettext_noop("Different province")),
    ],
    "national_id": [
        ("missing", gettext_noop("Not comparable")),
        ("exact", gettext_noop("Same ID number")),
        ("near", gettext_noop("One or two digits apart")),
        ("different", gettext_noop("Different ID number")),
    ],
    "phone": [
        ("missing", gettext_noop("Missing")),
        ("shared", gettext_noop("Share a phone")),
        ("none_shared", gettext_noop("No phone in common")),
    ],
}
COMPARISONS = list(LEVELS)
FIELD_LABELS: dict[str, Promise] = {
    "name": gettext_lazy("Name"),
    "birth": gettext_lazy("Birth date"),
    "sex": gettext_lazy("Sex"),
    "place": gettext_lazy("Address"),
    "national_id": gettext_lazy("ID number"),
    "phone": gettext_lazy("Phone"),
}


def field_label(name: str) -> str:
    """A comparison's field as an official reads it, in the active language (the code itself when unknown)."""
    label = FIELD_LABELS.get(name)
    return str(label) if label is not None else name


def level_label(name: str, level: str) -> str:
    """A comparison level (by its code) as an official reads it, in the active language."""
    for code, label in LEVELS.get(name, ()):
        if code == level:
            return str(Text(label, {}))  # marked with gettext_noop above, translated now
    return level


LINKABLE_NAME_LEVELS = frozenset({1, 2, 3, 4})  # exact … folded: a match may be linked without an official


def _fold_word(word: str) -> str:
    word = _WORD_FOLDS.get(word, word)
    for old, new in _INITIAL_FOLDS:
        if word.startswith(old) and not (old == "gi" and word == "gi"):
            word = new + word[len(old) :]
            break
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiouy":
        word = word[:-1] + "i"
    return word


@functools.lru_cache(maxsize=262144)
def name_features(raw: str) -> tuple[str, str, str, str, str, str]:
    """(display name, key, core, folded, given, family) of a name as written; Telex typed with the IME off is read."""
    display = normalize_name(raw)
    key = name_key(telex_to_unicode(display))
    words = key.split()
    if not words:
        return "", "", "", "", "", ""
    # Văn/Thị dropped wherever they stand (the given name may come first), unless the name would be too short
    core_words = [w for w in words if w not in MIDDLE_WORDS] if len(words) > 2 else words
    if len(core_words) < 2:
        core_words = words
    family = FAMILY_ALIASES.get(words[0], words[0]) if len(words) > 1 else ""
    folded = sorted(_fold_word(FAMILY_ALIASES.get(w, w)) for w in core_words)
    given = _fold_word(words[-1])
    return display, key, " ".join(sorted(core_words)), " ".join(folded), given, _fold_word(family)


def block_keys(
    raw_name: str, birth_date: dt.date | None, precision: str = "day", province_code: str = ""
) -> tuple[str, str]:
    """The two blocking keys of a person: (names, birth year, province) and (names, birth date).

    "Names" are the family and given name, folded, in either order. Candidates for a record are the persons
    sharing either key, a valid ID number or (few enough) a phone: a name variant or a wrong birth day is
    found in the same province, a move to another province with the same birth date. Nguyễn is 38% of family
    names, so names and year alone would make blocks of hundreds at a million persons.
    """
    _, _, _, _, given, family = name_features(raw_name)
    if not given:
        return "", ""
    names = " ".join(sorted(filter(None, (family, given))))
    year = str(birth_date.year) if birth_date else "?"
    birth = f"{names}|{birth_date.isoformat()}" if birth_date and precision == "day" else ""
    return f"{names}|{year}|{province_code or '?'}", birth


@dataclass(frozen=True, slots=True)
class MatchRecord:
    """The comparison-ready features of one person record."""

    name: str = ""
    key: str = ""
    core: str = ""
    folded: str = ""
    given: str = ""
    birth_date: dt.date | None = None
    precision: str = "day"
    sex: str = ""
    commune_code: str = ""
    province_code: str = ""
    cccd: str = ""
    cmnd: str = ""
    passport: str = ""
    phones: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(
        cls,
        *,
        full_name: str,
        birth_date: dt.date | None,
        precision: str = "day",
        sex: str = "",
        commune_code: str = "",
        province_code: str = "",
        ids: Iterable[tuple[str, str]] = (),
        phones: Iterable[str] = (),
    ) -> MatchRecord:
        """Features of a record; `ids` are (scheme, value) pairs already normalised and checked."""
        display, key, core, folded, given, _ = name_features(full_name)
        by_scheme: dict[str, str] = {}
        for scheme, value in ids:
            by_scheme.setdefault(scheme, value)
        return cls(
            name=display,
            key=key,
            core=core,
            folded=folded,
            given=given,
            birth_date=birth_date,
            precision=precision or "day",
            sex=sex if sex in ("M", "F") else "",
            commune_code=commune_code or "",
            province_code=province_code or "",
            cccd=by_scheme.get("CCCD", ""),
            cmnd=by_scheme.get("CMND", ""),
            passport=by_scheme.get("PASSPORT", ""),
            phones=frozenset(p for p in phones if p),
        )


def _swap(day: dt.date) -> dt.date | None:
    if day.day > 12 or day.day == day.month:
        return None
    try:
        return day.replace(day=day.month, month=day.day)
    except ValueError:
        return None


def compare(a: MatchRecord, b: MatchRecord) -> tuple[int, int, int, int, int, int]:
    """The level of each comparison (see LEVELS); the SQL of `sql_levels` says the same."""
    # name
    if not a.key or not b.key:
        name = 0
    elif a.name == b.name:
        name = 1
    elif a.key == b.key:
        name = 2
    elif a.core == b.core:
        name = 3
    elif a.folded == b.folded:
        name = 4
    elif a.given == b.given:
        name = 5
    elif Levenshtein.distance(a.given, b.given) == 1 and min(len(a.given), len(b.given)) >= 4:
        name = 6
    else:
        name = 7
    # birth date
    da, db = a.birth_date, b.birth_date
    if da is None or db is None:
        birth = 0
    elif a.precision == "day" and b.precision == "day":
        if da == db:
            birth = 1
        elif _swap(da) == db:
            birth = 3
        elif abs((da - db).days) <= 1 or (
            (da.month, da.day) == (db.month, db.day) and abs(da.year - db.year) == 1
        ):
            birth = 4
        elif da.year == db.year:
            birth = 5
        else:
            birth = 6
    elif da.year == db.year and ("year" in (a.precision, b.precision) or da.month == db.month):
        birth = 2
    elif da.year == db.year:
        birth = 5
    else:
        birth = 6
    sex = 0 if not a.sex or not b.sex else (1 if a.sex == b.sex else 2)
    if not a.province_code or not b.province_code:
        place = 0
    elif a.commune_code and a.commune_code == b.commune_code:
        place = 1
    else:
        place = 2 if a.province_code == b.province_code else 3
    # national ID: comparable only within one scheme
    if not ((a.cccd and b.cccd) or (a.cmnd and b.cmnd) or (a.passport and b.passport)):
        ident = 0
    elif (
        (a.cccd and a.cccd == b.cccd)
        or (a.cmnd and a.cmnd == b.cmnd)
        or (a.passport and a.passport == b.passport)
    ):
        ident = 1
    elif a.cccd and b.cccd and a.cccd[:6] == b.cccd[:6] and Levenshtein.distance(a.cccd, b.cccd) <= 2:
        ident = 2
    else:
        ident = 3
    phone = 0 if not a.phones or not b.phones else (1 if a.phones & b.phones else 2)
    return name, birth, sex, place, ident, phone


@dataclass(frozen=True)
class MatchModel:
    """Trained weights: log2(m/u) of every level, the prior, and where they came from."""

    version: str
    prior: float  # probability that two random records are the same person
    weights: dict[str, list[float]]
    m: dict[str, list[float | None]]
    u: dict[str, list[float | None]]
    trained: dict[str, Any]
    _table: tuple[tuple[float, ...], ...] = field(init=False, repr=False, compare=False)
    _prior: float = field(init=False, repr=False, compare=False)

    @property
    def prior_weight(self) -> float:
        return math.log2(self.prior / (1 - self.prior))

    def score(self, levels: tuple[int, ...]) -> float:
        """The match weight of a comparison vector: the prior plus each level's weight."""
        n, b, s, p, i, ph = levels
        w = self._table
        return self._prior + w[0][n] + w[1][b] + w[2][s] + w[3][p] + w[4][i] + w[5][ph]

    def __post_init__(self) -> None:
        # scoring runs for every candidate of every record: a tuple of tuples, read without name lookups
        object.__setattr__(self, "_table", tuple(tuple(self.weights[name]) for name in COMPARISONS))
        object.__setattr__(self, "_prior", self.prior_weight)

    @staticmethod
    def probability(weight: float) -> float:
        return 1 / (1 + 2**-weight)

    def explain(
        self, a: MatchRecord, b: MatchRecord, values_a: dict[str, str], values_b: dict[str, str]
    ) -> list[dict[str, Any]]:
        """Field by field: both values, the level and its weight (for the review page)."""
        levels = compare(a, b)
        return [
            {
                "field": name,
                "label": str(FIELD_LABELS[name]),
                "a": values_a.get(name, ""),
                "b": values_b.get(name, ""),
                "level": LEVELS[name][level][0],
                "level_label": level_label(name, LEVELS[name][level][0]),
                "weight": round(self.weights[name][level], 2),
            }
            for name, level in zip(COMPARISONS, levels, strict=True)
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "prior": self.prior,
            "m": self.m,
            "u": self.u,
            "trained": self.trained,
            "levels": {name: [code for code, _ in levels] for name, levels in LEVELS.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MatchModel:
        """A model from its file; refuses a file written for other levels than this code compares."""
        levels = {name: [code for code, _ in lv] for name, lv in LEVELS.items()}
        if data.get("levels") != levels:
            raise ValueError(
                "the match model was trained for other comparison levels; retrain it (sotiem linkage train)"
            )
        weights = {
            name: [_weight(name, m, u) for m, u in zip(data["m"][name], data["u"][name], strict=True)]
            for name in COMPARISONS
        }
        return cls(
            version=data["version"],
            prior=data["prior"],
            weights=weights,
            m=data["m"],
            u=data["u"],
            trained=data.get("trained", {}),
        )


def _weight(name: str, m: float | None, u: float | None) -> float:
    if m is None or u is None:
        return 0.0
    weight = max(math.log2(max(m, M_FLOOR) / max(u, 1e-9)), MIN_LEVEL_WEIGHT)
    return min(weight, PHONE_MAX_WEIGHT) if name == "phone" else weight


@functools.lru_cache(maxsize=4)
def load_model(path: str = "") -> MatchModel:
    """The match model in use (settings.SOTIEM_MATCH_MODEL_PATH, or the one shipped with sotiem)."""
    from django.conf import settings

    chosen = Path(path or settings.SOTIEM_MATCH_MODEL_PATH or MODEL_PATH)
    return MatchModel.from_json(json.loads(chosen.read_text(encoding="utf-8")))


# -- the same levels in SQL, for Splink (DuckDB and Spark) --------------------------------------------------------


def sql_levels() -> dict[str, list[str]]:
    """The SQL condition of each level (after level 0), over the feature columns of `feature_row`.

    Splink tests the levels in order, like `compare`; columns carry _l and _r suffixes.
    """
    both_day = "prec_l = 'day' AND prec_r = 'day'"
    return {
        "name": [
            "name_l = name_r",
            "key_l = key_r",
            "core_l = core_r",
            "folded_l = folded_r",
            "given_l = given_r",
            "levenshtein(given_l, given_r) = 1 AND least(length(given_l), length(given_r)) >= 4",
            "1 = 1",
        ],
        "birth": [
            f"{both_day} AND dn_l = dn_r",
            f"NOT ({both_day}) AND yr_l = yr_r AND (prec_l = 'year' OR prec_r = 'year' OR ym_l = ym_r)",
            f"{both_day} AND swap_dn_l = dn_r",
            f"{both_day} AND (abs(dn_l - dn_r) <= 1 OR (md_l = md_r AND abs(yr_l - yr_r) = 1))",
            "yr_l = yr_r",
            "1 = 1",
        ],
        "sex": ["sex_l = sex_r", "1 = 1"],
        "place": ["commune_l IS NOT NULL AND commune_l = commune_r", "province_l = province_r", "1 = 1"],
        "national_id": [
            "cccd_l = cccd_r OR cmnd_l = cmnd_r OR passport_l = passport_r",
            "cccd_l IS NOT NULL AND cccd_r IS NOT NULL AND substr(cccd_l, 1, 6) = substr(cccd_r, 1, 6) "
            "AND levenshtein(cccd_l, cccd_r) <= 2",
            "1 = 1",
        ],
    }  # the phone's "shared" level is an array intersection, written by Splink's own ArrayIntersectLevel


SQL_NULL = {
    "name": "key_l IS NULL OR key_r IS NULL",
    "birth": "dn_l IS NULL OR dn_r IS NULL",
    "sex": "sex_l IS NULL OR sex_r IS NULL",
    "place": "province_l IS NULL OR province_r IS NULL",
    "national_id": "NOT ((cccd_l IS NOT NULL AND cccd_r IS NOT NULL) OR (cmnd_l IS NOT NULL AND cmnd_r IS NOT NULL) "
    "OR (passport_l IS NOT NULL AND passport_r IS NOT NULL))",
    "phone": "phones_l IS NULL OR phones_r IS NULL",
}


def feature_row(uid: Any, r: MatchRecord) -> dict[str, Any]:
    """One row of the feature table Splink reads (None where a value is missing)."""
    d = r.birth_date
    swapped = _swap(d) if d is not None and r.precision == "day" else None
    keys = block_keys(r.name, d, r.precision, r.province_code) if r.name else ("", "")
    return {
        "unique_id": uid,
        "name": r.name or None,
        "key": r.key or None,
        "core": r.core or None,
        "folded": r.folded or None,
        "given": r.given or None,
        "dn": d.toordinal() if d else None,
        "prec": r.precision if d else None,
        "yr": d.year if d else None,
        "ym": f"{d.year}-{d.month:02d}" if d else None,
        "md": d.month * 100 + d.day if d else None,
        "swap_dn": swapped.toordinal() if swapped else None,
        "sex": r.sex or None,
        "commune": r.commune_code or None,
        "province": r.province_code or None,
        "cccd": r.cccd or None,
        "cmnd": r.cmnd or None,
        "passport": r.passport or None,
        "phones": sorted(r.phones) if r.phones else None,
        "block": keys[0] or None,
        "birth_block": keys[1] or None,
    }
