from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.pagination import paginate

from soms.accounts.models import acting_user
from soms.api import OptionalSession
from soms.core.pagination import Pages
from soms.registry import services
from soms.registry.models import Enterprise

router = Router(tags=["enterprises"])


class CertificationOut(Schema):
    kind: str
    level: int | None
    certificate_no: str
    issuer: str
    valid_from: dt.date
    valid_to: dt.date
    state: str


class EnterpriseOut(Schema):
    uscc: str
    name: str
    name_en: str
    division_code: str
    province_code: str
    city_code: str
    ownership: str
    size: str
    established_on: dt.date | None
    status: str
    registered_on: dt.date | None
    deregistered_on: dt.date | None
    version: int

    @staticmethod
    def resolve_division_code(obj: Enterprise) -> str:
        return obj.division_id

    @staticmethod
    def resolve_province_code(obj: Enterprise) -> str:
        return obj.division.province_code

    @staticmethod
    def resolve_city_code(obj: Enterprise) -> str:
        return obj.division.city_code

    @staticmethod
    def resolve_version(obj: Enterprise) -> int:
        return obj.lock_version


class EnterpriseDetailOut(EnterpriseOut):
    contact_name: str
    contact_phone: str
    contact_email: str
    address: str
    certifications: list[CertificationOut]

    @staticmethod
    def resolve_certifications(obj: Enterprise) -> list[object]:
        return list(obj.certifications.all())


class RegistrationIn(Schema):
    uscc: str
    name: str
    name_en: str = ""
    division: str
    ownership: str
    size: str = ""
    established_on: dt.date | None = None
    address: str = ""
    contact_name: str
    contact_phone: str
    contact_email: str = ""
    username: str
    password: str


class DecisionIn(Schema):
    version: int | None = None
    reason: str = ""


def _get(request: HttpRequest, uscc: str, action: str) -> Enterprise:
    return get_object_or_404(
        Enterprise.objects.restrict(request.user, action).select_related("division"),  # type: ignore[arg-type]
        uscc=uscc,
    )


@router.get("", response=list[EnterpriseOut])
@paginate(Pages)
def list_enterprises(
    request: HttpRequest, status: str | None = None, division: str | None = None
) -> object:
    """Enterprises in the caller's jurisdiction (an enterprise user: its own)."""
    queryset = Enterprise.objects.restrict(request.user, "view").select_related("division")  # type: ignore[arg-type]
    if status:
        queryset = queryset.filter(status=status)
    if division:
        queryset = queryset.in_division(division)
    return queryset.order_by("uscc")


# Before "/{uscc}": URL patterns match in order, and "registrations" would otherwise be taken
# for a USCC (whose pattern answers only GET: 405).
@router.post("/registrations", response={201: EnterpriseOut}, auth=OptionalSession())
def register(request: HttpRequest, payload: RegistrationIn) -> tuple[int, Enterprise]:
    """Self-registration of an enterprise and its administrator account (no sign-in needed)."""
    data = payload.dict()
    enterprise = services.register_enterprise(
        uscc=data.pop("uscc"),
        profile={f: data.get(f) for f in Enterprise.PROFILE_FIELDS},
        account=services.AccountData(
            username=data["username"],
            password=data["password"],
            display_name=data["contact_name"],
            email=data.get("contact_email") or "",
        ),
    )
    return 201, enterprise


@router.get("/{uscc}", response=EnterpriseDetailOut)
def get_enterprise(request: HttpRequest, uscc: str) -> Enterprise:
    return _get(request, uscc, "view")


@router.post("/{uscc}/approve", response=EnterpriseOut)
def approve(request: HttpRequest, uscc: str, payload: DecisionIn) -> Enterprise:
    """Approve a registration awaiting review (the district's reviewer)."""
    enterprise = _get(request, uscc, "review")
    return services.approve_registration(
        actor=acting_user(request),
        enterprise=enterprise,
        expected_version=payload.version,
    )


@router.post("/{uscc}/return", response=EnterpriseOut)
def return_registration(request: HttpRequest, uscc: str, payload: DecisionIn) -> Enterprise:
    """Return a registration awaiting review, with the reason."""
    enterprise = _get(request, uscc, "review")
    with transaction.atomic():
        return services.return_registration(
            actor=acting_user(request),
            enterprise=enterprise,
            reason=payload.reason,
            expected_version=payload.version,
        )
