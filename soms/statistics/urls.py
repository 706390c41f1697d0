from django.urls import path

from soms.statistics import pivot_views, views

app_name = "statistics"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("public/", views.public_dashboard, name="public"),
    path("map.geojson", views.province_geojson, name="province_geojson"),
    path("pivot/", pivot_views.pivot, name="pivot"),
    path("pivot.xlsx", pivot_views.pivot_xlsx, name="pivot_xlsx"),
]
