from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from soms.core.errors import bilingual
from soms.core.forms import StyledForm

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str | None) -> dt.date | None:
    """``YYYY-MM`` as the month's first day; ``None`` when it is not a month."""
    match = MONTH.match((text or "").strip())
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (1 <= month <= 12 and 2000 <= year <= 2999):
        return None
    return dt.date(year, month, 1)


class MonthField(forms.CharField):
    """A month entered as ``YYYY-MM`` (the browser's month picker), cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})

    def to_python(self, value: Any) -> dt.date | None:  # type: ignore[override]
        if isinstance(value, dt.date):
            return value.replace(day=1)
        text = super().to_python(value)
        if not text:
            return None
        month = parse_month(text)
        if month is None:
            raise forms.ValidationError(
                bilingual(_("Give the month as YYYY-MM, e.g. 2026-03.")), code="invalid_month"
            )
        return month


class ReopenForm(StyledForm):
    level = forms.CharField(widget=forms.HiddenInput)
    code = forms.CharField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label=_("reason for reopening"), widget=forms.Textarea(attrs={"rows": 2})
    )


class ExtensionForm(StyledForm):
    uscc = forms.CharField(
        label=_("unified social credit code"),
        max_length=18,
        required=False,
        help_text=_("For one enterprise; leave empty to extend a whole district."),
    )
    division = forms.CharField(
        label=_("district"),
        max_length=6,
        required=False,
        help_text=_("Six-digit code of a district or county, for all its enterprises."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    month = MonthField(label=_("month"))
    until = forms.DateField(
        label=_("extended until"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["uscc"] = (data.get("uscc") or "").strip().upper()
        data["division"] = (data.get("division") or "").strip()
        if bool(data["uscc"]) == bool(data["division"]):
            raise forms.ValidationError(
                bilingual(_("Give either an enterprise's USCC or a district's code.")),
                code="invalid_target",
            )
        return data
