"""API benchmark: records/s and latency of POST /api/v1/dose-records, batches of 100 and single records.

    python -m bench.bench_api [--db postgres,sqlite] [--batches 300] [--singles 3000] [--concurrency 4]

A real server (gunicorn, 2 × CPUs + 1 workers) on loopback over a fresh database with one site and its key; a load
generator in separate processes keeps `concurrency` requests in flight. Baseline in the same run: GET /healthz
(one database round trip through the same stack), the floor any endpoint pays.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import psql
from sotiem.lib.localserver import free_port, wait_until_healthy

ROOT = Path(__file__).resolve().parent.parent


def _records(prefix: str, start: int, count: int) -> list[dict[str, str]]:
    out = []
    for i in range(start, start + count):
        year = 1950 + i % 50
        out.append(
            {
                "record_id": f"{prefix}-{i:08d}",
                "full_name": f"Nguyễn Thị {prefix} Số {i}",
                "birth_date": f"01/02/{year}",
                "sex": "Nữ",
                "national_id": "",
                "phone": f"09{i % 10**8:08d}",
                "province": "79",
                "vaccine": "Pfizer",
                "dose_number": "1",
                "administered_on": "02/08/2021",
                "site_code": "S79-0001",
                "lot_number": "FK1",
            }
        )
    return out


def _worker(args: tuple[int, str, str, list[str], str]) -> list[float]:
    """Send the given request bodies one after another over one keep-alive connection; latency of each."""
    port, key, path, bodies, method = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    latencies = []
    for body in bodies:
        started = time.perf_counter()
        if method == "GET":
            conn.request("GET", path)
        else:
            conn.request(
                "POST",
                path,
                body=body.encode(),
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
            )
        response = conn.getresponse()
        payload = response.read()
        latencies.append(time.perf_counter() - started)
        if response.status != 200:
            raise RuntimeError(f"{response.status}: {payload[:300]!r}")
        if method == "POST":
            statuses = {r["status"] for r in json.loads(payload)["results"]}
            if statuses != {"accepted"}:
                raise RuntimeError(f"unexpected statuses {statuses}")
    conn.close()
    return latencies


def _load(
    port: int, key: str, path: str, bodies: list[str], concurrency: int, method: str = "POST"
) -> tuple[float, list[float]]:
    chunks = [bodies[i::concurrency] for i in range(concurrency)]
    started = time.perf_counter()
    with multiprocessing.Pool(concurrency) as pool:
        parts = pool.map(_worker, [(port, key, path, chunk, method) for chunk in chunks])
    return time.perf_counter() - started, [x for part in parts for x in part]


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


def run_one(db: str, args: argparse.Namespace) -> dict:
    tmp = tempfile.mkdtemp(prefix=f"bench-api-{db}-")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    # plain http on loopback: development settings, though gunicorn loads the production entry point
    env.update(
        SOTIEM_VAR_DIR=tmp,
        DJANGO_SETTINGS_MODULE="sotiem.settings",
        PYTHONPATH=str(ROOT),
        SOTIEM_ENV="development",
    )
    dbname = None
    if db == "postgres":
        dbname = f"sotiem_bench_api_{os.getpid()}"
        psql(f"CREATE DATABASE {dbname}")
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{dbname}"
    cli = [sys.executable, "-m", "sotiem"]
    server = None
    try:
        subprocess.run([*cli, "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
        subprocess.run(
            [*cli, "shell", "-c", "from sotiem.testing import make_site; make_site(code='S79-0001')"],
            env=env,
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
        key = (
            subprocess.run(
                [*cli, "apikey", "create", "--site", "S79-0001"],
                env=env,
                check=True,
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        port = free_port()
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "sotiem.wsgi",
                "-w",
                str(args.workers),
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
        )
        wait_until_healthy(f"http://127.0.0.1:{port}")
        # warm every worker
        _load(port, key, "/healthz", [""] * 50, args.concurrency, method="GET")
        base_s, base_lat = _load(port, key, "/healthz", [""] * args.singles, args.concurrency, method="GET")
        batches = [json.dumps(_records("B", i * 100, 100)) for i in range(args.batches)]
        batch_s, batch_lat = _load(port, key, "/api/v1/dose-records", batches, args.concurrency)
        singles = [json.dumps(_records("S", i, 1)) for i in range(args.singles)]
        single_s, single_lat = _load(port, key, "/api/v1/dose-records", singles, args.concurrency)
        solos = [json.dumps(_records("O", i, 1)) for i in range(args.singles // 3)]
        solo_s, solo_lat = _load(port, key, "/api/v1/dose-records", solos, 1)
        return {
            "db": db,
            "workers": args.workers,
            "concurrency": args.concurrency,
            "baseline_rps": args.singles / base_s,
            "baseline_p50": _pct(base_lat, 50),
            "baseline_p99": _pct(base_lat, 99),
            "batch_records_per_s": args.batches * 100 / batch_s,
            "batch_p50": _pct(batch_lat, 50),
            "batch_p99": _pct(batch_lat, 99),
            "batches": args.batches,
            "single_records_per_s": args.singles / single_s,
            "single_p50": _pct(single_lat, 50),
            "single_p99": _pct(single_lat, 99),
            "singles": args.singles,
            "solo_records_per_s": len(solos) / solo_s,
            "solo_p50": _pct(solo_lat, 50),
            "solo_p99": _pct(solo_lat, 99),
            "median_batch_ms": statistics.median(batch_lat) * 1000,
        }
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if dbname:
            psql(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)", check=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="postgres,sqlite")
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--singles", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 2) + 1,
        help="gunicorn workers (default 2 × CPUs + 1, gunicorn's own advice)",
    )
    args = parser.parse_args()
    results = [run_one(db, args) for db in args.db.split(",")]
    for r in results:
        print(r)
    from bench.report import write_section

    lines = [
        "| database | batches of 100: records/s | p50 ms | p99 ms | single records, "
        f"{args.concurrency} clients: records/s | p50 ms | p99 ms | single records, 1 client: records/s | p50 ms | "
        "p99 ms | baseline GET /healthz: req/s | p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['db']} | {r['batch_records_per_s']:,.0f} | {r['batch_p50']:.0f} | {r['batch_p99']:.0f} | "
            f"{r['single_records_per_s']:,.0f} | {r['single_p50']:.1f} | {r['single_p99']:.1f} | "
            f"{r['solo_records_per_s']:,.0f} | {r['solo_p50']:.1f} | {r['solo_p99']:.1f} | "
            f"{r['baseline_rps']:,.0f} | {r['baseline_p50']:.1f} | {r['baseline_p99']:.1f} |"
        )
    verdicts = []
    for r in results:
        verdicts.append(
            f"- {r['db']}: batches {'**met**' if r['batch_records_per_s'] >= 3000 else '**not met**'} "
            f"(target ≥ 3,000 records/s; ratio to the /healthz request rate "
            f"{r['batch_records_per_s'] / r['baseline_rps']:.2f} records per baseline request); single "
            f"p99 with {args.concurrency} clients {'**met**' if r['single_p99'] <= 50 else '**not met**'} "
            f"(target ≤ 50 ms; {r['single_p99'] / r['baseline_p99']:.1f}× the baseline p99), with one "
            f"client {'**met**' if r['solo_p99'] <= 50 else '**not met**'} ({r['solo_p99']:.1f} ms)."
        )
    body = "\n".join(
        [
            f"`python -m bench.bench_api --batches {args.batches} --singles {args.singles} --concurrency "
            f"{args.concurrency} --workers {args.workers}`: gunicorn with {args.workers} workers on loopback, a fresh "
            f"database, {args.concurrency} client processes each keeping one keep-alive connection busy. "
            f"{args.batches} batches of 100 new records, then {args.singles} single-record requests, then "
            f"{args.singles // 3} single-record requests from one client (latency without queueing behind the "
            "other clients: the load generator shares the 2 cores); every record accepted (checked). Every record "
            "is a new person (no national ID), the costliest path. Baseline in the same run: GET /healthz (one database round trip through the same "
            "stack).",
            "",
            *lines,
            "",
            *verdicts,
        ]
    )
    write_section("api", "Dose-records API (`POST /api/v1/dose-records`)", body)


if __name__ == "__main__":
    main()
