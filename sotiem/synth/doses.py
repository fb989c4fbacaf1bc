"""Who was vaccinated when, where and with what: primary series, missed appointments, boosters.

A dose is a tuple (dose_number, vaccine, day, site, series, lot, paper_backlog) and an appointment a tuple
(vaccine, dose_number, due_day, kept). Only administered doses are doses; an appointment that was not kept
stays an appointment.
"""

from __future__ import annotations

import random
from bisect import bisect
from itertools import accumulate

from . import tables
from .places import Geography
from .population import Person

END = tables.CAMPAIGN_END
MISS_SECOND = 0.08  # share of second appointments not kept
MISS_LATER = 0.05  # share of Abdala third appointments not kept
BOOSTER_UPTAKE = {"adult": 0.72, "adult_50": 0.82, "teen": 0.45}
FOURTH_UPTAKE = {"50+": 0.45, "under_50": 0.06}
# Share of a site's doses that stayed on paper, by site kind, scaled up during the Delta surge.
BACKLOG_BY_KIND = {"fixed": 0.05, "hospital": 0.16, "mobile": 0.14, "school": 0.055, "workplace": 0.085}
SURGE = (tables.dt.date(2021, 7, 1).toordinal(), tables.dt.date(2021, 10, 31).toordinal())
SURGE_FACTOR = 1.7
CALM_FACTOR = 0.55
_TWELVE = int(12 * 365.2425) + 1
_FIVE = int(5 * 365.2425) + 1
_EIGHTEEN = int(18 * 365.2425) + 1


def _years_after(day: int, years: int) -> int:
    """A day at or at most one day after the `years`-th birthday of someone born on `day`."""
    return day + {12: _TWELVE, 5: _FIVE, 18: _EIGHTEEN}[years]


class Vaccinator:
    """Draws each person's doses and appointments; one per process."""

    def __init__(self, geo: Geography, lots: dict[str, list[str]]) -> None:
        self.geo = geo
        self.lots = lots
        self.facts = tables.vaccine_facts()
        self.first_day: dict[str, tuple[list[int], list[float]]] = {}
        for programme, weights in tables.FIRST_DOSE_MONTH_WEIGHTS.items():
            days, w = [], []
            for i, (year, month) in enumerate(tables.MONTHS):
                first = tables.dt.date(year, month, 1).toordinal()
                nxt = tables.dt.date(year + month // 12, month % 12 + 1, 1).toordinal()
                for day in range(max(first, tables.PROGRAMME_START[programme]), min(nxt, END + 1)):
                    days.append(day)
                    w.append(weights[i] / (nxt - first))
            self.first_day[programme] = (days, list(accumulate(w)))
        self.mix_bounds = [bound for bound, _ in tables.VACCINE_MIX]
        self.mix_cum = [list(accumulate(weights)) for _, weights in tables.VACCINE_MIX]
        self.booster_cum = {
            name: list(accumulate(w))
            for name, w in (
                ("mrna", tables.MRNA_BOOSTER),
                ("other", tables.OTHER_BOOSTER),
                ("fourth", tables.FOURTH_BOOSTER),
            )
        }

    # -- helpers -------------------------------------------------------------------------------------------

    def _pick_day(self, rng: random.Random, programme: str) -> int:
        days, cum = self.first_day[programme]
        return days[min(bisect(cum, rng.random() * cum[-1]), len(days) - 1)]

    def _first_vaccine(self, rng: random.Random, day: int) -> str:
        cum = self.mix_cum[min(bisect(self.mix_bounds, day), len(self.mix_cum) - 1)]
        return tables.VACCINES[bisect(cum, rng.random() * cum[-1])]

    def _booster_vaccine(self, rng: random.Random, table: str) -> str:
        cum = self.booster_cum[table]
        return tables.VACCINES[bisect(cum, rng.random() * cum[-1])]

    def _interval(self, rng: random.Random, vaccine: str, day: int, province: str, young: bool) -> int:
        if vaccine == "AZ":
            if (
                province in tables.EARLY_PROVINCES
                and day + 42 >= tables.AZ_SHORTER_FROM
                and rng.random() < 0.5
            ):
                return rng.randint(42, 56)
            return rng.randint(56, 84)
        if vaccine == "PFIZER":
            return rng.randint(21, 28) if young else 21 + min(int(rng.expovariate(0.2)), 21)
        if vaccine == "MODERNA":
            return 28 + min(int(rng.expovariate(0.2)), 21)
        if vaccine in ("VEROCELL", "HAYATVAX"):
            return rng.randint(21, 28) if rng.random() < 0.9 else rng.randint(29, 42)
        if vaccine == "SPUTNIK_V":
            return rng.randint(21, 30)
        return rng.randint(14, 16)  # Abdala: days 0, 14, 28

    def _site(self, rng: random.Random, person: Person, young: bool, previous: int) -> int:
        if previous >= 0 and rng.random() < 0.6:
            return previous
        geo = self.geo
        commune = person.commune
        kinds = geo.by_province[geo.communes[commune].province_2021]
        r = rng.random()
        if young:
            if r < 0.75:
                school = geo.school_of.get(commune)
                return school if school is not None else rng.choice(kinds["school"])
            if r < 0.95 or "hospital" not in kinds:
                return geo.fixed_of[commune]
            return rng.choice(kinds["hospital"])
        if r < 0.55:
            return geo.fixed_of[commune]
        if r < 0.70 and "mobile" in kinds:
            return rng.choice(kinds["mobile"])
        if r < 0.82 and "hospital" in kinds:
            return rng.choice(kinds["hospital"])
        if r < 0.94 and 18 <= person.age < 60 and "workplace" in kinds:
            return rng.choice(kinds["workplace"])
        return geo.fixed_of[commune]

    def _snap(self, site: int, day: int, person: Person) -> tuple[int, int]:
        """The first session day of `site` on or after `day`; past the campaign, the home commune's station."""
        s = self.geo.sites[site]
        if s.period == 1:
            return site, day + 1 if day % 7 == 0 else day
        snapped = day + (s.offset - day) % s.period
        if snapped % 7 == 0:
            snapped += s.period
        fixed = self.geo.fixed_of[person.commune]
        if snapped > END and site != fixed:
            return self._snap(fixed, day, person)
        return site, snapped

    def _dose(self, rng: random.Random, number: int, vaccine: str, day: int, site: int, series: str) -> tuple:
        month = (
            (tables.YEAR_OF[day - tables.FIRST_DAY] - 2021) * 12 + tables.MONTH_OF[day - tables.FIRST_DAY] - 3
        )
        lot = self.lots[vaccine][month * 3 + rng.randrange(3)]
        kind = self.geo.sites[site].kind
        p = BACKLOG_BY_KIND[kind] * (SURGE_FACTOR if SURGE[0] <= day <= SURGE[1] else CALM_FACTOR)
        return (number, vaccine, day, site, series, lot, 1 if rng.random() < p else 0)

    def _attend(
        self,
        rng: random.Random,
        person: Person,
        site: int,
        due: int,
        delay: int,
        product: str,
        number: int,
        series: str,
        doses: list[tuple],
        appointments: list[tuple],
    ) -> tuple[int, int] | None:
        """Go for dose `number` `delay` days after it is due, at `site`'s next session: records the appointment
        (kept or missed) and the dose; returns the (site, day) given, or None when no session is left before the
        campaign ends."""
        site, day = self._snap(site, due + delay, person)
        if day > END:
            appointments.append((product, number, due, 0))
            return None
        appointments.append((product, number, due, 1))
        doses.append(self._dose(rng, number, product, day, site, series))
        return site, day

    # -- the model -----------------------------------------------------------------------------------------

    def run(self, rng: random.Random, person: Person, anchor: tuple | None = None) -> tuple[list, list]:
        """Doses and appointments of one person; `anchor` (site, day) is a group's shared first session."""
        birth = person.birth
        adult_from = _years_after(birth, 18)
        teen_from = _years_after(birth, 12)
        child_from = _years_after(birth, 5)
        if adult_from <= tables.PROGRAMME_START["teen"]:
            programme = "adult"
            uptake = 0.75 if person.age >= 80 else 0.87
            eligible_from = adult_from
        elif teen_from <= END - 60:
            programme, uptake, eligible_from = "teen", 0.9, teen_from
        elif child_from <= END - 60:
            programme, uptake, eligible_from = "child", 0.6, child_from
        else:
            return [], []
        if rng.random() >= uptake:
            return [], []
        young = programme != "adult"
        province = self.geo.communes[person.commune].province_2021
        doses: list[tuple] = []
        appointments: list[tuple] = []

        if anchor is not None and not young and anchor[1] >= eligible_from:
            site, day = anchor
            vaccine = self._first_vaccine(rng, day)
        else:
            table = (
                "adult_early" if programme == "adult" and province in tables.EARLY_PROVINCES else programme
            )
            day = max(self._pick_day(rng, table), eligible_from)
            if young:
                vaccine = "PFIZER" if rng.random() < (0.92 if programme == "teen" else 0.75) else "MODERNA"
            else:
                vaccine = self._first_vaccine(rng, day)
            site = self._site(rng, person, young, -1)
            site, day = self._snap(site, day, person)
        primary_doses, _min_interval, approved = self.facts[vaccine]
        if day < approved + 7:
            site, day = self._snap(site, approved + 7 + rng.randint(0, 20), person)
        if day > END:
            return [], []
        doses.append(self._dose(rng, 1, vaccine, day, site, "primary"))

        # Primary series.
        complete = primary_doses == 1
        for number in range(2, primary_doses + 1):
            due = day + self._interval(rng, vaccine, day, province, young)
            if due > END:
                break
            product = vaccine
            if (
                vaccine == "AZ"
                and due >= tables.dt.date(2021, 8, 1).toordinal()
                and rng.random() < 0.15
                or vaccine == "MODERNA"
                and due >= tables.dt.date(2021, 9, 1).toordinal()
                and rng.random() < 0.05
            ):
                product = "PFIZER"
            elif (
                vaccine == "PFIZER"
                and not young
                and due >= tables.dt.date(2021, 9, 1).toordinal()
                and rng.random() < 0.03
            ):
                product = "MODERNA"
            if rng.random() < (MISS_SECOND if number == 2 else MISS_LATER):
                appointments.append((product, number, due, 0))
                break
            delay = 0 if rng.random() < 0.6 else rng.randint(1, 10)
            next_site = self._site(rng, person, young, site)
            kept = self._attend(
                rng, person, next_site, due, delay, product, number, "primary", doses, appointments
            )
            if kept is None:
                break
            site, day = kept
            complete = number == primary_doses
        if not complete or programme == "child":
            return doses, appointments

        # Booster (mũi 3), then mũi 4 for older adults.
        if programme == "teen":
            due = max(day + 150, tables.TEEN_BOOSTER_START)
            uptake = BOOSTER_UPTAKE["teen"]
            product = "PFIZER"
        else:
            due = min(max(day + 183, tables.BOOSTER_START), max(day + 90, tables.BOOSTER_SHORTER_FROM))
            uptake = BOOSTER_UPTAKE["adult_50" if person.age >= 49 else "adult"]
            product = self._booster_vaccine(rng, "mrna" if vaccine in ("PFIZER", "MODERNA") else "other")
        for booster in (1, 2):
            due += int(rng.expovariate(1 / 20))
            if due > END:
                break
            number = len(doses) + 1
            if rng.random() >= uptake:
                if rng.random() < 0.5:
                    appointments.append((product, number, due, 0))
                break
            next_site = self._site(
                rng, person, young, site
            )  # drawn before the delay here, as seeds always have
            delay = 0 if rng.random() < 0.6 else rng.randint(1, 14)
            kept = self._attend(
                rng, person, next_site, due, delay, product, number, "booster", doses, appointments
            )
            if kept is None:
                break
            site, day = kept
            if booster == 2 or programme != "adult":
                break
            due = max(day + 122, tables.FOURTH_START)
            uptake = FOURTH_UPTAKE["50+" if person.age >= 49 else "under_50"]
            product = self._booster_vaccine(rng, "fourth")
        return doses, appointments
