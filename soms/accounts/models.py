"""Users, their role and the jurisdiction that scopes everything they see."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from soms.accounts.choices import (
    DIVISION_ROLES,
    ENTERPRISE_ROLES,
    MINISTRY_ROLES,
    Jurisdiction,
    Role,
)
from soms.core.errors import bilingual


class User(AbstractUser):
    """A person who signs in: an enterprise's filer or administrator, or an official.

    An official is bound to one division, which is their jurisdiction; an enterprise user to one
    enterprise. Ministry users are bound to neither and see the nation.
    """

    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    division = models.ForeignKey(
        "reference.Division",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="officials",
        verbose_name=_("division"),
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        # PROTECT: an enterprise with users is deregistered, never deleted.
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("enterprise"),
    )
    display_name = models.CharField(_("name"), max_length=100, blank=True)
    phone = models.CharField(_("telephone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role__in=sorted(r.value for r in ENTERPRISE_ROLES), division__isnull=True)
                    | Q(
                        role__in=sorted(r.value for r in DIVISION_ROLES),
                        enterprise__isnull=True,
                        division__isnull=False,
                    )
                    | Q(
                        role__in=sorted(r.value for r in MINISTRY_ROLES),
                        enterprise__isnull=True,
                        division__isnull=True,
                    )
                ),
                name="user_role_binding",
                violation_error_message=_(
                    "An official is bound to one division, an enterprise user to an enterprise, "
                    "and a ministry user to neither."
                ),
            ),
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=Q(role="enterprise_admin", is_active=True),
                name="one_active_admin_per_enterprise",
                violation_error_message=_("An enterprise has one administrator."),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    def clean(self) -> None:
        """An official's division must be of the level the role works at (checked by every
        form that edits users, the admin's included)."""
        super().clean()
        level = DIVISION_ROLES.get(Role(self.role)) if self.role in Role.values else None
        if level is None or self.division is None:
            return
        division = self.division
        fits = {
            "county": division.accepts_enterprises,
            "city": division.is_city_unit,
            "province": division.level == "province",
        }[level]
        if not fits:
            raise ValidationError(
                {
                    "division": bilingual(
                        _("A %(role)s is bound to a division of the right level; %(code)s is not."),
                        {"role": self.get_role_display(), "code": division.code},
                    )
                }
            )

    @property
    def is_ministry(self) -> bool:
        return self.role in MINISTRY_ROLES

    @property
    def is_enterprise_user(self) -> bool:
        return self.role in ENTERPRISE_ROLES

    @property
    def jurisdiction(self) -> Jurisdiction:
        if self.role in MINISTRY_ROLES:
            return Jurisdiction.NATION
        if self.role in ENTERPRISE_ROLES:
            return Jurisdiction.ENTERPRISE if self.enterprise_id else Jurisdiction.NONE
        if self.role == Role.DISTRICT_REVIEWER:
            return Jurisdiction.COUNTY
        if self.role == Role.CITY_REVIEWER:
            return Jurisdiction.CITY
        if self.role == Role.PROVINCE_REVIEWER:
            return Jurisdiction.PROVINCE
        # A city evaluator fills the city's own evaluation forms and sees no enterprise data.
        return Jurisdiction.NONE

    def covers(self, division: Any) -> bool:
        """Whether ``division`` (a Division) lies in this user's jurisdiction."""
        match self.jurisdiction:
            case Jurisdiction.NATION:
                return True
            case Jurisdiction.PROVINCE:
                return bool(division.province_code == self.division_id)
            case Jurisdiction.CITY:
                return bool(division.city_code == self.division_id)
            case Jurisdiction.COUNTY:
                return bool(division.code == self.division_id)
        return False

    def division_scope(self, division_field: str) -> Q | None:
        """Rows whose division (``division_field``, a FK to Division) lies in this user's
        jurisdiction; ``None`` when the user has no jurisdiction over divisions."""
        match self.jurisdiction:
            case Jurisdiction.NATION:
                return Q()
            case Jurisdiction.PROVINCE:
                return Q(**{f"{division_field}__province_code": self.division_id})
            case Jurisdiction.CITY:
                return Q(**{f"{division_field}__city_code": self.division_id})
            case Jurisdiction.COUNTY:
                return Q(**{division_field: self.division_id})
        return None


class ApiToken(models.Model):
    """A bearer token for the API; only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiToken, str]:
        key = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_hash=cls.hash(key), prefix=key[:8])
        return token, key

    @property
    def is_valid(self) -> bool:
        return self.user.is_active and (self.expires_at is None or self.expires_at > timezone.now())


def acting_user(request: Any) -> User:
    """The signed-in user of a request, typed for service calls (views are login-protected)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionError("a signed-in user is required")
    return user
