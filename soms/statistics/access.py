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


def scope_name(user: Any, access: Access) -> str:
    """The jurisdiction or enterprise whose exact figures the caller gets; empty for the
    public and for the whole country."""
    if access.public:
        return ""
    if getattr(user, "is_enterprise_user", False) and getattr(user, "enterprise", None):
        return str(user.enterprise.name)
    if getattr(user, "division", None) is not None:
        return str(user.division.name)
    return ""


def is_national(access: Access) -> bool:
    """Whether the caller's figures cover the whole country (the public, the ministry)."""
    # An empty Q selects every enterprise: PUBLIC, FULL and a national jurisdiction.
    return access.public or not access.scope
