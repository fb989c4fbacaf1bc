"""Certificates benchmark: issuing, verifying, reissuing a million, drawing QR codes.

    python -m bench.bench_certificates [--persons 1000000] [--sample 20000] [--qr 1000]

On a fresh PostgreSQL database holding N persons with their doses (written directly by a process of its own, not
measured: 2 doses each of a catalogue product, a third of them with a booster, 3% with a disputed dose), measured
in a new process, as a `sotiem certificate` command would start:

- issue, one process: `certificates_refresh_all(workers=0)` over `sample` persons end to end (read the doses, status, claims,
  CBOR, COSE ES256, zlib, base45, stored), certificates per second of wall time and per CPU-second of the issuing
  process; baseline in the same run: bare ECDSA P-256 signing with `cryptography` of the same number of
  messages of the same size, one core;
- verify, one process: `verify_hc1` of those certificates against the trust list and a revocation set held in
  memory (what a verifier app does offline); baseline: bare ECDSA P-256 verification;
- reissue: `certificates_refresh_all` (2 worker processes, each reading, signing and writing whole id ranges)
  over all N persons — first issuance, then a forced
  reissue that replaces and revokes every certificate (a signing key no longer trusted); baseline: bare ECDSA
  signing of N messages in 2 processes;
- QR: drawing `qr` new codes from issued certificates (SVG and PNG, uncached), p50/p95, and a cached hit;
  baseline: segno, a pure-Python encoder, drawing the same codes as SVG.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bench.report import psql

ROOT = Path(__file__).resolve().parent.parent


ISSUE_PARTS = 4


def _backend_cpu(pid: int) -> float:
    """CPU seconds used so far by a PostgreSQL backend process of this machine (user + system, from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


def _bare_sign(count: int, size: int, clock: Any = time.perf_counter) -> float:
    """Seconds (of `clock`) to sign `count` messages of `size` bytes with ECDSA P-256 (SHA-256) in this process."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    messages = [os.urandom(size) for _ in range(min(count, 1000))]
    algorithm = ec.ECDSA(hashes.SHA256())
    started = clock()
    for i in range(count):
        key.sign(messages[i % len(messages)], algorithm)
    return clock() - started


def _bare_verify(count: int, size: int) -> float:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    algorithm = ec.ECDSA(hashes.SHA256())
    signed = [(m, key.sign(m, algorithm)) for m in (os.urandom(size) for _ in range(1000))]
    public = key.public_key()
    started = time.perf_counter()
    for i in range(count):
        message, signature = signed[i % len(signed)]
        public.verify(signature, message, algorithm)
    return time.perf_counter() - started


def _zlib_levels(hc1s: list[str]) -> dict:
    """Signing rate and QR length of the same claims with zlib level 0 (stored) and 9."""
    import zlib

    import cbor2
    from cryptography.hazmat.primitives.asymmetric import ec

    from sotiem.certificates.hcert import Signer, b45decode

    claims = [cbor2.loads(cbor2.loads(zlib.decompress(b45decode(t[4:]))).value[2]) for t in hc1s]
    key = ec.generate_private_key(ec.SECP256R1())
    out = {}
    for level in (0, 9):
        signer = Signer.from_key(key, b"benchkid", zlib_level=level)
        started = time.perf_counter()
        signed = [
            signer.sign_claims(issuer=c[1], issued_at=c[6], expires_at=c[4], hcert=c[-260][1]) for c in claims
        ]
        out[level] = {
            "per_s": len(claims) / (time.perf_counter() - started),
            "chars": statistics.mean(len(s.hc1) for s in signed),
        }
    return out


def _setup(persons: int) -> float:
    """Write N persons and their doses straight into the tables (COPY), with one site."""
    from django.utils import timezone

    from sotiem.db.bulk import insert_rows
    from sotiem.immunizations.models import Dose, Vaccine
    from sotiem.lib.domain import given_names, surnames
    from sotiem.lib.names import name_key
    from sotiem.people.models import Person
    from sotiem.testing import make_site

    started = time.perf_counter()
    rng = random.Random(2021)
    site = make_site("79", code="BENCH-CERT")
    vaccines = dict(Vaccine.objects.values_list("code", "id"))
    family = [row["surname"] for row in surnames() if "/" not in row["surname"]][:60]
    given = [row["given_name"] for row in given_names()][:200]
    now = timezone.now()
    import datetime as dt
    import uuid

    chunk = 50000
    person_columns = [
        "public_id",
        "full_name",
        "name_as_given",
        "name_key",
        "birth_date",
        "birth_precision",
        "sex",
        "province_code",
        "commune_code",
        "address",
        "block_key",
        "birth_key",
        "status",
        "created_at",
        "updated_at",
    ]
    dose_columns = [
        "public_id",
        "person_id",
        "vaccine_id",
        "site_id",
        "administered_on",
        "lot_number",
        "source",
        "source_record_id",
        "content_hash",
        "quality_flags",
        "status",
        "status_reason",
        "created_at",
        "updated_at",
        "dose_number_derived",
    ]
    products = [
        ("PFIZER", "PFIZER"),
        ("AZ", "AZ"),
        ("AZ", "PFIZER"),
        ("MODERNA", "MODERNA"),
        ("VEROCELL", "VEROCELL"),
        ("SPUTNIK_V", "SPUTNIK_V"),
    ]
    from django.db import transaction

    for start in range(0, persons, chunk):
        people = []
        for _ in range(start, min(persons, start + chunk)):
            name = f"{rng.choice(family)} {rng.choice(['Văn', 'Thị', 'Minh', 'Ngọc'])} {rng.choice(given)}"
            people.append(
                (
                    uuid.uuid4(),
                    name,
                    name,
                    name_key(name),
                    dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(25000)),
                    "day",
                    rng.choice("MF"),
                    "79",
                    "",
                    "",
                    "",
                    "",
                    "active",
                    now,
                    now,
                )
            )
        with transaction.atomic():
            ids = insert_rows(Person, person_columns, people)
            doses = []
            for pid in ids:
                first, second = rng.choice(products)
                day = dt.date(2021, 6, 1) + dt.timedelta(days=rng.randrange(120))
                given_on = [(first, day), (second, day + dt.timedelta(days=56))]
                if rng.random() < 0.33:
                    given_on.append(("PFIZER", day + dt.timedelta(days=56 + 200)))
                for n, (code, on) in enumerate(given_on, 1):
                    disputed = n == 2 and rng.random() < 0.03
                    doses.append(
                        (
                            uuid.uuid4(),
                            pid,
                            vaccines[code],
                            site.pk,
                            on,
                            "",
                            "bench",
                            "",
                            "",
                            "[]",
                            "disputed" if disputed else "valid",
                            "không tiêm" if disputed else "",
                            now,
                            now,
                            None if disputed else n,
                        )
                    )
            insert_rows(Dose, dose_columns, doses)
    return time.perf_counter() - started


def setup_child(persons: int) -> dict:
    """Migrate and fill the database (its own process: the measuring one starts as a fresh command would)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sotiem.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    setup = _setup(persons)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"setup_seconds": setup}


def child(persons: int, sample: int, qr_count: int) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sotiem.settings")
    django.setup()
    from django.db import connection

    from sotiem.certificates import selectors
    from sotiem.certificates.hcert import verify_hc1
    from sotiem.certificates.models import Certificate, Revocation
    from sotiem.certificates.qr import qr_png, qr_svg
    from sotiem.certificates.services import (
        certificates_refresh_all,
        signing_key_create,
    )
    from sotiem.people.models import Person

    signing_key_create(actor="bench", reason="bench")
    r: dict = {"persons": persons}

    # issue, one process, end to end: in 4 parts, each followed by bare signing of as many messages, so that the
    # machine's speed (it varies by tens of percent from minute to minute on a shared VM) is the same for both
    ids = list(Person.objects.order_by("id").values_list("id", flat=True)[:sample])
    size = 230  # the Sig_structure of a typical certificate (measured below)
    r["issue_wall"] = r["issue_cpu"] = r["issue_backend_cpu"] = r["bare_sign_seconds"] = r["issued"] = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    for part in range(ISSUE_PARTS):
        some = ids[part * len(ids) // ISSUE_PARTS : (part + 1) * len(ids) // ISSUE_PARTS]
        cpu, wall, server = time.process_time(), time.perf_counter(), _backend_cpu(backend)
        done = certificates_refresh_all(
            actor="bench", reason="bench", workers=0, id_range=(some[0], some[-1])
        )
        r["issue_wall"] += time.perf_counter() - wall
        r["issue_cpu"] += time.process_time() - cpu
        r["issue_backend_cpu"] += _backend_cpu(backend) - server
        r["issued"] += done.issued
        r["bare_sign_seconds"] += _bare_sign(done.issued, size, time.process_time)
    hc1s = list(Certificate.objects.values_list("hc1", flat=True))  # all current: each person issued once

    # verify, one process, offline: trust list and revocation set in memory
    trust = selectors.trust_map()
    revoked: set[bytes] = set()
    started = time.perf_counter()
    results = [
        verify_hc1(
            text,
            clock=django.utils.timezone.now(),
            trust=trust,
            is_revoked=lambda h: h["SIGNATURE"] in revoked,
        )
        for text in hc1s
    ]
    r["verify_seconds"] = time.perf_counter() - started
    r["verified_valid"] = sum(1 for x in results if x.valid)
    r["verified"] = len(results)
    r["bare_verify_seconds"] = _bare_verify(len(results), size)

    # QR: new codes (uncached) then a cached hit; baseline segno (pure Python) on the same texts
    import segno

    texts = hc1s[:qr_count]
    svg_times, png_times, segno_times = [], [], []
    for text in texts:
        t = time.perf_counter()
        qr_svg(text)
        svg_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        qr_png(text)
        png_times.append(time.perf_counter() - t)
    hits = []
    for text in texts:
        t = time.perf_counter()
        qr_svg(text)
        hits.append(time.perf_counter() - t)
    for text in texts[: max(50, qr_count // 5)]:
        t = time.perf_counter()
        segno.make(text, error="q", micro=False).svg_inline()
        segno_times.append(time.perf_counter() - t)
    r["qr"] = {
        "svg_p50": _pct(svg_times, 50),
        "svg_p95": _pct(svg_times, 95),
        "png_p50": _pct(png_times, 50),
        "png_p95": _pct(png_times, 95),
        "hit_p95": _pct(hits, 95),
        "segno_p50": _pct(segno_times, 50),
        "segno_p95": _pct(segno_times, 95),
        "codes": len(texts),
        "segno_codes": len(segno_times),
        "hc1_chars": statistics.mean(len(t) for t in texts),
    }

    # the compression choice: sign the same claims with zlib level 0 (stored, the default) and level 9
    r["zlib"] = _zlib_levels(hc1s[:5000])

    # reissue everyone: first issuance for the rest, then a forced reissue of all (replacing and revoking)
    t = time.perf_counter()
    first = certificates_refresh_all(actor="bench", reason="bench: first issuance", workers=2)
    r["first_all_seconds"], r["first_all"] = time.perf_counter() - t, first.__dict__
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE certificates_certificate")
    t = time.perf_counter()
    forced = certificates_refresh_all(actor="bench", reason="bench: forced reissue", workers=2, force=True)
    r["reissue_all_seconds"], r["reissue_all"] = time.perf_counter() - t, forced.__dict__
    with ProcessPoolExecutor(max_workers=2) as pool:
        t = time.perf_counter()
        list(pool.map(_bare_sign, [persons // 2, persons - persons // 2], [size, size]))
        r["bare_sign_all_seconds"] = time.perf_counter() - t
    r["revoked_after"] = Revocation.objects.count()
    r["current_after"] = Certificate.objects.count() - r["revoked_after"]
    return r


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=1000000)
    parser.add_argument("--sample", type=int, default=20000)
    parser.add_argument("--qr", type=int, default=1000)
    parser.add_argument("--child", choices=["setup", "measure"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        done = (
            setup_child(args.persons) if args.child == "setup" else child(args.persons, args.sample, args.qr)
        )
        print("RESULT " + json.dumps(done, default=str))
        return
    work = f"sotiem_bench_cert_{os.getpid()}"
    keys = ROOT / "var" / "bench" / f"keys-{os.getpid()}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sotiem.settings",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{work}",
        "SOTIEM_SIGNING_KEY_DIR": str(keys),
    }
    psql(f"CREATE DATABASE {work}")
    r: dict = {}
    try:
        for step in ("setup", "measure"):
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.bench_certificates",
                    "--persons",
                    str(args.persons),
                    "--sample",
                    str(args.sample),
                    "--qr",
                    str(args.qr),
                    "--child",
                    step,
                ],
                check=True,
                cwd=ROOT,
                capture_output=True,
                text=True,
                env=env,
            ).stdout
            r.update(json.loads(out.split("RESULT ", 1)[1]))
    finally:
        psql(f"DROP DATABASE IF EXISTS {work} WITH (FORCE)", check=False)
    print(json.dumps(r, indent=1))
    _write(args, r)


def _write(args: argparse.Namespace, r: dict) -> None:
    from bench.report import write_section

    issued = r["issued"]
    bare = issued / r["bare_sign_seconds"]
    per_cpu = issued / r["issue_cpu"]
    per_wall = issued / r["issue_wall"]
    per_both = issued / (r["issue_cpu"] + r["issue_backend_cpu"])
    verify = r["verified"] / r["verify_seconds"]
    bare_verify = r["verified"] / r["bare_verify_seconds"]
    q = r["qr"]
    reissue = r["reissue_all_seconds"]
    body = "\n".join(
        [
            f"`python -m bench.bench_certificates --persons {args.persons} --sample {args.sample} --qr {args.qr}` on "
            "PostgreSQL: a fresh registry of persons with their doses (written directly by a process of its own; setup "
            f"{r['setup_seconds']:.0f} s, not measured). Issue = `certificates_refresh_all(workers=0)` end to end in one process "
            "(reading the doses, status, claims, CBOR, COSE ES256, zlib, base45, stored with COPY); verify = "
            "`verify_hc1` with the trust list and revocation set in memory (as a verifier app, offline); reissue = "
            "`sotiem certificate reissue` (2 worker processes, each reading, signing and writing whole id ranges) over "
            "every person. Baselines in the same run: bare ECDSA P-256 signing / verification with `cryptography` of as "
            f"many messages of the same size (for the issue, in {ISSUE_PARTS} parts each right after a part of the issue, "
            "both in CPU seconds of the process: this shared machine's speed drifts by tens of percent within minutes); "
            "segno (pure Python) drawing the same QR codes.",
            "",
            "| measure | sotiem | baseline | ratio | target | met |",
            "|---|---:|---:|---:|---:|---|",
            f"| issue, certificates/s per CPU-second of the issuing process ({issued:,} persons) | {per_cpu:,.0f} | "
            f"{bare:,.0f} bare ECDSA signs/s | {per_cpu / bare:.2f} | ≥ 12,000 | "
            f"{'**met**' if per_cpu >= 12000 else '**not met**'} |",
            f"| issue, certificates/s of wall time (PostgreSQL on the other core) | {per_wall:,.0f} | {bare:,.0f} | "
            f"{per_wall / bare:.2f} | | |",
            f"| issue, certificates/s per CPU-second of the issuing process and its PostgreSQL backend together | "
            f"{per_both:,.0f} | {bare:,.0f} | {per_both / bare:.2f} | | |",
            f"| verify, certificates/s on one core ({r['verified']:,}, {r['verified_valid']:,} valid) | {verify:,.0f} | "
            f"{bare_verify:,.0f} bare ECDSA verifies/s | {verify / bare_verify:.2f} | ≥ 8,000 | "
            f"{'**met**' if verify >= 8000 else '**not met**'} |",
            f"| reissue all {args.persons:,} (forced: replace and revoke each), s | {reissue:.1f} | "
            f"{r['bare_sign_all_seconds']:.1f} s bare signing, 2 processes | {reissue / r['bare_sign_all_seconds']:.2f} | "
            f"≤ 120 | {'**met**' if reissue <= 120 else '**not met**'} |",
            f"| first issuance of all {args.persons:,}, s | {r['first_all_seconds']:.1f} | | | | |",
            f"| QR SVG, new code, p50 / p95 ms | {q['svg_p50']:.2f} / {q['svg_p95']:.2f} | segno {q['segno_p50']:.1f} / "
            f"{q['segno_p95']:.1f} | {q['svg_p95'] / q['segno_p95']:.3f} | p95 ≤ 20 | "
            f"{'**met**' if q['svg_p95'] <= 20 else '**not met**'} |",
            f"| QR PNG, new code, p50 / p95 ms | {q['png_p50']:.2f} / {q['png_p95']:.2f} | | | p95 ≤ 20 | "
            f"{'**met**' if q['png_p95'] <= 20 else '**not met**'} |",
            f"| QR cached hit, p95 ms | {q['hit_p95']:.3f} | | | | |",
            "",
            f"- compression: signing the same claims alone, zlib level 0 (stored, the default) "
            f"{r['zlib']['0']['per_s']:,.0f}/s with QR texts of {r['zlib']['0']['chars']:.0f} characters; level 9 "
            f"{r['zlib']['9']['per_s']:,.0f}/s, {r['zlib']['9']['chars']:.0f} characters (docs/decisions.md).",
            f"- issue: {issued:,} issued in {r['issue_wall']:.2f} s wall, {r['issue_cpu']:.2f} s CPU of the issuing "
            f"process and {r['issue_backend_cpu']:.2f} s of its PostgreSQL backend (from /proc, 10 ms ticks); QR over {q['codes']} codes of {q['hc1_chars']:.0f} characters on average (segno on "
            f"{q['segno_codes']}).",
            f"- reissue: first issuance {r['first_all']}, forced {r['reissue_all']}; afterwards "
            f"{r['current_after']:,} current and {r['revoked_after']:,} revoked certificates.",
        ]
    )
    write_section("certificates", "Certificates (issue, verify, reissue, QR)", body)


if __name__ == "__main__":
    main()
