from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

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
        today = timezone.localdate()
        warn_until = today + dt.timedelta(days=settings.SOMS_CERTIFICATE_WARNING_DAYS)
        # The same window as Certification.state_on's "expiring", asked of the database.
        context["expiring"] = list(
            Certification.objects.restrict(user, "view")  # type: ignore[arg-type]
            .filter(valid_from__lte=today, valid_to__gte=today, valid_to__lte=warn_until)
            .select_related("enterprise")
            .order_by("valid_to")[:10]
        )
        if user.is_enterprise_user and user.enterprise_id:  # type: ignore[union-attr]
            context["own"] = user.enterprise  # type: ignore[union-attr]
    context["datasets"] = Dataset.objects.all()
    return render(request, "core/home.html", context)
