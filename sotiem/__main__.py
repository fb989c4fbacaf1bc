"""The `sotiem` console script: Django's management commands plus the registry's own."""

import contextlib
import os
import sys


def _compile_catalogues() -> None:
    """Build the .mo files a checkout lacks or holds stale (a pull that changed a .po), so every command and the
    server speak the catalogues as written; an installation that cannot write there keeps the ones it was built
    with."""
    from sotiem.lib.catalogs import compile_catalogues

    with contextlib.suppress(OSError):
        compile_catalogues()


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sotiem.settings")
    _compile_catalogues()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["sotiem", *sys.argv[1:]])


if __name__ == "__main__":
    main()
