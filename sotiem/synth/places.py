"""Communes of both eras and vaccination sites for the synthetic population.

The administrative units come from the offline data files of the `vietnamadminunits` package: its SQLite
database (2021-era `admin_units_legacy`, 2025-era `admin_units`) and its 2021→2025 ward mapping
(`converter_2025.json`). The files are read directly; the package's converter is never called, because it may
geocode over the network.
"""

from __future__ import annotations

import json
import math
import random
import sqlite3
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

from sotiem.lib import domain

from . import tables


@dataclass(slots=True)
class Commune:
    province_2021: str
    district: str  # district full name, e.g. "Quận Ba Đình"
    district_code: str
    code_2021: str
    name: str  # full name, e.g. "Phường Phúc Xá"
    short: str
    kind: str  # Phường / Xã / Thị trấn
    province_2025: str
    code_2025: str
    name_2025: str


@dataclass(slots=True)
class Site:
    code: str
    name: str
    kind: str  # fixed, hospital, mobile, school, workplace
    province_2021: str
    province_2025: str
    commune: int  # index into the commune list (home commune of the site)
    place: str  # where a fixed site vaccinates
    period: int  # a site vaccinates every `period` days from `offset`, never on Sunday (hospitals: daily)
    offset: int
    visits: list[int] = field(default_factory=list)  # communes a mobile team visits
    style: tuple = ()  # how this site's software writes records (see records.py)


def _data_dir() -> Path:
    spec = find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the vietnamadminunits package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def load_communes() -> list[Commune]:
    """Every 2021-era commune with its 2025-era commune (the default new ward when the old ward was split)."""
    data = _data_dir()
    mapping = json.loads((data / "converter_2025.json").read_text(encoding="utf-8"))
    new_of_old: dict[str, tuple[str, str]] = {}
    for new_province, wards in mapping["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward, olds in wards.items():
            for old in olds:
                new_of_old[old] = (new_province, new_ward)
    for new_province, olds in mapping["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, options in olds.items():
            default = next((o for o in options if o["isDefaultNewWard"]), options[0])
            new_of_old[old] = (new_province, default["newWardKey"])

    db = sqlite3.connect(f"file:{data / 'dataset.db'}?mode=ro", uri=True)
    try:
        new_units = {
            (r[0], r[1]): (r[2], r[3], r[4])
            for r in db.execute("SELECT provinceKey, wardKey, provinceCode, wardCode, ward FROM admin_units")
        }
        rows = db.execute(
            "SELECT provinceKey, districtKey, wardKey, provinceCode, district, districtCode, wardCode, ward,"
            " wardShort, wardType FROM admin_units_legacy WHERE wardCode IS NOT NULL ORDER BY wardCode"
        ).fetchall()
    finally:
        db.close()
    communes = []
    for pkey, dkey, wkey, pcode, district, dcode, wcode, ward, short, kind in rows:
        new = new_of_old.get(f"{pkey}_{dkey}_{wkey}")
        if new is None or new not in new_units:
            continue
        p2025, c2025, name2025 = new_units[new]
        communes.append(
            Commune(pcode, district, dcode, wcode, ward, short, kind or "Xã", p2025, c2025, name2025)
        )
    return communes


@dataclass(slots=True)
class Geography:
    communes: list[Commune]
    active: list[int]  # commune indexes that have residents
    active_cum: list[float]  # cumulative weights over `active`
    sites: list[Site]
    fixed_of: dict[int, int]  # commune -> its fixed site
    school_of: dict[int, int]  # commune -> a school site (some communes)
    by_province: dict[str, dict[str, list[int]]]  # 2021 province -> kind -> site indexes
    province_names: dict[str, str]  # 2021 GSO code -> short name ("Hồ Chí Minh")
    province_2025_names: dict[str, str]


PERSONS_PER_ACTIVE_COMMUNE = 150


def build_geography(rng: random.Random, persons: int, provinces: list[str]) -> Geography:
    """Choose the communes people live in and set up the sites that vaccinate them."""
    communes = load_communes()
    by_province: dict[str, list[int]] = {}
    for i, c in enumerate(communes):
        by_province.setdefault(c.province_2021, []).append(i)
    total_weight = sum(tables.PROVINCE_POPULATION[p] for p in provinces)
    active: list[int] = []
    weights: list[float] = []
    for p in provinces:
        share = tables.PROVINCE_POPULATION[p] / total_weight
        pool = by_province[p]
        n = max(1, min(len(pool), math.ceil(persons * share / PERSONS_PER_ACTIVE_COMMUNE)))
        chosen = sorted(rng.sample(pool, n))
        # Urban wards are denser than rural communes.
        raw = [(2.5 if communes[i].kind == "Phường" else 1.0) * rng.uniform(0.5, 1.5) for i in chosen]
        scale = share / sum(raw)
        active += chosen
        weights += [w * scale for w in raw]
    cum = []
    running = 0.0
    for w in weights:
        running += w
        cum.append(running)

    names = {code: row["name_2021"] for code, row in domain.provinces_2021().items()}
    names_2025 = {code: row["name"] for code, row in domain.provinces_2025().items()}
    geo = Geography(communes, active, cum, [], {}, {}, {}, names, names_2025)
    _build_sites(rng, geo, provinces)
    return geo


def _build_sites(rng: random.Random, geo: Geography, provinces: list[str]) -> None:
    communes = geo.communes
    counters: dict[str, int] = {}
    active_by_province: dict[str, list[int]] = {}
    for i in geo.active:
        active_by_province.setdefault(communes[i].province_2021, []).append(i)

    def add(kind: str, name: str, commune: int, place: str, period: int = 1) -> int:
        c = communes[commune]
        counters[c.province_2025] = counters.get(c.province_2025, 0) + 1
        code = f"S{c.province_2025}-{counters[c.province_2025]:04d}"
        offset = rng.randrange(period)
        geo.sites.append(
            Site(code, name, kind, c.province_2021, c.province_2025, commune, place, period, offset)
        )
        index = len(geo.sites) - 1
        geo.by_province.setdefault(c.province_2021, {}).setdefault(kind, []).append(index)
        return index

    for p in provinces:
        mine = active_by_province.get(p, [])
        if not mine:
            continue
        province_name = geo.province_names[p]
        for i in mine:
            c = communes[i]
            # Commune health stations held vaccination days a few times a week.
            geo.fixed_of[i] = add(
                "fixed",
                f"Trạm Y tế {c.name}",
                i,
                f"Trạm Y tế {c.name}, {c.district}",
                rng.choice([2, 3, 3, 4]),
            )
        for n, i in enumerate(sorted(rng.sample(mine, max(1, len(mine) // 20 + 1)))):
            c = communes[i]
            if n == 0:
                name = f"Bệnh viện Đa khoa {province_name}"
            else:
                name = f"Trung tâm Y tế {c.district}" if n % 3 else f"Bệnh viện Đa khoa khu vực {c.short}"
            add("hospital", name, i, f"Khu khám bệnh, {name}")
        districts: dict[str, list[int]] = {}
        for i in mine:
            districts.setdefault(communes[i].district_code, []).append(i)
        for n, i in enumerate(sorted(rng.sample(mine, max(1, len(mine) // 12 + 1)))):
            c = communes[i]
            index = add(
                "mobile", f"Đội tiêm lưu động số {n + 1} – {c.district}", i, "", rng.choice([2, 3, 4, 5])
            )
            geo.sites[index].visits = districts[c.district_code]
        for i in mine:
            if rng.random() < 0.35:
                c = communes[i]
                level = rng.choice(["THCS", "THCS", "Tiểu học", "THPT"])
                school = f"Trường {level} {c.short}"
                geo.school_of[i] = add("school", school, i, school, rng.choice([3, 4, 5, 6, 8]))
        if not geo.by_province[p].get("school"):
            i = mine[0]
            geo.school_of[i] = add(
                "school", f"Trường THCS {communes[i].short}", i, f"Trường THCS {communes[i].short}", 4
            )
        n_work = len(mine) // 15 + 1 if p in tables.INDUSTRIAL_PROVINCES else len(mine) // 40
        for i in sorted(rng.sample(mine, min(n_work, len(mine)))):
            c = communes[i]
            name = f"Công ty TNHH {rng.choice(tables.WORKPLACE_TRADES)} {c.short}"
            add("workplace", name, i, name, rng.choice([3, 5, 6, 8, 10]))


def session_place(geo: Geography, site: Site, day: int) -> tuple[int, str]:
    """(commune index, place text) of a site's session on `day`: a pure function of the site and the day."""
    if site.kind in ("fixed", "hospital"):
        return site.commune, site.place
    h = (day * 2654435761 + site.offset * 40503 + site.commune) & 0xFFFFFFFF
    if site.kind == "mobile":
        commune = site.visits[h % len(site.visits)]
        c = geo.communes[commune]
        template = tables.MOBILE_PLACES[(h >> 8) % len(tables.MOBILE_PLACES)]
        place = template.format(
            n=(h >> 16) % 12 + 1, w=c.short, W=c.name, v=tables.VILLAGES[(h >> 12) % len(tables.VILLAGES)]
        )
        return commune, place
    templates = tables.SCHOOL_PLACES if site.kind == "school" else tables.WORKPLACE_PLACES
    return site.commune, templates[(h >> 8) % len(templates)].format(s=site.name)
