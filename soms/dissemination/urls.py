from django.urls import path

from soms.dissemination import feeds, views

app_name = "dissemination"
urlpatterns = [
    # The release desk (ministry statisticians).
    path("releases/", views.desk, name="desk"),
    path("releases/current.xlsx", views.current_workbook, name="current_workbook"),
    path("releases/<str:label>/", views.release_desk, name="release_desk"),
    path("releases/<str:label>/redraft/", views.redraft, name="redraft"),
    path("releases/<str:label>/edit/", views.edit, name="edit"),
    path("releases/<str:label>/publish/", views.publish, name="publish"),
    # The open-data portal (everyone).
    path("open-data/", views.portal, name="portal"),
    path("open-data/about/", views.about, name="about"),
    path("open-data/feed/", feeds.ReleaseFeed(), name="feed"),
    path("open-data/series/", views.series_page, name="series"),
    path("open-data/series.<str:kind>", views.series_download, name="series_download"),
    path("open-data/sdmx/structure.xml", views.sdmx_structure, name="sdmx_structure"),
    path("open-data/<str:label>/", views.release_page, name="release"),
    path("open-data/<str:label>/bulletin/", views.bulletin_page, name="bulletin"),
    path("open-data/<str:label>/bulletin.pdf", views.bulletin_download, name="bulletin_pdf"),
    path("open-data/<str:label>/tables.xlsx", views.tables_download, name="tables"),
    path("open-data/<str:label>/figures.csv", views.figures_download, name="figures_csv"),
    path("open-data/<str:label>/sdmx.csv", views.sdmx_download, name="sdmx"),
    path("open-data/<str:label>/revisions/", views.revisions_page, name="revisions"),
]
