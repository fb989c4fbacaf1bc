"""Where the public test material lives: `testdata/` at the repository root (sources and licences in its README).

The EU DCC vectors, the DCC value sets, the HL7 v2 messages, the FHIR R4 and SMART Health Card examples and
the person-linkage test sets are vendored there, so a clone of the repository alone runs every test. They
are not package data: an installed sotiem carries none of them, and the tests and evaluation modules that read
them run from a checkout.
"""

from __future__ import annotations

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
TESTDATA = REPOSITORY / "testdata"


def vendored(*parts: str) -> Path:
    """A file or folder under testdata/, refused with its expected place when it is not there."""
    path = TESTDATA.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(
            f"test data not found at {path}: it is vendored in the repository's testdata/ folder, which an "
            "installed package does not carry; run from a checkout of the repository"
        )
    return path
