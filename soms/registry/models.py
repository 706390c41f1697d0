"""The enterprise registry: who files, where they are, what they are certified for."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from soms.accounts.choices import Role
from soms.core.querysets import RestrictedQuerySet
from soms.registry.choices import (
    LEVELLED_CERTIFICATIONS,
    CertificationKind,
    ChangeStatus,
    Ownership,
    RegistrationStatus,
    Size,
)

if TYPE_CHECKING:
    from soms.accounts.models import User


class EnterpriseQuerySet(RestrictedQuerySet):
    def scope(self, user: User, action: str) -> Q | None:
        if user.is_enterprise_user:
            # Its own enterprise only, and only to see it, change it (changes of an approved
            # profile go through review) and, for its administrator, manage its users; reviewing
            # and deregistering are the officials'.
            if user.enterprise_id is None:
                return None
            if action in ("view", "change") or (
                action == "manage_users" and user.role == Role.ENTERPRISE_ADMIN
            ):
                return Q(pk=user.enterprise_id)
            return None
        if action == "view":
            return user.division_scope("division")
        if action == "review" and user.role == Role.DISTRICT_REVIEWER:
            # The reviewing department is the district where the enterprise is registered.
            return Q(division_id=user.division_id)
        if action == "deregister" and user.role in (Role.DISTRICT_REVIEWER, Role.MINISTRY_ADMIN):
            return user.division_scope("division")
        return None

    def in_division(self, code: str) -> EnterpriseQuerySet:
        """Enterprises registered in division ``code`` or below it: a province, a statistics
        city (municipalities and ``xx90xx`` counties included) or a county."""
        code = code.strip()
        return self.filter(
            Q(division_id=code) | Q(division__city_code=code) | Q(division__province_code=code)
        )

    def registered_on(self, day: dt.date) -> EnterpriseQuerySet:
        """Enterprises whose registration is approved and not deregistered on ``day``."""
        return self.filter(registered_on__lte=day).exclude(deregistered_on__lte=day)


class Enterprise(models.Model):
    """A service-outsourcing enterprise, identified by its unified social credit code."""

    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    name = models.CharField(_("registered name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=300, blank=True)
    division = models.ForeignKey(
        "reference.Division",
        on_delete=models.PROTECT,
        related_name="enterprises",
        verbose_name=_("division of registration"),
    )
    ownership = models.CharField(_("ownership"), max_length=16, choices=Ownership.choices)
    size = models.CharField(_("size"), max_length=8, choices=Size.choices, blank=True)
    established_on = models.DateField(_("established on"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=100)
    contact_phone = models.CharField(_("contact telephone"), max_length=40)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)

    status = models.CharField(
        _("registration status"),
        max_length=16,
        choices=RegistrationStatus.choices,
        default=RegistrationStatus.SUBMITTED,
        db_index=True,
    )
    return_reason = models.TextField(_("reason for return"), blank=True)
    registered_on = models.DateField(_("registered on"), null=True, blank=True)
    deregistered_on = models.DateField(_("deregistered on"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    # Optimistic concurrency: every state change bumps it; an action on a stale version is
    # refused with "changed by someone else" rather than silently overwriting.
    lock_version = models.PositiveIntegerField(default=1)

    objects = EnterpriseQuerySet.as_manager()

    # The profile fields an enterprise may ask to change (USCC never changes).
    PROFILE_FIELDS = (
        "name",
        "name_en",
        "division",
        "ownership",
        "size",
        "established_on",
        "address",
        "contact_name",
        "contact_phone",
        "contact_email",
    )

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["uscc"]
        constraints = [
            models.CheckConstraint(
                condition=Q(uscc__regex=r"^[0-9A-HJ-NPQRTUWXY]{18}$"),
                name="enterprise_uscc_form",
                violation_error_message=_("A USCC has 18 digits or capital letters."),
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(registered_on__isnull=False),
                name="enterprise_registered_has_date",
                violation_error_message=_("A registered enterprise has a registration date."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def status_label(self) -> object:
        """The status as a lazy label, so each language of a message gets its own word."""
        return RegistrationStatus(self.status).label

    @property
    def is_registered(self) -> bool:
        return self.status == RegistrationStatus.APPROVED

    @property
    def administrator(self) -> User | None:
        return self.users.filter(role=Role.ENTERPRISE_ADMIN, is_active=True).first()

    @property
    def pending_change(self) -> ProfileChange | None:
        return self.profile_changes.filter(status=ChangeStatus.SUBMITTED).first()


class ProfileChange(models.Model):
    """A requested change to an approved enterprise profile.

    The approved profile stays in force until the district approves the change; ``proposed``
    holds only the fields that differ, with the values as entered.
    """

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="profile_changes"
    )
    proposed = models.JSONField(_("proposed values"))
    status = models.CharField(
        _("status"), max_length=16, choices=ChangeStatus.choices, default=ChangeStatus.SUBMITTED
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.TextField(_("reason for return"), blank=True)
    lock_version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("profile change")
        verbose_name_plural = _("profile changes")
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=Q(status="submitted"),
                name="one_pending_profile_change",
                violation_error_message=_(
                    "A change of this enterprise's profile is already awaiting review."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} ({self.submitted_at:%Y-%m-%d})"

    @property
    def status_label(self) -> object:
        return ChangeStatus(self.status).label


class CertificationQuerySet(RestrictedQuerySet):
    def scope(self, user: User, action: str) -> Q | None:
        if user.is_enterprise_user:
            return Q(enterprise_id=user.enterprise_id) if user.enterprise_id else None
        if action == "view":
            return user.division_scope("enterprise__division")
        return None

    def valid_on(self, day: dt.date) -> CertificationQuerySet:
        return self.filter(valid_from__lte=day, valid_to__gte=day)


def certificate_path(instance: Certification, filename: str) -> str:
    return f"certificates/{instance.enterprise.uscc}/{filename}"


class Certification(models.Model):
    """A certificate held by an enterprise (CMMI level 3, ISO/IEC 27001 …) with its validity."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="certifications"
    )
    kind = models.CharField(_("certification"), max_length=16, choices=CertificationKind.choices)
    kind_other = models.CharField(_("name of other certification"), max_length=100, blank=True)
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    certificate_no = models.CharField(_("certificate number"), max_length=100)
    issuer = models.CharField(_("issuer"), max_length=200)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until"))
    scan = models.FileField(_("scanned certificate"), upload_to=certificate_path, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CertificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        ordering = ["enterprise", "kind", "-valid_to"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__gte=models.F("valid_from")),
                name="certification_validity_interval",
                violation_error_message=_("A certificate cannot expire before it is valid."),
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind__in=sorted(k.value for k in LEVELLED_CERTIFICATIONS),
                        level__gte=1,
                        level__lte=5,
                    )
                    | (
                        ~Q(kind__in=sorted(k.value for k in LEVELLED_CERTIFICATIONS))
                        & Q(level__isnull=True)
                    )
                ),
                name="certification_level_by_kind",
                violation_error_message=_(
                    "CMM, CMMI and PCMM certificates have a level from 1 to 5; others have none."
                ),
            ),
            models.UniqueConstraint(
                fields=["enterprise", "kind", "certificate_no"],
                name="certification_unique_number",
                violation_error_message=_("This certificate is already recorded."),
            ),
        ]

    def __str__(self) -> str:
        label = self.kind_other if self.kind == CertificationKind.OTHER else self.get_kind_display()
        return f"{label} {self.level}" if self.level else str(label)

    def state_on(self, day: dt.date) -> str:
        """``valid``, ``expiring`` (within the warning period) or ``expired``."""
        if self.valid_to < day:
            return "expired"
        if self.valid_from > day:
            return "future"
        warn = dt.timedelta(days=settings.SOMS_CERTIFICATE_WARNING_DAYS)
        return "expiring" if self.valid_to - day <= warn else "valid"

    @property
    def state(self) -> str:
        return self.state_on(timezone.localdate())
