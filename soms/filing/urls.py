"""Filing pages, and the record review pages of the district (``review/…``, in
:mod:`soms.review.views_records`), all under ``/filing/``."""

from django.urls import path, register_converter

from soms.filing import views
from soms.filing.models import RECORD_MODELS
from soms.review import views_records


class KindConverter:
    """A record kind: contract, amendment, execution or workforce."""

    regex = "|".join(RECORD_MODELS)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(KindConverter, "kind")

app_name = "filing"
urlpatterns = [
    path("", views.home, name="home"),
    path("review/", views_records.queue, name="review_queue"),
    path("review/decide/", views_records.decide_bulk, name="review_bulk"),
    path(
        "review/<kind:kind>/<int:pk>/approve/",
        views_records.approve,
        name="review_approve",
    ),
    path(
        "review/<kind:kind>/<int:pk>/return/",
        views_records.return_record,
        name="review_return",
    ),
    path("<kind:kind>/", views.record_list, name="list"),
    path("<kind:kind>/new/", views.record_create, name="create"),
    path("<kind:kind>/<int:pk>/", views.record_detail, name="detail"),
    path("<kind:kind>/<int:pk>/edit/", views.record_edit, name="edit"),
    path("<kind:kind>/<int:pk>/submit/", views.submit, name="submit"),
    path("<kind:kind>/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<kind:kind>/<int:pk>/discard/", views.discard, name="discard"),
    path("<kind:kind>/<int:pk>/correction/", views.start_correction, name="correction"),
    path("<kind:kind>/<int:pk>/comments/", views.comment, name="comment"),
]
