from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from soms.accounts.choices import Role
from soms.reference.models import Dataset
from soms.registry.choices import ChangeStatus, RegistrationStatus
from soms.registry.models import Certification, Enterprise


def home(request: HttpRequest) -> HttpResponse:
    """The start page: what this user can do now, with counts from their jurisdiction."""
    context: dict[str, Any] = {}
    user = request.user
    if user.is_authenticated:
        enterprises = Enterprise.objects.restrict(user, "view")  # type: ignore[arg-type]
        context["counts"] = enterprises.aggregate(
            total=Count("pk"),
            registered=Count("pk", filter=Q(status=RegistrationStatus.APPROVED)),
            awaiting=Count("pk", filter=Q(status=RegistrationStatus.SUBMITTED)),
            returned=Count("pk", filter=Q(status=RegistrationStatus.RETURNED)),
        )
        if user.role == Role.DISTRICT_REVIEWER:  # type: ignore[union-attr]
            reviewable = Enterprise.objects.restrict(user, "review")  # type: ignore[arg-type]
            context["queue"] = (
                reviewable.filter(status=RegistrationStatus.SUBMITTED).count()
                + reviewable.filter(profile_changes__status=ChangeStatus.SUBMITTED).count()
            )
        context["expiring"] = (
            Certification.objects.restrict(user, "view")  # type: ignore[arg-type]
            .select_related("enterprise")
            .order_by("valid_to")
        )
        context["expiring"] = [c for c in context["expiring"][:200] if c.state == "expiring"][:10]
        if user.is_enterprise_user and user.enterprise_id:  # type: ignore[union-attr]
            context["own"] = user.enterprise  # type: ignore[union-attr]
    context["datasets"] = Dataset.objects.all()
    return render(request, "core/home.html", context)
