"""The import framework behind ``soms import KIND FILE`` and the web upload.

A ``ParsedImporter`` declares its columns, parses each row into a value (collecting per-cell
errors), and writes the parsed rows in one transaction; the record files of ``soms.exchange``
write row by row through the filing services instead. All-or-nothing by default: a file with
any error writes nothing; ``partial`` writes the valid rows.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from django.apps import apps

from soms.core.tabular import Column, Row, RowError, read_rows

IMPORTERS: dict[str, type[Importer]] = {}


def load_importers() -> dict[str, type[Importer]]:
    """Each app declares its importers in an ``imports`` module."""
    for config in apps.get_app_configs():
        if config.name.startswith("soms."):
            try:
                importlib.import_module(f"{config.name}.imports")
            except ModuleNotFoundError as error:
                if error.name != f"{config.name}.imports":
                    raise
    return IMPORTERS


def register(kind: str):  # type: ignore[no-untyped-def]
    def wrap(cls: type[Importer]) -> type[Importer]:
        IMPORTERS[kind] = cls
        cls.kind = kind
        return cls

    return wrap


# The row errors an import keeps, in file order: a file whose every row is wrong (a hundred
# megabytes of them) is refused with its first errors listed and the others counted, in bounded
# memory.
ERRORS_KEPT = 10_000


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)  # the first ERRORS_KEPT
    error_count: int = 0  # all of them
    written: bool = False

    def add_errors(self, errors: list[RowError]) -> None:
        self.error_count += len(errors)
        room = ERRORS_KEPT - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])


class Importer(ABC):
    """A file kind of ``soms import`` and the upload page."""

    kind: ClassVar[str] = ""
    # The options of ``soms import`` this kind takes (``submit``, ``as_approved``), passed to
    # the constructor.
    options: ClassVar[frozenset[str]] = frozenset()

    def check_actor(self, actor: Any) -> None:  # noqa: B027 (optional hook)
        """Refuse (ServiceError) when ``actor`` may not import this kind at all."""

    @abstractmethod
    def run(
        self,
        path: Path | str,
        *,
        actor: Any,
        dry_run: bool = False,
        partial: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> ImportResult:
        """Import the file; ``progress`` is told the number of rows read so far."""


class ParsedImporter(Importer):
    """A kind whose rows are all parsed first, then written together in one transaction."""

    columns: ClassVar[list[Column]] = []

    @abstractmethod
    def parse(self, row: Row) -> Any:
        """The row's value to write, or None with ``row.errors`` filled."""

    @abstractmethod
    def write(self, parsed: list[Any], actor: Any, path: Path) -> ImportResult:
        """Write every parsed row in one transaction."""

    def run(
        self,
        path: Path | str,
        *,
        actor: Any,
        dry_run: bool = False,
        partial: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> ImportResult:
        path = Path(path)
        self.check_actor(actor)
        parsed: list[Any] = []
        refused = ImportResult()
        for row in read_rows(path, self.columns):
            refused.rows += 1
            value = self.parse(row)
            if row.errors:
                refused.add_errors(row.errors)
            else:
                parsed.append(value)
            if progress is not None:
                progress(refused.rows)
        if dry_run or (refused.errors and not partial):
            return refused
        result = self.write(parsed, actor, path)
        result.rows, result.written = refused.rows, True
        result.errors, result.error_count = refused.errors, refused.error_count
        return result
