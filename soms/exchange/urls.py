from django.urls import path

from soms.exchange import views

app_name = "exchange"
urlpatterns = [path("export/<str:kind>.<str:fmt>", views.export, name="export")]
