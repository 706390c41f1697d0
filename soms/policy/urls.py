from django.urls import path

from soms.policy import views

app_name = "policy"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("targets/new/", views.target_new, name="target_new"),
    path("targets/<str:code>/", views.target_page, name="target"),
    path("targets/<str:code>/edit/", views.target_edit, name="target_edit"),
    path("targets/<str:code>/publish/", views.publish, name="publish"),
    path("series/", views.series_list, name="series"),
    path("series/<str:code>/", views.series_detail, name="series_detail"),
]
