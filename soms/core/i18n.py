"""Translations without GNU gettext on the machine.

The Chinese catalogue (``soms/locale/zh_Hans/LC_MESSAGES/django.po``) is the source; its compiled
``.mo`` is built at set-up by :func:`compile_catalogues` (polib, pure Python), so neither a binary
file in the repository nor the gettext tools are needed to run SOMS. :func:`problems` is the
quality gate that keeps the catalogue complete: Chinese first, English complete.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib  # type: ignore[import-untyped]

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def catalogues() -> list[Path]:
    return sorted(LOCALE_DIR.glob("*/LC_MESSAGES/django.po"))


def compile_catalogues() -> list[Path]:
    written = []
    for po_path in catalogues():
        mo_path = po_path.with_suffix(".mo")
        po = polib.pofile(str(po_path))
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            po.save_as_mofile(str(mo_path))
            written.append(mo_path)
    return written


def problems() -> list[str]:
    found = []
    for po_path in catalogues():
        po = polib.pofile(str(po_path))
        for entry in po:
            if entry.obsolete:
                continue
            if "fuzzy" in entry.flags:
                found.append(f"{po_path}: fuzzy translation of {entry.msgid!r}")
            elif not entry.translated():
                found.append(f"{po_path}: no translation of {entry.msgid!r}")
    return found


def main() -> int:
    if "--compile" in sys.argv:
        for path in compile_catalogues():
            print(f"compiled {path}")
        return 0
    found = problems()
    for line in found:
        print(line)
    if not catalogues():
        print("no translation catalogue found")
        return 1
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
