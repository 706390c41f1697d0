from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from soms.core.errors import bilingual, bilingual_validation_error
from soms.core.forms import StyledForm


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


class TokenForm(StyledForm):
    """The six-digit code an authenticator app shows (spaces, as some apps group it, ignored)."""

    token = forms.CharField(
        label=_("Code from the authenticator app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "size": 8,
            }
        ),
    )

    def clean_token(self) -> str:
        token = "".join(str(self.cleaned_data["token"]).split())
        if not (token.isascii() and token.isdigit() and len(token) == 6):
            raise bilingual_validation_error(
                _("Enter the six digits the authenticator app shows."), code="format"
            )
        return token
