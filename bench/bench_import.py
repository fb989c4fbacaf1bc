"""Backlog import benchmark: N synthetic records imported into a registry that already holds M persons.

    python -m bench.bench_import [--persons 1000000] [--records 2000000] [--db sqlite,postgres]

For each database (each in its own process, with a fresh database): generate the synthetic population, load
its sites, preload the registry with the persons (setup, not measured: persons and their CCCDs written with
bulk inserts), then run `sotiem import` on the records as sites sent them (records.csv + backlog.csv, cut to
N) and time it end to end. Baseline, in the same run: the rows the import wrote (doses, persons, identifiers,
phones, sessions, audit events, inbox) written again into empty copies of the same tables with the same
indexes by PostgreSQL COPY or SQLite executemany — the floor for writing that much data.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import psql

ROOT = Path(__file__).resolve().parent.parent
TABLES = [
    "people_person",
    "people_identifier",
    "people_contactpoint",
    "places_sitesession",
    "immunizations_dose",
    "audit_auditevent",
    "immunizations_inboxbatch",
]


def child(db: str, persons: int, records: int, workdir: Path, stage: str = "all") -> dict:
    """Runs inside a fresh process whose DATABASE_URL / SOTIEM_VAR_DIR point at a fresh database.

    stage "preload" only loads the registry (for a template database), "import" only imports into a registry
    already loaded, "all" does both.
    """
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sotiem.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from sotiem.immunizations import imports as _imports

    import_run_execute, import_run_start = _imports.import_run_execute, _imports.import_run_start
    from sotiem.immunizations.ingest import Sender
    from sotiem.synth.generator import generate

    call_command("migrate", verbosity=0)
    synth = workdir / f"synth-{persons}"
    if not (synth / "summary.json").exists():
        generate(persons=persons, seed=2021, out=synth)

    setup_seconds = 0.0
    if stage != "import":
        setup_seconds = _preload(synth)
    if stage == "preload":
        return {"db": db, "setup_seconds": setup_seconds}

    backlog = workdir / f"backlog-{db}.csv"
    with open(backlog, "w", encoding="utf-8", newline="") as out:
        writer = None
        n = 0
        for name in ("backlog.csv", "records.csv"):
            with open(synth / name, encoding="utf-8") as fh:
                reader = csv.reader(fh)
                header = next(reader)
                if writer is None:
                    writer = csv.writer(out)
                    writer.writerow(header)
                for row in reader:
                    if n >= records:
                        break
                    writer.writerow(row)
                    n += 1
    before = {t: _count(connection, t) for t in TABLES}
    run = import_run_start(path=backlog, source="BENCH-BACKLOG")
    started = time.perf_counter()
    workers = max(1, (os.cpu_count() or 2) - 1)  # as `sotiem import` chooses
    run = import_run_execute(
        run=run, path=backlog, sender=Sender(source="BENCH-BACKLOG"), actor="bench", workers=workers
    )
    import_seconds = time.perf_counter() - started
    written = {t: _count(connection, t) - before[t] for t in TABLES}
    per_table: dict[str, float] = {}
    baseline_seconds = _baseline(connection, written, per_table)
    return {
        "db": db,
        "vendor": connection.vendor,
        "persons": persons,
        "records": n,
        "setup_seconds": setup_seconds,
        "import_seconds": import_seconds,
        "counts": run.counts,
        "rows_written": written,
        "baseline_seconds": baseline_seconds,
        "workers": workers,
        "baseline_per_table": {t: round(v, 1) for t, v in per_table.items()},
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _preload(synth: Path, phones: bool = False) -> float:
    """Load the population's sites, persons and CCCDs (and phones) with bulk inserts (setup, not measured); seconds."""
    from django.db import connection, transaction

    from sotiem.lib.names import name_key, normalize_name
    from sotiem.people.matching import block_keys
    from sotiem.people.models import ContactPoint, Identifier, Person
    from sotiem.places.models import AdminUnit
    from sotiem.places.selectors import codes_2025_of
    from sotiem.places.services import site_import_row

    started = time.perf_counter()
    with open(synth / "sites.csv", encoding="utf-8") as fh, transaction.atomic():
        for row in csv.DictReader(fh):
            site_import_row(values=row, actor="bench")
    units = {u.code: u for u in AdminUnit.objects.filter(era="2021", level="commune")}
    codes: dict[int, tuple[str, str]] = {}
    batch_p, batch_i = [], []

    def flush() -> None:
        with transaction.atomic():
            Person.objects.bulk_create(batch_p, batch_size=5000)
            Identifier.objects.bulk_create(
                [Identifier(person=p, scheme="CCCD", value=v, validated=True) for p, v, _, _ in batch_i if v],
                batch_size=5000,
            )
            if phones:  # the fuller registry of the matching bench: old ID cards and phones too
                Identifier.objects.bulk_create(
                    [
                        Identifier(person=p, scheme="CMND", value=c, validated=True)
                        for p, _, _, c in batch_i
                        if c
                    ],
                    batch_size=5000,
                )
                ContactPoint.objects.bulk_create(
                    [ContactPoint(person=p, phone=t, relationship="self") for p, _, t, _ in batch_i if t],
                    batch_size=5000,
                )
        batch_p.clear()
        batch_i.clear()

    with open(synth / "truth_persons.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            unit = units.get(row["commune_2021"])
            if unit is not None and unit.pk not in codes:
                codes[unit.pk] = codes_2025_of(unit)
            province, commune = codes.get(unit.pk, ("", "")) if unit else ("", "")
            name = normalize_name(row["full_name"])
            born = dt.date.fromisoformat(row["birth_date"])
            block, birth = block_keys(name, born, "day", province)
            person = Person(
                full_name=name,
                name_as_given=row["full_name"],
                name_key=name_key(name),
                block_key=block,
                birth_key=birth,
                birth_date=born,
                sex=row["sex"],
                commune=unit,
                province_code=province,
                commune_code=commune,
                address=row["address"],
            )
            batch_p.append(person)
            batch_i.append((person, row["cccd"], row["phone"] or row["household_phone"], row["cmnd"]))
            if len(batch_p) >= 20000:
                flush()
    flush()
    with connection.cursor() as cursor:  # fresh statistics, as a registry in service has (autovacuum's job)
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def _count(connection, table: str) -> int:  # type: ignore[no-untyped-def]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return int(cursor.fetchone()[0])


def _baseline(connection, written: dict[str, int], per_table: dict[str, float]) -> float:  # type: ignore[no-untyped-def]
    """Write the newest `written[t]` rows of each table again into an empty indexed copy; seconds of writing."""
    total = 0.0
    with connection.cursor() as cursor:
        raw = cursor.connection
        for table, count in written.items():
            if count <= 0:
                continue
            copy = f"{table}_benchcopy"
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TABLE IF EXISTS {copy}")
                cursor.execute(f"CREATE TABLE {copy} (LIKE {table} INCLUDING DEFAULTS INCLUDING INDEXES)")
                buffer = io.BytesIO()
                with raw.cursor().copy(
                    f"COPY (SELECT * FROM {table} ORDER BY id DESC LIMIT {count}) TO STDOUT"
                ) as cp:
                    for chunk in cp:
                        buffer.write(chunk)
                data = buffer.getvalue()
                started = time.perf_counter()
                with raw.cursor().copy(f"COPY {copy} FROM STDIN") as cp:
                    cp.write(data)
                raw.commit()
                per_table[table] = time.perf_counter() - started
                total += per_table[table]
                cursor.execute(f"DROP TABLE {copy}")
            else:
                schema = cursor.execute(
                    "SELECT sql FROM sqlite_master WHERE type='table' AND name=%s", [table]
                ).fetchone()[0]
                indexes = [
                    r[0]
                    for r in cursor.execute(
                        "SELECT sql FROM sqlite_master WHERE type='index' AND tbl_name=%s AND sql IS NOT NULL",
                        [table],
                    )
                ]
                cursor.execute(f"DROP TABLE IF EXISTS {copy}")
                cursor.execute(schema.replace(f'"{table}"', f'"{copy}"', 1))
                for sql in indexes:
                    sql = re.sub(r'INDEX "([^"]+)"', r'INDEX "\1_bc"', sql.replace(f'"{table}"', f'"{copy}"'))
                    cursor.execute(sql)
                rows = cursor.execute(f"SELECT * FROM {table} ORDER BY id DESC LIMIT {count}").fetchall()
                marks = ",".join("?" * len(rows[0]))
                started = time.perf_counter()
                raw.execute("BEGIN")
                raw.executemany(f'INSERT INTO "{copy}" VALUES ({marks})', rows)
                raw.execute("COMMIT")
                per_table[table] = time.perf_counter() - started
                total += per_table[table]
                cursor.execute(f"DROP TABLE {copy}")
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--child", default="")
    parser.add_argument("--stage", default="all", choices=["all", "preload", "import"])
    parser.add_argument("--workdir", default=str(ROOT / "var" / "bench"))
    parser.add_argument(
        "--keep-template",
        action="store_true",
        help="keep the preloaded registry (a PostgreSQL template database, a SQLite file) and reuse "
        "it in later runs with the same --persons, to iterate quickly; the setup is not timed",
    )
    args = parser.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    if args.child:
        print("RESULT " + json.dumps(child(args.child, args.persons, args.records, workdir, args.stage)))
        return
    results = []
    for db in args.db.split(","):
        env = dict(os.environ)
        tmp = tempfile.mkdtemp(prefix=f"bench-import-{db}-")
        env["SOTIEM_VAR_DIR"] = tmp
        dbname = None
        stage = "all"
        if db == "postgres":
            dbname = f"sotiem_bench_{os.getpid()}"
            template = f"sotiem_bench_tpl_{args.persons}"
            if args.keep_template:
                if not _pg_exists(template):
                    psql(f"CREATE DATABASE {template}")
                    _child(
                        db,
                        args,
                        workdir,
                        "preload",
                        {**env, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{template}"},
                    )
                psql(f"CREATE DATABASE {dbname} TEMPLATE {template}")
                stage = "import"
            else:
                psql(f"CREATE DATABASE {dbname}")
            env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{dbname}"
        else:
            env.pop("DATABASE_URL", None)
            template_file = workdir / f"tpl-{args.persons}.sqlite3"
            if args.keep_template:
                if not template_file.exists():
                    _child(db, args, workdir, "preload", env)
                    shutil.copy(Path(tmp) / "sotiem.sqlite3", template_file)
                else:
                    shutil.copy(template_file, Path(tmp) / "sotiem.sqlite3")
                stage = "import"
        try:
            results.append(_child(db, args, workdir, stage, env))
            print(results[-1])
        finally:
            if dbname:
                psql(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)", check=False)
            shutil.rmtree(tmp, ignore_errors=True)
    write(results, args)


def _pg_exists(name: str) -> bool:
    return psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'").strip() == "1"


def _child(db: str, args: argparse.Namespace, workdir: Path, stage: str, env: dict[str, str]) -> dict:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.bench_import",
            "--child",
            db,
            "--persons",
            str(args.persons),
            "--records",
            str(args.records),
            "--workdir",
            str(workdir),
            "--stage",
            stage,
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    line = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    if not line:
        print(done.stdout[-3000:], done.stderr[-5000:])
        raise SystemExit(f"{db} {stage} failed")
    return json.loads(line[-1][7:])


def write(results: list[dict], args: argparse.Namespace, note: str = "") -> None:
    from bench.report import write_section

    lines = [
        "| database | registry persons | records | import s | records/s | baseline (raw write of the same "
        "rows) s | ratio import/baseline | 2M-record time at this rate |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rate = r["records"] / r["import_seconds"]
        lines.append(
            f"| {r['vendor']} | {r['persons']:,} | {r['records']:,} | {r['import_seconds']:.1f} | "
            f"{rate:,.0f} | {r['baseline_seconds']:.1f} | {r['import_seconds'] / r['baseline_seconds']:.1f}× | "
            f"{2_000_000 / rate / 60:.1f} min |"
        )
    notes = []
    for r in results:
        notes.append(
            f"- {r['vendor']}: results {r['counts']}; rows written {r['rows_written']}; registry preload "
            f"(setup, not measured) {r['setup_seconds']:.0f} s; peak RSS {r['peak_rss_mib']:.0f} MiB (main process); "
            f"baseline seconds per table {r.get('baseline_per_table', {})}; row-check worker processes: "
            f"{r.get('workers', 0)}."
        )
    pg = [r for r in results if r["vendor"] == "postgresql"]
    verdict = (
        "not measured on PostgreSQL in this run"
        if not pg
        else ("**met**" if 2_000_000 / (pg[0]["records"] / pg[0]["import_seconds"]) <= 120 else "**not met**")
    )
    body = "\n".join(
        [
            f"`python -m bench.bench_import --persons {args.persons} --records {args.records}`: the synthetic records "
            "as sites sent them (records.csv + backlog.csv of `sotiem synth`, with their entry errors) imported with "
            "`sotiem import` (same pipeline as the API: validation, identify_person, sessions, doses, flags, audit "
            "events, inbox; row checks in the command's worker process) into a registry preloaded with the "
            "population's persons and CCCDs. Baseline: the rows the "
            "import wrote, written again into empty copies of the same tables (same indexes) with PostgreSQL COPY or "
            "SQLite executemany.",
            "",
            *lines,
            "",
            *notes,
            "",
            f"Target, 2,000,000 records in at most 2 minutes on PostgreSQL: {verdict}.",
            *([note] if note else []),
        ]
    )
    write_section("import", "Backlog import (`sotiem import`)", body)


if __name__ == "__main__":
    main()
