"""Whose figures a caller gets: an official exact figures for the jurisdiction, an enterprise
user its own enterprise, anyone else (the public) disclosure-controlled national figures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from soms.accounts.models import User


@dataclass(frozen=True)
class Access:
    scope: Q
    public: bool


PUBLIC = Access(Q(), True)
FULL = Access(Q(), False)


def access_for(user: Any) -> Access:
    if not isinstance(user, User) or not user.is_active:
        return PUBLIC
    if user.is_enterprise_user:
        return Access(Q(pk=user.enterprise_id), False) if user.enterprise_id else PUBLIC
    scope = user.division_scope("division")
    return PUBLIC if scope is None else Access(scope, False)
