"""Preparing, publishing and revising releases: frozen figures, revisions, the bulletin's
consistency with the figures, permissions and the audit trail."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import timezone

from soms.accounts.choices import Role
from soms.audit.models import AuditEvent
from soms.audit.services import verify_chain
from soms.core.errors import ConflictError, NotPermitted, ServiceError
from soms.dissemination import services
from soms.dissemination.models import Release, ReleaseFigure
from soms.dissemination.tables import Cell, compute_figures
from soms.dissemination.tests.conftest import History
from soms.filing.models import Execution
from soms.testing import make_user

pytestmark = pytest.mark.django_db


def _sum(executions: list[Execution], rate: Decimal = Decimal(1)) -> Decimal:
    """Independent recomputation: approved executions in 2026 up to March, in yuan."""
    total = Decimal(0)
    for e in executions:
        if dt.date(2026, 1, 1) <= e.executed_on <= dt.date(2026, 3, 31):
            total += e.amount * (Decimal("7.0") if e.currency_id == "USD" else Decimal(1))
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def publish(history: History, when: dt.datetime | None = None) -> Release:
    release = services.prepare_release(history.statistician, history.month)
    return services.publish_release(history.statistician, release, when)


def test_a_published_release_keeps_its_figures_after_later_approvals(history: History) -> None:
    release = publish(history)
    before = services.frozen_figures(release).get("national", "execution_value_cny")
    assert before is not None and before.value == _sum(history.executions)

    # A later approval changes the current figure, never the release's.
    contract = history.contracts[1]  # a Suzhou firm's 2026 contract
    late = history.execute(contract, "E-late", dt.date(2026, 2, 20), "250000.00", "USD")
    after = services.frozen_figures(Release.objects.get(pk=release.pk))
    assert after.get("national", "execution_value_cny") == before
    current = services.current_figures(history.month).get("national", "execution_value_cny")
    assert current is not None and current.value == _sum(history.executions)
    assert current.value - before.value == late.amount * Decimal("7.0")

    # The revisions page shows published against current with the difference (100 millions).
    tables = {t["sheet"].table.code: t for t in services.revisions(release)}
    total = next(ln for ln in tables["national"]["lines"] if ln["key"] == "")
    series = [s.code for s in tables["national"]["sheet"].series]
    pair = total["pairs"][series.index("execution_value_cny")]
    assert pair.changed
    expected = (current.value / 10**8).quantize(Decimal("0.01"), ROUND_HALF_UP) - (
        before.value / 10**8
    ).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert pair.difference == expected
    assert tables["national"]["changed"] > 0
    assert tables["enterprises"]["changed"] == 0  # no workforce change: no revision there


def test_a_release_is_frozen_once_published(history: History) -> None:
    release = publish(history)
    count = ReleaseFigure.objects.filter(release=release).count()
    assert count > 0
    with pytest.raises(ConflictError):
        services.edit_bulletin(history.statistician, release, "改", "changed")
    with pytest.raises(ConflictError):
        services.publish_release(history.statistician, release)
    with pytest.raises(ConflictError):
        services.prepare_release(history.statistician, history.month)
    assert ReleaseFigure.objects.filter(release=release).count() == count


def test_publishing_refuses_a_bulletin_drafted_from_other_figures(history: History) -> None:
    release = services.prepare_release(history.statistician, history.month)
    history.execute(history.contracts[1], "E-late", dt.date(2026, 3, 2), "1000.00", "USD")
    with pytest.raises(ConflictError) as refused:
        services.publish_release(history.statistician, release)
    assert refused.value.code == "figures_changed"
    assert not ReleaseFigure.objects.exists()
    release = services.redraft_bulletin(history.statistician, release)
    published = services.publish_release(history.statistician, release)
    assert published.is_published


def test_the_bulletin_states_the_released_headline_figures(history: History) -> None:
    release = publish(history)
    figures = services.frozen_figures(release)
    contract = figures.get("national", "contract_value_cny")
    execution = figures.get("national", "execution_value_cny")
    assert contract and execution and contract.value and execution.value
    in_100m = f"{(contract.value / 10**8).quantize(Decimal('0.01'), ROUND_HALF_UP)}"
    assert f"合同额{in_100m}亿元" in release.bulletin_zh
    assert f"同比增长{contract.yoy_pct}%" in release.bulletin_zh
    assert f"CNY {in_100m} hundred million" in release.bulletin_en
    assert release.bulletin_zh.startswith("2026年1—3月")
    assert release.bulletin_en.startswith("From January to March 2026")


def test_the_bulletin_states_no_confidential_figure(history: History) -> None:
    release = publish(history)
    figures = services.frozen_figures(release)
    # Shanghai has one enterprise: its figures are confidential in every public table.
    shanghai = figures.get("province", "execution_value_cny", "310000")
    assert shanghai is not None and shanghai.flag == "C" and shanghai.value is None
    # Hong Kong and Germany have one client firm each, the central region one enterprise: the
    # bulletin names none of them, while the United States (three firms) is stated.
    hidden = {
        ("market_country", "HK"): ("中国香港", "Hong Kong"),
        ("market_country", "DE"): ("德国", "Germany"),
        ("region", "central"): ("中部地区", "Central"),
    }
    for (table, key), names in hidden.items():
        cell = figures.get(table, "offshore_execution_value_usd", key) or figures.get(
            table, "execution_value_cny", key
        )
        assert cell is not None and cell.flag == "C"
        assert names[0] not in release.bulletin_zh and names[1] not in release.bulletin_en
    us = figures.get("market_country", "offshore_execution_value_usd", "US")
    assert us is not None and us.value and not us.flag
    assert "承接美国离岸服务外包执行额" in release.bulletin_zh


def test_only_a_ministry_statistician_prepares_and_publishes(history: History) -> None:
    others = [
        make_user(Role.MINISTRY_ADMIN),
        make_user(Role.PROVINCE_REVIEWER, division="320000"),
        history.desk.filers[history.firms[0].pk],
    ]
    for actor in others:
        with pytest.raises(NotPermitted):
            services.prepare_release(actor, history.month)
    release = services.prepare_release(history.statistician, history.month)
    with pytest.raises(NotPermitted):
        services.publish_release(make_user(Role.MINISTRY_ADMIN), release)


def test_a_release_covers_an_ended_month(history: History) -> None:
    this_month = timezone.localdate().replace(day=1)
    with pytest.raises(ServiceError) as refused:
        services.prepare_release(history.statistician, this_month)
    assert refused.value.code == "month_not_ended"


def test_each_step_is_audited(history: History) -> None:
    release = services.prepare_release(history.statistician, history.month)
    services.edit_bulletin(history.statistician, release, "新的文字", "New text")
    services.redraft_bulletin(history.statistician, release)
    services.publish_release(history.statistician, release)
    actions = list(
        AuditEvent.objects.for_object(release).order_by("sequence").values_list("action", flat=True)
    )
    assert actions == [
        "dissemination.release.prepared",
        "dissemination.release.edited",
        "dissemination.release.redrafted",
        "dissemination.release.published",
    ]
    edited = AuditEvent.objects.for_object(release).get(action="dissemination.release.edited")
    assert edited.after["bulletin_zh"] == "新的文字"
    assert verify_chain().ok


def test_visibility_follows_the_publication_time(history: History) -> None:
    later = timezone.now() + dt.timedelta(days=2)
    release = publish(history, later)
    anonymous = type("Anonymous", (), {"is_authenticated": False})()
    assert not Release.objects.visible_to(anonymous).exists()
    assert Release.objects.visible_to(history.statistician).get() == release
    Release.objects.filter(pk=release.pk).update(publish_at=timezone.now())
    assert Release.objects.visible_to(anonymous).get() == release


def test_a_figure_hidden_in_one_table_is_hidden_where_another_publishes_it(
    history: History,
) -> None:
    """One enterprise outside the demonstration cities: "other cities" is confidential, so
    "demonstration cities" is hidden with it (the total would give it away), and so is the
    demonstration-city table's total, which is the same figure."""
    desk = history.desk
    outside = desk.enterprise("130102")  # Shijiazhuang: not a demonstration city
    contract = desk.approve(
        desk.contract(
            outside,
            "C-out",
            counterpart_country="US",
            currency="USD",
            amount=Decimal(500_000),
            signed_on=dt.date(2026, 2, 1),
        )
    )
    history.execute(contract, "E-out", dt.date(2026, 3, 5), "50000.00", "USD")
    figures = services.current_figures(history.month)
    for series in ("execution_value_cny", "offshore_execution_value_usd"):
        other = figures.get("demonstration", series, "no")
        cities = figures.get("demonstration", series, "yes")
        city_total = figures.get("demonstration_city", series)
        national = figures.get("demonstration", series)
        assert other is not None and other.flag == "C"
        assert cities is not None and cities.flag == "C"
        assert city_total is not None and city_total.flag == "C" and city_total.value is None
        assert national is not None and national.value  # the national total stays published
    # Exact figures for officials are not touched.
    exact = compute_figures(history.month, public=False)
    assert (exact.get("demonstration_city", "execution_value_cny") or Cell(None)).value
