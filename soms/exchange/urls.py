from django.urls import path

from soms.exchange import views

app_name = "exchange"
urlpatterns = [
    path("export/<str:kind>.<str:fmt>", views.export, name="export"),
    path("import/", views.upload, name="upload"),
    path("jobs/<int:pk>/", views.job, name="job"),
    path("jobs/<int:pk>/errors.xlsx", views.report, name="report"),
]
