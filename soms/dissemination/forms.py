from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PrepareForm(forms.Form):
    month = forms.CharField(label=_("Month (YYYY-MM)"), max_length=7)

    def clean_month(self) -> dt.date:
        text = self.cleaned_data["month"].strip()
        try:
            return dt.datetime.strptime(text, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(
                _("“%(value)s” is not a month (YYYY-MM)."), params={"value": text}
            ) from None


class BulletinForm(forms.Form):
    bulletin_zh = forms.CharField(
        label=_("Bulletin (Chinese)"),
        widget=forms.Textarea(attrs={"rows": 12, "class": "form-control"}),
    )
    bulletin_en = forms.CharField(
        label=_("Bulletin (English)"),
        widget=forms.Textarea(attrs={"rows": 12, "class": "form-control"}),
    )


class PublishForm(forms.Form):
    publish_at = forms.DateTimeField(
        label=_("Publication time"),
        required=False,
        help_text=_("Empty: now. A later time embargoes the release until then."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def clean_publish_at(self) -> Any:
        value = self.cleaned_data.get("publish_at")
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value
