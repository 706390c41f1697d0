"""Every state change of the registry, each one transaction with its audit event.

Views, the API and commands call these; none of them saves an Enterprise, a ProfileChange or a
Certification directly. Permission to act is checked here against the actor, through the same
querysets the views use, so a caller cannot forget it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.audit.services import record, snapshot
from soms.core.errors import NotPermitted, ServiceError
from soms.core.locking import lock_current
from soms.reference.models import Division
from soms.registry.choices import (
    LEVELLED_CERTIFICATIONS,
    CertificationKind,
    ChangeStatus,
    Ownership,
    RegistrationStatus,
    Size,
)
from soms.registry.models import Certification, Enterprise, ProfileChange
from soms.registry.validators import clean_uscc

REQUIRED_PROFILE_FIELDS = ("name", "division", "ownership", "contact_name", "contact_phone")
FIELD_LABELS = {
    "uscc": _("unified social credit code"),
    "name": _("registered name"),
    "division": _("division of registration"),
    "ownership": _("ownership"),
    "size": _("size"),
    "contact_name": _("contact person"),
    "contact_phone": _("contact telephone"),
    "contact_email": _("contact e-mail"),
    "established_on": _("established on"),
}


@dataclass(frozen=True)
class AccountData:
    username: str
    password: str
    display_name: str = ""
    email: str = ""


# --- input checks -------------------------------------------------------------------------------


def _required(field: str) -> ServiceError:
    return ServiceError(
        _("“%(field)s” is required."),
        code="required",
        field=field,
        params={"field": FIELD_LABELS.get(field, field)},
    )


def clean_division(code: Any, field: str = "division") -> Division:
    code = str(code or "").strip()
    if not code:
        raise _required(field)
    division = Division.objects.filter(code=code).first()
    if division is None:
        raise ServiceError(
            _("“%(code)s” is not a division code of GB/T 2260 known to the system."),
            code="unknown_division",
            field=field,
            params={"code": code},
        )
    if not division.accepts_enterprises:
        raise ServiceError(
            _(
                "“%(code)s” (%(name)s) is a province or a city with districts: register in "
                "the county-level division (district or county) where the enterprise is."
            ),
            code="division_not_county",
            field=field,
            params={"code": code, "name": division.name_zh},
        )
    return division


def clean_profile(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Normalise and check profile fields; ``partial`` checks only the fields given."""
    cleaned: dict[str, Any] = {}
    for field in Enterprise.PROFILE_FIELDS:
        if partial and field not in data:
            continue
        value = data.get(field)
        if isinstance(value, str):
            value = value.strip()
        if field in REQUIRED_PROFILE_FIELDS and not value:
            raise _required(field)
        if field == "division":
            value = clean_division(value.pk if isinstance(value, Division) else value)
        elif field == "ownership" and value not in Ownership.values:
            raise ServiceError(
                _("“%(value)s” is not an ownership of the exchange format (%(allowed)s)."),
                code="invalid_choice",
                field=field,
                params={"value": value, "allowed": ", ".join(Ownership.values)},
            )
        elif field == "size":
            value = value or ""
            if value and value not in Size.values:
                raise ServiceError(
                    _("“%(value)s” is not a size of the exchange format (%(allowed)s)."),
                    code="invalid_choice",
                    field=field,
                    params={"value": value, "allowed": ", ".join(Size.values)},
                )
        elif field == "established_on":
            if isinstance(value, str):
                try:
                    value = dt.date.fromisoformat(value) if value else None
                except ValueError:
                    raise ServiceError(
                        _("“%(value)s” is not a date (YYYY-MM-DD)."),
                        code="invalid_date",
                        field=field,
                        params={"value": value},
                    ) from None
            if value and value > timezone.localdate():
                raise ServiceError(
                    _("The date of establishment cannot be in the future."),
                    code="future_date",
                    field=field,
                )
        elif field == "contact_email" and value:
            try:
                validate_email(value)
            except ValidationError:
                raise ServiceError(
                    _("“%(value)s” is not an e-mail address."),
                    code="invalid_email",
                    field=field,
                    params={"value": value},
                ) from None
        elif value is None:
            value = ""
        cleaned[field] = value
    return cleaned


def _check_account(account: AccountData) -> None:
    if not account.username.strip():
        raise _required("username")
    if User.objects.filter(username__iexact=account.username.strip()).exists():
        raise ServiceError(
            _("The user name “%(username)s” is taken."),
            code="username_taken",
            field="username",
            params={"username": account.username},
        )
    try:
        validate_password(account.password, User(username=account.username))
    except ValidationError as error:
        raise ServiceError(
            _("The password is too weak: %(reasons)s"),
            code="weak_password",
            field="password",
            params={"reasons": " ".join(error.messages)},
        ) from None


def _locked(enterprise: Enterprise, expected_version: int | None) -> Enterprise:
    """The enterprise row, locked for this transaction; refused if someone changed it since
    the caller read ``expected_version``."""
    return lock_current(
        enterprise,
        expected_version,
        _(
            "This enterprise was changed by someone else in the meantime. Reload the page "
            "to see the current state, then try again."
        ),
    )


def _require(actor: User, enterprise: Enterprise, action: str) -> None:
    if not Enterprise.objects.restrict(actor, action).filter(pk=enterprise.pk).exists():
        raise NotPermitted(_("You may not do this to this enterprise."), code="not_permitted")


# --- registration -------------------------------------------------------------------------------


def register_enterprise(*, uscc: str, profile: dict[str, Any], account: AccountData) -> Enterprise:
    """Self-registration: the enterprise (awaiting the district's review) and its
    administrator's account, together or not at all."""
    code = clean_uscc(uscc)
    cleaned = clean_profile(profile)
    existing = Enterprise.objects.filter(uscc=code).first()
    if existing is not None:
        raise ServiceError(
            _(
                "The enterprise with the unified social credit code %(uscc)s is already "
                "registered; ask its administrator for an account."
            ),
            code="duplicate_registration",
            field="uscc",
            params={"uscc": code},
        )
    _check_account(account)
    try:
        with transaction.atomic():
            enterprise = Enterprise.objects.create(uscc=code, **cleaned)
            user = User(
                username=account.username.strip(),
                display_name=account.display_name or cleaned["contact_name"],
                email=account.email or cleaned.get("contact_email", ""),
                role=Role.ENTERPRISE_ADMIN,
                enterprise=enterprise,
            )
            user.set_password(account.password)
            user.save()
            record(
                "registry.enterprise.registered",
                actor=user,
                obj=enterprise,
                after=snapshot(enterprise),
            )
            record("accounts.user.created", actor=user, obj=user, after=snapshot(user))
    except IntegrityError:
        # Two registrations of the same USCC racing: the unique index decided.
        raise ServiceError(
            _(
                "The enterprise with the unified social credit code %(uscc)s is already "
                "registered; ask its administrator for an account."
            ),
            code="duplicate_registration",
            field="uscc",
            params={"uscc": code},
        ) from None
    return enterprise


IMPORTED_FIELDS = ("name", "name_en", "division", "ownership", "size", "established_on")


@transaction.atomic
def import_enterprise(*, actor: User, uscc: str, profile: dict[str, Any]) -> tuple[Enterprise, str]:
    """An enterprise of a commerce department's register (the enterprises file of
    exchange-format.md), registered at once by the official importing it: the department has
    already checked it. Returns the enterprise and ``created`` or ``unchanged``. An enterprise
    already registered with other values is refused: its profile changes are the enterprise's
    to propose and its district's to review."""
    if actor.is_enterprise_user or actor.division_scope("division") is None:
        raise NotPermitted(
            _("Only a commerce department imports enterprises."), code="not_permitted"
        )
    code = clean_uscc(uscc)
    data = {f: profile.get(f) for f in IMPORTED_FIELDS}
    cleaned = clean_profile(data, partial=True)
    for field in ("name", "division", "ownership"):
        if not cleaned.get(field):
            raise _required(field)
    if not actor.covers(cleaned["division"]):
        raise ServiceError(
            _("%(code)s is outside your jurisdiction."),
            code="outside_jurisdiction",
            field="division",
            params={"code": cleaned["division"].code},
        )
    existing = Enterprise.objects.filter(uscc=code).first()
    if existing is not None:
        if all(getattr(existing, f) == v for f, v in cleaned.items()):
            return existing, "unchanged"
        raise ServiceError(
            _(
                "The enterprise %(uscc)s is registered with other values: its profile is "
                "changed by a profile change that its district reviews."
            ),
            code="enterprise_differs",
            field="uscc",
            params={"uscc": code},
        )
    enterprise = Enterprise.objects.create(
        uscc=code,
        status=RegistrationStatus.APPROVED,
        registered_on=timezone.localdate(),
        **cleaned,
    )
    record("registry.enterprise.imported", actor=actor, obj=enterprise, after=snapshot(enterprise))
    return enterprise, "created"


@transaction.atomic
def approve_registration(
    *,
    actor: User,
    enterprise: Enterprise,
    expected_version: int | None = None,
    registered_on: dt.date | None = None,
) -> Enterprise:
    """Approve a registration; ``registered_on`` (default today) is for migrating history."""
    _require(actor, enterprise, "review")
    current = _locked(enterprise, expected_version)
    if current.status != RegistrationStatus.SUBMITTED:
        raise ServiceError(
            _("Only a registration awaiting review can be approved; this one is “%(status)s”."),
            code="illegal_transition",
            params={"status": current.status_label},
        )
    before = snapshot(current)
    current.status = RegistrationStatus.APPROVED
    current.registered_on = registered_on or timezone.localdate()
    current.return_reason = ""
    current.lock_version += 1
    current.save()
    record(
        "registry.enterprise.approved",
        actor=actor,
        obj=current,
        before=before,
        after=snapshot(current),
    )
    return current


@transaction.atomic
def return_registration(
    *, actor: User, enterprise: Enterprise, reason: str, expected_version: int | None = None
) -> Enterprise:
    _require(actor, enterprise, "review")
    if not (reason or "").strip():
        raise ServiceError(
            _("Say why the registration is returned."), code="reason_required", field="reason"
        )
    current = _locked(enterprise, expected_version)
    if current.status != RegistrationStatus.SUBMITTED:
        raise ServiceError(
            _("Only a registration awaiting review can be returned; this one is “%(status)s”."),
            code="illegal_transition",
            params={"status": current.status_label},
        )
    before = snapshot(current)
    current.status = RegistrationStatus.RETURNED
    current.return_reason = reason.strip()
    current.lock_version += 1
    current.save()
    record(
        "registry.enterprise.returned",
        actor=actor,
        obj=current,
        before=before,
        after=snapshot(current),
        reason=current.return_reason,
    )
    return current


@transaction.atomic
def resubmit_registration(
    *,
    actor: User,
    enterprise: Enterprise,
    profile: dict[str, Any],
    expected_version: int | None = None,
) -> Enterprise:
    """The enterprise corrects a returned registration and submits it again."""
    _require(actor, enterprise, "change")
    current = _locked(enterprise, expected_version)
    if current.status != RegistrationStatus.RETURNED:
        raise ServiceError(
            _("Only a returned registration can be resubmitted; this one is “%(status)s”."),
            code="illegal_transition",
            params={"status": current.status_label},
        )
    cleaned = clean_profile(profile)
    before = snapshot(current)
    for field, value in cleaned.items():
        setattr(current, field, value)
    current.status = RegistrationStatus.SUBMITTED
    current.submitted_at = timezone.now()
    current.lock_version += 1
    current.save()
    record(
        "registry.enterprise.resubmitted",
        actor=actor,
        obj=current,
        before=before,
        after=snapshot(current),
    )
    return current


@transaction.atomic
def deregister(
    *,
    actor: User,
    enterprise: Enterprise,
    on: dt.date,
    reason: str,
    expected_version: int | None = None,
) -> Enterprise:
    _require(actor, enterprise, "deregister")
    if not (reason or "").strip():
        raise ServiceError(
            _("Say why the enterprise is deregistered."), code="reason_required", field="reason"
        )
    current = _locked(enterprise, expected_version)
    if current.status != RegistrationStatus.APPROVED:
        raise ServiceError(
            _("Only a registered enterprise can be deregistered; this one is “%(status)s”."),
            code="illegal_transition",
            params={"status": current.status_label},
        )
    if current.registered_on and on < current.registered_on:
        raise ServiceError(
            _("An enterprise cannot be deregistered before it was registered (%(date)s)."),
            code="date_order",
            field="on",
            params={"date": current.registered_on.isoformat()},
        )
    before = snapshot(current)
    current.status = RegistrationStatus.DEREGISTERED
    current.deregistered_on = on
    current.lock_version += 1
    current.save()
    record(
        "registry.enterprise.deregistered",
        actor=actor,
        obj=current,
        before=before,
        after=snapshot(current),
        reason=reason.strip(),
    )
    return current


# --- changes to an approved profile --------------------------------------------------------------


def _proposed_differences(enterprise: Enterprise, cleaned: dict[str, Any]) -> dict[str, Any]:
    differences: dict[str, Any] = {}
    for field, value in cleaned.items():
        current = getattr(enterprise, "division_id" if field == "division" else field)
        new = value.pk if isinstance(value, Division) else value
        if isinstance(new, dt.date):
            new = new.isoformat()
            current = current.isoformat() if current else None
        if (current or "") != (new or ""):
            differences[field] = new
    return differences


@transaction.atomic
def propose_change(
    *, actor: User, enterprise: Enterprise, profile: dict[str, Any]
) -> ProfileChange:
    """Ask for a change of an approved profile. The approved profile stays in force until the
    district approves the change."""
    _require(actor, enterprise, "change")
    current = _locked(enterprise, None)
    if current.status != RegistrationStatus.APPROVED:
        raise ServiceError(
            _("Only a registered enterprise's profile is changed through review."),
            code="illegal_transition",
        )
    differences = _proposed_differences(current, clean_profile(profile, partial=True))
    if not differences:
        raise ServiceError(_("Nothing was changed."), code="no_change")
    if current.profile_changes.filter(status=ChangeStatus.SUBMITTED).exists():
        raise ServiceError(
            _("A change of this enterprise's profile is already awaiting review."),
            code="change_pending",
        )
    change = ProfileChange.objects.create(
        enterprise=current, proposed=differences, submitted_by=actor
    )
    record(
        "registry.profile_change.submitted",
        actor=actor,
        obj=current,
        before=snapshot(current, list(differences)),
        after=differences,
    )
    return change


def _locked_change(change: ProfileChange, expected_version: int | None) -> ProfileChange:
    current = lock_current(
        change,
        expected_version,
        _(
            "This change request was changed by someone else in the meantime. Reload the "
            "page to see the current state, then try again."
        ),
        queryset=ProfileChange.objects.select_related("enterprise"),
    )
    if current.status != ChangeStatus.SUBMITTED:
        raise ServiceError(
            _("This change request is no longer awaiting review (it is “%(status)s”)."),
            code="illegal_transition",
            params={"status": current.status_label},
        )
    return current


@transaction.atomic
def approve_change(
    *, actor: User, change: ProfileChange, expected_version: int | None = None
) -> Enterprise:
    _require(actor, change.enterprise, "review")
    current = _locked_change(change, expected_version)
    enterprise = _locked(current.enterprise, None)
    before = snapshot(enterprise)
    values = clean_profile(current.proposed, partial=True)
    for field, value in values.items():
        setattr(enterprise, field, value)
    enterprise.lock_version += 1
    enterprise.save()
    current.status = ChangeStatus.APPROVED
    current.decided_by = actor
    current.decided_at = timezone.now()
    current.lock_version += 1
    current.save()
    record(
        "registry.profile_change.approved",
        actor=actor,
        obj=enterprise,
        before=before,
        after=snapshot(enterprise),
    )
    return enterprise


@transaction.atomic
def return_change(
    *, actor: User, change: ProfileChange, reason: str, expected_version: int | None = None
) -> ProfileChange:
    _require(actor, change.enterprise, "review")
    if not (reason or "").strip():
        raise ServiceError(
            _("Say why the change is returned."), code="reason_required", field="reason"
        )
    current = _locked_change(change, expected_version)
    current.status = ChangeStatus.RETURNED
    current.reason = reason.strip()
    current.decided_by = actor
    current.decided_at = timezone.now()
    current.lock_version += 1
    current.save()
    record(
        "registry.profile_change.returned",
        actor=actor,
        obj=current.enterprise,
        before={"change": current.pk, "status": ChangeStatus.SUBMITTED},
        after={"change": current.pk, "status": current.status},
        reason=current.reason,
    )
    return current


@transaction.atomic
def withdraw_change(*, actor: User, change: ProfileChange) -> ProfileChange:
    _require(actor, change.enterprise, "change")
    current = _locked_change(change, None)
    current.status = ChangeStatus.WITHDRAWN
    current.decided_by = actor
    current.decided_at = timezone.now()
    current.lock_version += 1
    current.save()
    record(
        "registry.profile_change.withdrawn",
        actor=actor,
        obj=current.enterprise,
        before={"change": current.pk, "status": ChangeStatus.SUBMITTED},
        after={"change": current.pk, "status": current.status},
    )
    return current


# --- certifications -----------------------------------------------------------------------------


def clean_certification(data: dict[str, Any]) -> dict[str, Any]:
    kind = data.get("kind")
    if kind not in CertificationKind.values:
        raise ServiceError(
            _("“%(value)s” is not a certification type (%(allowed)s)."),
            code="invalid_choice",
            field="kind",
            params={"value": kind, "allowed": ", ".join(CertificationKind.values)},
        )
    raw_level: Any = data.get("level")
    level = int(raw_level) if raw_level not in (None, "") else None
    if kind in LEVELLED_CERTIFICATIONS and (level is None or not 1 <= level <= 5):
        raise ServiceError(
            _("CMM, CMMI and PCMM certificates have a level from 1 to 5."),
            code="level_required",
            field="level",
        )
    if kind not in LEVELLED_CERTIFICATIONS:
        level = None
    if kind == CertificationKind.OTHER and not (data.get("kind_other") or "").strip():
        raise ServiceError(_("Name the certification."), code="required", field="kind_other")
    for field in ("certificate_no", "issuer", "valid_from", "valid_to"):
        if not data.get(field):
            raise ServiceError(
                _("“%(field)s” is required."),
                code="required",
                field=field,
                params={
                    "field": getattr(Certification._meta.get_field(field), "verbose_name", field)
                },
            )
    if data["valid_to"] < data["valid_from"]:
        raise ServiceError(
            _("A certificate cannot expire before it is valid."),
            code="date_order",
            field="valid_to",
        )
    return {
        "kind": kind,
        "kind_other": (data.get("kind_other") or "").strip(),
        "level": level,
        "certificate_no": data["certificate_no"].strip(),
        "issuer": data["issuer"].strip(),
        "valid_from": data["valid_from"],
        "valid_to": data["valid_to"],
    }


@transaction.atomic
def add_certification(
    *, actor: User, enterprise: Enterprise, data: dict[str, Any], scan: Any = None
) -> Certification:
    _require(actor, enterprise, "change")
    cleaned = clean_certification(data)
    if enterprise.certifications.filter(
        kind=cleaned["kind"], certificate_no=cleaned["certificate_no"]
    ).exists():
        raise ServiceError(
            _("This certificate is already recorded."), code="duplicate", field="certificate_no"
        )
    certification = Certification(enterprise=enterprise, **cleaned)
    if scan is not None:
        certification.scan = scan
    certification.save()
    record(
        "registry.certification.added",
        actor=actor,
        obj=certification,
        after=snapshot(certification),
    )
    return certification


@transaction.atomic
def update_certification(
    *, actor: User, certification: Certification, data: dict[str, Any], scan: Any = None
) -> Certification:
    _require(actor, certification.enterprise, "change")
    current = Certification.objects.select_for_update().get(pk=certification.pk)
    before = snapshot(current)
    for field, value in clean_certification(data).items():
        setattr(current, field, value)
    if scan is not None:
        current.scan = scan
    current.save()
    record(
        "registry.certification.changed",
        actor=actor,
        obj=current,
        before=before,
        after=snapshot(current),
    )
    return current


@transaction.atomic
def remove_certification(*, actor: User, certification: Certification) -> None:
    _require(actor, certification.enterprise, "change")
    before = snapshot(certification)
    record("registry.certification.removed", actor=actor, obj=certification, before=before)
    certification.delete()


# --- enterprise users ---------------------------------------------------------------------------


@transaction.atomic
def add_enterprise_user(*, actor: User, enterprise: Enterprise, account: AccountData) -> User:
    """The enterprise's administrator adds a filer."""
    _require(actor, enterprise, "manage_users")
    _check_account(account)
    user = User(
        username=account.username.strip(),
        display_name=account.display_name,
        email=account.email,
        role=Role.ENTERPRISE_FILER,
        enterprise=enterprise,
    )
    user.set_password(account.password)
    user.save()
    record("accounts.user.created", actor=actor, obj=user, after=snapshot(user))
    return user


@transaction.atomic
def transfer_administration(*, actor: User, enterprise: Enterprise, to: User) -> User:
    """Hand the administrator role to another active user of the same enterprise."""
    _require(actor, enterprise, "manage_users")
    if to.enterprise_id != enterprise.pk or not to.is_active or to.pk == actor.pk:
        raise ServiceError(
            _("Choose another active user of this enterprise."), code="invalid_user", field="user"
        )
    old = User.objects.select_for_update().get(pk=actor.pk)
    new = User.objects.select_for_update().get(pk=to.pk)
    before_old, before_new = snapshot(old), snapshot(new)
    old.role = Role.ENTERPRISE_FILER
    old.save(update_fields=["role"])  # first, so the one-administrator constraint holds
    new.role = Role.ENTERPRISE_ADMIN
    new.save(update_fields=["role"])
    record(
        "accounts.user.role_changed", actor=actor, obj=old, before=before_old, after=snapshot(old)
    )
    record(
        "accounts.user.role_changed", actor=actor, obj=new, before=before_new, after=snapshot(new)
    )
    return new


@transaction.atomic
def set_user_active(*, actor: User, user: User, active: bool) -> User:
    """The enterprise's administrator (for its filers) or a ministry administrator."""
    if actor.role != Role.MINISTRY_ADMIN:
        if user.enterprise_id is None or user.role != Role.ENTERPRISE_FILER:
            raise NotPermitted(_("You may not do this to this user."), code="not_permitted")
        _require(actor, user.enterprise, "manage_users")  # type: ignore[arg-type]
    current = User.objects.select_for_update().get(pk=user.pk)
    before = snapshot(current)
    current.is_active = active
    current.save(update_fields=["is_active"])
    record(
        "accounts.user.activated" if active else "accounts.user.deactivated",
        actor=actor,
        obj=current,
        before=before,
        after=snapshot(current),
    )
    return current
