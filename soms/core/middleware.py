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
