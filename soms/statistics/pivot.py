"""Pivot tables: one measure over a range of months by any two dimensions, with row, column and
grand totals, on a page and as an XLSX file.

Every figure comes from :func:`~soms.statistics.engine.compute`: the cells from ``by=(rows,
columns)``, the row totals from ``by=(rows,)``, the column totals from ``by=(columns,)`` and the
grand total from ``by=()``, so each is counted, scoped and disclosure-controlled as it is
everywhere else. The engine protects each of those tables on its own; side by side, a published
total minus the published cells of its line could still give a hidden cell away (a complement
alone in its line, a line whose total one table publishes and the other hides).
:func:`protect` then hides totals (or cells) until no hidden entry follows from the published
ones.

Why bridges. Take the table with its totals as a graph: one node per line (each row, each
column, the row of column totals, the column of row totals) and one edge per entry, joining the
two lines it lies in. With the totals' signs flipped every line says "my entries add up to
zero", so the values of the hidden entries are the unknowns of a linear system whose solutions
differ by alternating amounts around cycles of hidden edges. A hidden entry is determined by the
published ones exactly when no such cycle passes through it: when it is a bridge of the graph of
hidden entries. A line whose total is not the sum of its cells (a record counts in each of its
country's groups; a stock over a range is its last month's) gives no equation, or a smaller one;
entries outside any equation meet at one free node, where nothing balances.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from soms.core.errors import ServiceError
from soms.statistics.access import Access
from soms.statistics.engine import Query, Result, compute, parse_month
from soms.statistics.labels import (
    FLOW_LABELS,
    dimension_label,
    disclosure_rule,
    is_amount,
    measure_label,
    unit_label,
)
from soms.statistics.names import names_for

Key = tuple[str | None, str | None]  # (row, column); None is the line's total
Node = tuple[str, str | None]
FREE: Node = ("free", None)
# Stocks over a range are read at the range's end (statistics-rules.md, "Measures").
STOCKS = ("enterprises_registered", "employees", "employees_college")
DEFAULT_MEASURE = "execution_value"
DEFAULT_ROWS = "province"
DEFAULT_COLUMNS = "category_l1"
# A text cell starting with one of these is a formula to a spreadsheet program.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_ROW = 4  # title, unit, scope, then the header
# Larger tables are offered as XLSX only: a page of more cells is too heavy to read or render.
MAX_SHOWN_CELLS = 20_000


# --- which entries add up to which ----------------------------------------------------------


@dataclass(frozen=True)
class Relation:
    """How the entries of a line along one dimension make the line's total: their ``sum``,
    the entry of the ``last`` month (a stock), or ``none`` (no equation)."""

    kind: str
    last: str = ""

    def counts(self, code: str | None) -> bool:
        """Whether the entry at ``code`` (``None``: the line's total) is in the equation."""
        if self.kind == "none":
            return False
        if self.kind == "sum" or code is None:
            return True
        return code == self.last


def relation(measure: str, dimension: str, end: dt.date) -> Relation:
    if dimension == "counterpart_group":
        # A record counts in each of its country's groups, and in none when it has none.
        return Relation("none")
    if dimension == "month" and measure in STOCKS:
        return Relation("last", f"{end:%Y-%m}")
    if dimension == "month" and measure == "enterprises_active":
        # An enterprise active in several months is one active enterprise of the range.
        return Relation("none")
    return Relation("sum")


def _ends(key: Key, across: Relation, down: Relation) -> tuple[Node, Node]:
    """The lines an entry lies in: its row (a line across the columns) and its column."""
    row, column = key
    return (
        ("row", row) if across.counts(column) else FREE,
        ("column", column) if down.counts(row) else FREE,
    )


def _sort_key(key: Key) -> tuple[bool, str, bool, str]:
    return (key[0] is None, key[0] or "", key[1] is None, key[1] or "")


def _adjacency(edges: Mapping[Key, tuple[Node, Node]]) -> dict[Node, list[tuple[Node, Key]]]:
    adjacency: dict[Node, list[tuple[Node, Key]]] = defaultdict(list)
    for key, (a, b) in edges.items():
        adjacency[a].append((b, key))
        adjacency[b].append((a, key))
    return adjacency


def bridges(edges: Mapping[Key, tuple[Node, Node]]) -> set[Key]:
    """The edges on no cycle (Tarjan's bridges, iterative; parallel edges and loops are on a
    cycle, so an edge is told apart by its key, not by its ends)."""
    adjacency = _adjacency(edges)
    order: dict[Node, int] = {}
    low: dict[Node, int] = {}
    found: set[Key] = set()
    for root in sorted(adjacency, key=str):
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack: list[tuple[Node, Key | None, Any]] = [(root, None, iter(adjacency[root]))]
        while stack:
            node, via, neighbours = stack[-1]
            for other, key in neighbours:
                if key == via:
                    continue
                if other in order:
                    low[node] = min(low[node], order[other])
                    continue
                order[other] = low[other] = len(order)
                stack.append((other, key, iter(adjacency[other])))
                break
            else:
                stack.pop()
                if stack and via is not None:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent]:
                        found.add(via)
    return found


def _reach(start: Node, adjacency: Mapping[Node, list[tuple[Node, Key]]]) -> set[Node]:
    seen, todo = {start}, [start]
    while todo:
        for other, _key in adjacency.get(todo.pop(), []):
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return seen


def _rank(
    key: Key, values: Mapping[Key, Decimal | None]
) -> tuple[bool, Decimal, tuple[bool, str, bool, str]]:
    """Which visible entry to hide first: totals before cells (the cells are the engine's
    table, already protected), smaller values before larger."""
    is_total = key[0] is None or key[1] is None
    return (not is_total, abs(values.get(key) or Decimal(0)), _sort_key(key))


def _complement(
    bridge: Key,
    hidden: set[Key],
    ends: Mapping[Key, tuple[Node, Node]],
    values: Mapping[Key, Decimal | None],
) -> Key | None:
    """The entry to hide next so that ``bridge`` stops being derivable: one that closes a cycle
    through it if there is one, else one in a line it lies in (in the order of :func:`_rank`)."""
    visible = [key for key in ends if key not in hidden]
    if not visible:
        return None

    def rank(key: Key) -> tuple[bool, Decimal, tuple[bool, str, bool, str]]:
        return _rank(key, values)

    rest = _adjacency({k: ends[k] for k in hidden if k != bridge})
    a, b = ends[bridge]
    side_a, side_b = _reach(a, rest), _reach(b, rest)
    closing = [
        k
        for k in visible
        if (ends[k][0] in side_a and ends[k][1] in side_b)
        or (ends[k][0] in side_b and ends[k][1] in side_a)
    ]
    lines = {a, b} - {FREE}
    touching = [k for k in visible if set(ends[k]) & lines]
    near = [k for k in visible if set(ends[k]) & (side_a | side_b)]
    for candidates in (closing, touching, near, visible):
        if candidates:
            return min(candidates, key=rank)
    return None


def protect(
    values: Mapping[Key, Decimal | None],
    hidden: Iterable[Key],
    across: Relation,
    down: Relation,
) -> set[Key]:
    """``hidden`` and the further entries to hide so that no hidden entry of the table (cells
    and totals, keyed ``(row, column)`` with ``None`` for a total) can be computed from the
    published ones. ``across`` is how a row's cells make its total (the column dimension's
    relation), ``down`` how a column's do. Absent entries are known zeros."""
    ends = {key: _ends(key, across, down) for key in values}
    lines: dict[Node, list[Key]] = defaultdict(list)
    for key, pair in ends.items():
        for node in set(pair) - {FREE}:
            lines[node].append(key)
    result = set(hidden) & set(values)
    while True:
        derivable = bridges({key: ends[key] for key in result})
        if not derivable:
            return result
        # Hiding more never makes a hidden entry computable, so every line whose only hidden
        # entry is derivable gets its complement in one round (the common case, and linear);
        # the search for a cycle to close is the fallback, one entry at a time.
        hidden_in: dict[Node, int] = defaultdict(int)
        for key in result:
            for node in set(ends[key]) - {FREE}:
                hidden_in[node] += 1
        batch: set[Key] = set()
        for key in sorted(derivable, key=_sort_key):
            for node in set(ends[key]) - {FREE}:
                visible = [k for k in lines[node] if k not in result]
                if hidden_in[node] == 1 and visible and not batch & set(visible):
                    batch.add(min(visible, key=lambda k: _rank(k, values)))
        if not batch:
            extra = _complement(min(derivable, key=_sort_key), result, ends, values)
            if extra is None:
                return result
            batch = {extra}
        result |= batch


# --- the request ------------------------------------------------------------------------------


def _previous_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def defaults(today: dt.date | None = None) -> dict[str, str]:
    """The form's values when nothing was asked: this year to date, by province and type."""
    end = _previous_month(today or timezone.localdate())
    return {
        "measure": DEFAULT_MEASURE,
        "currency": "CNY",
        "from": f"{end.replace(month=1):%Y-%m}",
        "to": f"{end:%Y-%m}",
        "rows": DEFAULT_ROWS,
        "columns": DEFAULT_COLUMNS,
        "flow": "",
    }


@dataclass(frozen=True)
class PivotRequest:
    measure: str
    currency: str
    start: dt.date
    end: dt.date
    rows: str
    columns: str
    flow: str | None = None

    def query(self, by: tuple[str, ...]) -> Query:
        return Query(self.measure, self.start, self.end, self.currency, by, self.flow)


def form_values(params: Mapping[str, str], today: dt.date | None = None) -> dict[str, str]:
    values = defaults(today)
    for name in values:
        given = (params.get(name) or "").strip()
        if given or name == "flow":
            values[name] = given
    return values


def parse(params: Mapping[str, str], today: dt.date | None = None) -> PivotRequest:
    """The pivot asked for by the form's parameters (defaults where absent); refuses with a
    :class:`ServiceError` what the engine would refuse, and the same dimension twice."""
    values = form_values(params, today)
    request = PivotRequest(
        measure=values["measure"],
        currency=values["currency"].upper(),
        start=parse_month(values["from"], "from"),
        end=parse_month(values["to"], "to"),
        rows=values["rows"],
        columns=values["columns"],
        flow=values["flow"] or None,
    )
    request.query((request.rows, request.columns)).check()
    if request.rows == request.columns:
        raise ServiceError(
            gettext_lazy("The rows and the columns need two different dimensions."),
            code="same_dimension",
            field="columns",
        )
    return request


# --- the table --------------------------------------------------------------------------------


@dataclass
class Entry:
    """One figure of the table: ``flag`` "C" when it is confidential; no value and no flag
    when nothing was filed (an empty cell)."""

    value: Decimal | None = None
    flag: str | None = None
    decimals: int = 2

    @property
    def text(self) -> str:
        if self.flag:
            return "C"
        if self.value is None:
            return ""
        return f"{self.value:,.{self.decimals}f}"

    @property
    def raw(self) -> str:
        return "" if self.value is None else str(self.value)


@dataclass
class Line:
    """A row of the table as shown: its cells by column code, and its total."""

    code: str
    name: str
    cells: list[tuple[str, Entry]]
    total: Entry


@dataclass
class Pivot:
    request: PivotRequest
    public: bool
    row_codes: list[str]
    column_codes: list[str]
    row_names: dict[str, str]
    column_names: dict[str, str]
    entries: dict[Key, Entry]
    provisional: bool
    # Totals that are not the sums of their lines (see :func:`relation`).
    non_additive: list[str] = field(default_factory=list)
    # Entries hidden beyond what the engine hid in each table (see :func:`protect`).
    protected: set[Key] = field(default_factory=set)

    @property
    def decimals(self) -> int:
        return 2 if is_amount(self.request.measure) else 0

    def entry(self, row: str | None, column: str | None) -> Entry:
        return self.entries.get((row, column)) or Entry(decimals=self.decimals)

    @property
    def lines(self) -> list[Line]:
        return [
            Line(
                code,
                self.row_names.get(code) or code or "—",
                [(column, self.entry(code, column)) for column in self.column_codes],
                self.entry(code, None),
            )
            for code in self.row_codes
        ]

    @property
    def totals(self) -> Line:
        return Line(
            "",
            _("Total"),
            [(column, self.entry(None, column)) for column in self.column_codes],
            self.entry(None, None),
        )

    @property
    def row_label(self) -> str:
        return dimension_label(self.request.rows)

    @property
    def column_label(self) -> str:
        return dimension_label(self.request.columns)

    @property
    def columns(self) -> list[tuple[str, str]]:
        return [(c, self.column_names.get(c) or c or "—") for c in self.column_codes]

    @property
    def too_large(self) -> bool:
        return len(self.row_codes) * (len(self.column_codes) + 1) > MAX_SHOWN_CELLS

    @property
    def title(self) -> str:
        measure = measure_label(self.request.measure)
        if self.request.flow:
            measure = f"{measure} ({FLOW_LABELS[self.request.flow]})"
        return _("%(measure)s by %(rows)s and %(columns)s, %(start)s to %(end)s") % {
            "measure": measure,
            "rows": dimension_label(self.request.rows),
            "columns": dimension_label(self.request.columns),
            "start": f"{self.request.start:%Y-%m}",
            "end": f"{self.request.end:%Y-%m}",
        }

    @property
    def unit_note(self) -> str:
        return _("Unit: %(unit)s") % {
            "unit": unit_label(self.request.measure, self.request.currency)
        }

    @property
    def disclosure_note(self) -> str:
        return (
            _(
                "C: confidential. A figure with fewer than %(count)s enterprises, or with one "
                "enterprise above %(share)s of it, is not published; further cells and totals are "
                "hidden so that no confidential figure can be worked out by subtracting published "
                "figures from a published total."
            )
            % disclosure_rule()
        )

    @property
    def filename(self) -> str:
        r = self.request
        visibility = "-public" if self.public else ""
        return f"soms-{r.measure}-{r.rows}-{r.columns}-{r.start:%Y%m}-{r.end:%Y%m}{visibility}.xlsx"


def _label_names(dimension: str, codes: set[str]) -> dict[str, str]:
    names = names_for(dimension, codes)
    if dimension in ("city", "district"):
        # Names repeat across the country (朝阳区 is in Beijing and in Changchun).
        return {code: f"{names.get(code, code)} ({code})" for code in codes}
    return names


def build(request: PivotRequest, access: Access) -> Pivot:
    """The pivot for a caller's access (exact for a jurisdiction, public for anyone else)."""

    def run(by: tuple[str, ...]) -> Result:
        return compute(request.query(by), access.scope, public=access.public)

    decimals = 2 if is_amount(request.measure) else 0
    values: dict[Key, Decimal | None] = {}
    hidden: set[Key] = set()
    provisional = False
    dims = (request.rows, request.columns)
    for by in (dims, (request.rows,), (request.columns,), ()):
        result = run(by)
        provisional = provisional or result.provisional
        for row in result.rows:
            key: Key = (
                row.keys[request.rows] if request.rows in by else None,
                row.keys[request.columns] if request.columns in by else None,
            )
            values[key] = row.value
            if row.flag == "C":
                hidden.add(key)
    across = relation(request.measure, request.columns, request.end)
    down = relation(request.measure, request.rows, request.end)
    protected: set[Key] = set()
    if access.public:
        controlled = protect(values, hidden, across, down)
        protected, hidden = controlled - hidden, controlled
    entries = {
        key: Entry(None, "C", decimals) if key in hidden else Entry(value, None, decimals)
        for key, value in values.items()
    }
    row_codes = sorted({k[0] for k in values if k[0] is not None})
    column_codes = sorted({k[1] for k in values if k[1] is not None})
    non_additive = [
        dimension_label(dim)
        for dim, rel in ((request.columns, across), (request.rows, down))
        if rel.kind != "sum"
    ]
    return Pivot(
        request=request,
        public=access.public,
        row_codes=row_codes,
        column_codes=column_codes,
        row_names=_label_names(request.rows, set(row_codes)),
        column_names=_label_names(request.columns, set(column_codes)),
        entries=entries,
        provisional=provisional,
        non_additive=non_additive,
        protected=protected,
    )


# --- XLSX -------------------------------------------------------------------------------------


def safe_text(text: str) -> str:
    """Text a spreadsheet program shows as text, never runs as a formula."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _cell(entry: Entry) -> Decimal | str | None:
    if entry.flag:
        return "C"
    return entry.value


def to_xlsx(pivot: Pivot, scope_note: str, generated: dt.datetime | None = None) -> bytes:
    """The table as an XLSX workbook: title, unit and scope, a frozen header row and first
    column, numbers as numbers, C for confidential cells, and the notes under the table."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "SOMS"
    sheet.append([safe_text(pivot.title)])
    sheet.append([safe_text(pivot.unit_note)])
    sheet.append([safe_text(scope_note)])
    corner = f"{pivot.row_label} \\ {pivot.column_label}"
    sheet.append([safe_text(corner), *(safe_text(name) for _c, name in pivot.columns), _("Total")])
    for line in [*pivot.lines, pivot.totals]:
        cells = (_cell(entry) for _column, entry in line.cells)
        sheet.append([safe_text(line.name), *cells, _cell(line.total)])
    last_row = sheet.max_row
    sheet.append([])
    notes = [
        pivot.disclosure_note
        if pivot.public
        else _(
            "Exact figures for officials: no disclosure control is applied; not for publication."
        )
    ]
    if pivot.non_additive:
        notes.append(
            _("Totals along %(dimensions)s are counted on their own, not added up from the cells.")
            % {"dimensions": ", ".join(pivot.non_additive)}
        )
    if pivot.provisional:
        notes.append(_("Provisional: not every month is signed off at the national level yet."))
    when = timezone.localtime(generated or timezone.now())
    notes.append(_("Source: SOMS, %(when)s.") % {"when": f"{when:%Y-%m-%d %H:%M}"})
    for note in notes:
        sheet.append([safe_text(note)])

    number_format = "#,##0.00" if pivot.decimals else "#,##0"
    sheet["A1"].font = Font(bold=True, size=13)
    for cell in sheet[HEADER_ROW]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in sheet.iter_rows(min_row=HEADER_ROW + 1, max_row=last_row):
        row[0].font = Font(bold=row[0].row == last_row)
        for cell in row[1:]:
            if isinstance(cell.value, Decimal | int | float):
                cell.number_format = number_format
            elif cell.value == "C":
                cell.alignment = Alignment(horizontal="right")
            if cell.row == last_row or cell.column == len(pivot.column_codes) + 2:
                cell.font = Font(bold=True)
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=2)
    sheet.column_dimensions["A"].width = 30
    for index in range(2, len(pivot.column_codes) + 3):
        sheet.column_dimensions[sheet.cell(row=HEADER_ROW, column=index).column_letter].width = 18
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
