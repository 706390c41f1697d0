"""The enterprises file: a commerce department's register imported by its officials, and
exported in the same columns."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from soms.accounts.choices import Role
from soms.audit.models import AuditEvent
from soms.core.errors import NotPermitted
from soms.exchange.imports import EnterpriseImporter
from soms.exchange.tests.test_record_imports import write_csv
from soms.registry.models import Enterprise
from soms.testing import make_enterprise, make_uscc, make_user

pytestmark = pytest.mark.django_db

HEADER = (
    "统一社会信用代码",
    "企业名称",
    "英文名称",
    "注册地区划代码",
    "企业性质",
    "企业规模",
    "成立日期",
)


def register(tmp_path: Path, file: str = "e.csv", **change: str) -> Path:
    rows = [
        (
            make_uscc(9001),
            "苏州甲软件有限公司",
            "Jia Software",
            "320508",
            "民营",
            "small",
            "2015/3/1",
        ),
        (make_uscc(9002), "苏州乙数据有限公司", "", "320506", "foreign", "", ""),
    ]
    if change:
        rows[1] = (rows[1][0], change.get("name", rows[1][1]), *rows[1][2:3],
                   change.get("division", rows[1][3]), *rows[1][4:])  # fmt: skip
    return write_csv(tmp_path / file, HEADER, rows)


def test_a_city_reviewer_registers_its_departments_enterprises(tmp_path: Path) -> None:
    reviewer = make_user(Role.CITY_REVIEWER, division="320500")
    result = EnterpriseImporter().run(register(tmp_path), actor=reviewer)
    assert result.errors == [] and result.created == 2
    jia = Enterprise.objects.get(uscc=make_uscc(9001))
    assert (jia.status, jia.ownership, jia.established_on.isoformat()) == (
        "approved", "private", "2015-03-01"
    )  # fmt: skip
    assert AuditEvent.objects.filter(action="registry.enterprise.imported").count() == 2
    again = EnterpriseImporter().run(register(tmp_path), actor=reviewer)
    assert (again.created, again.unchanged, again.errors) == (0, 2, [])
    changed = EnterpriseImporter().run(register(tmp_path, "f.csv", name="改名"), actor=reviewer)
    assert [(e.row, e.column) for e in changed.errors] == [(3, "uscc")]
    assert "profile change" in changed.errors[0].message


def test_outside_the_jurisdiction_and_enterprise_users_are_refused(tmp_path: Path) -> None:
    district = make_user(Role.DISTRICT_REVIEWER, division="320508")
    result = EnterpriseImporter().run(register(tmp_path), actor=district, partial=True)
    assert result.created == 1
    assert [(e.row, e.column, e.value) for e in result.errors] == [(3, "division_code", "320506")]
    firm = make_enterprise("320508")
    filer = make_user(Role.ENTERPRISE_ADMIN, enterprise=firm)
    with pytest.raises(NotPermitted):
        EnterpriseImporter().run(register(tmp_path, "g.csv"), actor=filer, partial=True)


def export(path: Path, username: str) -> None:
    call_command("export", "enterprises", str(path), "--user", username, stdout=io.StringIO())


def test_export_import_export_is_the_same_file(tmp_path: Path) -> None:
    reviewer = make_user(Role.CITY_REVIEWER, division="320500")
    EnterpriseImporter().run(register(tmp_path), actor=reviewer)
    first = tmp_path / "one.csv"
    call_command(
        "export", "enterprises", str(first), "--user", reviewer.username, stdout=io.StringIO()
    )
    Enterprise.objects.all().delete()
    result = EnterpriseImporter().run(first, actor=reviewer)
    assert result.created == 2
    second = tmp_path / "two.csv"
    call_command(
        "export", "enterprises", str(second), "--user", reviewer.username, stdout=io.StringIO()
    )
    assert second.read_bytes() == first.read_bytes()
    assert first.read_bytes().decode("utf-8-sig").splitlines()[0] == (
        "uscc,name,name_en,division_code,ownership,size,established_on"
    )
