from django.urls import path, re_path

from soms.registry import views

app_name = "registry"
urlpatterns = [
    path("register/", views.register, name="register"),
    path("enterprises/", views.enterprise_list, name="enterprises"),
    path("review/", views.review_queue, name="review"),
    path("enterprises/<str:uscc>/", views.enterprise_detail, name="enterprise"),
    path("enterprises/<str:uscc>/approve/", views.approve, name="approve"),
    path("enterprises/<str:uscc>/return/", views.return_registration, name="return"),
    path("enterprises/<str:uscc>/edit/", views.edit_profile, name="edit"),
    path("enterprises/<str:uscc>/deregister/", views.deregister, name="deregister"),
    path(
        "enterprises/<str:uscc>/certifications/add/",
        views.certification_form,
        name="certification_add",
    ),
    path(
        "enterprises/<str:uscc>/certifications/<int:pk>/",
        views.certification_form,
        name="certification_edit",
    ),
    path(
        "enterprises/<str:uscc>/certifications/<int:pk>/scan/",
        views.certification_scan,
        name="certification_scan",
    ),
    path(
        "enterprises/<str:uscc>/certifications/<int:pk>/delete/",
        views.certification_delete,
        name="certification_delete",
    ),
    path("enterprises/<str:uscc>/users/add/", views.add_user, name="user_add"),
    re_path(
        r"^enterprises/(?P<uscc>\w+)/users/(?P<pk>\d+)/(?P<action>make_admin|activate|deactivate)/$",
        views.user_action,
        name="user_action",
    ),
    re_path(
        r"^changes/(?P<pk>\d+)/(?P<decision>approve|return|withdraw)/$",
        views.decide_change,
        name="change_decide",
    ),
]
