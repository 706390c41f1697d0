from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "soms.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from soms.accounts import middleware

        middleware.connect()
