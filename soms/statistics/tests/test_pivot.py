"""The pivot table and its XLSX download: figures equal to a plain sum over the records filed
here; the public's table hides every sensitive cell, and no hidden figure can be worked out
from the published ones (checked by linear algebra over the published table, a different
method from the code's); an official sees exactly the jurisdiction's figures.

Fixture (executions in 2025, yuan): Jiangsu has three enterprises in 姑苏区 (ITO and BPO) and
one in 吴中区 (ITO and KPO); Zhejiang three in ITO and one in KPO; Shanghai one in ITO.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from soms.accounts.choices import Role
from soms.reference.models import CatalogueItem, Country, Division
from soms.statistics.pivot import Key, Relation, protect, safe_text
from soms.statistics.tests.desk import Desk, rates
from soms.testing import make_user

DISTRICT = "320508"  # 苏州市姑苏区
OTHER_DISTRICT = "320506"  # 苏州市吴中区
CATEGORIES = {"ITO": "ITO01", "BPO": "BPO02", "KPO": "KPO03"}
LONE = Decimal("777777.77")  # Shanghai's only enterprise
# (district, enterprise number, category level 1, amount): one execution each.
RECORDS = [
    (DISTRICT, 1, "ITO", Decimal("300000.00")),
    (DISTRICT, 1, "BPO", Decimal("120000.00")),
    (DISTRICT, 2, "ITO", Decimal("250000.00")),
    (DISTRICT, 2, "BPO", Decimal("110000.00")),
    (DISTRICT, 3, "ITO", Decimal("350000.00")),
    (DISTRICT, 3, "BPO", Decimal("130000.00")),
    (OTHER_DISTRICT, 4, "ITO", Decimal("200000.00")),
    (OTHER_DISTRICT, 4, "KPO", Decimal("90000.00")),
    ("330106", 5, "ITO", Decimal("150000.00")),
    ("330106", 6, "ITO", Decimal("160000.00")),
    ("330106", 7, "ITO", Decimal("170000.00")),
    ("330106", 8, "KPO", Decimal("80000.00")),
    ("310115", 9, "ITO", LONE),
]
PARAMS = {
    "measure": "execution_value",
    "currency": "CNY",
    "from": "2025-01",
    "to": "2025-12",
    "rows": "province",
    "columns": "category_l1",
}
CENT = Decimal("0.01")
Table = dict[Key, Any]  # (row, column) with None for a total -> Decimal, "C" or None (empty)


# --- filing ---------------------------------------------------------------------------------


@pytest.fixture
def filed(db: None) -> Desk:
    desk = Desk()
    firms = {}
    for n, (district, firm, l1, amount) in enumerate(RECORDS):
        if firm not in firms:
            firms[firm] = desk.enterprise(district)
        contract = desk.approve(
            desk.contract(
                firms[firm],
                f"P-{n}",
                category=CATEGORIES[l1],
                amount=amount * 2,
                signed_on=dt.date(2025, 2, 1 + n),
            )
        )
        desk.approve(desk.execution(contract, f"E-{n}", dt.date(2025, 3, 1 + n), "CNY", amount))
    return desk


# --- the independent figures ----------------------------------------------------------------


def province(district: str) -> str:
    return district[:2] + "0000"


def parts_of(records: Iterable[tuple[str, int, str, Decimal]]) -> dict[Key, dict[int, Decimal]]:
    """Each entry's parts by enterprise, totals included, summed straight from the records."""
    parts: dict[Key, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for district, firm, l1, amount in records:
        for key in itertools.product((province(district), None), (l1, None)):
            parts[key][firm] += amount
    return parts


def sensitive(parts: dict[int, Decimal]) -> bool:
    """Primary suppression as statistics-rules.md states it."""
    values = [v for v in parts.values() if v]
    return len(values) < 3 or max(values) > Decimal("0.85") * sum(values)


def derivable(table: Table, across: Relation, down: Relation) -> set[Key]:
    """The hidden entries a reader can compute from the published ones: those whose unit
    vector lies in the row space of the table's equations restricted to the hidden entries
    (Gaussian elimination over the rationals)."""
    rows = {k[0] for k in table if k[0] is not None}
    columns = {k[1] for k in table if k[1] is not None}
    hidden = sorted((k for k, v in table.items() if v == "C"), key=str)
    index = {key: i for i, key in enumerate(hidden)}

    def takes_part(relation: Relation, code: str) -> bool:
        return relation.kind == "sum" or (relation.kind == "last" and code == relation.last)

    # Each line: the members that take part add up to the line's total. A row runs across
    # the columns (``across``), a column down the rows (``down``); the totals make a row and a
    # column of their own.
    lines: list[tuple[list[Key], Key]] = []
    if across.kind != "none":
        for r in [*rows, None]:
            across_members: list[Key] = [(r, c) for c in columns if takes_part(across, c)]
            lines.append((across_members, (r, None)))
    if down.kind != "none":
        for c in [*columns, None]:
            down_members: list[Key] = [(r, c) for r in rows if takes_part(down, r)]
            lines.append((down_members, (None, c)))
    equations: list[list[Fraction]] = []
    for members, total in lines:
        equation = [Fraction(0)] * len(hidden)
        for key, sign in [*((m, 1) for m in members), (total, -1)]:
            if key in index:  # published or absent (zero): a known number
                equation[index[key]] += sign
        if any(equation):
            equations.append(equation)
    # Row-reduce.
    pivots: list[tuple[int, list[Fraction]]] = []
    for equation in equations:
        for column, row in pivots:
            if equation[column]:
                factor = equation[column]
                equation = [a - factor * b for a, b in zip(equation, row, strict=True)]
        lead = next((i for i, a in enumerate(equation) if a), None)
        if lead is None:
            continue
        equation = [a / equation[lead] for a in equation]
        reduced = []
        for column, row in pivots:
            if row[lead]:
                factor = row[lead]
                row = [a - factor * b for a, b in zip(row, equation, strict=True)]
            reduced.append((column, row))
        pivots = [*reduced, (lead, equation)]
    return {hidden[column] for column, row in pivots if sum(1 for a in row if a) == 1}


# --- reading the outputs --------------------------------------------------------------------


def xlsx_table(content: bytes) -> tuple[Table, Any]:
    sheet = load_workbook(io.BytesIO(content)).active
    header = [c.value for c in sheet[4]]
    assert header[-1] in ("Total", "合计", "总计")
    codes = column_codes()
    names = {name: code for code, name in codes.items()}
    columns = [names.get(h) for h in header[1:-1]] + [None]
    table: Table = {}
    provinces = {d.name: d.code for d in Division.objects.filter(level="province")}
    row = 5
    while sheet.cell(row=row, column=1).value:
        label = sheet.cell(row=row, column=1).value
        code = None if label in ("Total", "合计", "总计") else provinces[label]
        for offset, column in enumerate(columns, start=2):
            value = sheet.cell(row=row, column=offset).value
            if isinstance(value, int | float):
                value = Decimal(str(value)).quantize(CENT)
            table[(code, column)] = value
        row += 1
    return table, sheet


def column_codes() -> dict[str, str]:
    return {
        item.code: item.name for item in CatalogueItem.objects.filter(version__code="v1", level=1)
    }


def html_table(html: str) -> Table:
    import re

    table: Table = {}
    for row, body in re.findall(r'<tr data-row="([^"]*)"[^>]*>(.*?)</tr>', html, re.S):
        code = None if row == "total" else row
        for column, cell in re.findall(
            r'<td class="num[^"]*"(?: data-col="([^"]*)")?[^>]*>(.*?)</td>', body, re.S
        ):
            value: Any = None
            if 'data-flag="C"' in cell:
                value = "C"
            elif found := re.search(r'data-value="([^"]*)"', cell):
                value = Decimal(found[1])
            table[(code, column or None)] = value
    return table


def get(client: Client, name: str, **params: str) -> Any:
    return client.get(
        reverse(f"statistics:{name}"), {**PARAMS, **params}, HTTP_ACCEPT_LANGUAGE="en"
    )


SUM = Relation("sum")


# --- exact figures --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_ministry_gets_exact_figures_on_the_page_and_in_the_xlsx(
    client: Client, filed: Desk
) -> None:
    client.force_login(make_user(Role.MINISTRY_STATISTICIAN))
    expected = {key: sum(p.values(), Decimal(0)) for key, p in parts_of(RECORDS).items()}
    assert expected[(None, None)] == sum(r[3] for r in RECORDS)

    page = get(client, "pivot")
    assert page.status_code == 200
    shown = html_table(page.content.decode())
    assert {k: v for k, v in shown.items() if v is not None} == expected
    assert 'data-flag="C"' not in page.content.decode()

    response = get(client, "pivot_xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    table, sheet = xlsx_table(response.content)
    assert {k: v for k, v in table.items() if v is not None} == expected
    # The cells filed nowhere are empty, not zero.
    assert table[("310000", "BPO")] is None
    assert "Execution value" in sheet["A1"].value and "2025-01" in sheet["A1"].value
    assert "元" in sheet["A2"].value
    assert sheet.freeze_panes == "B5"
    numbers = [
        c for row in sheet.iter_rows(min_row=5) for c in row if isinstance(c.value, float | int)
    ]
    assert numbers and all(c.number_format == "#,##0.00" for c in numbers)
    header = [c.value for c in sheet[4]][1:-1]
    assert header == [column_codes()[code] for code in ("BPO", "ITO", "KPO")]


@pytest.mark.django_db
def test_dollars_convert_each_record_at_its_months_rate(client: Client, filed: Desk) -> None:
    rate = Decimal("7.1")
    rates({(dt.date(2025, 3, 1), "USD"): rate})  # every execution is dated in March
    client.force_login(make_user(Role.MINISTRY_STATISTICIAN))
    response = get(client, "pivot_xlsx", currency="USD")
    table, sheet = xlsx_table(response.content)
    dollars: dict[Key, Decimal] = defaultdict(Decimal)
    for district, _firm, l1, amount in RECORDS:
        for key in itertools.product((province(district), None), (l1, None)):
            dollars[key] += amount / rate
    expected = {k: v.quantize(CENT, rounding=ROUND_HALF_UP) for k, v in dollars.items()}
    assert {k: v for k, v in table.items() if v is not None} == expected
    assert "US$" in sheet["A2"].value
    assert any("not for publication" in str(c.value) for c in sheet["A"])


@pytest.mark.django_db
def test_a_district_official_sees_the_district_only(client: Client, filed: Desk) -> None:
    client.force_login(filed.reviewer(DISTRICT))
    mine = [r for r in RECORDS if r[0] == DISTRICT]
    expected = {key: sum(p.values(), Decimal(0)) for key, p in parts_of(mine).items()}
    html = get(client, "pivot").content.decode()
    assert {k: v for k, v in html_table(html).items() if v is not None} == expected
    assert 'data-flag="C"' not in html  # exact figures, three enterprises or not
    table, _sheet = xlsx_table(get(client, "pivot_xlsx").content)
    assert {k: v for k, v in table.items() if v is not None} == expected
    assert {k[0] for k in table} == {"320000", None}
    assert f"{LONE:,.2f}" not in html


# --- public figures -------------------------------------------------------------------------


def check_public(table: Table) -> None:
    exact = parts_of(RECORDS)
    assert table.keys() >= exact.keys()
    for key, parts in exact.items():
        if sensitive(parts):
            assert table[key] == "C", f"{key} is sensitive but published"
        if table[key] != "C":
            assert table[key] == sum(parts.values(), Decimal(0)), key
    # Shanghai's lone enterprise and Zhejiang's KPO enterprise are primary suppressions.
    assert table[("310000", "ITO")] == "C" and table[("330000", "KPO")] == "C"
    assert not derivable(table, SUM, SUM)


@pytest.mark.django_db
def test_the_public_table_hides_what_would_reveal_an_enterprise(
    client: Client, filed: Desk
) -> None:
    page = get(client, "pivot")
    html = page.content.decode()
    check_public(html_table(html))
    assert f"{LONE:,.2f}" not in html and str(LONE) not in html
    assert "85%" in html  # the disclosure rule is stated

    response = get(client, "pivot_xlsx")
    table, sheet = xlsx_table(response.content)
    check_public(table)
    notes = [c.value for c in sheet["A"] if isinstance(c.value, str)]
    assert any("85%" in note and "C" in note for note in notes)
    assert all(
        c.value in ("C", None) or isinstance(c.value, float | int)
        for row in sheet.iter_rows(min_row=5, max_row=8, min_col=2)
        for c in row
    )


@pytest.mark.django_db
def test_an_official_asks_for_the_public_table(client: Client, filed: Desk) -> None:
    client.force_login(make_user(Role.MINISTRY_STATISTICIAN))
    html = get(client, "pivot", public="1").content.decode()
    check_public(html_table(html))
    assert 'data-testid="own-view"' in html
    anonymous = Client()
    assert html_table(html) == html_table(get(anonymous, "pivot").content.decode())
    table, _sheet = xlsx_table(get(client, "pivot_xlsx", public="1").content)
    check_public(table)


# --- refusals and spreadsheet safety --------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"rows": "nope"}, "is not a dimension"),
        ({"rows": "province", "columns": "province"}, "two different dimensions"),
        ({"from": "2025-13"}, "is not a month"),
        ({"measure": "employees", "columns": "category"}, "cannot be broken down by"),
    ],
)
def test_bad_parameters_are_explained(client: Client, params: dict[str, str], message: str) -> None:
    page = get(client, "pivot", **params)
    assert page.status_code == 200
    assert 'data-testid="pivot-error"' in page.content.decode()
    assert message in page.content.decode()
    download = get(client, "pivot_xlsx", **params)
    assert download.status_code == 400
    assert message in download.content.decode()


def test_text_that_would_be_a_formula_is_neutralised() -> None:
    assert safe_text('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    for start in "=+-@":
        assert safe_text(f"{start}1+1").startswith("'")
    assert safe_text("北京市") == "北京市"


@pytest.mark.django_db
def test_a_name_starting_with_equals_is_text_in_the_xlsx(client: Client, filed: Desk) -> None:
    Country.objects.filter(code="US").update(
        name_zh="=cmd|' /C calc'!A0", name_en="=cmd|' /C calc'!A0"
    )
    client.force_login(make_user(Role.MINISTRY_STATISTICIAN))
    response = get(client, "pivot_xlsx", columns="counterpart_country")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[4]]
    assert "'=cmd|' /C calc'!A0" in header
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


@pytest.mark.django_db
def test_the_page_offers_the_form_and_the_download(client: Client) -> None:
    html = client.get(reverse("statistics:pivot")).content.decode()
    assert 'data-testid="pivot-form"' in html
    assert reverse("statistics:pivot_xlsx") in html


@pytest.mark.django_db
def test_a_table_too_large_for_a_page_is_offered_as_xlsx(
    client: Client, filed: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("soms.statistics.pivot.MAX_SHOWN_CELLS", 4)
    html = get(client, "pivot").content.decode()
    assert 'data-testid="pivot-too-large"' in html
    assert 'data-testid="pivot-table"' not in html
    assert get(client, "pivot_xlsx").status_code == 200


# --- the protection itself, on made-up tables -----------------------------------------------


def test_a_total_that_gives_a_complement_away_is_hidden() -> None:
    """Shanghai (A) has one ITO (X) enterprise; the engine hid its BPO (Y) cell and Jiangsu's
    (B) ITO cell as complements, but each is alone in a line whose total another table
    publishes: the BPO total is Shanghai's BPO cell, and then Shanghai's total minus it is the
    lone enterprise's figure. The pivot hides those totals."""
    values: dict[Key, Decimal | None] = {
        ("A", "X"): None,
        ("A", "Y"): None,
        ("B", "X"): None,
        ("A", None): Decimal(400),
        ("B", None): Decimal(300),
        (None, "X"): Decimal(310),
        (None, "Y"): Decimal(390),
        (None, None): Decimal(700),
    }
    engine_hidden = {("A", "X"), ("A", "Y"), ("B", "X")}
    published = {k: ("C" if k in engine_hidden else v) for k, v in values.items()}
    assert derivable(published, SUM, SUM) == engine_hidden  # the leak the pivot must close
    hidden = protect(values, engine_hidden, SUM, SUM)
    assert hidden >= engine_hidden | {(None, "Y")}
    assert not derivable({k: ("C" if k in hidden else v) for k, v in values.items()}, SUM, SUM)


RELATIONS = st.sampled_from(
    [Relation("sum"), Relation("sum"), Relation("none"), Relation("last", "c2")]
)


@st.composite
def tables(draw: st.DrawFn) -> tuple[dict[Key, Decimal | None], set[Key], Relation, Relation]:
    across = draw(RELATIONS)  # how a row's cells make its total (columns c0, c1, c2 …)
    down = draw(st.sampled_from([Relation("sum"), Relation("none")]))
    rows = [f"r{i}" for i in range(draw(st.integers(1, 4)))]
    columns = [f"c{i}" for i in range(draw(st.integers(1, 4)))]
    values: dict[Key, Decimal | None] = {}
    for key in itertools.product(rows, columns):
        if draw(st.integers(0, 4)):
            values[key] = Decimal(draw(st.integers(1, 1000)))
    for r in rows:
        members = [(r, c) for c in columns if (r, c) in values]
        if across.kind == "last":
            members = [k for k in members if k[1] == across.last]
        if members:
            values[(r, None)] = Decimal(1)
    for c in columns:
        if any((r, c) in values for r in rows):
            values[(None, c)] = Decimal(1)
    # The grand total exists when its lines have something (as the engine's tables do).
    grand = (None, across.last) in values if across.kind == "last" else bool(values)
    if grand:
        values[(None, None)] = Decimal(1)
    keys = sorted(values, key=str)
    hidden = set(draw(st.lists(st.sampled_from(keys), max_size=len(keys)))) if keys else set()
    return values, hidden, across, down


@settings(max_examples=300, deadline=None, database=None)
@given(table=tables())
def test_no_hidden_entry_can_be_computed_after_protection(
    table: tuple[dict[Key, Decimal | None], set[Key], Relation, Relation],
) -> None:
    values, hidden, across, down = table
    protected = protect(values, hidden, across, down)
    assert protected >= hidden
    published = {k: ("C" if k in protected else v) for k, v in values.items()}
    assert not derivable(published, across, down)
