"""Benchmark `sotiem synth`: generate N persons (default 1,000,000) and compare with the CSV-writing floor.

Run: .venv/bin/python -m bench.bench_synth [--persons 1000000] [--seed 1] [--workers 2]

The baseline, measured in the same run, writes exactly as many rows, with the same columns and about the same
bytes per row, into the same files with csv.writer: what the output alone costs. The ratio generate/baseline
says how much the model itself costs on top of writing.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import tempfile
import time
from pathlib import Path

from bench.report import write_section
from sotiem.synth.generator import generate

TARGET_SECONDS = 120.0
BATCH = 10_000


def _shape(path: Path) -> tuple[int, int, int]:
    """(data rows, columns, average bytes per row) of a CSV file."""
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        columns = len(next(reader))
        rows = sum(1 for _ in reader)
    size = path.stat().st_size
    return rows, columns, size // max(rows, 1)


def baseline(shapes: dict[str, tuple[int, int, int]], out: Path) -> float:
    """Seconds to write the same rows, equally wide, with csv.writer (constant cell values)."""
    started = time.perf_counter()
    for name, (rows, columns, width) in shapes.items():
        cell = "x" * max(width // columns - 1, 1)
        batch = [tuple(f"{cell}{i % 10}" for i in range(columns))] * BATCH
        with open(out / name, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow([f"c{i}" for i in range(columns)])
            left = rows
            while left > 0:
                writer.writerows(batch[: min(BATCH, left)])
                left -= BATCH
    return time.perf_counter() - started


def peak_rss_mib() -> tuple[float, float]:
    """Peak resident memory of this process and of its (largest) finished worker, in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--no-write", action="store_true", help="print the section without writing docs/")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-synth-") as tmp:
        out = Path(tmp) / "synth"
        started = time.perf_counter()
        summary = generate(persons=args.persons, seed=args.seed, out=out, workers=args.workers)
        seconds = time.perf_counter() - started
        shapes = {p.name: _shape(p) for p in sorted(out.glob("*.csv"))}
        size = sum(p.stat().st_size for p in out.iterdir())
        floor_dir = Path(tmp) / "floor"
        floor_dir.mkdir()
        floor = baseline(shapes, floor_dir)
    rows = sum(r for r, _, _ in shapes.values())
    own_rss, worker_rss = peak_rss_mib()
    workers = args.workers if args.workers is not None else min(2, os.cpu_count() or 1)
    met = seconds < TARGET_SECONDS
    body = f"""
`generate(persons={args.persons:,}, seed={args.seed})` with {workers} worker process(es), against a baseline that
writes the same {rows:,} CSV rows (same files, columns and bytes per row, constant values) with `csv.writer`
in one process.

| | seconds | persons/s | doses/s | rows/s |
|---|---:|---:|---:|---:|
| `sotiem synth` | {seconds:.1f} | {args.persons / seconds:,.0f} | {summary.doses / seconds:,.0f} | {rows / seconds:,.0f} |
| baseline: csv.writer only | {floor:.1f} | | | {rows / floor:,.0f} |

- Ratio generate / baseline: **{seconds / floor:.2f}×** (the baseline is single-process; generation uses
  {workers} processes).
- Output: {summary.persons:,} persons, {summary.households:,} households, {summary.doses:,} doses
  ({summary.backlog_share:.1%} paper backlog), {summary.appointments:,} appointments, {summary.sites:,} sites,
  {summary.sessions:,} sessions; {size / 2**20:,.0f} MiB on disk.
- Records clean: {summary.clean_record_share:.1%}; persons sharing a contact phone:
  {summary.shared_phone_share:.1%}; twin pairs: {summary.twin_pairs:,}.
- Peak RSS: {own_rss:,.0f} MiB (main process), {worker_rss:,.0f} MiB (largest worker).
- Target, 1,000,000 persons in under {TARGET_SECONDS:.0f} s: **{"met" if met else "NOT met"}**
  ({"measured at" if args.persons == 1_000_000 else "extrapolated from"} {args.persons:,} persons:
  {seconds * 1_000_000 / args.persons:.0f} s per million).
"""
    print(body)
    if not args.no_write:
        write_section("synth", "Synthetic population (`sotiem synth`)", body)


if __name__ == "__main__":
    main()
