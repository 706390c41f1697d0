"""The demo's sign-in accounts: one per role, with names people can remember.

``soms demo`` prints them, the README lists them and the Makefile can show them again; all read
:func:`logins`, so the three never disagree.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

from django.utils.translation import override

from soms.accounts.choices import Role
from soms.demo.planning import FLAGSHIP_USCC

# Published in the README: a demo database must never hold real data.
DEMO_PASSWORD = "soms-demo-2026"  # noqa: S105 (public by design)


@dataclass(frozen=True)
class Official:
    """A government account of the demo: who, in which role, bound to which division."""

    username: str
    role: Role
    division: str | None
    display_name: str
    scope: str


# fmt: off
OFFICIALS = (
    Official("ministry-admin", Role.MINISTRY_ADMIN, None, "商务部系统管理员",
             "Nation 全国"),
    Official("ministry-stat", Role.MINISTRY_STATISTICIAN, None, "商务部服贸司统计员",
             "Nation 全国"),
    Official("province-js", Role.PROVINCE_REVIEWER, "320000", "江苏省商务厅审核员",
             "Jiangsu 320000 江苏省"),
    Official("city-sz", Role.CITY_REVIEWER, "320500", "苏州市商务局审核员",
             "Suzhou 320500 苏州市"),
    Official("city-sh", Role.CITY_REVIEWER, "310000", "上海市商务委员会审核员",
             "Shanghai 310000 上海市"),
    Official("district-pudong", Role.DISTRICT_REVIEWER, "310115", "浦东新区商务委员会审核员",
             "Pudong, Shanghai 310115 浦东新区"),
    Official("district-gusu", Role.DISTRICT_REVIEWER, "320508", "姑苏区商务局审核员",
             "Gusu, Suzhou 320508 姑苏区"),
    Official("evaluator-sz", Role.CITY_EVALUATOR, "320500", "苏州市示范城市评价填报员",
             "Suzhou 320500 苏州市"),
)
# fmt: on
# Every other district with demo enterprises gets a reviewer named after its code, since only
# a district's own reviewer may approve its registrations; every other city and province gets
# one too, so that each level can sign the months off.
DISTRICT_REVIEWER_PREFIX = "district-"
CITY_REVIEWER_PREFIX = "city-"
PROVINCE_REVIEWER_PREFIX = "province-"

ENTERPRISE_ADMIN = "ent-admin"
ENTERPRISE_FILER = "ent-filer"
_FLAGSHIP_SCOPE = f"Yunqi Digital, Pudong {FLAGSHIP_USCC} 上海云启数智"


class Login(NamedTuple):
    username: str
    role: Role
    scope: str


def logins() -> list[Login]:
    """The demo's memorable logins (all with :data:`DEMO_PASSWORD`), one or more per role."""
    return [
        *(Login(o.username, o.role, o.scope) for o in OFFICIALS),
        Login(ENTERPRISE_ADMIN, Role.ENTERPRISE_ADMIN, _FLAGSHIP_SCOPE),
        Login(ENTERPRISE_FILER, Role.ENTERPRISE_FILER, _FLAGSHIP_SCOPE),
    ]


def _label(role: Role, language: str) -> str:
    with override(language):
        return str(role.label)


def _width(text: str) -> int:
    """Columns a terminal gives ``text``: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def login_table() -> str:
    """The logins as a plain-text table: ASCII rules, columns aligned for Chinese characters
    (which a terminal shows two columns wide)."""
    header = ("Username", "Role", "角色", "Scope", "Password")
    rows = [header] + [
        (
            login.username,
            _label(login.role, "en"),
            _label(login.role, "zh-hans"),
            login.scope,
            DEMO_PASSWORD,
        )
        for login in logins()
    ]
    widths = [max(_width(row[i]) for row in rows) for i in range(len(header))]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    lines = [rule]
    for number, row in enumerate(rows):
        lines.append(
            "| " + " | ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)) + " |"
        )
        if number == 0:
            lines.append(rule)
    lines.append(rule)
    lines.append(
        f"Every other district, city and province with demo enterprises has a reviewer "
        f"'{DISTRICT_REVIEWER_PREFIX}<code>' (e.g. {DISTRICT_REVIEWER_PREFIX}110108), "
        f"'{CITY_REVIEWER_PREFIX}<code>', '{PROVINCE_REVIEWER_PREFIX}<code>'; "
        f"every demo enterprise an administrator 'e<USCC>'; every city evaluated in the demo "
        f"round an evaluator 'evaluator-<code>' (Suzhou: evaluator-sz); same password."
    )
    return "\n".join(lines)
