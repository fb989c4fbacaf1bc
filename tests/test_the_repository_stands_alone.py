"""A clone of the repository alone runs the tests: no code reads outside it, and the test data it reads is in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sotiem.lib.testdata import REPOSITORY, TESTDATA, vendored

# Ways the code once reached beside the repository: a folder of test data next to it, this machine's work
# folder, two environment variables. Spelled in pieces, so that this file does not itself read as a way out.
BESIDE, UP, WORK = "sh" + "ared", "..", "/" + "work" + "/"
ENV_NAMES = ("SOTIEM_" + "SHARED_DIR", "SOTIEM_" + "DCC_TESTDATA")
OUTSIDE = re.compile(
    "|".join(
        [
            re.escape(f"{UP}/{BESIDE}"),
            *ENV_NAMES,
            re.escape(f"{BESIDE}/testdata"),
            re.escape(WORK),
            r"""parents\[\d+\]\s*/\s*["']\.\.["']""",
        ]
    )
)
SCANNED_FOLDERS = ("sotiem", "tests", "bench", ".ci")
SCANNED_ROOT_FILES = ("conftest.py", "Makefile", "pyproject.toml")
SCANNED_SUFFIXES = {".py", ".toml", ".cfg", ".ini", ".sh", ".yml", ".yaml", ".html", ".txt", ""}
THIS_FILE = Path(__file__).resolve()
MAX_TESTDATA_BYTES = 16 * 1024 * 1024  # what is read today is about 13 MB; more wants a reason in the README


def outside_references(text: str) -> list[str]:
    """The lines of a source text that point outside the repository."""
    return [line.strip() for line in text.splitlines() if OUTSIDE.search(line)]


def scanned_files() -> list[Path]:
    files = [REPOSITORY / name for name in SCANNED_ROOT_FILES if (REPOSITORY / name).is_file()]
    for folder in SCANNED_FOLDERS:
        for path in sorted((REPOSITORY / folder).rglob("*")):
            if path.is_file() and path.suffix in SCANNED_SUFFIXES and "__pycache__" not in path.parts:
                files.append(path)
    return [path for path in files if path.resolve() != THIS_FILE]


def test_no_code_test_or_build_file_refers_to_a_path_outside_the_repository() -> None:
    files = scanned_files()
    assert (
        len(files) > 100 and REPOSITORY / "Makefile" in files
    )  # the scan sees the tree, not an empty folder
    found = {
        str(path.relative_to(REPOSITORY)): lines
        for path in files
        if (lines := outside_references(path.read_text(encoding="utf-8", errors="replace")))
    }
    assert found == {}


@pytest.mark.parametrize(
    "line",
    [
        f'TESTDATA = Path(__file__).resolve().parents[3] / "{UP}" / "{BESIDE}" / "testdata"',
        f"Path(os.environ.get('{ENV_NAMES[0]}', '.'))",
        f'DCC = Path(os.environ.get("{ENV_NAMES[1]}", "{WORK}{BESIDE}/testdata/dcc"))',
        f"check out {UP}/{BESIDE}/testdata/hl7 next to the repository",
    ],
)
def test_the_scan_finds_each_way_out_of_the_repository(line: str) -> None:
    assert outside_references(f"import os\n{line}\n") == [line]


def test_the_scan_leaves_in_repository_paths_alone() -> None:
    text = (
        f'HL7 = TESTDATA / "hl7"\nROOT = Path(__file__).resolve().parents[2]\n{BESIDE}_phone = "0912345678"\n'
    )
    assert outside_references(text) == []


def test_the_test_data_is_in_the_repository_with_a_readme_naming_each_folders_licence() -> None:
    assert TESTDATA == REPOSITORY / "testdata" and TESTDATA.is_dir()
    index = (TESTDATA / "README.md").read_text(encoding="utf-8")
    folders = sorted(path.name for path in TESTDATA.iterdir() if path.is_dir())
    assert folders == ["dcc", "dcc-schema", "fhir", "hl7", "linkage", "shc"]
    for name in folders:
        assert f"`{name}/" in index, name
        readme = (TESTDATA / name / "README.md").read_text(encoding="utf-8")
        assert re.search(r"licen[cs]e", readme, re.IGNORECASE), name


def test_the_test_data_stays_small_enough_to_clone() -> None:
    total = sum(path.stat().st_size for path in TESTDATA.rglob("*") if path.is_file())
    assert total < MAX_TESTDATA_BYTES


def test_missing_test_data_is_refused_with_the_place_it_was_looked_for() -> None:
    assert vendored("hl7", "MANIFEST.json").is_file()
    with pytest.raises(FileNotFoundError, match=re.escape(str(TESTDATA / "no-such-set"))):
        vendored("no-such-set")
