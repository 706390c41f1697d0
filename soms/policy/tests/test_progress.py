"""Progress, projection and status: against an independent recomputation from the records
(plain Python sums, the standard library's least squares), on known series, and with data
missing."""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.policy import services
from soms.policy.choices import Comparison, Direction, ScopeLevel, SeriesUnit, Source, Status
from soms.policy.models import ExternalSeries, Target
from soms.policy.progress import evaluate, least_squares, recent_run
from soms.policy.services import Figure
from soms.policy.tests.conftest import TODAY, USD_RATE, World, contract_of
from soms.reference.models import Division
from soms.testing import make_user

pytestmark = pytest.mark.django_db
BASE = {
    "title_zh": "测试目标",
    "document_title": "测试文件",
    "deadline": 2030,
}


@pytest.fixture
def admin(db: Any) -> User:
    return make_user(Role.MINISTRY_ADMIN)


def target(admin: User, code: str, **fields: Any) -> Target:
    return services.save_target(admin, {**BASE, "code": code, **fields})


def series(admin: User, code: str, values: dict[int, str], unit: str = SeriesUnit.COUNT) -> Any:
    data = {"code": code, "name_zh": code, "unit": unit, "source": "测试来源"}
    figures = [Figure(str(y), y, None, Decimal(v)) for y, v in values.items()]
    return services.save_series(admin, data, figures)


def offshore_100m_usd(world: World, year: int) -> Decimal:
    """Independent: the approved offshore executions of ``year`` (filed in dollars)."""
    total = sum(
        (
            e.amount
            for e in world.executions
            if e.executed_on.year == year and contract_of(e).counterpart_country_id != "CN"
        ),
        Decimal(0),
    )
    return (total / 10**8).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- the trend ---------------------------------------------------------------------------------


def test_least_squares_on_a_known_line() -> None:
    line = least_squares([(2021, Decimal(10)), (2022, Decimal(12)), (2023, Decimal(14))])
    assert line is not None
    assert line.slope == 2
    assert line.at(2030) == 28


def test_least_squares_agrees_with_the_standard_library() -> None:
    points = [(2019, Decimal("3.1")), (2020, Decimal("2.4")), (2022, Decimal("5.9")),
              (2023, Decimal("6.2"))]  # fmt: skip
    line = least_squares(points)
    slope, intercept = statistics.linear_regression(
        [float(y) for y, _v in points], [float(v) for _y, v in points]
    )
    assert line is not None
    assert float(line.slope) == pytest.approx(slope)
    assert float(line.at(2030)) == pytest.approx(slope * 2030 + intercept)


def test_one_year_gives_no_line() -> None:
    assert least_squares([(2024, Decimal(5))]) is None
    assert least_squares([]) is None


# --- known series (an external series: every figure chosen) -------------------------------------


@pytest.fixture
def rising(admin: User) -> ExternalSeries:
    return series(admin, "rising", {2021: "10", 2022: "12", 2023: "14", 2024: "16", 2025: "18"})


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        # The line 10, 12 … 18 (2021–2025) reaches 28 in 2030.
        ({"target_value": Decimal(25)}, Status.ON_TRACK),
        ({"target_value": Decimal(30)}, Status.AT_RISK),
        ({"target_value": Decimal(18)}, Status.ACHIEVED),
        ({"target_value": Decimal(30), "deadline": 2024}, Status.MISSED),
        ({"target_value": Decimal(15), "deadline": 2024}, Status.ACHIEVED),
        # At most: 18 is above 15 and the line rises away from it.
        ({"target_value": Decimal(15), "comparison": Comparison.AT_MOST}, Status.AT_RISK),
        ({"target_value": Decimal(20), "comparison": Comparison.AT_MOST}, Status.ACHIEVED),
        # Ratio to the baseline: 18 is 1.8 times the 10 of 2021.
        (
            {"target_value": Decimal("1.5"), "comparison": Comparison.RATIO, "baseline_year": 2021},
            Status.ACHIEVED,
        ),
        (
            {"target_value": Decimal(3), "comparison": Comparison.RATIO, "baseline_year": 2021},
            Status.AT_RISK,  # 28 in 2030 < 30
        ),
        (
            {"target_value": Decimal("2.5"), "comparison": Comparison.RATIO, "baseline_year": 2021},
            Status.ON_TRACK,  # 28 in 2030 >= 25
        ),
        ({"direction": Direction.RISE}, Status.ON_TRACK),
        ({"direction": Direction.FALL}, Status.AT_RISK),
        ({"direction": Direction.RISE, "deadline": 2025}, Status.ACHIEVED),
        ({"direction": Direction.FALL, "deadline": 2025}, Status.MISSED),
    ],
)
def test_status_on_a_known_series(
    admin: User, rising: ExternalSeries, fields: dict[str, Any], status: str
) -> None:
    t = target(admin, "T-2020-K", indicator="external", series=rising, **fields)
    progress = evaluate(t, today=TODAY)
    assert progress.status == status, progress.reasons


def test_the_projection_of_a_known_linear_series(admin: User, rising: ExternalSeries) -> None:
    t = target(admin, "T-2020-P", indicator="external", series=rising, target_value=Decimal(30))
    progress = evaluate(t, today=TODAY)
    assert progress.trend is not None and progress.trend.years == [2021, 2022, 2023, 2024, 2025]
    assert progress.projected == 28
    assert progress.projection_line()[2027] == 22
    # Progress without a baseline: the latest figure as a share of the target.
    assert progress.percent == Decimal("60.0")
    chart = progress.chart()
    kinds = {s["kind"]: s["values"] for s in chart["series"]}
    assert chart["years"][0] == "2021" and chart["years"][-1] == "2030"
    assert kinds["target"] == ["30"] * 10
    assert kinds["projection"][-1] == "28"
    assert kinds["external"][:5] == ["10", "12", "14", "16", "18"]


def test_progress_runs_from_the_baseline(admin: User, rising: ExternalSeries) -> None:
    t = target(
        admin,
        "T-2020-B",
        indicator="external",
        series=rising,
        target_value=Decimal(26),
        baseline_year=2021,
    )
    # (18 − 10) / (26 − 10)
    assert evaluate(t, today=TODAY).percent == Decimal("50.0")


def test_the_trend_takes_at_most_five_years(admin: User) -> None:
    values = {2019: "100", 2020: "0", 2021: "1", 2022: "2", 2023: "3", 2024: "4", 2025: "5"}
    s = series(admin, "long", values)
    progress = evaluate(
        target(admin, "T-2020-L", indicator="external", series=s, target_value=Decimal(10)),
        today=TODAY,
    )
    assert progress.trend is not None and progress.trend.years == [2021, 2022, 2023, 2024, 2025]
    assert progress.projected == 10
    assert progress.status == Status.ON_TRACK


def test_one_year_of_figures_has_no_projection(admin: User) -> None:
    s = series(admin, "single", {2025: "5"})
    progress = evaluate(
        target(admin, "T-2020-S", indicator="external", series=s, target_value=Decimal(10)),
        today=TODAY,
    )
    assert progress.trend is None and progress.projected is None
    assert progress.status == Status.AT_RISK
    direction = evaluate(
        target(admin, "T-2020-D", indicator="external", series=s, direction=Direction.RISE),
        today=TODAY,
    )
    assert direction.status == Status.NO_DATA


def test_an_empty_series_is_no_data_not_zero(admin: User) -> None:
    s = series(admin, "empty", {})
    progress = evaluate(
        target(admin, "T-2006-E", indicator="external", series=s, target_value=Decimal(100)),
        today=TODAY,
    )
    assert progress.status == Status.NO_DATA
    assert progress.latest is None and progress.percent is None
    assert all(f.value is None and f.missing for f in progress.figures)
    assert all(row["missing"] for row in progress.rows() if row["figure"] is not None)


def test_a_benchmark_series_is_the_target_line(admin: User, world: World) -> None:
    # Output per practitioner from the records: dollars executed over employees at year end.
    ours = {}
    for year in (2023, 2024, 2025):
        usd = sum(
            (e.amount if e.currency_id == "USD" else e.amount / USD_RATE
             for e in world.executions if e.executed_on.year == year),
            Decimal(0),
        ).quantize(Decimal("0.01"), ROUND_HALF_UP)  # fmt: skip
        staff = sum(w.employees for w in world.workforce if w.month.year == year)
        ours[year] = (usd / staff).quantize(Decimal(1), ROUND_HALF_UP)
    slope, intercept = statistics.linear_regression(list(ours), [float(v) for v in ours.values()])
    ours_2035 = slope * 2035 + intercept
    for code, bench_values in (
        ("flat", {2023: "300000", 2024: "300000", 2025: "300000"}),
        ("steep", {2023: "300000", 2024: "330000", 2025: "360000"}),
    ):
        bench = series(admin, code, bench_values, SeriesUnit.USD_PER_PERSON)
        b_slope, b_intercept = statistics.linear_regression(
            list(bench_values), [float(v) for v in bench_values.values()]
        )
        t = target(
            admin,
            f"T-2035-{code.upper()}",
            indicator="output_per_practitioner",
            benchmark=bench,
            deadline=2035,
        )
        progress = evaluate(t, today=TODAY)
        assert {y: progress.by_year[y].value for y in ours} == ours
        assert ours[2025] < Decimal(bench_values[2025])  # not there yet
        assert float(progress.goal) == pytest.approx(b_slope * 2035 + b_intercept)
        expected = Status.ON_TRACK if ours_2035 >= b_slope * 2035 + b_intercept else Status.AT_RISK
        assert progress.status == expected
        assert progress.status == (Status.ON_TRACK if code == "flat" else Status.AT_RISK)


# --- from the records -----------------------------------------------------------------------


def test_a_ratio_target_against_the_records(admin: User, world: World) -> None:
    # Offshore execution value: 2025 against 2023, in 100 million dollars.
    base, last = offshore_100m_usd(world, 2023), offshore_100m_usd(world, 2025)
    assert (base, last) == (Decimal("2.00"), Decimal("2.40"))
    for multiple, expected in ((Decimal("1.1"), Status.ACHIEVED), (Decimal("1.5"), Status.MISSED)):
        t = target(
            admin,
            f"T-2023-X{multiple}".replace(".", ""),
            indicator="offshore_execution",
            comparison=Comparison.RATIO,
            target_value=multiple,
            baseline_year=2023,
            deadline=2025,
        )
        progress = evaluate(t, today=TODAY)
        assert progress.baseline == base
        assert progress.by_year[2025].value == last
        assert progress.goal == base * multiple
        assert progress.status == (Status.ACHIEVED if last >= base * multiple else Status.MISSED)
        assert progress.status == expected
        assert progress.percent == ((last - base) / (base * multiple - base) * 100).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )


def test_a_stock_target_projects_the_records_trend(admin: User, world: World) -> None:
    # CMM/CMMI level 3+ holders at each year's end (2026: today), recounted from certificates;
    # every firm registered on 1 January 2020.
    days = {year: dt.date(year, 12, 31) for year in range(2020, 2026)} | {2026: TODAY}
    counts = {
        year: len(
            {
                c.enterprise_id
                for c in world.certifications
                if c.kind in ("CMM", "CMMI")
                and (c.level or 0) >= 3
                and c.valid_from <= day <= c.valid_to
            }
        )
        for year, day in days.items()
    }
    assert counts == {2020: 0, 2021: 0, 2022: 1, 2023: 2, 2024: 3, 2025: 2, 2026: 2}
    recent = list(counts)[-5:]
    slope, intercept = statistics.linear_regression(recent, [counts[y] for y in recent])
    projected = slope * 2028 + intercept
    for goal in (2, 3):
        t = target(
            admin, f"T-2024-C{goal}", indicator="cmmi_level3", target_value=Decimal(goal),
            deadline=2028,
        )  # fmt: skip
        progress = evaluate(t, today=TODAY)
        shown = {f.year: f.value for f in progress.figures if f.value is not None}
        assert shown == {y: Decimal(c) for y, c in counts.items()}
        assert progress.trend is not None and progress.trend.years == recent
        assert float(progress.projected) == pytest.approx(projected)
        if counts[2026] >= goal:
            expected = Status.ACHIEVED
        else:
            expected = Status.ON_TRACK if projected >= goal else Status.AT_RISK
        assert progress.status == expected
        assert progress.status == (Status.ACHIEVED if goal == 2 else Status.AT_RISK)


def test_a_direction_target_follows_the_records(admin: User, world: World) -> None:
    # Digital business (offshore here) grows faster than the rest: its share rises.
    shares = {}
    for year in (2023, 2024, 2025):
        digital = sum(
            (e.amount * USD_RATE for e in world.executions
             if e.executed_on.year == year and e.currency_id == "USD"),
            Decimal(0),
        )  # fmt: skip
        other = sum(
            (e.amount for e in world.executions
             if e.executed_on.year == year and e.currency_id == "CNY"),
            Decimal(0),
        )  # fmt: skip
        shares[year] = (digital / (digital + other) * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    assert shares[2023] < shares[2024] < shares[2025]
    rise = evaluate(
        target(admin, "T-2020-DR", indicator="digital_share", direction=Direction.RISE),
        today=TODAY,
    )
    assert {y: rise.by_year[y].value for y in shares} == shares
    assert rise.status == Status.ON_TRACK
    # The part of 2026 is shown but left out of the trend.
    assert rise.by_year[2026].reading is not None and not rise.by_year[2026].usable
    assert rise.trend is not None and rise.trend.years == [2023, 2024, 2025]
    fall = evaluate(
        target(admin, "T-2020-DF", indicator="digital_share", direction=Direction.FALL),
        today=TODAY,
    )
    assert fall.status == Status.AT_RISK
    done = evaluate(
        target(
            admin, "T-2020-DD", indicator="digital_share", direction=Direction.RISE, deadline=2025
        ),
        today=TODAY,
    )
    assert done.status == Status.ACHIEVED


def test_a_total_over_the_years_adds_up_the_records(admin: User, world: World) -> None:
    trained = {y: sum(1 for t in world.training if t.completed_on.year == y) for y in (2023, 2025)}
    t = target(
        admin,
        "T-2023-TR",
        indicator="trainees",
        target_value=Decimal(15),
        accumulate_from=2023,
        deadline=2025,
    )
    progress = evaluate(t, today=TODAY)
    assert progress.by_year[2023].value == trained[2023]
    assert progress.by_year[2024].value == trained[2023]  # none in 2024: a zero, not a gap
    assert progress.by_year[2025].value == trained[2023] + trained[2025]
    assert progress.status == Status.ACHIEVED  # 20 >= 15
    # Counted from 2022, before the system: the total cannot be added up.
    gap = evaluate(
        target(
            admin,
            "T-2022-TR",
            indicator="trainees",
            target_value=Decimal(15),
            accumulate_from=2022,
            deadline=2025,
        ),
        today=TODAY,
    )
    assert gap.status == Status.NO_DATA
    assert gap.by_year[2025].value is None and "2022" in gap.by_year[2025].missing


def test_a_missing_baseline_says_no_data(admin: User, world: World) -> None:
    t = target(
        admin,
        "T-2006-X4",
        indicator="offshore_execution",
        comparison=Comparison.RATIO,
        target_value=Decimal(4),
        baseline_year=2005,
        deadline=2010,
    )
    progress = evaluate(t, today=TODAY)
    assert progress.status == Status.NO_DATA
    assert progress.baseline is None
    assert progress.by_year[2005].value is None
    assert "2005" in " ".join(progress.reasons)
    # 2010 has a published national figure, which is shown with its source.
    assert progress.by_year[2010].source == Source.PUBLISHED


def test_a_deadline_before_the_records_says_no_data(admin: User, world: World) -> None:
    t = target(
        admin, "T-2006-C3", indicator="cmmi_level3", target_value=Decimal(700), deadline=2011
    )
    progress = evaluate(t, today=TODAY)
    assert progress.status == Status.NO_DATA
    assert progress.by_year[2011].value is None
    # Later figures are shown for information; they do not make the passed deadline met.
    assert progress.latest is not None and progress.latest.year == 2026


def test_a_province_target_counts_its_province_only(admin: User, world: World) -> None:
    jiangsu = Division.objects.get(code="320000")
    t = target(
        admin,
        "T-2024-JS",
        indicator="cmmi_level3",
        target_value=Decimal(3),
        scope_level=ScopeLevel.PROVINCE,
        division=jiangsu,
    )
    progress = evaluate(t, today=TODAY)
    assert progress.by_year[2024].value == 2  # the Wuhan firm's CMM 3 is not Jiangsu's
    assert progress.by_year[2025].value == 1


def test_the_public_gets_confidential_figures_as_no_data(admin: User, world: World) -> None:
    wuhan = Division.objects.get(code="420100")
    t = target(
        admin,
        "T-2024-WH",
        indicator="offshore_execution",
        target_value=Decimal(5),
        scope_level=ScopeLevel.CITY,
        division=wuhan,
    )
    official = evaluate(t, today=TODAY)
    assert official.by_year[2025].value == Decimal("0.90")
    public = evaluate(t, public=True, today=TODAY)
    assert public.by_year[2025].value is None and public.by_year[2025].confidential
    assert public.status == Status.NO_DATA


def test_a_second_indicator_can_hold_the_target_back(admin: User, world: World) -> None:
    t = target(
        admin,
        "T-2025-LEAD",
        indicator="leading_enterprises",
        companion_indicator="employees",
        threshold=Decimal(200_000_000),
        direction=Direction.RISE,
    )
    progress = evaluate(t, today=TODAY)
    assert progress.own_status == Status.ON_TRACK  # 3, 4, 4 leaders: the trend rises
    assert progress.companion is not None
    # Employees at each year's end rise (and 2026 repeats 2025's reports).
    assert progress.companion.status == Status.ON_TRACK
    assert progress.status == Status.ON_TRACK


def test_recent_run_keeps_one_source(admin: User, world: World) -> None:
    t = target(
        admin,
        "T-2019-OFF",
        indicator="offshore_execution",
        target_value=Decimal(9),
        baseline_year=2019,
    )
    progress = evaluate(t, today=TODAY)
    sources = {f.year: f.source for f in progress.figures if f.reading}
    assert sources[2019] == Source.PUBLISHED and sources[2023] == Source.SYSTEM
    run = recent_run(progress.figures)
    assert [f.year for f in run] == [2023, 2024, 2025]
