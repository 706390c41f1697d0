"""The monthly bulletin drafted from a release's figures, in Chinese and in English, in the
manner of the ministry's monthly releases ("1—10月，我国企业承接服务外包合同额…亿元，同比增长…%").

The draft is plain text, one paragraph per line, which the statistician may edit before
publication. A figure that disclosure control hides is never stated: its sentence is left out.
Shares are part / whole × 100, half-up to one decimal (statistics-rules.md).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from django.utils import translation

from soms.dissemination.tables import Cell, Figures, Sheet, sheets

HUNDRED_MILLION = Decimal(100_000_000)
TEN_THOUSAND = Decimal(10_000)
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
MARKETS = (("market_country", "US"), ("market_country", "HK"), ("market_group", "EU27"))
LEADING = 3  # categories named as leading


def share(part: Cell | None, whole: Cell | None) -> Decimal | None:
    if part is None or whole is None or part.value is None or not whole.value:
        return None
    return (part.value / whole.value * 100).quantize(TENTH, rounding=ROUND_HALF_UP)


def hundred_millions(cell: Cell) -> str:
    return f"{(cell.value or 0) / HUNDRED_MILLION:,.2f}".replace(",", "")


def people_zh(cell: Cell) -> str:
    """万人 as the ministry writes them; a count under ten thousand in persons."""
    value = cell.value or 0
    return f"{value / TEN_THOUSAND:.2f}万人" if value >= TEN_THOUSAND else f"{value}人"


def people_en(cell: Cell) -> str:
    value = cell.value or 0
    return f"{value / TEN_THOUSAND:.2f} ten thousand" if value >= TEN_THOUSAND else f"{value}"


class Reader:
    """The release's cells by table and row, in one language (names follow it)."""

    def __init__(self, figures: Figures) -> None:
        self.figures = figures
        self.sheets: dict[str, Sheet] = {s.table.code: s for s in sheets(figures)}

    def cell(self, table: str, series: str, key: str = "") -> Cell | None:
        cell = self.figures.get(table, series, key)
        return cell if cell is not None and cell.value is not None else None

    def name(self, table: str, key: str) -> str:
        for line in self.sheets[table].lines:
            if line.key == key:
                return line.name
        return key

    def leading(self, table: str, series: str, count: int) -> list[str]:
        index = [s.code for s in self.sheets[table].series].index(series)
        keys = [
            line.key
            for line in self.sheets[table].lines
            if line.cells[index] is not None and line.cells[index].value  # type: ignore[union-attr]
        ]
        return keys[:count]


# --- Chinese ------------------------------------------------------------------------------------


def _zh_growth(cell: Cell) -> str:
    if cell.yoy_pct is None:
        return ""
    if cell.yoy_pct > 0:
        return f"，同比增长{cell.yoy_pct}%"
    if cell.yoy_pct < 0:
        return f"，同比下降{-cell.yoy_pct}%"
    return "，与上年同期持平"


def _zh_money(cell: Cell, unit: str) -> str:
    return f"{hundred_millions(cell)}{unit}{_zh_growth(cell)}"


def _zh(figures: Figures) -> str:
    r = Reader(figures)
    month = figures.month
    span = (
        f"{month.year}年{month.month}月" if month.month == 1 else f"{month.year}年1—{month.month}月"
    )
    paragraphs = []

    first = []
    if c := r.cell("national", "contract_value_cny"):
        first.append(f"我国企业承接服务外包合同额{_zh_money(c, '亿元')}")
    if c := r.cell("national", "execution_value_cny"):
        first.append(f"执行额{_zh_money(c, '亿元')}")
    text = f"{span}，" + "；".join(first) + "。" if first else ""
    offshore = []
    if c := r.cell("national", "offshore_contract_value_usd"):
        offshore.append(f"承接离岸服务外包合同额{_zh_money(c, '亿美元')}")
    if c := r.cell("national", "offshore_execution_value_usd"):
        offshore.append(f"执行额{_zh_money(c, '亿美元')}")
    if offshore:
        text += "其中，" + "；".join(offshore) + "。"
    if c := r.cell("national", "execution_value_cny", f"{month:%Y-%m}"):
        text += f"{month.month}月当月，承接服务外包执行额{_zh_money(c, '亿元')}。"
    if text:
        paragraphs.append(text)

    total = r.cell("category_l1", "offshore_execution_value_usd")
    parts = []
    for code, name in (
        ("ITO", "信息技术外包（ITO）"),
        ("BPO", "业务流程外包（BPO）"),
        ("KPO", "知识流程外包（KPO）"),
    ):
        if c := r.cell("category_l1", "offshore_execution_value_usd", code):
            part = f"{name}离岸执行额{_zh_money(c, '亿美元')}"
            if (s := share(c, total)) is not None:
                part += f"，占{s}%"
            parts.append(part)
    if parts:
        text = "从业务结构看，我国企业承接" + "；".join(parts) + "。"
        leading = r.leading("category", "offshore_execution_value_usd", LEADING)
        if leading:
            names = "、".join(r.name("category", k) for k in leading)
            text += f"离岸执行额居前的业务为{names}。"
        paragraphs.append(text)

    whole = r.cell("national", "offshore_execution_value_usd")
    markets = []
    for table, key in MARKETS:
        if c := r.cell(table, "offshore_execution_value_usd", key):
            markets.append(f"承接{r.name(table, key)}离岸服务外包执行额{_zh_money(c, '亿美元')}")
    groups = []
    for key, name in (("RCEP", "RCEP成员国"), ("BRI", "共建“一带一路”国家")):
        if c := r.cell("market_group", "offshore_execution_value_usd", key):
            group = f"承接{name}离岸服务外包执行额{_zh_money(c, '亿美元')}"
            if (s := share(c, whole)) is not None:
                group += f"，占{s}%"
            groups.append(group)
    if markets or groups:
        text = "从主要市场看，"
        paragraphs.append(text + "；".join(markets + groups) + "。")

    if c := r.cell("demonstration", "offshore_execution_value_usd", "yes"):
        text = f"服务外包示范城市承接离岸服务外包执行额{_zh_money(c, '亿美元')}"
        if (s := share(c, r.cell("demonstration", "offshore_execution_value_usd"))) is not None:
            text += f"，占全国的{s}%"
        paragraphs.append(text + "。")

    regions = []
    region_total = r.cell("region", "execution_value_cny")
    for line in r.sheets["region"].lines:
        if c := r.cell("region", "execution_value_cny", line.key):
            part = f"{line.name}{_zh_money(c, '亿元')}"
            if (s := share(c, region_total)) is not None:
                part += f"，占{s}%"
            regions.append(part)
    if regions:
        paragraphs.append("从区域布局看，承接服务外包执行额" + "；".join(regions) + "。")

    people = []
    if c := r.cell("enterprises", "enterprises_registered"):
        people.append(f"全国服务外包企业{c.value}家")
    if c := r.cell("enterprises", "employees"):
        person = f"从业人员{people_zh(c)}"
        if college := r.cell("enterprises", "employees_college"):
            person += f"，其中大学（含大专）以上学历{people_zh(college)}"
            if (s := share(college, c)) is not None:
                person += f"，占{s}%"
        people.append(person)
    if people:
        text = f"截至{month.month}月底，" + "，".join(people) + "。"
        if c := r.cell("enterprises", "new_hires"):
            text += f"{span.removeprefix(f'{month.year}年')}新增从业人员{people_zh(c)}"
            if college := r.cell("enterprises", "new_hires_college"):
                text += f"，其中大学（含大专）以上学历{people_zh(college)}"
            text += "。"
        paragraphs.append(text)
    if figures.provisional:
        paragraphs.append("注：以上数据为初步统计数据，以各级商务主管部门审核确认后的数据为准。")
    return "\n".join(paragraphs)


# --- English ------------------------------------------------------------------------------------

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _en_growth(cell: Cell) -> str:
    if cell.yoy_pct is None:
        return ""
    if cell.yoy_pct > 0:
        return f", up {cell.yoy_pct}% year on year"
    if cell.yoy_pct < 0:
        return f", down {-cell.yoy_pct}% year on year"
    return ", unchanged from a year earlier"


def _en_money(cell: Cell, unit: str) -> str:
    return f"{unit} {hundred_millions(cell)} hundred million{_en_growth(cell)}"


def _en(figures: Figures) -> str:
    r = Reader(figures)
    month = figures.month
    span = (
        f"In {MONTHS[0]} {month.year}"
        if month.month == 1
        else f"From January to {MONTHS[month.month - 1]} {month.year}"
    )
    paragraphs = []
    first = []
    if c := r.cell("national", "contract_value_cny"):
        first.append(
            f"Chinese enterprises signed service outsourcing contracts worth {_en_money(c, 'CNY')}"
        )
    if c := r.cell("national", "execution_value_cny"):
        first.append(f"executed {_en_money(c, 'CNY')}")
    text = f"{span}, " + "; they ".join(first) + "." if first else ""
    if c := r.cell("national", "offshore_contract_value_usd"):
        text += f" Offshore contracts were worth {_en_money(c, 'USD')}"
        if e := r.cell("national", "offshore_execution_value_usd"):
            text += f"; offshore execution reached {_en_money(e, 'USD')}"
        text += "."
    if c := r.cell("national", "execution_value_cny", f"{month:%Y-%m}"):
        text += f" In {MONTHS[month.month - 1]} alone, execution was {_en_money(c, 'CNY')}."
    if text:
        paragraphs.append(text.strip())

    total = r.cell("category_l1", "offshore_execution_value_usd")
    parts = []
    for code, name in (
        ("ITO", "information technology outsourcing (ITO)"),
        ("BPO", "business process outsourcing (BPO)"),
        ("KPO", "knowledge process outsourcing (KPO)"),
    ):
        if c := r.cell("category_l1", "offshore_execution_value_usd", code):
            part = f"{name} {_en_money(c, 'USD')}"
            if (s := share(c, total)) is not None:
                part += f" ({s}% of the total)"
            parts.append(part)
    if parts:
        text = "By type of service, offshore execution was: " + "; ".join(parts) + "."
        leading = r.leading("category", "offshore_execution_value_usd", LEADING)
        if leading:
            names = ", ".join(r.name("category", k) for k in leading)
            text += f" The leading categories were {names}."
        paragraphs.append(text)

    whole = r.cell("national", "offshore_execution_value_usd")
    markets = []
    for table, key in MARKETS:
        if c := r.cell(table, "offshore_execution_value_usd", key):
            markets.append(f"for {r.name(table, key)} {_en_money(c, 'USD')}")
    groups = []
    for key, name in (("RCEP", "RCEP members"), ("BRI", "Belt and Road partner countries")):
        if c := r.cell("market_group", "offshore_execution_value_usd", key):
            group = f"for {name} {_en_money(c, 'USD')}"
            if (s := share(c, whole)) is not None:
                group += f" ({s}% of offshore execution)"
            groups.append(group)
    if markets or groups:
        paragraphs.append("By market, offshore execution was " + "; ".join(markets + groups) + ".")

    if c := r.cell("demonstration", "offshore_execution_value_usd", "yes"):
        text = f"Demonstration cities executed offshore services worth {_en_money(c, 'USD')}"
        if (s := share(c, r.cell("demonstration", "offshore_execution_value_usd"))) is not None:
            text += f", {s}% of the national total"
        paragraphs.append(text + ".")

    regions = []
    region_total = r.cell("region", "execution_value_cny")
    for line in r.sheets["region"].lines:
        if c := r.cell("region", "execution_value_cny", line.key):
            part = f"{line.name} {_en_money(c, 'CNY')}"
            if (s := share(c, region_total)) is not None:
                part += f" ({s}%)"
            regions.append(part)
    if regions:
        paragraphs.append("By region, execution was: " + "; ".join(regions) + ".")

    people = []
    if c := r.cell("enterprises", "enterprises_registered"):
        people.append(f"{c.value} service outsourcing enterprises were registered")
    if c := r.cell("enterprises", "employees"):
        person = f"they employed {people_en(c)} people"
        if college := r.cell("enterprises", "employees_college"):
            person += f", {people_en(college)} of them with a college degree"
            if (s := share(college, c)) is not None:
                person += f" ({s}%)"
        people.append(person)
    if people:
        text = f"At the end of {MONTHS[month.month - 1]}, " + "; ".join(people) + "."
        if c := r.cell("enterprises", "new_hires"):
            text += f" New hires in the year to date: {people_en(c)}"
            if college := r.cell("enterprises", "new_hires_college"):
                text += f", of whom {people_en(college)} college graduates"
            text += "."
        paragraphs.append(text)
    if figures.provisional:
        paragraphs.append(
            "Note: the figures are provisional until the commerce departments have signed them off."
        )
    return "\n".join(paragraphs)


def _in(language: str, draft: Callable[[Figures], str], figures: Figures) -> str:
    with translation.override(language):
        return draft(figures)


def draft_bulletin(figures: Figures) -> tuple[str, str]:
    """(Chinese, English) drafts of the bulletin for ``figures``."""
    return _in("zh-hans", _zh, figures), _in("en", _en, figures)


def headline(figures: Figures) -> dict[str, Cell | None]:
    """The figures a bulletin leads with, for pages and tests."""
    return {
        series: figures.get("national", series)
        for series in (
            "contract_value_cny",
            "execution_value_cny",
            "offshore_contract_value_usd",
            "offshore_execution_value_usd",
        )
    }
