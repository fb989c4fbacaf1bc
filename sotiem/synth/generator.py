"""The synthetic population generator: persons, doses, sites, sessions and the records sites send, with truth.

`generate()` is a pure function of (persons, seed, provinces): the same arguments give byte-identical files.
Persons are made in fixed-size chunks, each from its own random stream derived from the seed, so the output
does not depend on how many worker processes run the chunks. See docs/synth.md for the files and the model.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import random
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sotiem.lib.i18n import _
from sotiem.lib.records import FIELDS

from . import records as rec
from . import tables
from .doses import Vaccinator
from .places import Geography, build_geography, session_place
from .population import Namer, PhoneBook, PopulationMaker

GENERATOR_VERSION = "1.0"
CHUNK_SIZE = 20_000
TALLY_MISCOUNT = 0.02
SEX_WORDS = {"M": "Nam", "F": "Nữ"}  # share of sessions whose paper tally is off by one

PERSON_COLUMNS = [
    "person_key",
    "full_name",
    "sex",
    "birth_date",
    "cccd",
    "cmnd",
    "bhyt",
    "phone",
    "household_id",
    "household_phone",
    "relationship",
    "province_2021",
    "commune_2021",
    "province_2025",
    "commune_2025",
    "address",
    "ethnicity",
    "birth_province",
]
DOSE_COLUMNS = [
    "dose_key",
    "person_key",
    "vaccine",
    "dose_number",
    "administered_on",
    "site_code",
    "session_key",
    "lot_number",
    "paper_backlog",
    "series",
]
APPOINTMENT_COLUMNS = ["person_key", "vaccine", "dose_number", "due_on", "kept"]
RECORD_COLUMNS = list(FIELDS)  # records.csv and backlog.csv: the dose record contract's fields, in order
TRUTH_RECORD_COLUMNS = ["record_id", "dose_key", "person_key", "source", "errors"]
SITE_COLUMNS = ["site_code", "name", "kind", "province", "commune"]
SESSION_COLUMNS = ["session_key", "site_code", "date", "commune", "place_text"]
TALLY_COLUMNS = ["site_code", "session_key", "date", "doses_tallied"]
CHUNK_FILES = {
    "truth_persons.csv": PERSON_COLUMNS,
    "truth_doses.csv": DOSE_COLUMNS,
    "appointments.csv": APPOINTMENT_COLUMNS,
    "records.csv": RECORD_COLUMNS,
    "backlog.csv": RECORD_COLUMNS,
    "truth_records.csv": TRUTH_RECORD_COLUMNS,
}


@dataclass(frozen=True)
class Summary:
    """What one run produced; the same counts are in summary.json."""

    out: Path
    seed: int
    persons: int
    households: int
    shared_phone_share: float
    twin_pairs: int
    doses: int
    appointments: int
    missed_appointments: int
    records: int
    backlog_records: int
    backlog_share: float
    clean_record_share: float
    errors_by_kind: dict[str, int]
    sites: int
    sessions: int
    provinces: list[str]
    seconds: float = field(compare=False)


@dataclass
class _Context:
    """Everything a chunk needs; built once per run, inherited by worker processes."""

    seed: int
    persons: int
    geo: Geography
    maker: PopulationMaker
    vaccinator: Vaccinator
    records: rec.RecordMaker
    backlog_styles: dict[str, tuple]
    parts: Path


_CTX: _Context | None = None


def _province_list(provinces: list[str] | None) -> list[str]:
    if not provinces:
        return sorted(tables.PROVINCE_POPULATION)
    chosen = sorted({p.strip().zfill(2) for p in provinces if p.strip()})
    unknown = [p for p in chosen if p not in tables.PROVINCE_POPULATION]
    if unknown:
        raise ValueError(_("Unknown 2021 province codes: %(codes)s", codes=", ".join(unknown)))
    return chosen


def _build_context(persons: int, seed: int, provinces: list[str], parts: Path) -> _Context:
    rng = random.Random(f"sotiem-synth/{GENERATOR_VERSION}/{seed}/places")
    geo = build_geography(rng, persons, provinces)
    for site in geo.sites:
        site.style = rec.site_style(rng)
    backlog_styles = {p: rec.site_style(rng) for p in sorted({s.province_2025 for s in geo.sites})}

    def odd_key() -> int:  # a multiplier coprime with 10, for index permutations
        return rng.choice((1, 3, 7, 9)) + 10 * rng.randrange(10**5)

    phones = PhoneBook(*tables.phone_prefix_table(), odd_key(), rng.randrange(10**7))
    id_keys = (odd_key(), rng.randrange(10**6), odd_key(), rng.randrange(10**7))
    weights = [tables.PROVINCE_POPULATION[p] for p in sorted(tables.PROVINCE_POPULATION)]
    cum = []
    running = 0.0
    for w in weights:
        running += w
        cum.append(running)
    maker = PopulationMaker(geo, Namer(), phones, id_keys, (sorted(tables.PROVINCE_POPULATION), cum), persons)
    lots = {
        v: [fmt.format(rng.randrange(10_000)) for _ in range(3 * len(tables.MONTHS))]
        for v, fmt in tables.LOT_FORMATS.items()
    }
    return _Context(
        seed, persons, geo, maker, Vaccinator(geo, lots), rec.RecordMaker(geo), backlog_styles, parts
    )


def _e164(number: str) -> str:
    return "+84" + number[1:] if number else ""


def _run_chunk(chunk: int) -> dict:
    """Generate chunk `chunk` and write its part files; return its counts and sessions."""
    ctx = _CTX
    assert ctx is not None
    rng = random.Random(f"sotiem-synth/{GENERATOR_VERSION}/{ctx.seed}/chunk/{chunk}")
    start = chunk * CHUNK_SIZE
    count = min(CHUNK_SIZE, ctx.persons - start)
    people, twins = ctx.maker.make(rng, start, count, start)
    geo = ctx.geo
    sites = geo.sites
    communes = geo.communes
    iso = tables.ISO
    first_day = tables.FIRST_DAY
    person_rows, dose_rows, appointment_rows = [], [], []
    pending = []  # (day, site, person, dose, backlog)
    sessions: Counter = Counter()
    phone_use: Counter = Counter(p.household_phone for p in people)
    anchors: dict[int, tuple[int, int]] = {}
    households = 0
    missed = 0
    for person in people:
        key = f"P{person.index:08d}"
        if person.household == person.index:
            households += 1
        c = communes[person.commune]
        person_rows.append(
            (
                key,
                person.name,
                person.sex,
                iso[person.birth - first_day],
                person.cccd,
                person.cmnd,
                person.bhyt,
                _e164(person.phone),
                f"H{person.household:08d}",
                _e164(person.household_phone),
                person.relationship,
                c.province_2021,
                c.code_2021,
                c.province_2025,
                c.code_2025,
                person.address,
                person.ethnicity,
                person.birth_province,
            )
        )
        # A group organiser books one session for the whole group.
        anchor = anchors.get(person.household) if person.group else None
        doses, appointments = ctx.vaccinator.run(rng, person, anchor)
        if doses and person.group and anchor is None:
            anchors[person.household] = (doses[0][3], doses[0][2])
        for number, vaccine, day, site, series, lot, backlog in doses:
            s = sites[site]
            day_iso = iso[day - first_day]
            session = f"{s.code}-{day_iso.replace('-', '')}"
            sessions[(site, day)] += 1
            dose_key = f"D{person.index:08d}-{number}"
            dose_rows.append((dose_key, key, vaccine, number, day_iso, s.code, session, lot, backlog, series))
            pending.append((day, site, person.index, number, backlog, person, vaccine, lot, dose_key, key))
        for vaccine, number, due, kept in appointments:
            appointment_rows.append((key, vaccine, number, iso[due - first_day], kept))
            missed += 1 - kept
    shared = sum(1 for p in people if phone_use[p.household_phone] > 1)

    # Records, in the order a site would send them (by day), numbered per site within the chunk.
    pending.sort(key=lambda t: (t[0], t[1], t[2], t[3]))
    site_rows: list[Any] = []
    backlog_rows: list[Any] = []
    truth_rows: list[Any] = []
    seq: Counter = Counter()
    errors_by_kind: Counter = Counter()
    clean = 0
    maker = ctx.records
    batch = chunk + 1
    for day, site, _index, number, backlog, person, vaccine, lot, dose_key, key in pending:
        s = sites[site]
        if backlog:
            style = ctx.backlog_styles[s.province_2025]
            seq[s.province_2025] += 1
            record_id = f"BL{s.province_2025}-{batch:03d}-{seq[s.province_2025]:05d}"
            factor = rec.BACKLOG_FACTOR
        else:
            style = s.style
            seq[site] += 1
            record_id = f"{s.code}-{batch:03d}-{seq[site]:05d}"
            factor = 1.0
        place_style, sex_codes, phone_style, common_names, vero = style
        errors: list[str] = []
        name = maker.name(rng, person.name, factor, errors)
        birth = maker.birth_date(rng, person.birth, factor, errors)
        national_id = maker.national_id(rng, person, factor, errors)
        phone = maker.phone(rng, person, phone_style, factor, errors)
        province, commune = maker.place(person.commune, place_style)
        address = person.address.translate(maker.ascii) if place_style == 1 else person.address
        sex = person.sex if sex_codes else SEX_WORDS[person.sex]
        if common_names:
            names = tables.COMMON_NAMES[vaccine]
            vaccine_text = names[vero % len(names)]
        else:
            vaccine_text = vaccine
        row = (
            record_id,
            name,
            birth,
            sex,
            national_id,
            phone,
            province,
            commune,
            address,
            vaccine_text,
            number,
            tables.DMY[day - tables.FIRST_DAY],
            s.code,
            lot,
        )
        (backlog_rows if backlog else site_rows).append(row)
        truth_rows.append((record_id, dose_key, key, "backlog" if backlog else "site", ";".join(errors)))
        if errors:
            errors_by_kind.update(errors)
        else:
            clean += 1

    outputs: dict[str, list[Any]] = {
        "truth_persons.csv": person_rows,
        "truth_doses.csv": dose_rows,
        "appointments.csv": appointment_rows,
        "records.csv": site_rows,
        "backlog.csv": backlog_rows,
        "truth_records.csv": truth_rows,
    }
    for name, rows in outputs.items():
        with open(ctx.parts / f"{name}.{chunk:05d}", "w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
    return {
        "chunk": chunk,
        "persons": len(people),
        "households": households,
        "shared": shared,
        "twins": twins,
        "doses": len(dose_rows),
        "appointments": len(appointment_rows),
        "missed": missed,
        "backlog": len(backlog_rows),
        "clean": clean,
        "errors": dict(errors_by_kind),
        "sessions": dict(sessions),
    }


def _pool_map(workers: int, chunks: int):
    if workers <= 1 or chunks <= 1:
        return map(_run_chunk, range(chunks)), None
    methods = multiprocessing.get_all_start_methods()
    mp = multiprocessing.get_context("fork" if "fork" in methods else None)
    pool = mp.Pool(processes=min(workers, chunks), initializer=_set_context, initargs=(_CTX,))
    return pool.imap(_run_chunk, range(chunks)), pool


def _set_context(ctx: _Context) -> None:
    global _CTX
    _CTX = ctx


def generate(
    *,
    persons: int,
    seed: int,
    out: Path,
    provinces: list[str] | None = None,
    progress: bool = False,
    workers: int | None = None,
) -> Summary:
    """Write a synthetic population with its doses, records and ground truth into `out`; return the counts.

    `workers` (default: up to 2 processes) changes only the speed, never the files.
    """
    if persons < 1:
        raise ValueError(_("The number of persons must be at least 1"))
    started = time.perf_counter()
    chosen = _province_list(provinces)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    parts = out / ".parts"
    shutil.rmtree(parts, ignore_errors=True)
    parts.mkdir()
    ctx = _build_context(persons, seed, chosen, parts)
    _set_context(ctx)
    chunks = (persons + CHUNK_SIZE - 1) // CHUNK_SIZE
    if workers is None:
        workers = min(2, os.cpu_count() or 1)

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=persons, unit="person", file=sys.stderr, desc="synth")
    finals = {name: open(out / name, "wb") for name in CHUNK_FILES}  # noqa: SIM115 - closed below
    totals: Counter = Counter()
    errors_by_kind: Counter = Counter()
    sessions: Counter = Counter()
    results, pool = _pool_map(workers, chunks)
    try:
        for name, columns in CHUNK_FILES.items():
            finals[name].write((",".join(columns) + "\n").encode())
        for result in results:
            chunk = result["chunk"]
            for name in CHUNK_FILES:
                part = parts / f"{name}.{chunk:05d}"
                with open(part, "rb") as part_fh:
                    shutil.copyfileobj(part_fh, finals[name], 1 << 20)
                part.unlink()
            for k in (
                "persons",
                "households",
                "shared",
                "twins",
                "doses",
                "appointments",
                "missed",
                "backlog",
                "clean",
            ):
                totals[k] += result[k]
            errors_by_kind.update(result["errors"])
            sessions.update(result["sessions"])
            if bar is not None:
                bar.update(result["persons"])
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        for fh in finals.values():
            fh.close()
        if bar is not None:
            bar.close()
    shutil.rmtree(parts, ignore_errors=True)

    n_sessions = _write_sites_sessions_tallies(ctx, out, sessions, seed)
    doses = totals["doses"]
    summary = Summary(
        out=out,
        seed=seed,
        persons=totals["persons"],
        households=totals["households"],
        shared_phone_share=round(totals["shared"] / max(totals["persons"], 1), 4),
        twin_pairs=totals["twins"],
        doses=doses,
        appointments=totals["appointments"],
        missed_appointments=totals["missed"],
        records=doses,
        backlog_records=totals["backlog"],
        backlog_share=round(totals["backlog"] / max(doses, 1), 4),
        clean_record_share=round(totals["clean"] / max(doses, 1), 4),
        errors_by_kind={k: errors_by_kind.get(k, 0) for k in rec.ERROR_KINDS},
        sites=len(ctx.geo.sites),
        sessions=n_sessions,
        provinces=chosen,
        seconds=round(time.perf_counter() - started, 2),
    )
    _write_summary(out, summary)
    return summary


def _write_sites_sessions_tallies(ctx: _Context, out: Path, sessions: Counter, seed: int) -> int:
    geo = ctx.geo
    communes = geo.communes
    with open(out / "sites.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(SITE_COLUMNS)
        w.writerows(
            (s.code, s.name, s.kind, s.province_2025, communes[s.commune].code_2025) for s in geo.sites
        )
    rng = random.Random(f"sotiem-synth/{GENERATOR_VERSION}/{seed}/tallies")
    keys = sorted(sessions)
    with (
        open(out / "sessions.csv", "w", encoding="utf-8", newline="") as fs,
        open(out / "tallies.csv", "w", encoding="utf-8", newline="") as ft,
    ):
        ws = csv.writer(fs, lineterminator="\n")
        wt = csv.writer(ft, lineterminator="\n")
        ws.writerow(SESSION_COLUMNS)
        wt.writerow(TALLY_COLUMNS)
        session_rows, tally_rows = [], []
        for site_index, day in keys:
            site = geo.sites[site_index]
            day_iso = tables.ISO[day - tables.FIRST_DAY]
            key = f"{site.code}-{day_iso.replace('-', '')}"
            commune, place = session_place(geo, site, day)
            session_rows.append((key, site.code, day_iso, communes[commune].code_2025, place))
            count = sessions[(site_index, day)]
            if rng.random() < TALLY_MISCOUNT:
                count = count + 1 if count == 1 or rng.random() < 0.5 else count - 1
            tally_rows.append((site.code, key, day_iso, count))
            if len(session_rows) >= 100_000:
                ws.writerows(session_rows)
                wt.writerows(tally_rows)
                session_rows, tally_rows = [], []
        ws.writerows(session_rows)
        wt.writerows(tally_rows)
    return len(keys)


def _write_summary(out: Path, summary: Summary) -> None:
    data = {
        "generator_version": GENERATOR_VERSION,
        "seed": summary.seed,
        "parameters": {
            "persons": summary.persons,
            "provinces": summary.provinces,
            "chunk_size": CHUNK_SIZE,
            "error_rates": rec.ERROR_RATES,
            "backlog_error_factor": rec.BACKLOG_FACTOR,
            "tally_miscount_share": TALLY_MISCOUNT,
        },
        "counts": {
            "persons": summary.persons,
            "households": summary.households,
            "shared_phone_share": summary.shared_phone_share,
            "twin_pairs": summary.twin_pairs,
            "doses": summary.doses,
            "appointments": summary.appointments,
            "missed_appointments": summary.missed_appointments,
            "records": summary.records,
            "backlog_records": summary.backlog_records,
            "backlog_share": summary.backlog_share,
            "clean_record_share": summary.clean_record_share,
            "sites": summary.sites,
            "sessions": summary.sessions,
        },
        "records_with_error": summary.errors_by_kind,
    }
    (out / "summary.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
