"""Disclosure control of public figures (statistics-rules.md, "Publication and confidentiality"):
a cell with fewer than 3 enterprises, or one enterprise above 85%, carries no value and the flag
C; and no suppressed value can be recovered by subtracting published cells from a published
total — in every line of cells that differ in one dimension, none or at least two are hidden,
unless the line's total is itself hidden (in the query without that dimension)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from soms.statistics.disclosure import suppress
from soms.statistics.engine import Cell, Query, Row, compute
from soms.statistics.tests import spec
from soms.statistics.tests.desk import Desk
from soms.statistics.tests.scenario import SETTINGS, Scenario, play, scenarios

YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 1))
Key = tuple[str, ...]


def by_key(rows: list[Row], by: tuple[str, ...]) -> dict[Key, Row]:
    return {tuple(r.keys[d] for d in by): r for r in rows}


def lines(keys: list[Key], dim: int) -> dict[Key, list[Key]]:
    """The lines of cells that differ in dimension ``dim`` only, by the line's margin key."""
    found: dict[Key, list[Key]] = defaultdict(list)
    for key in keys:
        found[key[:dim] + key[dim + 1 :]].append(key)
    return found


def assert_controlled(
    query: Query, sensitive: frozenset[Key] = frozenset(), sparse: bool = False
) -> dict[Key, Row]:
    """Checks a public result against the exact one and its margins; returns its rows.

    ``sparse``: a table may have a complement that is alone in its line along another
    dimension, when no other cell could protect the sensitive one — its value is then the
    published total of that line, a limit of protecting each table on its own (the tables
    built below avoid it; random histories may not)."""
    public = by_key(compute(query, public=True).rows, query.by)
    exact = by_key(compute(query).rows, query.by)
    assert public.keys() == exact.keys()
    for key in sensitive & public.keys():
        assert public[key].flag == "C", f"{query.measure} {key} is sensitive but published"
    for key, row in public.items():
        if row.flag == "C":
            assert (row.value, row.value_prev, row.yoy_pct) == (None, None, None), key
            continue
        assert row.flag is None
        assert row.value == exact[key].value, key
        if row.value_prev is None:
            assert row.yoy_pct is None, key
        else:
            assert (row.value_prev, row.yoy_pct) == (exact[key].value_prev, exact[key].yoy_pct)
    # No hidden value follows from a published total minus published cells.
    for dim, name in enumerate(query.by):
        margin_query = dataclasses.replace(query, by=query.by[:dim] + query.by[dim + 1 :])
        margin = by_key(compute(margin_query, public=True).rows, margin_query.by)
        for line, members in lines(list(public), dim).items():
            hidden = [k for k in members if public[k].flag == "C"]
            if len(hidden) == 1 and not (sparse and len(members) == 1):
                assert margin[line].flag == "C", (
                    f"{query.measure} by {query.by}: {hidden[0]} is the only hidden cell along "
                    f"{name} and the line's total {line} is published"
                )
    # Last year's values are those of last year's public table.
    before = by_key(compute(query.previous(), public=True).rows, query.by)
    for key, row in public.items():
        if row.flag is None and key in before:
            assert (row.value_prev is None) == (before[key].flag == "C"), key
    return public


# --- the rule itself, on made-up tables ---------------------------------------------------------


@st.composite
def tables(draw: st.DrawFn) -> dict[Key, Cell]:
    """Complete tables (every combination has a row), each dimension with two values or more
    when there are several: every line's total is a published margin with another cell."""
    width = draw(st.integers(1, 3))
    sizes = [draw(st.integers(1 if width == 1 else 2, 5)) for _ in range(width)]
    cells: dict[Key, Cell] = {}
    for key in itertools.product(*(tuple(f"v{i}" for i in range(n)) for n in sizes)):
        cell = Cell()
        for enterprise in draw(st.lists(st.integers(1, 12), min_size=1, max_size=6)):
            cell.add(enterprise, Decimal(draw(st.integers(1, 10_000))))
        cells[key] = cell
    return cells


@settings(max_examples=300, deadline=None, database=None)
@given(cells=tables())
def test_suppression_hides_the_sensitive_cells_and_their_complements(
    cells: dict[Key, Cell],
) -> None:
    hidden = suppress(cells)
    for key, cell in cells.items():
        if spec.sensitive(dict(cell.parts)):
            assert key in hidden
    width = len(next(iter(cells))) if cells else 0
    for dim in range(width):
        for members in lines(list(cells), dim).values():
            if len([k for k in members if k in hidden]) == 1:
                # Only when the line's total is itself hidden (by primary suppression).
                total: dict[int, Decimal] = defaultdict(Decimal)
                for key in members:
                    for enterprise, value in cells[key].parts.items():
                        total[enterprise] += value
                assert spec.sensitive(total)


def test_a_complement_alone_along_another_dimension_is_avoided() -> None:
    """Province P: ITO from one enterprise (sensitive), BPO small but P's only BPO cell, KPO
    larger and shared with province Q. Hiding BPO would publish it anyway (as the BPO total of
    the table by category) and with it P's ITO (P's total minus BPO); KPO must be chosen."""

    def cell(*values: int) -> Cell:
        made = Cell()
        for enterprise, value in enumerate(values, 1):
            made.add(enterprise, Decimal(value))
        return made

    cells = {
        ("P", "ITO"): cell(500),
        ("P", "BPO"): cell(10, 10, 10),
        ("P", "KPO"): cell(900, 900, 900),
        ("Q", "ITO"): cell(700, 700, 700),
        ("Q", "KPO"): cell(800, 800, 800),
    }
    hidden = suppress(cells)
    assert ("P", "BPO") not in hidden
    assert {("P", "ITO"), ("P", "KPO"), ("Q", "KPO"), ("Q", "ITO")} <= hidden


# --- tables built so that one cell of a line is sensitive ---------------------------------------


def _file(desk: Desk, division: str, amounts: dict[str, list[str]], day: dt.date) -> None:
    """One enterprise per list position; contracts in each category."""
    firms = [desk.enterprise(division) for _ in range(max(len(a) for a in amounts.values()))]
    for category, values in amounts.items():
        for firm, amount in zip(firms, values, strict=False):
            number = f"{category}-{day:%Y}"
            desk.approve(
                desk.contract(firm, number, category=category, amount=amount, signed_on=day)
            )


@pytest.mark.django_db
def test_one_dimension_one_dominated_cell() -> None:
    desk = Desk()
    this, last = dt.date(2025, 5, 6), dt.date(2024, 5, 6)
    _file(desk, "310115", {"ITO01": ["1000", "1100", "1200", "1300"]}, this)
    _file(desk, "320508", {"ITO01": ["900", "1000", "1100"]}, this)
    _file(desk, "420106", {"ITO01": ["20000", "100", "100"]}, this)  # 20000 of 20200: > 85%
    _file(desk, "510104", {"ITO01": ["2000", "2100", "2200"]}, this)
    # Last year: Sichuan had two enterprises.
    _file(desk, "310101", {"ITO01": ["500", "500", "500"]}, last)
    _file(desk, "320402", {"ITO01": ["600", "600", "600"]}, last)
    _file(desk, "429004", {"ITO01": ["700", "700", "700"]}, last)
    _file(desk, "510104", {"ITO01": ["800", "800"]}, last)

    query = Query("contract_value", *YEAR, by=("province",))
    public = assert_controlled(query, frozenset({("420000",)}))
    hidden = {k for k, r in public.items() if r.flag == "C"}
    assert ("420000",) in hidden and len(hidden) >= 2  # a second cell protects it
    assert ("310000",) not in hidden
    assert public[("310000",)].value == Decimal("4600.00")
    if ("510000",) not in hidden:
        assert public[("510000",)].value == Decimal("6300.00")
        assert public[("510000",)].value_prev is None  # last year's cell had 2 enterprises
    total = compute(dataclasses.replace(query, by=()), public=True).rows[0]
    assert (total.value, total.flag) == (Decimal("34100.00"), None)
    # Last year's table on its own: two enterprises in Sichuan, hidden with a complement.
    previous = assert_controlled(query.previous(), frozenset({("510000",)}))
    assert len([r for r in previous.values() if r.flag == "C"]) >= 2


@pytest.mark.django_db
def test_two_dimensions_one_dominated_cell() -> None:
    desk = Desk()
    day = dt.date(2025, 8, 20)
    balanced = ["5000", "5100", "5200"]
    kpo = {"310115": ["4000", "4100", "4200"], "320508": ["10000", "110", "120"]}
    kpo["420106"] = kpo["310115"]
    for division, amounts in kpo.items():
        _file(desk, division, {"ITO01": balanced, "BPO02": balanced, "KPO03": amounts}, day)

    query = Query("contract_value", *YEAR, by=("province", "category_l1"))
    public = assert_controlled(query, frozenset({("320000", "KPO")}))
    hidden = {k for k, r in public.items() if r.flag == "C"}
    assert ("320000", "KPO") in hidden
    assert len([k for k in hidden if k[0] == "320000"]) >= 2  # along the province's row
    assert len([k for k in hidden if k[1] == "KPO"]) >= 2  # along the category's column
    # The margins are published (none of them is dominated), so the complements are needed.
    for dims in (("province",), ("category_l1",)):
        margins = compute(dataclasses.replace(query, by=dims), public=True).rows
        assert all(r.flag is None for r in margins)


# --- random histories ---------------------------------------------------------------------------


@pytest.mark.django_db
@settings(SETTINGS, max_examples=4)
@given(scenario=scenarios(max_contracts=6))
def test_public_figures_of_random_histories(scenario: Scenario) -> None:
    with transaction.atomic():
        world = play(Desk(), scenario)
        for measure, by in (
            ("contract_value", ("province",)),
            ("execution_value", ("province", "category_l1")),
            ("contract_count", ("nbs_region", "flow")),
            ("enterprises_registered", ("province",)),
            ("employees", ("city",)),
        ):
            cells = world.cells(measure, *YEAR, by=by)
            sensitive = frozenset(k for k, parts in cells.items() if spec.sensitive(parts))
            assert_controlled(Query(measure, *YEAR, by=by), sensitive, sparse=True)
        transaction.set_rollback(True)
