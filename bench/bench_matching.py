"""Matching benchmark at registry scale: online matching per record, and registry-wide deduplication.

    python -m bench.bench_matching [--persons 1000000] [--records 2000] [--db postgres]

A registry preloaded with a synthetic population (persons, their CCCDs and phones; setup, not measured, kept
as a template database for re-runs with --keep-template). Then:

- online matching: for each of N records as sites sent them (records.csv, entry errors included), the read-only
  part of identify_person — candidates (blocking key, ID, phone), their features, scoring and the decision —
  timed per record, one record at a time; baseline in the same run: issue 3's rule, one indexed lookup of the
  record's ID number;
- registry-wide deduplication: `linkage_run(apply=False)` over every person with Splink on DuckDB (reading the
  persons, building features, Splink's blocking and scoring, deciding); baseline: reading the same persons.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.report import psql

ROOT = Path(__file__).resolve().parent.parent


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


def child(persons: int, records: int, preload: bool) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sotiem.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.bench_import import _preload
    from sotiem.immunizations.ingest import prepare_records
    from sotiem.linkage.dedup import linkage_run, person_records
    from sotiem.people.identity import candidates_held, checked_ids, decide, record_of
    from sotiem.people.matching import load_model
    from sotiem.people.models import Identifier, Person
    from sotiem.places.selectors import unit_get, unit_index_warm

    synth = ROOT / "var" / "bench" / f"synth-{persons}"
    if preload:
        call_command("migrate", verbosity=0)
        return {"setup_seconds": _preload(synth, phones=True)}
    unit_index_warm()
    rows = []
    with open(synth / "records.csv", encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            if i % 97 == 0:  # spread over sites and dates
                rows.append(row)
            if len(rows) >= records:
                break
    items = []
    for prepared in prepare_records(rows):
        if prepared.person is not None:
            person = prepared.person
            if prepared.commune_id is not None:
                from dataclasses import replace

                person = replace(person, commune=unit_get(prepared.commune_id))
            items.append(person)
    model = load_model()
    for item in items[:50]:  # warm caches and connections
        ids = checked_ids(item)
        candidates_held([record_of(item, ids)], [ids])
    online, outcomes, candidates = [], {"link": 0, "review": 0, "new": 0}, []
    baseline = []
    for item in items:
        started = time.perf_counter()
        ids = checked_ids(item)
        record = record_of(item, ids)
        found, held = candidates_held([record], [ids])
        cands = list({held[pid].pk: held[pid] for pid in found[0] if pid in held}.values())
        decision = decide(record, cands, model)
        online.append(time.perf_counter() - started)
        outcomes[decision.outcome] += 1
        candidates.append(len(cands))
        started = time.perf_counter()
        if ids:
            list(
                Identifier.objects.filter(
                    scheme=ids[0][0], value=ids[0][1], active=True, validated=True
                ).values_list("person_id", flat=True)
            )
        baseline.append(time.perf_counter() - started)
    started = time.perf_counter()
    count = sum(1 for _ in person_records())
    read_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result = linkage_run(actor="bench", apply=False)
    dedup_seconds = time.perf_counter() - started
    return {
        "vendor": connection.vendor,
        "persons": Person.objects.count(),
        "records": len(items),
        "online_p50": _pct(online, 50),
        "online_p99": _pct(online, 99),
        "online_mean": statistics.mean(online) * 1000,
        "baseline_p50": _pct(baseline, 50),
        "baseline_p99": _pct(baseline, 99),
        "outcomes": outcomes,
        "candidates_mean": statistics.mean(candidates),
        "candidates_max": max(candidates),
        "dedup_seconds": dedup_seconds,
        "dedup_parts": result.seconds,
        "dedup_pairs": result.pairs_scored,
        "dedup_would_merge": result.merged,
        "dedup_would_queue": result.queued,
        "read_seconds": read_seconds,
        "read_persons": count,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=1000000)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--keep-template", action="store_true", help="reuse the preloaded template database")
    parser.add_argument("--child", choices=["preload", "measure"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = child(args.persons, args.records, preload=args.child == "preload")
        print("RESULT " + json.dumps(result))
        return
    synth = ROOT / "var" / "bench" / f"synth-{args.persons}"
    if not (synth / "summary.json").exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "sotiem",
                "synth",
                "--persons",
                str(args.persons),
                "--seed",
                "2021",
                "--out",
                str(synth),
            ],
            check=True,
            cwd=ROOT,
        )
    template = f"sotiem_bench_match_tpl_{args.persons}"
    work = f"sotiem_bench_match_{os.getpid()}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sotiem.settings", "PYTHONPATH": str(ROOT)}
    setup = None
    if not (args.keep_template and psql(f"SELECT 1 FROM pg_database WHERE datname = '{template}'").strip()):
        psql(f"DROP DATABASE IF EXISTS {template} WITH (FORCE)")
        psql(f"CREATE DATABASE {template}")
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.bench_matching",
                "--persons",
                str(args.persons),
                "--child",
                "preload",
            ],
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**env, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{template}"},
        ).stdout
        setup = json.loads(out.split("RESULT ", 1)[1])["setup_seconds"]
    psql(f"CREATE DATABASE {work} TEMPLATE {template}")
    try:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.bench_matching",
                "--persons",
                str(args.persons),
                "--records",
                str(args.records),
                "--child",
                "measure",
            ],
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**env, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{work}"},
        ).stdout
    finally:
        psql(f"DROP DATABASE IF EXISTS {work} WITH (FORCE)", check=False)
    r = json.loads(out.split("RESULT ", 1)[1])
    print(json.dumps(r, indent=1))
    _write(args, r, setup)


def _write(args: argparse.Namespace, r: dict, setup: float | None) -> None:
    from bench.report import write_section

    online_met = r["online_p99"] <= 5
    dedup_met = r["dedup_seconds"] <= 120
    parts = ", ".join(f"{k} {v:.1f} s" for k, v in r["dedup_parts"].items())
    body = "\n".join(
        [
            f"`python -m bench.bench_matching --persons {args.persons} --records {args.records}`: PostgreSQL "
            f"registry of {r['persons']:,} persons (synthetic population with CCCDs and phones, preloaded"
            f"{f' in {setup:.0f} s' if setup else ''}; setup, not measured).",
            "",
            "| measure | sotiem | baseline in the same run | ratio |",
            "|---|---:|---:|---:|",
            f"| online matching per record, p50 ms | {r['online_p50']:.2f} | {r['baseline_p50']:.2f} (ID lookup only) | "
            f"{r['online_p50'] / r['baseline_p50']:.1f}× |",
            f"| online matching per record, p99 ms | {r['online_p99']:.2f} | {r['baseline_p99']:.2f} | "
            f"{r['online_p99'] / r['baseline_p99']:.1f}× |",
            f"| registry-wide deduplication (DuckDB), s | {r['dedup_seconds']:.1f} | {r['read_seconds']:.1f} (reading "
            f"the persons) | {r['dedup_seconds'] / r['read_seconds']:.1f}× |",
            "",
            f"- Online: {r['records']:,} records from records.csv one at a time (candidates, their features, scoring, "
            f"decision; no write); outcomes {r['outcomes']}; candidates per record mean {r['candidates_mean']:.1f}, "
            f"max {r['candidates_max']}. Target p99 ≤ 5 ms: **{'met' if online_met else 'not met'}**.",
            f"- Deduplication of {r['read_persons']:,} persons: {parts}; {r['dedup_pairs']:,} pairs at or above the "
            f"review weight; would merge {r['dedup_would_merge']:,} and queue {r['dedup_would_queue']:,} (dry run). "
            f"Target ≤ 2 minutes: **{'met' if dedup_met else 'not met'}**.",
        ]
    )
    write_section("matching", "Matching at registry scale (online and registry-wide)", body)


if __name__ == "__main__":
    main()
