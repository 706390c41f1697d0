"""Properties of every parser of what users type or upload (hypothesis): any input gives a value
or the parser's own refusal, never another exception; every accepted form of a value gives the
value back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from soms.core.errors import ServiceError
from soms.core.tabular import (
    CellError,
    Column,
    FileError,
    decode,
    parse_date,
    parse_decimal,
    parse_month,
    parse_text,
    read_rows,
)
from soms.registry.validators import clean_uscc
from soms.statistics.engine import parse_month as parse_query_month

# Parsers touch no database: run once when both are tested (see the Makefile).
pytestmark = pytest.mark.embedded

CASES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
anything = st.one_of(
    st.text(max_size=40),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.dates(),
)
FULL_WIDTH = str.maketrans("0123456789,.-/", "０１２３４５６７８９，．－／")


@CASES
@given(anything)
def test_a_decimal_cell_is_a_number_or_refused(value: object) -> None:
    try:
        result = parse_decimal(value)
    except CellError:
        return
    assert isinstance(result, Decimal)


@CASES
@given(
    st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False),
    st.booleans(),
    st.booleans(),
)
def test_every_accepted_form_of_an_amount_gives_it_back(
    amount: Decimal, thousands: bool, full_width: bool
) -> None:
    text = f"{amount:,.2f}" if thousands else f"{amount:.2f}"
    if full_width:
        text = text.translate(FULL_WIDTH)
    assert parse_decimal(text) == amount


@CASES
@given(
    st.decimals(min_value=1, max_value=10**9, places=2, allow_nan=False),
    st.sampled_from(["万", "亿", "千", "万元", "亿美元"]),
)
def test_an_amount_with_a_unit_is_refused(amount: Decimal, unit: str) -> None:
    with pytest.raises(CellError):
        parse_decimal(f"{amount}{unit}")


@CASES
@given(anything)
def test_a_date_cell_is_a_date_or_refused(value: object) -> None:
    try:
        result = parse_date(value)
    except CellError:
        return
    assert isinstance(result, dt.date)


@CASES
@given(
    st.dates(min_value=dt.date(1000, 1, 1)), st.sampled_from(["iso", "slash", "zh"]), st.booleans()
)
def test_every_accepted_form_of_a_date_gives_it_back(
    day: dt.date, form: str, full_width: bool
) -> None:
    text = {
        "iso": f"{day:%Y-%m-%d}",
        "slash": f"{day.year}/{day.month}/{day.day}",
        "zh": f"{day.year}年{day.month}月{day.day}日",
    }[form]
    if full_width:
        text = text.translate(FULL_WIDTH)
    assert parse_date(text) == day


@CASES
@given(anything)
def test_a_month_cell_is_a_month_or_refused(value: object) -> None:
    try:
        result = parse_month(value)
    except CellError:
        return
    assert result.day == 1


@CASES
@given(st.text(max_size=12))
def test_a_query_month_is_a_month_or_refused(text: str) -> None:
    try:
        result = parse_query_month(text, "from")
    except ServiceError as refused:
        assert refused.field == "from"
        return
    assert result.day == 1 and f"{result:%Y-%m}" == f"{result.year:04d}-{result.month:02d}"


@CASES
@given(st.dates(min_value=dt.date(1000, 1, 1)))
def test_a_month_gives_itself_back(day: dt.date) -> None:
    assert parse_month(f"{day:%Y-%m}") == day.replace(day=1)
    assert parse_query_month(f"{day:%Y-%m}", "to") == day.replace(day=1)


@CASES
@given(st.text(max_size=40))
def test_text_cells_keep_no_control_character(value: str) -> None:
    try:
        text = parse_text(value)
    except CellError:
        return
    assert not any(ord(c) < 9 or 13 < ord(c) < 32 or 127 <= ord(c) <= 159 for c in text)


USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@CASES
@given(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17))
def test_a_uscc_with_its_check_character_is_accepted(body: str) -> None:
    code = body + stdnum_uscc.calc_check_digit(body)
    try:
        stdnum_uscc.validate(code)
    except Exception:
        return
    assert clean_uscc(code.lower()) == code
    wrong = USCC_ALPHABET[(USCC_ALPHABET.index(code[-1]) + 1) % len(USCC_ALPHABET)]
    with pytest.raises(ServiceError) as refused:
        clean_uscc(code[:-1] + wrong)
    assert refused.value.field == "uscc"


@CASES
@given(st.text(max_size=30))
def test_any_uscc_text_is_accepted_or_refused_on_its_field(text: str) -> None:
    try:
        clean_uscc(text)
    except ServiceError as refused:
        assert refused.field == "uscc"


COLUMNS = [
    Column("uscc", "统一社会信用代码"),
    Column("amount", "金额"),
    Column("note", "备注", False),
]


@CASES
@given(
    st.permutations(COLUMNS),
    st.lists(st.sampled_from(["name", "alias", "upper", "spaced"]), min_size=3, max_size=3),
)
def test_headers_in_any_order_language_and_case_find_their_columns(
    tmp_path_factory: pytest.TempPathFactory, order: list[Column], styles: list[str]
) -> None:
    header = []
    for column, style in zip(order, styles, strict=True):
        header.append(
            {
                "name": column.name,
                "alias": column.alias,
                "upper": column.name.upper(),
                "spaced": f"  {column.name} ",
            }[style]
        )
    values = {"uscc": "91320500MA1X0000X0", "amount": "12.50", "note": "x"}
    path = Path(tmp_path_factory.mktemp("headers")) / "file.csv"
    path.write_text(
        ",".join(header) + "\n" + ",".join(values[c.name] for c in order) + "\n",
        encoding="utf-8",
    )
    rows = list(read_rows(path, COLUMNS))
    assert len(rows) == 1 and rows[0].values == values


@CASES
@given(st.binary(max_size=200))
def test_any_bytes_are_rows_or_a_clear_file_error(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = Path(tmp_path_factory.mktemp("bytes")) / "file.csv"
    path.write_bytes(data)
    try:
        for row in read_rows(path, COLUMNS):
            assert set(row.values) <= {c.name for c in COLUMNS}
    except FileError as refused:
        assert str(refused)


@CASES
@given(
    st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=50)
)
def test_utf8_and_gb18030_text_decode_to_itself(text: str) -> None:
    assert decode(text.encode("utf-8")) == text
    try:
        data = text.encode("gb18030")
    except UnicodeEncodeError:
        return
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        assert decode(data) == text  # not valid UTF-8: read as GB18030


def test_text_with_nul_bytes_is_refused() -> None:
    with pytest.raises(FileError, match="NUL"):
        decode(b"a\x00b")
