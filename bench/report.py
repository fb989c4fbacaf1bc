"""Writes one benchmark's section into docs/benchmarks.md, with the machine and the date.

Each bench script measures its subject and a baseline in the same run and calls `write_section` with a
markdown table; the section between its markers is replaced, the rest of the file is kept.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import subprocess
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEADER = """# Benchmarks

Measured by `make bench` (each script in `bench/`). Every figure is taken with a baseline measured in the same
run on the same machine, and the ratio between them is given, so a slower or faster machine changes both.
Sections are rewritten by the script that measures them; the machine and date are in each section.
"""


def machine() -> str:
    """A one-line description of this machine: CPU model, cores, memory, Python."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}, {platform.system()}"


def commit() -> str:
    try:
        return (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
                check=False,
                cwd=DOC.parent.parent,
            ).stdout.strip()
            or "uncommitted"
        )
    except OSError:
        return "unknown"


def write_section(key: str, title: str, body: str) -> None:
    """Replace (or append) the section `key` of docs/benchmarks.md with `body`, stamped with machine and date."""
    DOC.parent.mkdir(parents=True, exist_ok=True)
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    stamp = f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC at commit {commit()} on: {machine()}."
    section = f"<!-- bench:{key} -->\n## {title}\n\n{stamp}\n\n{body.strip()}\n<!-- /bench:{key} -->"
    pattern = re.compile(rf"<!-- bench:{re.escape(key)} -->.*?<!-- /bench:{re.escape(key)} -->", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section, text)
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    DOC.write_text(text, encoding="utf-8")


def psql(sql: str, check: bool = True) -> str:
    """Run one statement on this machine's PostgreSQL (user postgres, trust auth); its output, unaligned."""
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qAtc", sql],
        check=check,
        capture_output=True,
        text=True,
    ).stdout
