"""Two-factor sign-in: after the password, a six-digit code from an authenticator app (TOTP,
RFC 6238), on django-otp's devices.

Who is asked (``settings.SOMS_TWO_FACTOR``):

- ``required`` (production's default): every official, that is every role but the enterprise
  ones, sets up an authenticator at the first sign-in and enters a code at every sign-in after;
- ``optional`` (development's and the demo's default): nobody has to, anyone may set it up on
  their account page;
- in both, whoever has set it up, an enterprise user included, is asked for a code at each
  sign-in.

Wrong codes are throttled by django-otp (1, 2, 4, 8 … seconds between attempts, counted on the
device). Setting up, verifying, removing and resetting each run in one transaction with their audit
event. Wrong codes are not written to the audit trail, as wrong passwords are not (django-axes
counts those in its own table): they are counted on the device and logged.

The API's bearer tokens are not asked for codes: an operator issues them on the server
(``soms create_api_token``) for a program, which has no phone. A browser session that still owes
its code is not signed in for the API either (:mod:`soms.accounts.middleware`).
"""

from __future__ import annotations

import logging
from base64 import b32encode
from typing import Any

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from soms.accounts.choices import ENTERPRISE_ROLES, Role
from soms.accounts.models import User
from soms.audit.services import record
from soms.core.context import current_ip
from soms.core.errors import NotPermitted, ServiceError

REQUIRED = "required"
OPTIONAL = "optional"
# Set at sign-in for a user who has a device: the session owes a code until it is verified.
PENDING_SESSION_KEY = "soms_two_factor_pending"
DEVICE_NAME = "authenticator"

logger = logging.getLogger(__name__)


def required_for(user: Any) -> bool:
    """Whether ``user`` must use two-factor sign-in (officials, when it is required)."""
    return settings.SOMS_TWO_FACTOR == REQUIRED and getattr(user, "role", None) not in (
        ENTERPRISE_ROLES
    )


def is_verified(request: HttpRequest) -> bool:
    """Whether this session's user entered a code (django-otp's middleware sets the device)."""
    return getattr(request.user, "otp_device", None) is not None


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def device_being_set_up(user: User) -> TOTPDevice:
    """The unconfirmed device whose key the set-up page shows: the same key until it is confirmed,
    so that a phone that has scanned it keeps working when the page is shown again. Not audited:
    an unconfirmed device verifies no one."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The key as an authenticator app asks for it to be typed: base32, in groups of four."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_svg(device: TOTPDevice) -> SafeString:
    """The device's ``otpauth://`` address as a QR code, an inline SVG drawn on the server."""
    code = segno.make(device.config_url, error="m")
    svg = code.svg_inline(scale=5, border=2, dark="#000", light="#fff")
    return mark_safe(svg)  # noqa: S308 - segno's own markup; the key is in base32 and URL-quoted


def _refusal(device: TOTPDevice, token: str) -> ServiceError | None:
    """Check ``token`` against ``device`` (locked by the caller); ``None`` when it is right.

    django-otp counts a wrong code on the device and refuses every code while the wait it imposes
    runs, so that guessing a million codes takes years."""
    allowed, detail = device.verify_is_allowed()
    if not allowed:
        wait = max(1, int((detail["locked_until"] - timezone.now()).total_seconds() + 0.999))
        return ServiceError(
            _("Too many wrong codes. Wait %(seconds)s seconds, then enter the code shown now."),
            code="throttled",
            field="token",
            params={"seconds": wait},
        )
    if device.verify_token(token):
        return None
    return ServiceError(
        _(
            "The code is wrong or has expired. Enter the six-digit code the authenticator app "
            "shows now."
        ),
        code="wrong_code",
        field="token",
    )


def _refused(user: User, stage: str, error: ServiceError) -> ServiceError:
    logger.warning(
        "two-factor code refused for %s at %s from %s (%s)",
        user.get_username(),
        stage,
        current_ip.get() or "-",
        error.code,
    )
    return error


def _device_summary(device: TOTPDevice) -> dict[str, Any]:
    return {"device": device.name, "created_at": device.created_at}


def confirm(*, user: User, token: str) -> TOTPDevice:
    """Set up two-factor sign-in: the code proves the app holds the key shown."""
    with transaction.atomic():
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise ServiceError(
                _("Two-factor sign-in is already set up for this account."), code="enrolled"
            )
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("pk")
            .first()
        )
        if device is None:
            raise ServiceError(
                _("Show the set-up page again: there is no key waiting to be confirmed."),
                code="no_device",
            )
        refusal = _refusal(device, token)
        if refusal is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            record(
                "accounts.two_factor.enrolled",
                actor=user,
                obj=user,
                after=_device_summary(device),
            )
    # Raised after the transaction, so that the failure counted on the device is kept.
    if refusal is not None:
        raise _refused(user, "enrolment", refusal)
    return device


def verify(*, user: User, token: str) -> TOTPDevice:
    """The code of a sign-in; the caller marks the session verified with the device returned."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=True)
            .order_by("pk")
            .first()
        )
        if device is None:
            raise ServiceError(
                _("Two-factor sign-in is not set up for this account."), code="not_enrolled"
            )
        refusal = _refusal(device, token)
        if refusal is None:
            record(
                "accounts.two_factor.verified", actor=user, obj=user, after={"device": device.name}
            )
    if refusal is not None:
        raise _refused(user, "sign-in", refusal)
    return device


def remove(*, user: User, token: str) -> None:
    """The user removes their own authenticator, proving with a current code that they hold it
    (where it is required, they are then asked to set up a new one)."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=True)
            .order_by("pk")
            .first()
        )
        if device is None:
            raise ServiceError(
                _("Two-factor sign-in is not set up for this account."), code="not_enrolled"
            )
        refusal = _refusal(device, token)
        if refusal is None:
            before = _device_summary(device)
            TOTPDevice.objects.filter(user=user).delete()
            record("accounts.two_factor.removed", actor=user, obj=user, before=before)
    if refusal is not None:
        raise _refused(user, "removal", refusal)


@transaction.atomic
def reset(*, actor: User | str, user: User, reason: str = "") -> int:
    """A ministry administrator removes a user's authenticators (a lost or replaced phone); the
    user sets up a new one at the next sign-in where it is required. ``actor`` is the
    administrator, or a description of who ran the command on the server. Returns the number of
    devices removed."""
    if isinstance(actor, User) and actor.role != Role.MINISTRY_ADMIN:
        raise NotPermitted(
            _("Only a ministry administrator may reset two-factor sign-in."), code="not_permitted"
        )
    devices = list(TOTPDevice.objects.select_for_update().filter(user=user).order_by("pk"))
    if not any(device.confirmed for device in devices):
        raise ServiceError(
            _("Two-factor sign-in is not set up for this account."), code="not_enrolled"
        )
    TOTPDevice.objects.filter(pk__in=[device.pk for device in devices]).delete()
    record(
        "accounts.two_factor.reset",
        actor=actor,
        obj=user,
        before={"devices": [_device_summary(d) for d in devices if d.confirmed]},
        reason=reason,
    )
    return len(devices)
