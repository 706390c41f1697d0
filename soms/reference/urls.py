from django.urls import path

from soms.reference import views

app_name = "reference"
urlpatterns = [
    path("", views.index, name="index"),
    path("divisions/", views.divisions, name="divisions"),
    path("divisions/<str:code>/", views.divisions, name="division"),
    path("catalogue/<str:code>/", views.catalogue, name="catalogue"),
    path("catalogue/<str:code>/draft/", views.catalogue_draft, name="catalogue_draft"),
    path("catalogue/<str:code>/items/", views.catalogue_item, name="catalogue_item"),
    path(
        "catalogue/<str:code>/items/<str:item>/remove/",
        views.catalogue_item_remove,
        name="catalogue_item_remove",
    ),
    path(
        "catalogue/<str:code>/concordance/",
        views.catalogue_concordance,
        name="catalogue_concordance",
    ),
    path("catalogue/<str:code>/publish/", views.catalogue_publish, name="catalogue_publish"),
    path("groups/<str:code>/", views.country_group, name="group"),
    path("rates/", views.rates, name="rates"),
]
