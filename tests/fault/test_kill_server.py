"""Nothing acknowledged is lost and nothing is held twice, however often the server dies.

A client sends 20,000 records in batches to a real server process while another thread kills the server
with SIGKILL at random moments, 10 times, and restarts it. The client re-sends every batch it got no answer
for. Afterwards the receipts hold every record exactly once with the right content hash, and no dose exists
twice. Runs on SQLite, or on PostgreSQL when DATABASE_URL points there (a fresh database of its own).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from sotiem.immunizations.ingest import canonical, content_hash
from sotiem.lib.ids import make_cccd
from sotiem.lib.localserver import free_port, wait_until_healthy

pytestmark = pytest.mark.slow

RECORDS, BATCH, KILLS = 20_000, 500, 10


@pytest.fixture
def server_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(SOTIEM_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="sotiem.settings")
    url = os.environ.get("DATABASE_URL", "")
    dbname = None
    if url.startswith("postgres"):
        import psycopg

        base, _, _ = url.rpartition("/")
        dbname = f"sotiem_fault_{os.getpid()}_{int(time.time())}"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{dbname}"')
        env["DATABASE_URL"] = f"{base}/{dbname}"
    try:
        yield env
    finally:
        if dbname:
            import psycopg

            with psycopg.connect(f"{base}/postgres", autocommit=True) as con:
                con.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def sotiem(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "sotiem", *args], env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


def make_records() -> list[dict[str, str]]:
    rng = random.Random(2021)
    records = []
    for i in range(RECORDS):
        person = i // 2  # two doses per person
        year = 1950 + person % 50
        sex = "M" if person % 2 else "F"
        records.append(
            {
                "record_id": f"F-{i:06d}",
                "full_name": f"Nguyễn Văn Số {person}",
                "birth_date": f"01/01/{year}",
                "sex": "Nam" if sex == "M" else "Nữ",
                "national_id": make_cccd(province_code="79", sex=sex, birth_year=year, serial=person)
                if person % 3
                else "",
                "phone": f"09{rng.randrange(10**8):08d}",
                "vaccine": "Pfizer",
                "dose_number": str(i % 2 + 1),
                "administered_on": "02/08/2021" if i % 2 == 0 else "30/08/2021",
                "site_code": "S79-0001",
                "lot_number": "FK1234",
            }
        )
    return records


class Server:
    def __init__(self, env: dict[str, str], port: int):
        self.env, self.port, self.proc = env, port, None
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sotiem", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until_healthy(self.url, seconds=90)  # a loaded CI machine may start Django slowly

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def post(url: str, key: str, batch: list[dict[str, str]]) -> list[dict] | None:
    request = urllib.request.Request(
        f"{url}/api/v1/dose-records",
        data=json.dumps(batch).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())["results"]
    except (OSError, urllib.error.URLError, json.JSONDecodeError):
        return None  # no answer: the client does not know, so it re-sends


def test_records_survive_ten_kills_exactly_once(server_env):
    sotiem(server_env, "migrate", "--no-input", "-v", "0")
    sotiem(server_env, "shell", "-c", "from sotiem.testing import make_site; make_site(code='S79-0001')")
    key = sotiem(server_env, "apikey", "create", "--site", "S79-0001").strip().splitlines()[-1]
    server = Server(server_env, free_port())
    server.start()

    records = make_records()
    batches = [records[i : i + BATCH] for i in range(0, RECORDS, BATCH)]
    rng = random.Random(7)
    order = list(range(len(batches)))
    rng.shuffle(order)  # batches arrive out of order, too
    answers: dict[str, dict] = {}
    kills = 0
    stop = threading.Event()
    lock = threading.Lock()

    failures: list[BaseException] = []

    def killer() -> None:
        nonlocal kills
        try:
            while kills < KILLS and not stop.is_set():
                time.sleep(rng.uniform(0.3, 2.0))
                with lock:
                    server.kill()
                    kills += 1
                    server.start()
        except BaseException as exc:  # noqa: BLE001 (reported by the main thread)
            failures.append(exc)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    resent = 0
    deadline = time.monotonic() + 600

    def deliver(batch: list[dict[str, str]]) -> list[dict]:
        """Send until answered: a batch with no answer is simply sent again."""
        nonlocal resent
        while True:
            assert time.monotonic() < deadline, "the client could not deliver every batch in 10 minutes"
            results = post(server.url, key, batch)
            if results is not None:
                return results
            resent += 1
            time.sleep(0.2)

    for index in order:
        results = deliver(batches[index])
        assert not failures, f"the killer thread failed: {failures!r}"
        assert [r["record_id"] for r in results] == [r["record_id"] for r in batches[index]]
        for result in results:
            assert result["status"] in ("accepted", "duplicate"), f"batch {index}: {result}"
            answers[result["record_id"]] = result
    thread.join(timeout=300)
    stop.set()
    assert not failures, f"the killer thread failed: {failures!r}"
    assert kills == KILLS

    # a conflicting re-send changes nothing, and a plain re-send is all duplicates
    first = records[0]
    [clash] = deliver([{**first, "lot_number": "OTHER"}])
    assert clash["status"] == "conflict"
    again = deliver(records[:BATCH])
    assert {r["status"] for r in again} == {"duplicate"}
    [refused] = deliver([{**first, "record_id": "F-BAD", "vaccine": "Covaxin"}])
    assert refused["status"] == "rejected" and refused["errors"][0]["field"] == "vaccine"

    held: dict[str, dict] = {}
    cursor = None
    while True:
        query = "?limit=1000" + (f"&cursor={cursor}" if cursor else "")
        request = urllib.request.Request(
            f"{server.url}/api/v1/receipts{query}", headers={"Authorization": f"Bearer {key}"}
        )
        page = json.loads(urllib.request.urlopen(request, timeout=60).read())
        for receipt in page["results"]:
            assert receipt["record_id"] not in held, "a record is held twice"
            held[receipt["record_id"]] = receipt
        cursor = page["next_cursor"]
        if cursor is None:
            break
    server.kill()

    assert len(held) == RECORDS
    for record in records:
        receipt = held[record["record_id"]]
        assert receipt["content_hash"] == content_hash(canonical(record))
        assert receipt["dose_id"] == answers[record["record_id"]]["dose_id"]
    doses = sotiem(
        server_env,
        "shell",
        "-c",
        "from sotiem.immunizations.models import Dose; from django.db.models import Count; "
        "print(Dose.objects.count(), Dose.objects.values('source', 'source_record_id')"
        ".annotate(n=Count('id')).filter(n__gt=1).count())",
    )
    assert doses.strip().splitlines()[-1].split() == [str(RECORDS), "0"]
    print(f"\n{kills} kills, {resent} batches re-sent")
