"""Two-factor sign-in pages: the account page, setting up an authenticator, entering a code,
removing it. The thinking is in :mod:`soms.accounts.two_factor`."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from soms.accounts import two_factor
from soms.accounts.forms import TokenForm
from soms.accounts.models import acting_user
from soms.core.errors import ServiceError
from soms.core.forms import add_service_error


def _next(request: HttpRequest) -> str:
    """Where to go once the code is right: the page asked for, if it is on this site."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _verified(request: HttpRequest, device: object) -> None:
    otp_login(request, device)
    request.session.pop(two_factor.PENDING_SESSION_KEY, None)


@never_cache
@login_required
def account(request: HttpRequest) -> HttpResponse:
    """Whether two-factor sign-in is set up, with the ways to set it up or remove it."""
    user = acting_user(request)
    return render(
        request,
        "accounts/two_factor.html",
        {
            "device": two_factor.confirmed_device(user),
            "required": two_factor.required_for(user),
            "form": TokenForm(),
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """The key, as a QR code and as text, and the code that confirms the app holds it."""
    user = acting_user(request)
    if two_factor.confirmed_device(user) is not None:
        return redirect("accounts:two_factor")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.confirm(user=user, token=form.cleaned_data["token"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            _verified(request, device)
            messages.success(request, _("Two-factor sign-in is set up."))
            return redirect(_next(request))
    device = two_factor.device_being_set_up(user)
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "secret": two_factor.secret_text(device),
            "qr": two_factor.qr_svg(device),
            "required": two_factor.required_for(user),
            "next": _next(request),
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The code after the password."""
    user = acting_user(request)
    if two_factor.is_verified(request):
        return redirect(_next(request))
    if two_factor.confirmed_device(user) is None:
        if two_factor.required_for(user):
            return redirect("accounts:two_factor_setup")
        return redirect(_next(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.verify(user=user, token=form.cleaned_data["token"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            _verified(request, device)
            return redirect(_next(request))
    return render(
        request, "accounts/two_factor_verify.html", {"form": form, "next": _next(request)}
    )


@never_cache
@login_required
@require_POST
def remove(request: HttpRequest) -> HttpResponse:
    """Remove one's own authenticator, with a current code from it."""
    user = acting_user(request)
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            two_factor.remove(user=user, token=form.cleaned_data["token"])
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Two-factor sign-in is removed from this account."))
            return redirect("accounts:two_factor")
    return render(
        request,
        "accounts/two_factor.html",
        {
            "device": two_factor.confirmed_device(user),
            "required": two_factor.required_for(user),
            "form": form,
        },
    )
