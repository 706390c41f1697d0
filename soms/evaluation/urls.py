from django.urls import path

from soms.evaluation import views

app_name = "evaluation"
urlpatterns = [
    # Demonstration and base cities, candidates and decisions.
    path("cities/", views.designations, name="designations"),
    path("cities/decisions/new/", views.decision_new, name="decision_new"),
    path("cities/candidates/new/", views.candidate_new, name="candidate_new"),
    # Rounds (the ministry's desk; the published ones for everyone).
    path("", views.index, name="index"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/do/<str:action>/", views.round_action, name="round_action"),
    path("rounds/<int:pk>/cities/add/", views.city_add, name="city_add"),
    path("rounds/<int:pk>/cities/<str:code>/remove/", views.city_remove, name="city_remove"),
    path("rounds/<int:pk>/indicators/", views.indicators, name="indicators"),
    path(
        "rounds/<int:pk>/indicators/<int:indicator>/",
        views.indicator_edit,
        name="indicator_edit",
    ),
    path(
        "rounds/<int:pk>/indicators/<int:indicator>/remove/",
        views.indicator_remove,
        name="indicator_remove",
    ),
    # A city's form and its review.
    path("rounds/<int:pk>/cities/<str:code>/", views.submission, name="submission"),
    path("rounds/<int:pk>/review/", views.review_queue, name="review"),
    path("rounds/<int:pk>/cities/<str:code>/approve/", views.approve, name="approve"),
    path("rounds/<int:pk>/cities/<str:code>/return/", views.return_, name="return"),
    # Results.
    path("rounds/<int:pk>/ranking/", views.ranking, name="ranking"),
    path("rounds/<int:pk>/report/", views.report, name="report"),
    path("rounds/<int:pk>/report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("rounds/<int:pk>/report.pdf", views.report_print, name="report_pdf"),
]
