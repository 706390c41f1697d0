"""The SOMS API (``/api/v1/``), described by its OpenAPI document at ``/api/v1/openapi.json``
and browsable at ``/api/v1/docs``.

Authentication: the browser session (with CSRF for writes) or a bearer token
(``soms create_api_token``). Every endpoint gets its objects through ``restrict()``: outside the
caller's jurisdiction an object answers 404. A refused change answers with the rule in Chinese and
English (``code``, ``field``, ``message_zh``, ``message_en``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import ValidationError as SchemaError
from ninja.security import APIKeyCookie, HttpBearer, django_auth

from soms.accounts.models import ApiToken
from soms.core.errors import ServiceError


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = (
            ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash(token)).first()
        )
        if api_token is None or not api_token.is_valid:
            return None
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=timezone.now())
        request.user = api_token.user
        return api_token.user


AUTH: list[Any] = [BearerToken(), django_auth]


class OptionalSession(APIKeyCookie):
    """Lets anonymous callers in (public endpoints) while still recognising a session."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user if request.user.is_authenticated else True

    def _get_key(self, request: HttpRequest) -> str | None:  # pragma: no cover - by contract
        return request.COOKIES.get(self.param_name)

    def __call__(self, request: HttpRequest) -> Any:
        return self.authenticate(request, None)


api = NinjaAPI(
    title="SOMS API",
    version="1",
    description=__doc__ or "",
    auth=AUTH,
    urls_namespace="api",
)


@api.exception_handler(ServiceError)
def service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(SchemaError)
def schema_error(request: HttpRequest, exc: SchemaError) -> HttpResponse:
    """Input the schema refuses (a missing or mistyped attribute) answers like a refused change:
    400 with the field and the rule in both languages (and the validator's ``detail``)."""
    first: dict[str, Any] = dict(exc.errors[0]) if exc.errors else {}
    location = [str(part) for part in first.get("loc", ())]
    # ["body", "<parameter>", "field", ...] or ["query", "field"]
    path = location[2:] if location[:1] == ["body"] else location[1:]
    field = ".".join(path) or None
    if first.get("type") == "missing":
        error = ServiceError(
            _("“%(field)s” is required."), code="required", field=field, params={"field": field}
        )
    else:
        error = ServiceError(
            _("“%(field)s” is not valid: %(detail)s"),
            code="invalid",
            field=field,
            params={"field": field, "detail": first.get("msg", "")},
        )
    return api.create_response(request, {**error.as_dict(), "detail": exc.errors}, status=400)


api.add_router("/enterprises/", "soms.registry.api.router")
api.add_router("/reference/", "soms.reference.api.router")
api.add_router("/filing/", "soms.filing.api.router")
api.add_router("/review/", "soms.review.api.router")
api.add_router("/stats/", "soms.statistics.api.router")
api.add_router("/releases/", "soms.dissemination.api.router")
