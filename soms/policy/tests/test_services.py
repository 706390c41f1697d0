"""Configuring targets and uploading external series: the rules, all-or-nothing uploads, the
audit trail."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.audit.models import AuditEvent
from soms.audit.services import verify_chain
from soms.core.errors import NotPermitted, ServiceError
from soms.policy import services
from soms.policy.choices import Comparison, Direction, SeriesUnit
from soms.policy.models import ExternalSeries, ExternalValue, Target
from soms.testing import make_user

pytestmark = pytest.mark.django_db

SERIES = {
    "code": "services-exports",
    "name_zh": "服务出口额",
    "name_en": "Services exports",
    "unit": SeriesUnit.CNY_100M,
    "source": "商务部服务贸易统计",
    "source_url": "http://www.mofcom.gov.cn/",
}
TARGET = {
    "code": "T-2020-HUB",
    "title_zh": "离岸服务外包占服务出口比重提高",
    "document_title": "指导意见",
    "indicator": "offshore_share_of_exports",
    "direction": Direction.RISE,
    "deadline": 2025,
}


@pytest.fixture
def admin(db: Any) -> User:
    return make_user(Role.MINISTRY_ADMIN)


def upload(actor: User, text: str, name: str = "series.csv", **data: Any) -> ExternalSeries:
    file = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    return services.upload_series(actor, {**SERIES, **data}, file)


def test_an_upload_writes_the_series_with_its_source_and_an_audit_event(admin: User) -> None:
    series = upload(admin, 'year,value\n2023,26856.6\n2024,"31,755.6"\n')
    assert series.uploaded_by == admin and series.source == SERIES["source"]
    assert {v.period: v.value for v in series.values.all()} == {
        "2023": Decimal("26856.6"),
        "2024": Decimal("31755.6"),
    }
    event = AuditEvent.objects.get(action="policy.series.uploaded")
    assert event.after["figures"] == 2 and event.after["source"] == SERIES["source"]
    assert verify_chain().ok


def test_periods_may_be_year_ends_and_headers_chinese(admin: User) -> None:
    series = upload(admin, "期间,数值\n2024-12,5\n2025,6\n", unit=SeriesUnit.COUNT)
    assert [(v.year, v.month) for v in series.values.order_by("year")] == [(2024, 12), (2025, None)]
    assert {y: v.value for y, v in series.by_year().items()} == {2024: 5, 2025: 6}


def test_a_file_with_bad_rows_writes_nothing_and_names_each_row(admin: User) -> None:
    text = "year,value\n2023,100\n20x4,5\n2025,abc\n2023,7\n2026,-3\n"
    with pytest.raises(services.UploadRefused) as refused:
        upload(admin, text)
    rows = {(e.row, e.column) for e in refused.value.rows}
    assert rows == {(3, "year"), (4, "value"), (5, "year"), (6, "value")}
    lines = services.row_texts(refused.value)
    assert any("20x4" in line and "3" in line for line in lines)
    assert not ExternalSeries.objects.exists() and not ExternalValue.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="policy.").exists()


def test_a_bad_replacement_keeps_the_series_as_it_was(admin: User) -> None:
    upload(admin, "year,value\n2023,1\n2024,2\n")
    with pytest.raises(services.UploadRefused):
        upload(admin, "year,value\n2023,9\n2024,万\n", name_zh="改名")
    series = ExternalSeries.objects.get()
    assert series.name_zh == SERIES["name_zh"]
    assert [v.value for v in series.values.order_by("year")] == [1, 2]


def test_a_good_replacement_replaces_every_figure(admin: User) -> None:
    upload(admin, "year,value\n2023,1\n2024,2\n")
    upload(admin, "year,value\n2025,3\n")
    series = ExternalSeries.objects.get()
    assert [v.period for v in series.values.all()] == ["2025"]
    event = AuditEvent.objects.get(action="policy.series.replaced")
    assert event.before["figures"] == 2 and event.after["figures"] == 1


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("month,value\n2024,1\n", "bad_file"),  # an unknown column
        ("value\n1\n", "bad_file"),  # neither year nor period
        ("year,period,value\n2024,2024,1\n", "bad_file"),  # both
        ("year,value\n", "empty_file"),
    ],
)
def test_a_file_of_the_wrong_shape_is_refused(admin: User, text: str, code: str) -> None:
    with pytest.raises(ServiceError) as refused:
        upload(admin, text)
    assert refused.value.code == code and refused.value.field == "file"
    assert not ExternalSeries.objects.exists()


def test_a_series_needs_a_source_and_a_proper_code(admin: User) -> None:
    with pytest.raises(ServiceError) as refused:
        upload(admin, "year,value\n2024,1\n", source="")
    assert refused.value.field == "source"
    with pytest.raises(ServiceError) as refused:
        upload(admin, "year,value\n2024,1\n", code="Services Exports")
    assert refused.value.field == "code"
    assert not ExternalSeries.objects.exists()


@pytest.mark.parametrize("role", [Role.MINISTRY_STATISTICIAN, Role.PROVINCE_REVIEWER])
def test_only_the_ministry_administrator_uploads(role: str) -> None:
    division = "320000" if role == Role.PROVINCE_REVIEWER else None
    with pytest.raises(NotPermitted):
        upload(make_user(role, division=division), "year,value\n2024,1\n")
    assert not ExternalSeries.objects.exists()


# --- targets -------------------------------------------------------------------------------------


@pytest.fixture
def exports(admin: User) -> ExternalSeries:
    return upload(admin, "year,value\n2023,26856.6\n")


def test_a_target_is_saved_with_its_event(admin: User, exports: ExternalSeries) -> None:
    t = services.save_target(admin, {**TARGET, "series": exports})
    assert t.series == exports and not t.published
    assert AuditEvent.objects.filter(action="policy.target.created", object_id=str(t.pk)).exists()
    services.save_target(admin, {"note": "收紧"}, t)
    event = AuditEvent.objects.get(action="policy.target.changed")
    assert event.before["note"] == "" and event.after["note"] == "收紧"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"target_value": Decimal(40)}, None),  # a value and a direction
        ({"direction": "", "target_value": None}, None),  # neither
        ({"series": None}, "series"),  # the indicator reads a series
        ({"indicator": "nothing"}, "indicator"),
        ({"code": "HUB-2020"}, "code"),
        ({"scope_level": "province"}, None),  # a province target names its province
        ({"baseline_year": 2026}, None),  # the baseline after the deadline
        (
            {"direction": "", "target_value": Decimal(2), "comparison": Comparison.RATIO},
            None,  # a ratio without a baseline year
        ),
        ({"companion_indicator": "employees", "direction": "", "target_value": 1}, None),
    ],
)
def test_a_target_breaking_a_rule_is_refused(
    admin: User, exports: ExternalSeries, change: dict[str, Any], field: str | None
) -> None:
    with pytest.raises(ServiceError) as refused:
        services.save_target(admin, {**TARGET, "series": exports, **change})
    assert refused.value.field == field
    assert refused.value.message_zh and refused.value.message_en
    assert not Target.objects.exists()


def test_a_series_in_the_wrong_unit_is_refused(admin: User) -> None:
    counts = upload(admin, "year,value\n2023,3\n", code="counts", unit=SeriesUnit.COUNT)
    with pytest.raises(ServiceError) as refused:
        services.save_target(admin, {**TARGET, "series": counts})
    assert refused.value.code == "series_unit"
    with pytest.raises(ServiceError) as refused:
        services.save_target(
            admin,
            {
                **TARGET,
                "code": "T-2035-P",
                "indicator": "output_per_practitioner",
                "direction": "",
                "benchmark": counts,
            },
        )
    assert refused.value.code == "benchmark_unit"
    # A series that targets are measured by keeps its unit.
    services.save_target(
        admin, {**TARGET, "code": "T-2006-MNC", "indicator": "external", "series": counts}
    )
    with pytest.raises(ServiceError) as refused:
        upload(admin, "year,value\n2023,3\n", code="counts", unit=SeriesUnit.PERCENT)
    assert refused.value.code == "unit_in_use"


def test_publishing_is_the_administrators_and_audited(admin: User, exports: ExternalSeries) -> None:
    t = services.save_target(admin, {**TARGET, "series": exports})
    with pytest.raises(NotPermitted):
        services.set_published(make_user(Role.MINISTRY_STATISTICIAN), t, True)
    assert services.set_published(admin, t, True).published
    assert services.set_published(admin, t, False).published is False
    actions = list(
        AuditEvent.objects.filter(action__startswith="policy.target.")
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == [
        "policy.target.created",
        "policy.target.published",
        "policy.target.withdrawn",
    ]
    with pytest.raises(NotPermitted):
        services.save_target(make_user(Role.MINISTRY_STATISTICIAN), {"note": "x"}, t)
