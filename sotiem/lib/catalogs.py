"""The message catalogues: `.po` files (edited, in git) compiled to `.mo` files (built, ignored by git).

Every app keeps its messages in `sotiem/<app>/locale/<language>/LC_MESSAGES/django.po`, the shared pages and the
assembly theirs in `sotiem/locale/`, `lib` its own in `sotiem/lib/locale/`. Django reads only the compiled `.mo`
files; `compile_catalogues` writes each one that is missing or older than its `.po` (pure Python through polib,
so no system gettext is needed). The settings run it when they load (every command, test run and server),
and `make messages` forces it.
"""

from __future__ import annotations

from pathlib import Path

import polib

PACKAGE = Path(__file__).resolve().parents[1]


def catalogue_files(root: Path = PACKAGE) -> list[Path]:
    """Every `.po` file of the project, in a stable order."""
    return sorted(root.glob("**/locale/*/LC_MESSAGES/*.po"))


def compile_catalogues(root: Path = PACKAGE, *, force: bool = False) -> list[Path]:
    """Compile each `.po` whose `.mo` is missing or stale; the `.mo` files written."""
    written = []
    for po_path in catalogue_files(root):
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime_ns > po_path.stat().st_mtime_ns:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        written.append(mo_path)
    return written


def main() -> None:
    for path in compile_catalogues(force=True):
        print(path.relative_to(PACKAGE.parent))


if __name__ == "__main__":
    main()
