"""The vaccination status engine: which of a person's doses count, and what that makes them.

Pure Python (no database, no Django), so it can be run over the whole registry in worker processes. The input
is the person's doses as `DoseFact`s and the catalogue as `VaccineRule`s; the output is a `Status` that says
which doses count (and as what: primary dose 2 of 2, booster 1, with the EU DCC dn/sd), which do not and why,
in the reader's language (messages of sotiem.lib.i18n, translated when read), so that an official or a citizen
can see exactly why a certificate says what it says.

The rules are Vietnam's COVID-19 rules in sotiem/lib/data/covid_dose_rules_vn.csv (R1-R13); the schedules
(doses in the primary series, minimum intervals) come from the catalogue. The 2021 failure this guards
against: a man given one dose was shown as fully vaccinated. So only administered, valid doses count; a
disputed or voided dose never counts, and a series is complete only when it holds its full number of counted
doses.

How each dose is judged, in date order (then public_id, so the result never depends on input order):

1. Not counted if voided or disputed ("voided", "disputed", with the dose's reason), dated after `on`
   ("future"), of a vaccine missing from the rules ("unknown_vaccine"), or on the same day as a dose that
   already counts ("same_day": a second dose on one day is never a real second dose; it is almost always
   the same dose recorded twice, e.g. by the site app and a backlog spreadsheet).
2. The first remaining dose starts the primary series of its product; the series needs that product's
   `primary_doses` (Janssen 1, Abdala 3, the rest 2).
3. Each further primary dose must be of the same product family (R1; Vero Cell and Hayat-Vax are both
   BBIBP-CorV) or an allowed mix: AZ then Pfizer (R2), Moderna and Pfizer either way (R3). Otherwise
   "mix_not_allowed" naming R2 after AZ, R1 otherwise. It must also come at least the minimum interval after
   the previous counted dose; for a mixed pair the longer of the two products' minimums (AZ then Pfizer: 28
   days), as for mixed mRNA series elsewhere. Otherwise "too_early" (a later dose can still complete the
   series). No grace days: the catalogue minimum already is the floor.
4. Complete when the series holds its number of doses: `complete_on` is the last one's date, `valid_from` 14
   days later (R13). `state` is "complete" from `complete_on`; `valid_from` (and `fully_vaccinated_on()`)
   say when it takes effect, so a certificate can show both.
5. Doses after a complete series are boosters. Booster 1: same product family as the primary series, or
   mRNA, or AstraZeneca (R7/R8), at least 6 calendar months after the last primary dose if given before
   2022-03-01 (R7), at least 3 months from then on (R8). Booster 2 and later: mRNA or AstraZeneca, at least 4
   months after the previous booster (R10 names only the 4th dose; later boosters follow the same rule, an
   extrapolation). Months are calendar months, clamped at month end (31 Aug + 6 months = 28/29 Feb).
6. Restarting: if the first series never completes but a dose refused for mixing begins a series of its own
   that does complete (Vero Cell, then Pfizer, then Pfizer), that series counts and the earlier doses are
   "superseded". A person with two correctly spaced Pfizer doses has a Pfizer primary course whatever came
   before. With only Vero Cell then Pfizer, neither series is complete and the person stays partial with
   Vero Cell dose 1 counted (R1). Two products recorded on one day during the primary series are tried the
   same way (one of the two records is wrong; the dose that follows shows which).

Not handled, because the engine is not given the facts they need: the additional dose for immunocompromised
people (R6, >= 28 days after the primary series) and post-infection timing (R11). Such a dose is reported
as a too-early booster, and its message says an official must record an R6 dose. Doses are not checked
against a vaccine's approval date or the date a rule took effect: that is the job of ingestion's quality
flags.

EU DCC: `dcc_vaccination()` gives the `v` entry for the latest counted dose. Boosters follow the later eHN
guidance, dn = sd = doses so far (after 2 primary doses booster 1 is 3/3; after Janssen it is 2/2, not the
older 2/1; after Abdala 4/4). Codes come from data/dcc_vaccines.json, checked against value sets 2.12.0.
A partial series gets an entry too (dn 1, sd 2); whether to issue a certificate for it is the caller's choice.

Speed: one pass over the doses with precomputed rules; no regex, no Django; messages are built only for doses
that do not count, and only a failed first series is ever evaluated again. Results are named tuples (a frozen
dataclass sets each field through object.__setattr__, which alone cost ~3 us a Status). Measured on the
shared 2-core development machine: ~3 us for one dose, ~4.2 us for two, ~5.5 us for three, ~7 us for four.
The engine reads only DoseFact's attributes, so any object with them (a named tuple, a row) will do.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from operator import attrgetter
from typing import Any, NamedTuple

from sotiem.lib.i18n import Text, _

__all__ = [
    "REASON_CODES",
    "STATES",
    "CountedDose",
    "DoseFact",
    "NotCounted",
    "Status",
    "VaccineRule",
    "dcc_vaccination",
    "rules_from_catalogue",
    "vaccination_status",
]

STATES = ("none", "partial", "complete", "booster")
REASON_CODES = frozenset(
    {
        "voided",
        "disputed",
        "unknown_status",
        "future",
        "unknown_vaccine",
        "same_day",
        "too_early",
        "mix_not_allowed",
        "superseded",
    }
)
LABELS = {
    "none": _("Not vaccinated"),
    "partial": _("Partially vaccinated"),
    "complete": _("Primary series complete"),
    "booster": _("Booster received"),
}
MRNA = "mRNA"
VALIDITY_DELAY = timedelta(days=14)  # R13: 'tiêm đủ liều' counts 14 days after the last primary dose
BOOSTER_3_MONTHS_FROM = date(2022, 3, 1)  # R8 shortened R7's 6 months to 3

# Products that are one product under different names or fill sites; everything else is its own family.
# A catalogue row may carry its own "product_family" instead.
PRODUCT_FAMILIES = {"VEROCELL": "BBIBP-CorV", "HAYATVAX": "BBIBP-CorV"}
# Dose 1 product -> later primary dose product allowed although of another family, with the rule allowing it.
PRIMARY_MIXES = {("AZ", "PFIZER"): "R2", ("MODERNA", "PFIZER"): "R3", ("PFIZER", "MODERNA"): "R3"}
# Boosters of any platform-independent product allowed besides mRNA (R7, R8, R10).
BOOSTER_PRODUCTS = frozenset({"AZ"})


# -- inputs -----------------------------------------------------------------------------------------------


class DoseFact(NamedTuple):
    """One recorded administration as the engine sees it: nothing about the person, nothing from the database.

    A NamedTuple (immutable like a frozen dataclass, made ~4x faster: a million are read per reissue of all)."""

    public_id: str
    vaccine_code: str
    administered_on: date
    status: str  # "valid" | "voided" | "disputed"
    reason: str = ""  # why it was voided or disputed


@dataclass(frozen=True, slots=True)
class VaccineRule:
    """What the engine needs to know of one catalogue vaccine."""

    code: str
    name: str
    primary_doses: int
    min_interval_days: int  # 0 when the catalogue has none (single-dose products)
    product_family: str  # same family = same product for R1 (Vero Cell and Hayat-Vax are both BBIBP-CorV)
    platform: str  # "mRNA", "viral vector", "inactivated", "protein subunit" (or the catalogue's own words)
    eu_product_code: str = ""  # the catalogue's EU DCC product code, if it has one


def _platform(raw: str) -> str:
    """The catalogue's platform words reduced to the four kinds the rules talk about."""
    low = raw.strip().lower()
    if low == "mrna":
        return MRNA
    if "vector" in low:
        return "viral vector"
    if "inactivated" in low:
        return "inactivated"
    if "protein" in low or "subunit" in low:
        return "protein subunit"
    return raw.strip()


def _rules(rows: Iterable[Mapping[str, Any]]) -> dict[str, VaccineRule]:
    rules = {}
    for row in rows:
        code = row["code"]
        rules[code] = VaccineRule(
            code=code,
            name=row.get("name") or code,
            primary_doses=int(row.get("primary_doses") or 1),
            min_interval_days=int(row.get("min_interval_days") or 0),
            product_family=row.get("product_family") or PRODUCT_FAMILIES.get(code, code),
            platform=_platform(row.get("platform") or ""),
            eu_product_code=row.get("eu_product_code") or "",
        )
    return rules


@functools.cache
def _catalogue_rules() -> dict[str, VaccineRule]:
    from sotiem.immunizations.catalogue import catalogue_rows  # lazily: callers with their own rows need none

    return _rules(catalogue_rows())


def rules_from_catalogue(rows: Iterable[Mapping[str, Any]] | None = None) -> dict[str, VaccineRule]:
    """The rules keyed by vaccine code, from `rows` or from the catalogue (read once per process)."""
    if rows is None:
        return dict(_catalogue_rules())  # a copy: the cached one is shared
    return _rules(rows)


# -- outputs ----------------------------------------------------------------------------------------------


class CountedDose(NamedTuple):
    """A dose that counts, and as what."""

    public_id: str
    vaccine_code: str
    administered_on: date
    role: str  # "primary" | "booster"
    number: int  # its place within the role: primary 2 (of 2), booster 1
    of: int | None  # primary doses required; None for a booster
    dn: int  # EU DCC dose number
    sd: int  # EU DCC total series of doses

    @property
    def label(self) -> str:
        """How a certificate numbers it: "2/2" for a primary dose, "Booster 1" (in the active language) for a
        booster."""
        if self.role == "primary":
            return f"{self.number}/{self.of}"
        return str(_("Booster %(number)s", number=self.number))


class NotCounted(NamedTuple):
    """A dose that does not count, and why, with the numbers that decided it."""

    public_id: str
    vaccine_code: str
    administered_on: date
    code: str  # one of REASON_CODES
    rule: str  # the rule applied ("R1", "R2", "R7", "R8", "R10", "R13") or ""
    message: Text  # why, read in the active language (str() it)


class Status(NamedTuple):
    """A person's vaccination status, and the part every dose played in it.

    A named tuple rather than a frozen dataclass: as immutable, and built four times faster (a frozen
    dataclass sets each of its 10 fields through object.__setattr__), which matters over 100M persons.
    """

    state: str  # one of STATES
    label: Text  # the state as people say it, read in the active language (str() it)
    primary_vaccine: str  # code of the primary series' first dose; "" when none counts
    primary_doses_required: int  # 0 when no dose counts
    primary_counted: int
    complete_on: date | None
    valid_from: date | None
    boosters: int
    counted: tuple[CountedDose, ...]
    not_counted: tuple[NotCounted, ...]

    def fully_vaccinated_on(self, day: date) -> bool:
        """Whether the primary series is complete and 14 days old on `day` (R13)."""
        return self.valid_from is not None and self.valid_from <= day

    def explain(self, rules: Mapping[str, VaccineRule] | None = None) -> list[str]:
        """One line per dose, in date order, in the active language; vaccine names come from `rules` if given."""

        def name(code: str) -> str:
            rule = rules.get(code) if rules else None
            return rule.name if rule else code

        items: list[CountedDose | NotCounted] = [*self.counted, *self.not_counted]
        items.sort(key=_ORDER)
        lines = []
        for item in items:
            day, vaccine = f"{item.administered_on:%d/%m/%Y}", name(item.vaccine_code)
            if isinstance(item, CountedDose):
                if item.role == "primary":
                    line = _(
                        "%(day)s %(vaccine)s: primary dose %(number)s of %(of)s",
                        day=day,
                        vaccine=vaccine,
                        number=item.number,
                        of=item.of,
                    )
                else:
                    line = _(
                        "%(day)s %(vaccine)s: booster %(number)s",
                        day=day,
                        vaccine=vaccine,
                        number=item.number,
                    )
            else:
                line = _(
                    "%(day)s %(vaccine)s: not counted: %(why)s", day=day, vaccine=vaccine, why=item.message
                )
            lines.append(str(line))
        return lines


# -- the engine -------------------------------------------------------------------------------------------

_ORDER = attrgetter("administered_on", "public_id")
_NO_RULE = VaccineRule(code="", name="", primary_doses=0, min_interval_days=0, product_family="", platform="")
_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later, clamped to the month's last day."""
    index = day.month - 1 + months
    year = day.year + index // 12
    month = index % 12 + 1
    dom = day.day
    if dom > 28:
        last = _DAYS_IN_MONTH[month]
        if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
            last = 29
        dom = min(dom, last)
    return date(year, month, dom)


def _day(day: date) -> Text:
    """A date as the reader writes it: 22/08/2021 in Vietnamese, 2021-08-22 in English (the catalogue decides)."""
    return _(
        "%(year)s-%(month)s-%(day)s", year=f"{day.year:04d}", month=f"{day.month:02d}", day=f"{day.day:02d}"
    )


def _refuse(fact: DoseFact, code: str, rule: str, message: Text) -> NotCounted:
    return NotCounted(fact.public_id, fact.vaccine_code, fact.administered_on, code, rule, message)


def _for_status(fact: DoseFact) -> NotCounted:
    """Why a dose that is not valid does not count."""
    why = fact.reason.strip()
    if fact.status == "voided":
        message = _("the dose was voided (%(reason)s)", reason=why) if why else _("the dose was voided")
        return _refuse(fact, "voided", "", message)
    if fact.status == "disputed":
        message = (
            _("the dose is disputed and counts only once an official confirms it (%(reason)s)", reason=why)
            if why
            else _("the dose is disputed and counts only once an official confirms it")
        )
        return _refuse(fact, "disputed", "", message)
    return _refuse(fact, "unknown_status", "", _("unknown dose status %(status)s", status=repr(fact.status)))


def _primary_mix(fact: DoseFact, number: int, first: VaccineRule, rule: VaccineRule) -> NotCounted:
    if first.code == "AZ":
        rid, why = "R2", _("after a first dose of AstraZeneca only AstraZeneca or Pfizer may follow")
    else:
        rid, why = (
            "R1",
            _(
                "every primary dose must be the same product as dose 1, except AstraZeneca then Pfizer (R2) "
                "and Moderna with Pfizer (R3)"
            ),
        )
    message = _(
        "dose %(number)s of %(vaccine)s after dose 1 of %(first)s is not an allowed combination "
        "(%(rule)s: %(why)s)",
        number=number,
        vaccine=rule.name,
        first=first.name,
        rule=rid,
        why=why,
    )
    return _refuse(fact, "mix_not_allowed", rid, message)


def _booster_mix(fact: DoseFact, number: int, first: VaccineRule, rule: VaccineRule) -> NotCounted:
    if number == 1:
        rid, why = "R7", _("only the primary series' product, an mRNA vaccine or AstraZeneca")
    else:
        rid, why = "R10", _("only an mRNA vaccine (Pfizer, Moderna) or AstraZeneca")
    message = _(
        "%(vaccine)s is not allowed as booster %(number)s after a %(first)s primary series (%(rule)s: %(why)s)",
        vaccine=rule.name,
        number=number,
        first=first.name,
        rule=rid,
        why=why,
    )
    return _refuse(fact, "mix_not_allowed", rid, message)


def _booster_early(
    fact: DoseFact, number: int, months: int, base: date, earliest: date, rid: str
) -> NotCounted:
    gap = (fact.administered_on - base).days
    values = {
        "number": number,
        "months": months,
        "base": _day(base),
        "earliest": _day(earliest),
        "gap": gap,
        "rule": rid,
    }
    if number > 1:
        message = _(
            "booster %(number)s must come at least %(months)s months after the previous booster (%(base)s), "
            "that is from %(earliest)s; this one came after %(gap)s days (%(rule)s)",
            **values,
        )
    elif gap >= 28:
        message = _(
            "booster %(number)s must come at least %(months)s months after the last primary dose (%(base)s), "
            "that is from %(earliest)s; this one came after %(gap)s days (%(rule)s); if it was an additional "
            "dose for an immunocompromised person (R6), an official must record it",
            **values,
        )
    else:
        message = _(
            "booster %(number)s must come at least %(months)s months after the last primary dose (%(base)s), "
            "that is from %(earliest)s; this one came after %(gap)s days (%(rule)s)",
            **values,
        )
    return _refuse(fact, "too_early", rid, message)


def _evaluate(
    facts: list[DoseFact], rules: Mapping[str, VaccineRule], today: date, start: int
) -> tuple[Status, list[int]]:
    """One pass over the dated doses; doses before index `start` are superseded by a series starting there."""
    counted: list[CountedDose] = []
    refused: list[NotCounted] = []
    restarts: list[int] = []  # doses refused for mixing while the first series was incomplete
    first = prev = _NO_RULE  # the series' dose 1 and the latest counted dose
    prev_day = date.min
    required = n_primary = n_booster = 0
    complete_on: date | None = None
    for index, fact in enumerate(facts):
        if fact.status != "valid":
            refused.append(_for_status(fact))
            continue
        day = fact.administered_on
        if day > today:
            refused.append(
                _refuse(
                    fact,
                    "future",
                    "",
                    _("dated %(day)s, after today (%(today)s)", day=_day(day), today=_day(today)),
                )
            )
            continue
        rule = rules.get(fact.vaccine_code)
        if rule is None:
            refused.append(
                _refuse(
                    fact,
                    "unknown_vaccine",
                    "",
                    _("vaccine %(vaccine)s is not in the catalogue", vaccine=fact.vaccine_code),
                )
            )
            continue
        if index < start:
            new = facts[start]
            new_name = rules[new.vaccine_code].name
            refused.append(
                _refuse(
                    fact,
                    "superseded",
                    "",
                    _(
                        "part of an earlier primary series that was never completed; the %(vaccine)s series "
                        "started on %(day)s is complete and counts instead",
                        vaccine=new_name,
                        day=_day(new.administered_on),
                    ),
                )
            )
            continue
        if day == prev_day:
            if complete_on is None and rule.product_family != prev.product_family:
                restarts.append(index)  # two products on one day: one is a recording error; try either
            other = counted[-1].vaccine_code
            refused.append(
                _refuse(
                    fact,
                    "same_day",
                    "",
                    _(
                        "another dose (%(other)s) already counts on the same day; only one dose a day counts and "
                        "this one is probably recorded twice",
                        other=other,
                    ),
                )
            )
            continue

        if not counted:  # dose 1 starts the series of its product
            first = prev = rule
            prev_day = day
            required = rule.primary_doses
            n_primary = 1
            counted.append(
                CountedDose(fact.public_id, fact.vaccine_code, day, "primary", 1, required, 1, required)
            )
            if required == 1:
                complete_on = day
            continue

        if complete_on is None:  # a further primary dose
            number = n_primary + 1
            if rule.product_family != first.product_family and (first.code, rule.code) not in PRIMARY_MIXES:
                refused.append(_primary_mix(fact, number, first, rule))
                restarts.append(index)
                continue
            need = max(prev.min_interval_days, rule.min_interval_days)
            gap = (day - prev_day).days
            if gap < need:
                earliest = prev_day + timedelta(days=need)
                refused.append(
                    _refuse(
                        fact,
                        "too_early",
                        "",
                        _(
                            "dose %(number)s came %(gap)s days after the previous dose; at least %(need)s days are "
                            "needed (earliest %(earliest)s)",
                            number=number,
                            gap=gap,
                            need=need,
                            earliest=_day(earliest),
                        ),
                    )
                )
                continue
            n_primary = number
            prev, prev_day = rule, day
            counted.append(
                CountedDose(
                    fact.public_id, fact.vaccine_code, day, "primary", number, required, number, required
                )
            )
            if number == required:
                complete_on = day
            continue

        number = n_booster + 1  # after a complete series: a booster
        if number == 1:
            allowed = (
                rule.platform == MRNA
                or rule.code in BOOSTER_PRODUCTS
                or rule.product_family == first.product_family
                or rule.product_family == prev.product_family
            )
            months, rid = (6, "R7") if day < BOOSTER_3_MONTHS_FROM else (3, "R8")
        else:
            allowed = rule.platform == MRNA or rule.code in BOOSTER_PRODUCTS
            months, rid = 4, "R10"
        if not allowed:
            refused.append(_booster_mix(fact, number, first, rule))
            continue
        earliest = _add_months(prev_day, months)
        if day < earliest:
            refused.append(_booster_early(fact, number, months, prev_day, earliest, rid))
            continue
        n_booster = number
        prev, prev_day = rule, day
        dn = required + number
        counted.append(CountedDose(fact.public_id, fact.vaccine_code, day, "booster", number, None, dn, dn))

    if not counted:
        state = "none"
    elif complete_on is None:
        state = "partial"
    else:
        state = "booster" if n_booster else "complete"
    status = Status(
        state=state,
        label=LABELS[state],
        primary_vaccine=first.code,
        primary_doses_required=required,
        primary_counted=n_primary,
        complete_on=complete_on,
        valid_from=complete_on + VALIDITY_DELAY if complete_on else None,
        boosters=n_booster,
        counted=tuple(counted),
        not_counted=tuple(refused),
    )
    return status, restarts


def vaccination_status(
    doses: Iterable[DoseFact], rules: Mapping[str, VaccineRule], *, on: date | None = None
) -> Status:
    """The status a person's doses give on `on` (today by default); see the module docstring for the rules."""
    facts = sorted(doses, key=_ORDER)
    today = on if on is not None else date.today()
    status, restarts = _evaluate(facts, rules, today, 0)
    if status.complete_on is None:
        for start in restarts:
            alternative, _ = _evaluate(facts, rules, today, start)
            if alternative.complete_on is not None:
                return alternative
    return status


# -- EU DCC -----------------------------------------------------------------------------------------------


class _DccCodes(NamedTuple):
    tg: str
    products: dict[str, tuple[str, str]]  # mp -> (ma, vp)
    vaccines: dict[str, str]  # catalogue code -> mp


@functools.cache
def _dcc_codes() -> _DccCodes:
    text = (
        resources.files("sotiem.certificates")
        .joinpath("data", "dcc_vaccines.json")
        .read_text(encoding="utf-8")
    )
    data = json.loads(text)
    return _DccCodes(
        tg=data["tg"]["code"],
        products={mp: (p["ma"], p["vp"]) for mp, p in data["products"].items()},
        vaccines={code: v["mp"] for code, v in data["vaccines"].items()},
    )


def dcc_vaccination(
    status: Status, fact_for_last: DoseFact | None, rules: Mapping[str, VaccineRule]
) -> dict[str, Any] | None:
    """The EU DCC 1.3 `v` entry (tg, vp, mp, ma, dn, sd, dt) for the latest counted dose; None if none counts.

    `fact_for_last`, if given, must be that dose (a guard against pairing a status with the wrong person's
    dose). co, is and ci are the caller's. The product is the catalogue's eu_product_code when the data file
    knows how to encode it, else the data file's code for the vaccine. A partial series gives an entry too
    (dn 1, sd 2): whether to issue a certificate for it is the caller's decision (Vietnam's passport, R14,
    needs a primary course). Raises LookupError for a counted vaccine with no DCC code: a data error to fix,
    not a certificate to issue without a product.
    """
    if not status.counted:
        return None
    last = status.counted[-1]
    if fact_for_last is not None and fact_for_last.public_id != last.public_id:
        raise ValueError(f"dose {fact_for_last.public_id} is not the latest counted dose ({last.public_id})")
    codes = _dcc_codes()
    rule = rules.get(last.vaccine_code)
    mp = rule.eu_product_code if rule is not None else ""
    if mp not in codes.products:
        mp = codes.vaccines.get(last.vaccine_code, "")
    if mp not in codes.products:
        raise LookupError(
            f"no EU DCC product code for vaccine {last.vaccine_code!r} (data/dcc_vaccines.json)"
        )
    ma, vp = codes.products[mp]
    return {
        "tg": codes.tg,
        "vp": vp,
        "mp": mp,
        "ma": ma,
        "dn": last.dn,
        "sd": last.sd,
        "dt": last.administered_on.isoformat(),
    }
