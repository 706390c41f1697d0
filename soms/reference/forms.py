from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from soms.core.forms import StyledForm
from soms.core.uploads import TABLES, LimitedFileField


class DraftVersionForm(StyledForm):
    code = forms.CharField(label=_("version"), max_length=20)
    name = forms.CharField(label=_("title"), max_length=200, required=False)
    effective_from = forms.DateField(
        label=_("in force from"), widget=forms.DateInput(attrs={"type": "date"})
    )


class ItemForm(StyledForm):
    code = forms.CharField(label=_("code"), max_length=20)
    parent = forms.CharField(label=_("parent"), max_length=20, required=False)
    name_zh = forms.CharField(label=_("Chinese name"), max_length=200)
    name_en = forms.CharField(label=_("English name"), max_length=200, required=False)
    digital = forms.NullBooleanField(label=_("digital service"), required=False)
    ebops_code = forms.CharField(label=_("EBOPS 2010 code"), max_length=10, required=False)


class ConcordanceForm(StyledForm):
    pairs = forms.CharField(
        label=_("concordance"),
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        help_text=_(
            "One line per correspondence: old code, new code (e.g. “ITO01,ITO11”). "
            "An old code split in two takes two lines."
        ),
    )

    def cleaned_pairs(self) -> list[tuple[str, str]]:
        pairs = []
        for line in self.cleaned_data["pairs"].splitlines():
            parts = [p.strip() for p in line.replace("，", ",").replace("\t", ",").split(",")]
            if len(parts) >= 2 and parts[0]:
                pairs.append((parts[0], parts[1]))
        return pairs


class MembershipForm(StyledForm):
    countries = forms.CharField(
        label=_("countries"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("ISO 3166-1 alpha-2 codes separated by spaces or commas."),
    )
    valid_from = forms.DateField(
        label=_("member from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_to = forms.DateField(
        label=_("member until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def country_codes(self) -> list[str]:
        text: Any = self.cleaned_data["countries"]
        return [c for c in text.replace(",", " ").replace("，", " ").split() if c]


class RatesUploadForm(StyledForm):
    file = LimitedFileField(label=_("rates file (CSV or XLSX)"), kinds=TABLES)
    dry_run = forms.BooleanField(label=_("check only, write nothing"), required=False)
