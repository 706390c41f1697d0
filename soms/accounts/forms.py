from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from soms.core.errors import bilingual


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("The user name or the password is wrong. Both are case-sensitive."),
        "inactive": _("This account is inactive."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control"

    def get_invalid_login_error(self):  # type: ignore[no-untyped-def]
        error = super().get_invalid_login_error()
        error.message = bilingual(self.error_messages["invalid_login"])
        error.params = None
        return error
