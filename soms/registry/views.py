"""Registry pages. Short by design: objects come from ``restrict()``, changes from services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from soms.accounts.choices import MINISTRY_ROLES, REVIEWER_ROLES
from soms.accounts.models import User, acting_user
from soms.audit.models import AuditEvent
from soms.core.errors import ServiceError
from soms.core.forms import add_service_error
from soms.registry import services
from soms.registry.choices import ChangeStatus, RegistrationStatus
from soms.registry.forms import (
    CertificationForm,
    DeregisterForm,
    EnterpriseFilterForm,
    ProfileForm,
    ReasonForm,
    RegistrationForm,
    UserForm,
    VersionForm,
)
from soms.registry.models import Certification, Enterprise, EnterpriseQuerySet, ProfileChange


def _enterprise(request: HttpRequest, uscc: str, action: str = "view") -> Enterprise:
    # 404, never 403, outside the user's scope: no leak of an enterprise's existence.
    return get_object_or_404(
        Enterprise.objects.restrict(request.user, action).select_related("division"),  # type: ignore[arg-type]
        uscc=uscc,
    )


def _refused(request: HttpRequest, error: ServiceError) -> None:
    messages.error(request, error.text)


def register(request: HttpRequest) -> HttpResponse:
    """Self-registration of an enterprise and its administrator's account."""
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            enterprise = services.register_enterprise(
                uscc=data["uscc"],
                profile={f: data.get(f) for f in Enterprise.PROFILE_FIELDS},
                account=services.AccountData(
                    username=data["username"],
                    password=data["password"],
                    display_name=data["contact_name"],
                    email=data.get("contact_email") or "",
                ),
            )
        except ServiceError as error:
            add_service_error(form, error)
        else:
            return render(request, "registry/registered.html", {"enterprise": enterprise})
    return render(request, "registry/register.html", {"form": form})


@login_required
def enterprise_list(request: HttpRequest) -> HttpResponse:
    form = EnterpriseFilterForm(request.GET or None)
    enterprises: EnterpriseQuerySet = Enterprise.objects.restrict(
        request.user,
        "view",  # type: ignore[arg-type]
    ).select_related("division", "division__parent")
    if form.is_valid():
        if q := form.cleaned_data.get("q"):
            enterprises = enterprises.filter(
                Q(name__icontains=q) | Q(uscc__icontains=q) | Q(name_en__icontains=q)
            )
        if status := form.cleaned_data.get("status"):
            enterprises = enterprises.filter(status=status)
        if division := form.cleaned_data.get("division"):
            enterprises = enterprises.in_division(division)
    page = Paginator(enterprises.order_by("division_id", "name"), 50).get_page(
        request.GET.get("page")
    )
    template = "registry/_enterprise_rows.html" if request.htmx else "registry/enterprise_list.html"  # type: ignore[attr-defined]
    return render(request, template, {"page": page, "form": form})


@login_required
def enterprise_detail(request: HttpRequest, uscc: str) -> HttpResponse:
    enterprise = _enterprise(request, uscc)
    user: User = request.user  # type: ignore[assignment]
    scoped = Enterprise.objects.filter(pk=enterprise.pk)
    can = {
        action: scoped.restrict(user, action).exists()
        for action in ("change", "review", "manage_users", "deregister")
    }
    context: dict[str, Any] = {
        "enterprise": enterprise,
        "can": can,
        "certifications": enterprise.certifications.all(),
        "users": enterprise.users.order_by("-is_active", "role", "username")
        if (can["manage_users"] or not user.is_enterprise_user)
        else None,
        "pending_change": enterprise.pending_change,
        "changes": enterprise.profile_changes.exclude(status=ChangeStatus.SUBMITTED)[:10],
        "events": AuditEvent.objects.for_object(enterprise)[:50],
        "reason_form": ReasonForm(initial={"version": enterprise.lock_version}),
        "version_form": VersionForm(initial={"version": enterprise.lock_version}),
    }
    if context["pending_change"]:
        change = context["pending_change"]
        current = ProfileForm.initial_from(enterprise)
        context["change_rows"] = [
            (
                getattr(Enterprise._meta.get_field(field), "verbose_name", field),
                current.get(field),
                value,
            )
            for field, value in change.proposed.items()
        ]
    return render(request, "registry/enterprise_detail.html", context)


@login_required
@require_POST
def approve(request: HttpRequest, uscc: str) -> HttpResponse:
    enterprise = _enterprise(request, uscc, "review")
    form = VersionForm(request.POST)
    form.is_valid()
    try:
        services.approve_registration(
            actor=acting_user(request),
            enterprise=enterprise,
            expected_version=form.cleaned_data.get("version"),
        )
        messages.success(request, _("The registration is approved."))
    except ServiceError as error:
        _refused(request, error)
    return redirect("registry:enterprise", uscc=uscc)


@login_required
@require_POST
def return_registration(request: HttpRequest, uscc: str) -> HttpResponse:
    enterprise = _enterprise(request, uscc, "review")
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        services.return_registration(
            actor=acting_user(request),
            enterprise=enterprise,
            reason=form.cleaned_data.get("reason", ""),
            expected_version=form.cleaned_data.get("version"),
        )
        messages.success(request, _("The registration is returned to the enterprise."))
    except ServiceError as error:
        _refused(request, error)
    return redirect("registry:enterprise", uscc=uscc)


@login_required
def edit_profile(request: HttpRequest, uscc: str) -> HttpResponse:
    """A returned registration is corrected and resubmitted; an approved profile's change is
    proposed for review (the approved profile stays in force meanwhile)."""
    enterprise = _enterprise(request, uscc, "change")
    form = ProfileForm(request.POST or None, initial=ProfileForm.initial_from(enterprise))
    if request.method == "POST" and form.is_valid():
        profile = form.cleaned_data
        try:
            if enterprise.status == RegistrationStatus.RETURNED:
                services.resubmit_registration(
                    actor=acting_user(request),
                    enterprise=enterprise,
                    profile=profile,
                )
                messages.success(request, _("The registration is submitted again for review."))
            else:
                changed = {f: v for f, v in profile.items() if f in form.changed_data}
                services.propose_change(
                    actor=acting_user(request),
                    enterprise=enterprise,
                    profile=changed,
                )
                messages.success(
                    request,
                    _(
                        "The change is submitted for review; the approved "
                        "profile stays in force until it is approved."
                    ),
                )
            return redirect("registry:enterprise", uscc=uscc)
        except ServiceError as error:
            add_service_error(form, error)
    return render(request, "registry/profile_form.html", {"form": form, "enterprise": enterprise})


def _change(request: HttpRequest, pk: int, action: str) -> ProfileChange:
    return get_object_or_404(
        ProfileChange.objects.select_related("enterprise").filter(
            enterprise__in=Enterprise.objects.restrict(request.user, action)  # type: ignore[arg-type]
        ),
        pk=pk,
    )


@login_required
@require_POST
def decide_change(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    change = _change(request, pk, "change" if decision == "withdraw" else "review")
    form = ReasonForm(request.POST)
    form.is_valid()
    version = form.cleaned_data.get("version")
    try:
        if decision == "approve":
            services.approve_change(
                actor=acting_user(request), change=change, expected_version=version
            )
            messages.success(request, _("The change is approved and now in force."))
        elif decision == "return":
            services.return_change(
                actor=acting_user(request),
                change=change,
                reason=form.cleaned_data.get("reason", ""),
                expected_version=version,
            )
            messages.success(request, _("The change is returned to the enterprise."))
        else:
            services.withdraw_change(actor=acting_user(request), change=change)
            messages.success(request, _("The change request is withdrawn."))
    except ServiceError as error:
        _refused(request, error)
    return redirect("registry:enterprise", uscc=change.enterprise.uscc)


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    if getattr(request.user, "role", None) not in REVIEWER_ROLES | MINISTRY_ROLES:
        raise Http404  # registrations are reviewed by departments
    reviewable = Enterprise.objects.restrict(request.user, "review")  # type: ignore[arg-type]
    return render(
        request,
        "registry/review_queue.html",
        {
            "registrations": reviewable.filter(status=RegistrationStatus.SUBMITTED)
            .select_related("division")
            .order_by("submitted_at"),
            "changes": ProfileChange.objects.filter(
                enterprise__in=reviewable, status=ChangeStatus.SUBMITTED
            )
            .select_related("enterprise", "submitted_by")
            .order_by("submitted_at"),
        },
    )


@login_required
def certification_form(request: HttpRequest, uscc: str, pk: int | None = None) -> HttpResponse:
    enterprise = _enterprise(request, uscc, "change")
    certification = get_object_or_404(enterprise.certifications, pk=pk) if pk else None
    initial = (
        {
            f: getattr(certification, f)
            for f in (
                "kind",
                "kind_other",
                "level",
                "certificate_no",
                "issuer",
                "valid_from",
                "valid_to",
            )
        }
        if certification
        else None
    )
    form = CertificationForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if certification is None:
                services.add_certification(
                    actor=acting_user(request),
                    enterprise=enterprise,
                    data=data,
                    scan=data.get("scan"),
                )
            else:
                services.update_certification(
                    actor=acting_user(request),
                    certification=certification,
                    data=data,
                    scan=data.get("scan"),
                )
            messages.success(request, _("The certification is saved."))
            return redirect("registry:enterprise", uscc=uscc)
        except ServiceError as error:
            add_service_error(form, error)
    return render(
        request,
        "registry/certification_form.html",
        {"form": form, "enterprise": enterprise, "certification": certification},
    )


@login_required
def certification_scan(request: HttpRequest, uscc: str, pk: int) -> FileResponse:
    """A certificate's scan, to those who see the enterprise: scans are never served from
    ``MEDIA_URL``, where anyone who guessed the path would read them."""
    enterprise = _enterprise(request, uscc)
    certification: Certification = get_object_or_404(enterprise.certifications, pk=pk)
    if not certification.scan:
        raise Http404
    try:
        handle = certification.scan.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=False, filename=Path(certification.scan.name).name)


@login_required
@require_POST
def certification_delete(request: HttpRequest, uscc: str, pk: int) -> HttpResponse:
    enterprise = _enterprise(request, uscc, "change")
    certification: Certification = get_object_or_404(enterprise.certifications, pk=pk)
    services.remove_certification(actor=acting_user(request), certification=certification)
    messages.success(request, _("The certification is removed."))
    return redirect("registry:enterprise", uscc=uscc)


@login_required
def add_user(request: HttpRequest, uscc: str) -> HttpResponse:
    enterprise = _enterprise(request, uscc, "manage_users")
    form = UserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_enterprise_user(
                actor=acting_user(request),
                enterprise=enterprise,
                account=services.AccountData(
                    username=data["username"],
                    password=data["password"],
                    display_name=data["display_name"],
                    email=data.get("email") or "",
                ),
            )
            messages.success(request, _("The user is added."))
            return redirect("registry:enterprise", uscc=uscc)
        except ServiceError as error:
            add_service_error(form, error)
    return render(request, "registry/user_form.html", {"form": form, "enterprise": enterprise})


@login_required
@require_POST
def user_action(request: HttpRequest, uscc: str, pk: int, action: str) -> HttpResponse:
    enterprise = _enterprise(request, uscc, "manage_users")
    member: User = get_object_or_404(enterprise.users, pk=pk)
    try:
        if action == "make_admin":
            services.transfer_administration(
                actor=acting_user(request), enterprise=enterprise, to=member
            )
        else:
            services.set_user_active(
                actor=acting_user(request), user=member, active=action == "activate"
            )
        messages.success(request, _("Done."))
    except ServiceError as error:
        _refused(request, error)
    return redirect("registry:enterprise", uscc=uscc)


@login_required
def deregister(request: HttpRequest, uscc: str) -> HttpResponse:
    enterprise = _enterprise(request, uscc, "deregister")
    form = DeregisterForm(request.POST or None, initial={"version": enterprise.lock_version})
    if request.method == "POST" and form.is_valid():
        try:
            services.deregister(
                actor=acting_user(request),
                enterprise=enterprise,
                on=form.cleaned_data["on"],
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data.get("version"),
            )
            messages.success(request, _("The enterprise is deregistered."))
            return redirect("registry:enterprise", uscc=uscc)
        except ServiceError as error:
            add_service_error(form, error)
    return render(request, "registry/deregister.html", {"form": form, "enterprise": enterprise})
