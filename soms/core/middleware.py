from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from soms.core.context import acting_from


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites
    # it, and a deployment behind one sets REMOTE_ADDR through the proxy's own module.
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Makes the client address and channel (web or API) available to the audit trail."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = "api" if request.path.startswith("/api/") else "web"
        with acting_from(client_ip(request), channel):
            return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Every page says where its scripts, styles, images and connections may come from: this
    server only (set-up installs every asset; nothing loads from elsewhere), no inline script,
    no framing, no plugin. Inline ``style`` attributes stay allowed (templates and the
    server-rendered SVG charts use them; a style cannot run code). ``settings.SOMS_CSP`` is the
    policy; a view may set its own header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from django.conf import settings

        self.get_response = get_response
        self.policy = "; ".join(f"{k} {v}" for k, v in settings.SOMS_CSP.items())

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response
