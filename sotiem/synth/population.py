"""Persons and households: names, birth dates, identifiers and phones, generated one household at a time."""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass

from . import tables
from .places import Geography

# Household mix (shares of households; sizes follow from the composition rules below).
GROUP_SHARE = 0.012
SINGLE_SHARE = 0.15
COUPLE_SHARE = 0.13
TWIN_RATE = 0.006  # per birth in a family
OWN_PHONE_GIVEN = 0.5
OWN_PHONE_BY_AGE = [(14, 0.0), (18, 0.6), (60, 0.97), (70, 0.8), (80, 0.55), (999, 0.3)]


@dataclass(slots=True)
class Person:
    index: int
    sex: str
    birth: int  # day ordinal
    age: int  # on tables.REFERENCE_DAY
    name: str
    commune: int
    household: int  # index of the household's first member
    ethnicity: str
    address: str
    birth_province: str = ""
    cccd: str = ""
    cmnd: str = ""
    bhyt: str = ""
    phone: str = ""  # national 10-digit form, "" if none
    household_phone: str = ""
    relationship: str = "self"
    group: bool = False  # registered through a group organiser's phone


class Namer:
    """Draws Kinh and minority names; one per process, built from the tables."""

    def __init__(self) -> None:
        self.surnames = {r: tables.surname_table(r) for r in ("north", "centre", "south")}
        self.given = {s: tables.given_table(s) for s in ("M", "F")}

    def surname(self, rng: random.Random, region: str) -> str:
        names, cum = self.surnames[region]
        return names[bisect(cum, rng.random() * cum[-1])]

    def given_name(self, rng: random.Random, sex: str, year: int) -> str:
        if year < 1980 and rng.random() < 0.5:
            return rng.choice(tables.OLDER_GIVEN[sex])
        names, cum = self.given[sex]
        return names[min(bisect(cum, rng.random() * cum[-1]), len(names) - 1)]

    def kinh(
        self, rng: random.Random, sex: str, year: int, surname: str, mother: str = "", given: str = ""
    ) -> str:
        given = given or self.given_name(rng, sex, year)
        r = rng.random()
        if r < tables.TWO_WORDS:
            return f"{surname} {given}"
        names, cum = tables.MIDDLE[(sex, tables.cohort(year))]
        middle = names[bisect(cum, rng.random() * cum[-1])]
        if mother and year >= 1990 and rng.random() < 0.06:
            middle = mother
        if r < tables.TWO_WORDS + tables.FOUR_WORDS[sex]:
            second = rng.choice(tables.SECOND_MIDDLE[sex])
            if second != given and second != middle and middle != "Văn":
                return f"{surname} {middle} {second} {given}"
        return f"{surname} {middle} {given}"

    def minority(self, rng: random.Random, pattern: str, sex: str, family: str) -> str:
        """A minority name; `family` is the household's surname or clan (Ê Đê clans come last)."""
        if pattern == "highlands":
            prefix = "Y" if sex == "M" else "H'"
            return f"{prefix} {rng.choice(tables.EDE_GIVEN[sex])} {family}"
        if pattern == "khmer":
            middle = "Thị " if sex == "F" and rng.random() < 0.6 else ""
            return f"{family} {middle}{rng.choice(tables.KHMER_GIVEN[sex])}"
        if family in tables.HMONG_SURNAMES:
            return f"{family} {rng.choice(tables.HMONG_MIDDLE[sex])} {rng.choice(tables.HMONG_GIVEN[sex])}"
        middle = "Văn" if sex == "M" else "Thị"
        given = (
            rng.choice(tables.NORTH_MINORITY_GIVEN[sex])
            if rng.random() < 0.4
            else self.given_name(rng, sex, 1970)
        )
        return f"{family} {middle} {given}"

    def minority_family(self, rng: random.Random, pattern: str) -> str:
        if pattern == "highlands":
            return rng.choice(tables.EDE_CLANS)
        if pattern == "khmer":
            return rng.choice(tables.KHMER_SURNAMES)
        if rng.random() < 0.3:
            return rng.choice(tables.HMONG_SURNAMES)
        return rng.choice(tables.NORTH_MINORITY_SURNAMES)


def _permute(value: int, modulus: int, a: int, b: int) -> int:
    """A bijection of [0, modulus) (a is odd and not a multiple of 5), so numbers built from indexes are unique."""
    return (a * value + b) % modulus


@dataclass(slots=True)
class PhoneBook:
    """Unique phone numbers: the 7-digit tail is a permutation of a global index; the prefix is weighted."""

    prefixes: list[str]
    cum: list[float]
    a: int
    b: int

    def number(self, rng: random.Random, index: int) -> str:
        prefix = self.prefixes[bisect(self.cum, rng.random() * self.cum[-1])]
        return f"{prefix}{_permute(index % 10_000_000, 10_000_000, self.a, self.b):07d}"


def _address(rng: random.Random, geo: Geography, commune: int) -> str:
    c = geo.communes[commune]
    region = tables.region(c.province_2021)
    if c.kind == "Phường" or (c.kind == "Thị trấn" and rng.random() < 0.5):
        street = rng.choice(tables.STREETS)
        r = rng.random()
        if r < 0.5:
            return f"Số {rng.randint(1, 350)} đường {street}"
        if r < 0.8:
            alley = "Hẻm" if region == "south" else "Ngõ"
            return f"{rng.randint(1, 300)}/{rng.randint(1, 80)} {alley} {rng.randint(2, 400)} {street}"
        return f"Tổ {rng.randint(1, 40)}, khu phố {rng.randint(1, 12)}"
    if c.province_2021 in tables.NORTH_MOUNTAINS and rng.random() < 0.5:
        return f"Bản {rng.choice(tables.VILLAGES)}"
    if c.province_2021 in tables.HIGHLANDS and rng.random() < 0.4:
        return f"Buôn {rng.choice(tables.VILLAGES)}"
    if region == "south":
        return f"Ấp {rng.choice(tables.VILLAGES) if rng.random() < 0.6 else rng.randint(1, 12)}"
    if rng.random() < 0.3:
        return f"Xóm {rng.randint(1, 15)}"
    return f"Thôn {rng.choice(tables.VILLAGES) if rng.random() < 0.6 else rng.randint(1, 12)}"


class PopulationMaker:
    """Makes the persons of one chunk: households of families, singles, couples and group registrations."""

    def __init__(
        self,
        geo: Geography,
        namer: Namer,
        phones: PhoneBook,
        id_keys: tuple[int, int, int, int],
        province_cum: tuple[list[str], list[float]],
        persons_total: int,
    ) -> None:
        self.geo = geo
        self.namer = namer
        self.phones = phones
        self.id_a, self.id_b, self.id_c, self.id_d = id_keys
        self.provinces, self.province_cum = province_cum
        self.persons_total = persons_total

    # -- households --------------------------------------------------------------------------------------

    def make(
        self, rng: random.Random, start: int, count: int, extra_phone_base: int
    ) -> tuple[list[Person], int]:
        """`count` persons with global indexes from `start`; returns them and the number of twin pairs."""
        people: list[Person] = []
        self._extra = extra_phone_base
        self._twins = 0
        geo = self.geo
        total = geo.active_cum[-1]
        while len(people) < count:
            commune = geo.active[min(bisect(geo.active_cum, rng.random() * total), len(geo.active) - 1)]
            province = geo.communes[commune].province_2021
            rate, pattern = tables.minority_rate(province)
            minority = pattern if rng.random() < rate else ""
            r = rng.random()
            if r < GROUP_SHARE:
                members = self._group(rng, province)
            elif r < GROUP_SHARE + SINGLE_SHARE:
                members = self._single(rng, province, minority)
            elif r < GROUP_SHARE + SINGLE_SHARE + COUPLE_SHARE:
                members = self._couple(rng, province, minority)
            else:
                members = self._family(rng, province, minority)
            members = members[: count - len(people)]
            self._settle(rng, people, members, start, commune, province, minority, r < GROUP_SHARE)
        return people, self._twins

    @staticmethod
    def _birth(rng: random.Random, age: int) -> int:
        return tables.REFERENCE_DAY - int((age + rng.random()) * 365.2425)

    def _year(self, age: int) -> int:
        return 2021 - age

    def _group(self, rng: random.Random, province: str) -> list[tuple[str, int, str, str]]:
        """5–30 unrelated persons registered through one organiser's phone (workers or elderly neighbours)."""
        size = rng.randint(5, 30)
        workers = rng.random() < 0.7
        region = tables.region(province)
        out = []
        for _ in range(size):
            sex = "M" if rng.random() < 0.5 else "F"
            age = (
                tables.age_between(rng.random(), 18, 50)
                if workers
                else tables.age_between(rng.random(), 60, 90)
            )
            birth = self._birth(rng, age)
            name = self.namer.kinh(rng, sex, self._year(age), self.namer.surname(rng, region))
            out.append((sex, birth, name, "member"))
        return out

    def _single(self, rng: random.Random, province: str, minority: str) -> list[tuple[str, int, str, str]]:
        sex = "M" if rng.random() < 0.5 else "F"
        age = (
            tables.age_between(rng.random(), 18, 40)
            if rng.random() < 0.75
            else tables.age_between(rng.random(), 65, 90)
        )
        return [self._member(rng, province, minority, sex, age, "", "head")]

    def _couple(self, rng: random.Random, province: str, minority: str) -> list[tuple[str, int, str, str]]:
        age = (
            tables.age_between(rng.random(), 22, 40)
            if rng.random() < 0.65
            else tables.age_between(rng.random(), 55, 85)
        )
        wife_age = max(18, min(tables.MAX_AGE, age - rng.randint(0, 6)))
        family = self._family_name(rng, province, minority)
        return [
            self._member(rng, province, minority, "M", age, family, "head"),
            self._member(rng, province, minority, "F", wife_age, "", "spouse"),
        ]

    def _family(self, rng: random.Random, province: str, minority: str) -> list[tuple[str, int, str, str]]:
        head_age = tables.age_between(rng.random(), 28, 70)
        head_sex = "M" if rng.random() < 0.8 else "F"
        family = self._family_name(rng, province, minority)
        members = []
        if head_sex == "M":
            father_name = family
            members.append(self._member(rng, province, minority, "M", head_age, family, "head"))
            mother_age = max(18, min(tables.MAX_AGE, head_age - rng.randint(0, 6)))
            mother_surname = self._family_name(rng, province, minority)
            if rng.random() < 0.88:
                members.append(
                    self._member(rng, province, minority, "F", mother_age, mother_surname, "spouse")
                )
        else:
            mother_age = head_age
            mother_surname = family
            members.append(self._member(rng, province, minority, "F", head_age, family, "head"))
            father_name = self._family_name(rng, province, minority)
            if rng.random() < 0.85:
                husband_age = min(tables.MAX_AGE, head_age + rng.randint(0, 6))
                members.append(self._member(rng, province, minority, "M", husband_age, father_name, "spouse"))
        child_family = (
            mother_surname if minority == "highlands" else father_name
        )  # Ê Đê clans are matrilineal
        if mother_age <= 55:
            n_children = rng.choices((0, 1, 2, 3, 4), (5, 25, 45, 18, 7))[0]
        else:
            n_children = rng.choices((0, 1, 2), (50, 40, 10))[0]
        hi = mother_age - 18
        lo = max(0, mother_age - 42)
        for _ in range(n_children):
            if len(members) >= 6 or hi < lo:
                break
            age = rng.randint(lo, hi)
            sex = "M" if rng.random() < 0.512 else "F"
            members.append(
                self._member(rng, province, minority, sex, age, child_family, "child", mother_surname)
            )
            _, birth, name, _ = members[-1]
            if rng.random() < TWIN_RATE and len(members) < 6:
                self._twins += 1
                twin_sex = sex if rng.random() < 0.6 else ("F" if sex == "M" else "M")
                parts = name.split(" ")
                for _attempt in range(10):
                    given = self.namer.given_name(rng, twin_sex, 2021 - age)
                    if given != parts[-1]:
                        break
                if minority:
                    twin = self._name(rng, province, minority, twin_sex, age, child_family, mother_surname)
                    if twin == name:
                        twin = f"{name} {given}"
                else:
                    # Same surname and middle names, different given name.
                    twin = " ".join([*parts[:-1], given])
                members.append((twin_sex, birth, twin, "child"))
        if head_age <= 60 and len(members) < 6 and rng.random() < 0.25:
            elder_age = head_age + rng.randint(22, 35)
            if elder_age <= tables.MAX_AGE:
                elder_family = family if head_sex == "M" else mother_surname
                members.append(("M" if rng.random() < 0.4 else "F", self._birth(rng, elder_age), "", "elder"))
                sex = members[-1][0]
                surname = elder_family if sex == "M" else self._family_name(rng, province, minority)
                members[-1] = (
                    sex,
                    members[-1][1],
                    self._name(rng, province, minority, sex, elder_age, surname),
                    "elder",
                )
        return members

    def _member(
        self,
        rng: random.Random,
        province: str,
        minority: str,
        sex: str,
        age: int,
        family: str,
        role: str,
        mother: str = "",
    ) -> tuple[str, int, str, str]:
        """One household member (sex, birth day, name, role); the birth is drawn before the name, as every seed
        has always drawn them."""
        return (
            sex,
            self._birth(rng, age),
            self._name(rng, province, minority, sex, age, family, mother),
            role,
        )

    def _family_name(self, rng: random.Random, province: str, minority: str) -> str:
        if minority:
            return self.namer.minority_family(rng, minority)
        return self.namer.surname(rng, tables.region(province))

    def _name(
        self,
        rng: random.Random,
        province: str,
        minority: str,
        sex: str,
        age: int,
        family: str,
        mother: str = "",
    ) -> str:
        if minority:
            return self.namer.minority(
                rng, minority, sex, family or self.namer.minority_family(rng, minority)
            )
        surname = family or self.namer.surname(rng, tables.region(province))
        return self.namer.kinh(rng, sex, 2021 - age, surname, mother)

    # -- identifiers and phones ----------------------------------------------------------------------------

    def _settle(
        self,
        rng: random.Random,
        people: list[Person],
        members: list[tuple[str, int, str, str]],
        start: int,
        commune: int,
        province: str,
        minority: str,
        group: bool,
    ) -> None:
        first = start + len(people)
        address = _address(rng, self.geo, commune)
        ethnicity = "minority" if minority else "kinh"
        household: list[Person] = []
        for sex, birth, name, _role in members:
            index = start + len(people)
            age = (tables.REFERENCE_DAY - birth) // 365
            person = Person(
                index,
                sex,
                birth,
                max(age, 0),
                name,
                commune,
                first,
                ethnicity,
                address if not group or rng.random() < 0.3 else _address(rng, self.geo, commune),
            )
            self._identify(rng, person, province)
            for limit, share in OWN_PHONE_BY_AGE:
                if age < limit:
                    if rng.random() < share or (group and not household and age >= 18):
                        person.phone = self.phones.number(rng, index)
                    break
            people.append(person)
            household.append(person)
        contact = next((p.phone for p in household if p.phone and p.age >= 18), "") or next(
            (p.phone for p in household if p.phone), ""
        )
        if not contact:
            contact = self.phones.number(rng, self.persons_total + self._extra)
            self._extra += 1
        for person in household:
            # Adults with a phone of their own gave it half of the time; the rest gave the family's phone.
            if person.phone and not group and person.age >= 18 and rng.random() < OWN_PHONE_GIVEN:
                person.household_phone = person.phone
                person.relationship = "self"
                continue
            person.household_phone = contact
            person.group = group
            if person.phone == contact:
                person.relationship = "self"
            elif group:
                person.relationship = "group_organiser"
            elif person.age < 18:
                person.relationship = "guardian"
            else:
                person.relationship = "relative"

    def _identify(self, rng: random.Random, person: Person, province: str) -> None:
        age = person.age
        year = _year_of(person.birth)
        stay = 0.92 if age < 15 else (0.6 if province in tables.MIGRANT_PROVINCES else 0.8)
        if rng.random() < stay:
            birth_province = province
        else:
            birth_province = self.provinces[bisect(self.province_cum, rng.random() * self.province_cum[-1])]
        person.birth_province = birth_province
        has_cccd = rng.random() < (0.80 if age < 14 else (0.95 if age < 70 else 0.85))
        if has_cccd:
            digit = (0 if year < 2000 else 2) + (1 if person.sex == "F" else 0)
            serial = _permute(person.index % 1_000_000, 1_000_000, self.id_a, self.id_b)
            person.cccd = f"0{birth_province}{digit}{year % 100:02d}{serial:06d}"
        if age >= 26 and rng.random() < (0.5 if has_cccd else 0.8):
            prefix = tables.CMND_PREFIX.get(province, province)
            width = 9 - len(prefix)
            tail = _permute(person.index % 10**width, 10**width, self.id_c, self.id_d)
            person.cmnd = f"{prefix}{tail:0{width}d}"
        if rng.random() < 0.30:
            if age < 6:
                group, level = "TE", 1
            elif age < 18:
                group, level = "HS", 4
            elif age < 23 and rng.random() < 0.3:
                group, level = "SV", 4
            elif age >= 60:
                group, level = rng.choice((("HT", 2), ("GD", 4), ("CN", 1), ("HT", 2)))
            else:
                group, level = rng.choice((("DN", 4), ("DN", 4), ("GD", 4), ("HC", 4), ("CN", 1)))
            number = _permute(person.index % 100_000_000, 100_000_000, self.id_c, self.id_b)
            person.bhyt = f"{group}{level}{province}{province}{number:08d}"


def _year_of(day: int) -> int:
    return tables.YEAR_OF[day - tables.FIRST_DAY]
