from django.urls import path

from soms.statistics import views

app_name = "statistics"
urlpatterns = [path("", views.dashboard, name="dashboard")]
