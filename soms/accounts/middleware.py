"""A session that owes a one-time code sees only the pages that take it (soms.accounts.two_factor).

Signing in with the password alone leaves the session unverified. While it is, every page but
signing out, the language switch, static files and the two-factor set-up and code pages sends the
user to set-up (where it is required and no authenticator is set up yet) or to the code page, and
back to the page asked for once the code is right. For the API such a session is not signed in at
all; bearer tokens are not concerned.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import user_logged_in
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect
from django_otp import DEVICE_ID_SESSION_KEY

from soms.accounts import two_factor


def _exempt(path: str) -> bool:
    # ``path`` with the script prefix, as reverse() and STATIC_URL give it.
    if settings.STATIC_URL and path.startswith(str(settings.STATIC_URL)):
        return True
    return path in {
        reverse("accounts:logout"),
        reverse("accounts:two_factor_setup"),
        reverse("accounts:two_factor_verify"),
        reverse("set_language"),
    }


def owed_step(request: HttpRequest) -> str | None:
    """The URL name of the two-factor page this request must go to first, if any."""
    # Cheapest first: in optional mode a session with no device owes nothing, and nothing is read;
    # in required mode, neither does an enterprise user's.
    pending = request.session.get(two_factor.PENDING_SESSION_KEY)
    if settings.SOMS_TWO_FACTOR != two_factor.REQUIRED and not pending:
        return None
    user = request.user
    if not user.is_authenticated:
        return None
    required = two_factor.required_for(user)
    if not (required or pending) or two_factor.is_verified(request):
        return None
    if two_factor.confirmed_device(user) is not None:  # type: ignore[arg-type]
        return "accounts:two_factor_verify"
    if required:
        return "accounts:two_factor_setup"
    # An administrator reset the device since sign-in: nothing is owed any more.
    request.session.pop(two_factor.PENDING_SESSION_KEY, None)
    return None


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _exempt(request.path):
            return self.get_response(request)
        step = owed_step(request)
        if step is None:
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            request.user = AnonymousUser()
            return self.get_response(request)
        url = reverse(step)
        if request.method == "GET" and not getattr(request, "htmx", False):
            url += "?" + urlencode({"next": request.get_full_path()})
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(url)
        return HttpResponseRedirect(url)


def on_login(sender: object, request: HttpRequest | None, user: object, **kwargs: object) -> None:
    """A password sign-in starts unverified; a user with a device owes a code from now on."""
    if request is None or not hasattr(request, "session"):
        return
    if getattr(user, "otp_device", None) is None:
        # A device verified under an earlier sign-in of the same session does not carry over.
        request.session.pop(DEVICE_ID_SESSION_KEY, None)
    if two_factor.confirmed_device(user) is not None:  # type: ignore[arg-type]
        request.session[two_factor.PENDING_SESSION_KEY] = True
    else:
        request.session.pop(two_factor.PENDING_SESSION_KEY, None)


def connect() -> None:
    user_logged_in.connect(on_login, dispatch_uid="soms.accounts.two_factor.on_login")
