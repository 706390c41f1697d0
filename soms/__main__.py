"""The ``soms`` command: Django's management commands with SOMS's settings.

soms migrate | soms load_reference | soms demo | soms runserver | soms import rates FILE …
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soms.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["soms", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
