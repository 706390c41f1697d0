from django.contrib.auth import views as auth_views
from django.urls import path

from soms.accounts import views
from soms.accounts.forms import LoginForm

app_name = "accounts"
urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html",
            authentication_form=LoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password.html", success_url="/"
        ),
        name="password",
    ),
    path("two-factor/", views.account, name="two_factor"),
    path("two-factor/setup/", views.setup, name="two_factor_setup"),
    path("two-factor/verify/", views.verify, name="two_factor_verify"),
    path("two-factor/remove/", views.remove, name="two_factor_remove"),
]
