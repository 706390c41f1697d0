from django.urls import path

from soms.review import views

app_name = "review"
urlpatterns = [
    path("signoff/", views.signoff, name="signoff"),
    path("signoff/sign/", views.sign, name="sign"),
    path("signoff/reopen/", views.reopen, name="reopen"),
    path("completeness/", views.completeness, name="completeness"),
    path("completeness/missing/", views.missing, name="missing"),
    path("completeness/remind/", views.remind, name="remind"),
    path("extensions/", views.extensions, name="extensions"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.mark_all_read, name="read_all"),
    path("inbox/<int:pk>/read/", views.mark_read, name="read"),
]
