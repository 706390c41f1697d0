"""Reading the exchange files of exchange-format.md: CSV (UTF-8 with or without BOM, or GB18030
as Excel saves it on Chinese Windows) or XLSX (first sheet); values as officials type them.

The reader yields rows as dictionaries keyed by the English column name, whatever the file's
header language, with the 1-based row number of the file (the header is row 1). Parsing a value
returns it or raises :class:`CellError`; importers collect those per row and column.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from soms.core.errors import bilingual


@dataclass(frozen=True)
class Column:
    name: str
    alias: str
    required: bool = True


class CellError(Exception):
    def __init__(self, message: str | Promise, params: dict[str, Any] | None = None) -> None:
        self.message = message
        self.params = params or {}
        super().__init__(bilingual(message, self.params))


class FileError(Exception):
    """The file as a whole cannot be read (encoding, headers)."""

    def __init__(self, message: str | Promise, params: dict[str, Any] | None = None) -> None:
        self.text = bilingual(message, params)
        super().__init__(self.text)


@dataclass
class RowError:
    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column} “{self.value}”: {self.message}"


@dataclass
class Row:
    number: int
    values: dict[str, Any]
    errors: list[RowError] = field(default_factory=list)


# What an XLSX may expand to: its declared sizes are read before anything is inflated, so a
# "zip bomb" is refused without being opened. 100,000 rows of a record kind take about 30 MB.
XLSX_EXPANDED_LIMIT = 512 << 20
ENCODINGS = ("utf-8-sig", "gb18030")  # UTF-8 with or without BOM first, then GB18030
BLOCK = 1 << 20


def encoding_of(handle: IO[bytes]) -> str:
    """UTF-8 (with or without BOM) when the bytes are valid UTF-8, else GB18030; anything that
    is neither is refused rather than guessed. The file is read block by block, so checking a
    large file costs a pass over it, not its size in memory."""
    for encoding in ENCODINGS:
        handle.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        nul = False
        try:
            while block := handle.read(BLOCK):
                nul = nul or b"\x00" in block
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        if nul:  # valid text in form, but no spreadsheet writes NUL into a CSV
            raise FileError(
                _(
                    "The file contains NUL bytes: it is not a text file (UTF-16 or a "
                    "binary file?). Save it from Excel as CSV UTF-8 or XLSX."
                )
            )
        handle.seek(0)
        return encoding
    raise FileError(
        _("The file is neither UTF-8 nor GB18030 text: save it from Excel as CSV or XLSX.")
    )


def decode(raw: bytes) -> str:
    """Bytes in memory decoded by the rule of :func:`encoding_of`."""
    return raw.decode(encoding_of(io.BytesIO(raw)))


def _cells_from_csv(handle: IO[bytes]) -> Iterator[list[Any]]:
    """The CSV's rows, decoded as they are read (memory bounded whatever the file's size)."""
    text = io.TextIOWrapper(handle, encoding=encoding_of(handle), newline="")
    reader = csv.reader(text)
    try:
        yield from reader
    except csv.Error as error:
        raise FileError(
            _(
                "Line %(line)s is not CSV as a spreadsheet writes it (%(error)s): a cell too "
                "long (over %(limit)s characters) or an unclosed quote."
            ),
            {"line": reader.line_num, "error": error, "limit": f"{csv.field_size_limit():,}"},
        ) from None
    finally:
        with contextlib.suppress(ValueError):  # the caller may have closed it already
            text.detach()  # the caller closes the file, not this wrapper


def _cells_from_xlsx(handle: IO[bytes]) -> Iterator[list[Any]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    unreadable = FileError(
        _("The file is not a readable XLSX workbook: save it again from Excel, as XLSX or CSV.")
    )
    try:
        with zipfile.ZipFile(handle) as archive:
            expanded = sum(item.file_size for item in archive.infolist())
        handle.seek(0)
        if expanded > XLSX_EXPANDED_LIMIT:
            raise FileError(
                _(
                    "The workbook expands to %(size)s MB, more than the %(limit)s MB an import "
                    "reads: split it, or save it as CSV."
                ),
                {"size": f"{expanded >> 20:,}", "limit": XLSX_EXPANDED_LIMIT >> 20},
            )
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise unreadable from None
    try:
        if not workbook.worksheets:
            raise unreadable
        sheet = workbook.worksheets[0]
        try:
            for values in sheet.iter_rows(values_only=True):
                yield ["" if v is None else v for v in values]
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError):
            raise unreadable from None  # a truncated or damaged sheet
    finally:
        workbook.close()


def read_rows(path: Path | str, columns: list[Column]) -> Iterator[Row]:
    """Rows of a CSV or XLSX file, keyed by column name; checks the header first."""
    path = Path(path)
    with path.open("rb") as handle:
        if handle.read(4) == b"PK\x03\x04":
            handle.seek(0)
            cells = _cells_from_xlsx(handle)
            yield from _rows(cells, columns)
        else:
            yield from _rows(_cells_from_csv(handle), columns)


def raw_rows(path: Path | str) -> Iterator[tuple[int, list[Any]]]:
    """Every row of the file as its cells, numbered from 1 (the header): what an error report
    copies."""
    path = Path(path)
    with path.open("rb") as handle:
        if handle.read(4) == b"PK\x03\x04":
            handle.seek(0)
            yield from enumerate(_cells_from_xlsx(handle), start=1)
        else:
            yield from enumerate(_cells_from_csv(handle), start=1)


def _rows(cells: Iterator[list[Any]], columns: list[Column]) -> Iterator[Row]:
    try:
        header = next(cells)
    except StopIteration:
        raise FileError(_("The file is empty.")) from None
    by_label = {}
    for column in columns:
        by_label[column.name.lower()] = column.name
        by_label[column.alias] = column.name
    names: list[str | None] = []
    unknown = []
    for label in header:
        text = normalise_text(str(label)).strip()
        if not text:
            names.append(None)
            continue
        name = by_label.get(text) or by_label.get(text.lower())
        if name is None:
            unknown.append(text)
        names.append(name)
    if unknown:
        raise FileError(_("Unknown columns: %(columns)s."), {"columns": ", ".join(unknown)})
    # A column given twice (say 月份 and month) would leave one of its values unread: refused
    # rather than guessing which one the file means.
    twice = [c.name for c in columns if names.count(c.name) > 1]
    if twice:
        raise FileError(_("Columns given twice: %(columns)s."), {"columns": ", ".join(twice)})
    missing = [c.name for c in columns if c.required and c.name not in names]
    if missing:
        raise FileError(
            _("Required columns are missing: %(columns)s."), {"columns": ", ".join(missing)}
        )
    for number, values in enumerate(cells, start=2):
        if all(v in ("", None) for v in values):
            continue
        # A value under no header (or beyond the last one) belongs to a column the file does
        # not name: refused, not dropped.
        unnamed = [
            index + 1
            for index, value in enumerate(values)
            if value not in ("", None) and (index >= len(names) or names[index] is None)
        ]
        if unnamed:
            raise FileError(
                _("Row %(row)s has values in column %(columns)s, which has no header."),
                {"row": number, "columns": ", ".join(_column_letter(i) for i in unnamed)},
            )
        row = {name: value for name, value in zip(names, values, strict=False) if name}
        yield Row(number, row)


def _column_letter(index: int) -> str:
    """1 → A, 27 → AA, as spreadsheets name columns."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


FULLWIDTH = str.maketrans({"，": ",", "．": ".", "－": "-", "／": "/"})
# C0 and C1 control characters and DEL; tab and line feed are ordinary in cells.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def normalise_text(value: str) -> str:
    return unicodedata.normalize("NFKC", value).translate(FULLWIDTH) if value else value


FORMULA_STARTS = ("=", "+", "-", "@")


def neutralise(text: str) -> str:
    """Text a spreadsheet would run as a formula, written with a leading apostrophe (exports)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def parse_text(value: Any) -> str:
    text = str(value).strip() if value is not None else ""
    if CONTROL.search(text):
        raise CellError(_("The text contains control characters."))
    # The apostrophe an export put before formula-like text is not part of the value.
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        text = text[1:]
    return text


_DECIMAL = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")


def parse_decimal(value: Any) -> Decimal:
    """A plain decimal; thousands separators and full-width digits accepted; a unit (万, 亿)
    or an ambiguous form refused."""
    if isinstance(value, bool):
        raise CellError(_("“%(value)s” is not a number."), {"value": value})
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # Excel stores numbers as binary floats; repr gives the shortest exact decimal.
        return Decimal(repr(value))
    text = normalise_text(str(value or "")).strip()
    if not text:
        raise CellError(_("A number is required."))
    if re.search(r"[万亿千百]", text):
        raise CellError(
            _("“%(value)s” has a unit: write the plain number (not 万 or 亿)."), {"value": text}
        )
    if not _DECIMAL.match(text):
        raise CellError(_("“%(value)s” is not a plain decimal number."), {"value": text})
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise CellError(_("“%(value)s” is not a plain decimal number."), {"value": text}) from None


_DATE_FORMS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日$"),
)


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = normalise_text(str(value or "")).strip()
    for form in _DATE_FORMS:
        match = form.match(text)
        if match:
            try:
                return dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                break
    raise CellError(
        _("“%(value)s” is not a date (YYYY-MM-DD, YYYY/M/D or YYYY年M月D日)."), {"value": text}
    )


def parse_month(value: Any) -> dt.date:
    if isinstance(value, dt.datetime | dt.date):
        return dt.date(value.year, value.month, 1)
    text = normalise_text(str(value or "")).strip()
    match = re.match(r"^(\d{4})-(\d{2})$", text)
    if match and 1 <= int(match[2]) <= 12:
        return dt.date(int(match[1]), int(match[2]), 1)
    raise CellError(_("“%(value)s” is not a month (YYYY-MM)."), {"value": text})
