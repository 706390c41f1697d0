"""Factories for the test suites of every app (and for benchmarks)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from stdnum.cn import uscc as stdnum_uscc

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.registry.choices import Ownership, RegistrationStatus
from soms.registry.models import Enterprise

PASSWORD = "correct horse battery staple"  # noqa: S105 (test accounts only)
_counter = itertools.count(1)


def make_uscc(n: int | None = None) -> str:
    """A valid USCC (enterprise, registered with a market-regulation authority) for number n."""
    n = next(_counter) if n is None else n
    body = f"91{310101:06d}{n:09d}"[:17]
    return body + stdnum_uscc.calc_check_digit(body)


def make_user(
    role: str,
    *,
    division: str | None = None,
    enterprise: Enterprise | None = None,
    username: str | None = None,
    **extra: Any,
) -> User:
    user = User(
        username=username or f"{role}-{next(_counter)}",
        role=role,
        division_id=division,
        enterprise=enterprise,
        **extra,
    )
    user.set_password(PASSWORD)
    user.save()
    return user


def make_enterprise(
    division: str = "310115", *, status: str = RegistrationStatus.APPROVED, **fields: Any
) -> Enterprise:
    n = next(_counter)
    values: dict[str, Any] = {
        "uscc": make_uscc(n),
        "name": f"测试外包企业{n}有限公司",
        "division_id": division,
        "ownership": Ownership.PRIVATE,
        "contact_name": "张三",
        "contact_phone": "021-12345678",
        "status": status,
        "registered_on": dt.date(2020, 1, 1) if status == RegistrationStatus.APPROVED else None,
    }
    values.update(fields)
    return Enterprise.objects.create(**values)


def enterprise_admin(enterprise: Enterprise) -> User:
    return make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise)
