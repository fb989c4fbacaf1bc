"""Hostile uploads: the server's extra memory and its answer for files built to take it down.

    python -m bench.bench_uploads [--db sqlite|postgres]

A real server (gunicorn, one worker process with threads, as the web import runs its parse in a thread of that
process) on loopback over a fresh database, an HCDC official signed in (a session made by the test client's
force_login, a CSRF cookie and header). Each file is uploaded to /imports/ and its run followed until it is done
or failed; the worker's resident memory is sampled every 10 ms from /proc (and its VmHWM reset before each file
where the kernel allows), and the peak above the memory before the upload is reported with the answer.

Files, each built on disk without holding it in memory: an XLSX of ~1 MB whose one cell holds 1 GiB of "A"
(the sheet XML streamed into the zip); the same with 1 GiB of whitespace; a CSV of 6.66 M lines; a CSV over the
upload byte limit. Baseline in the same run: a small good CSV (100 rows) imported by the same server.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

from bench.report import psql
from sotiem.lib.localserver import free_port, wait_until_healthy

ROOT = Path(__file__).resolve().parent.parent
GIB = 1024**3
HEADER = (
    "record_id,full_name,birth_date,sex,national_id,phone,province,commune,address,vaccine,dose_number,"
    "administered_on,site_code,lot_number\n"
)
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxml'
    b'formats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Ho va ten'
    b'</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>'
)
SHEET_TAIL = b"</t></is></c></row></sheetData></worksheet>"


def xlsx_with_one_cell(path: Path, fill: bytes, size: int) -> Path:
    """A workbook whose cell A2 holds `size` bytes of `fill`, the sheet XML compressed as it is written."""
    chunk = fill * max(1, 1024 * 1024 // len(fill))
    return xlsx_streamed(path, SHEET_HEAD, (chunk for _ in range(size // len(chunk))), SHEET_TAIL)


def xlsx_with_a_wide_row(path: Path, cells: int) -> Path:
    """Row 2 of `cells` cells, mostly empty "<c/>" with a random number every hundredth (so it compresses ~50×)."""
    rnd = random.Random(2)
    blocks = (b"<c/>" * 99 + b'<c t="n"><v>%d</v></c>' % rnd.randrange(10**9) for _ in range(cells // 100))
    return xlsx_streamed(
        path, SHEET_HEAD.rpartition(b'<c r="A2"')[0], blocks, b"</row></sheetData></worksheet>"
    )


def xlsx_with_runs(path: Path, runs: int, run_bytes: int) -> Path:
    """Cell A2 written as `runs` rich-text runs of `run_bytes` each (each under the 1 MiB byte scan)."""
    rnd = random.Random(1)
    text = bytearray()
    while len(text) < run_bytes:  # mostly one letter with some noise: compresses ~70×, under the ratio limit
        text += b"A" * 1000 + bytes(rnd.choice(b"BCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(16))
    run = b"<r><t>" + bytes(text[:run_bytes]) + b"</t></r>"
    return xlsx_streamed(
        path,
        SHEET_HEAD.rpartition(b"<t>")[0],
        (run for _ in range(runs)),
        b"</is></c></row></sheetData></worksheet>",
    )


def xlsx_streamed(path: Path, head: bytes, chunks: Iterator[bytes], tail: bytes) -> Path:
    """A workbook whose sheet XML is head, the chunks and tail, compressed as it is written (never held whole)."""
    import openpyxl

    good = path.with_suffix(".template.xlsx")
    book = openpyxl.Workbook()
    book.active.append(["Họ và tên"])
    book.save(good)
    with (
        zipfile.ZipFile(good) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out,
    ):
        for info in source.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with out.open(info.filename, "w", force_zip64=True) as sheet:
                    sheet.write(head)
                    for chunk in chunks:
                        sheet.write(chunk)
                    sheet.write(tail)
            else:
                out.writestr(info, source.read(info.filename))
    good.unlink()
    return path


def _letters(size: int) -> bytes:
    """Random capital letters: text that compresses poorly, so only the XML scan can refuse a cell of it."""
    table = bytes(65 + i % 26 for i in range(256))
    return os.urandom(size).translate(table)


def csv_lines(path: Path, lines: int) -> Path:
    with path.open("wb") as out:
        out.write(HEADER.encode())
        block = b"\n" * 100_000
        for _ in range(lines // len(block)):
            out.write(block)
    return path


def csv_bytes(path: Path, size: int) -> Path:
    row = "X{:08d},Nguyễn Văn An,17/05/1990,Nam,,0912345678,79,,,Pfizer,1,02/08/2021,S79-0001,FK1\n"
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        i = 0
        while out.tell() < size:
            out.writelines(row.format(i + k) for k in range(10_000))
            i += 10_000
    return path


def good_csv(path: Path, prefix: str = "G") -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for i in range(100):
            out.write(
                f"{prefix}{i:05d},Nguyễn Văn An {i},17/05/1990,Nam,,0912345678,79,,,Pfizer,1,02/08/2021,S79-0001,FK1\n"
            )
    return path


def _status(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS", "VmHWM")):
            key, value = line.split(":", 1)
            out[key] = int(value.split()[0]) * 1024
    return out


class Sampler:
    """The peak resident memory of one process while a block runs, sampled every 10 ms (and VmHWM where resettable)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self.stop = pid, 0, threading.Event()
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset VmHWM to the current RSS
            self.hwm = True
        except OSError:
            self.hwm = False
        self.before = _status(pid)["VmRSS"]
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, _status(self.pid)["VmRSS"])
            time.sleep(0.01)

    def finish(self) -> int:
        """Peak extra bytes above the memory before the block."""
        self.stop.set()
        self.thread.join()
        status = _status(self.pid)
        peak = max(self.peak, status["VmRSS"], status["VmHWM"] if self.hwm else 0)
        return max(0, peak - self.before)


def upload(port: int, cookies: str, csrf: str, path: Path, name: str) -> tuple[int, str, float]:
    """POST the file as multipart, streamed from disk; (status, location, seconds)."""
    boundary = secrets.token_hex(16)
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="source"\r\n\r\nP79-BACKLOG\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = len(head) + path.stat().st_size + len(tail)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    conn.putrequest("POST", "/imports/")
    for key, value in (
        ("Content-Type", f"multipart/form-data; boundary={boundary}"),
        ("Content-Length", str(size)),
        ("Cookie", cookies),
        ("X-CSRFToken", csrf),
        ("Referer", f"http://127.0.0.1:{port}/imports/"),
    ):
        conn.putheader(key, value)
    conn.endheaders()
    try:
        conn.send(head)
        with path.open("rb") as source:
            while chunk := source.read(1024 * 1024):
                conn.send(chunk)
        conn.send(tail)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server refused before reading everything: its answer is still there
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    seconds = time.perf_counter() - started
    conn.close()
    location = response.getheader("Location") or ""
    if response.status >= 400:
        found = re.search(r'role="alert"[^>]*>([^<]+)<', body)
        location = found.group(1).strip() if found else body[:200]
    return response.status, location, seconds


def follow(port: int, cookies: str, location: str, seconds: float = 900) -> tuple[str, str, float]:
    """Poll the run's progress fragment until it is no longer running; (state, error or counts, seconds)."""
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", f"{location}?partial=1", headers={"Cookie": cookies})
        body = conn.getresponse().read().decode("utf-8", "replace")
        conn.close()
        state = re.search(r'data-state="(\w+)"', body)
        if state and state.group(1) != "running":
            error = re.search(r'role="alert">Lỗi / Error: ([^<]+)<', body)
            accepted = re.search(r'id="accepted">(\d+)<', body)
            answer = error.group(1).strip() if error else f"accepted {accepted.group(1) if accepted else '?'}"
            return state.group(1), answer, time.perf_counter() - started
        time.sleep(0.05)
    return "running", "(still running)", seconds


def run(db: str, keep: bool) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-uploads-"))
    (tmp / "var").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        SOTIEM_VAR_DIR=str(tmp / "var"),
        DJANGO_SETTINGS_MODULE="sotiem.settings",
        PYTHONPATH=str(ROOT),
        SOTIEM_ENV="development",
    )  # plain http on loopback
    dbname = None
    if db == "postgres":
        dbname = f"sotiem_bench_uploads_{os.getpid()}"
        psql(f"CREATE DATABASE {dbname}")
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{dbname}"
    cli = [sys.executable, "-m", "sotiem"]
    files = {
        "good CSV, 100 rows (baseline)": (good_csv(tmp / "good.csv"), "good.csv"),
        "XLSX, one cell of 1 GiB of 'A'": (xlsx_with_one_cell(tmp / "cell.xlsx", b"A", GIB), "cell.xlsx"),
        "XLSX, one cell of 1 GiB of whitespace": (
            xlsx_with_one_cell(tmp / "ws.xlsx", b" \t\n", GIB),
            "ws.xlsx",
        ),
        "XLSX, one cell of 200 MiB of whitespace": (
            xlsx_with_one_cell(tmp / "ws200.xlsx", b" ", 200 * 2**20),
            "ws200.xlsx",
        ),
        "XLSX, one cell of 8 MiB of random letters": (
            xlsx_with_one_cell(tmp / "noise.xlsx", _letters(8 * 2**20), 8 * 2**20),
            "noise.xlsx",
        ),
        "XLSX, one row of 20 M mostly empty cells": (
            xlsx_with_a_wide_row(tmp / "wide.xlsx", 20_200_000),
            "wide.xlsx",
        ),
        "XLSX, one cell of 400 rich-text runs of 512 KiB": (
            xlsx_with_runs(tmp / "runs.xlsx", 400, 512 * 1024),
            "runs.xlsx",
        ),
        "CSV, 6.66 M lines": (csv_lines(tmp / "lines.csv", 6_660_000), "lines.csv"),
        "CSV over the byte limit (60 MB)": (csv_bytes(tmp / "big.csv", 60 * 1024 * 1024), "big.csv"),
    }
    server = None
    results = []
    try:
        subprocess.run([*cli, "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
        script = (
            "from django.test import Client; from sotiem.testing import make_site, make_personas; "
            "make_site(code='S79-0001'); p = make_personas(); c = Client(); c.force_login(p.hcdc); "
            "print(c.cookies['sessionid'].value)"
        )
        session = (
            subprocess.run(
                [*cli, "shell", "-c", script], env=env, check=True, cwd=ROOT, capture_output=True, text=True
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        csrf = secrets.token_hex(32)
        cookies = f"sessionid={session}; csrftoken={csrf}"
        port = free_port()
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "sotiem.wsgi",
                "-w",
                "1",
                "--threads",
                "4",
                "-b",
                f"127.0.0.1:{port}",
                "--timeout",
                "600",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
        )
        wait_until_healthy(f"http://127.0.0.1:{port}")
        worker = int(Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()[0])
        upload(port, cookies, csrf, good_csv(tmp / "warm.csv", "W"), "warm.csv")  # warm the worker
        time.sleep(2)
        for label, (path, name) in files.items():
            sampler = Sampler(worker)
            status, location, request_s = upload(port, cookies, csrf, path, name)
            state, answer, background_s = ("", location, 0.0)
            if status in (301, 302, 303):
                state, answer, background_s = follow(port, cookies, location)
            extra = sampler.finish()
            results.append(
                {
                    "file": label,
                    "bytes": path.stat().st_size,
                    "status": status,
                    "state": state,
                    "answer": answer,
                    "request_s": request_s,
                    "background_s": background_s,
                    "extra_rss": extra,
                }
            )
            print(results[-1], flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if dbname:
            psql(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)", check=False)
        if not keep:
            subprocess.run(["rm", "-rf", str(tmp)], check=False)
    return {"db": db, "results": results}


def guard_cost(rows: int = 100_000) -> tuple[float, float]:
    """Seconds for the XLSX guard and for openpyxl reading the same real-shaped workbook (the baseline)."""
    import openpyxl

    from sotiem.lib.sheetguard import _check_xlsx_zip
    from sotiem.lib.spreadsheets import DEFAULT_LIMITS

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "real.xlsx"
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(HEADER.strip().split(","))
        for i in range(rows):
            sheet.append(
                [
                    f"R{i}",
                    "Nguyễn Thị Minh Khai",
                    "1990-05-17",
                    "Nữ",
                    "079190001234",
                    "0912345678",
                    "79",
                    "Phường Bến Nghé",
                    "12 Lê Lợi",
                    "PFIZER",
                    1,
                    "2021-08-01",
                    "S79-0001",
                    "FK1234",
                ]
            )
        book.save(path)
        started = time.perf_counter()
        _check_xlsx_zip(path, DEFAULT_LIMITS)
        guard = time.perf_counter() - started
        started = time.perf_counter()
        read = openpyxl.load_workbook(path, read_only=True, data_only=True)
        count = sum(1 for _ in read.worksheets[0].iter_rows(values_only=True))
        assert count == rows + 1
        return guard, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--keep", action="store_true", help="keep the files and the server's var directory")
    args = parser.parse_args()
    outcome = run(args.db, args.keep)
    from bench.report import write_section

    rows = outcome["results"]
    base = max(1, rows[0]["extra_rss"])
    lines = [
        "| file | size | HTTP | run | answer | request s | background s | peak extra RSS | × baseline |",
        "|---|---:|---:|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        answer = r["answer"].split(" / ")[-1].split(". ")[0].rstrip(".").replace("|", "\\|") + "."
        lines.append(
            f"| {r['file']} | {r['bytes'] / 1e6:,.1f} MB | {r['status']} | {r['state'] or '—'} | {answer} | "
            f"{r['request_s']:.2f} | {r['background_s']:.2f} | {r['extra_rss'] / 2**20:,.1f} MiB | "
            f"{r['extra_rss'] / base:.1f} |"
        )
    worst = max(r["extra_rss"] for r in rows[1:])
    refused = all(r["state"] == "failed" or r["status"] == 413 for r in rows[1:])
    verdict = (
        f"Target (under 300 MB extra memory, a clear refusal): **{'met' if worst < 300e6 and refused else 'not met'}**"
        f" — the worst hostile file took {worst / 2**20:,.1f} MiB above the memory before its upload "
        f"(baseline, a good 100-row import: {rows[0]['extra_rss'] / 2**20:,.1f} MiB)."
    )
    body = "\n".join(
        [
            f"`python -m bench.bench_uploads --db {outcome['db']}`: gunicorn, one worker with 4 threads, on loopback; an "
            "HCDC official uploads each file to `/imports/` and the run is followed until it is done or failed. Peak "
            "extra RSS: the worker's resident memory sampled every 10 ms (and its VmHWM, reset before each file), minus "
            'its memory before the upload. "request s": the upload request alone; "background s": counting and '
            "importing (or refusing) in the background thread.",
            "",
            *lines,
            "",
            verdict,
        ]
    )
    guard, openpyxl_read = guard_cost()
    body += (
        f"\n\nWhat the XLSX guard costs a real file: a 100,000-row workbook of the template's 14 columns is checked "
        f"in {guard:.1f} s; openpyxl reads it in {openpyxl_read:.1f} s (baseline, same run): "
        f"{guard / openpyxl_read:.2f}× the reading it protects, once per import."
    )
    label = {"sqlite": "SQLite", "postgres": "PostgreSQL"}[outcome["db"]]
    write_section(f"uploads-{outcome['db']}", f"Hostile uploads (`/imports/`, {label})", body)


if __name__ == "__main__":
    main()
