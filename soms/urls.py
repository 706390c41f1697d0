from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from soms.api import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("soms.accounts.urls")),
    path("reference/", include("soms.reference.urls")),
    path("registry/", include("soms.registry.urls")),
    path("filing/", include("soms.filing.urls")),
    path("review/", include("soms.review.urls")),
    path("exchange/", include("soms.exchange.urls")),
    path("audit/", include("soms.audit.urls")),
    path("statistics/", include("soms.statistics.urls")),
    path("policy/", include("soms.policy.urls")),
    path("evaluation/", include("soms.evaluation.urls")),
    path("", include("soms.dissemination.urls")),
    path("", include("soms.core.urls")),
]
# MEDIA_ROOT is never served by URL: it holds uploads, error reports and certificate scans, which
# their own views hand out to those allowed to see them.
