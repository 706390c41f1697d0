from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from soms.core.forms import StyledForm
from soms.policy.choices import Comparison, Direction, ScopeLevel, SeriesUnit
from soms.policy.indicators import INDICATORS
from soms.policy.models import ExternalSeries, Target
from soms.reference.choices import DivisionLevel
from soms.reference.models import Division


def _indicator_choices(blank: bool) -> list[tuple[str, Any]]:
    choices: list[tuple[str, Any]] = [("", "—")] if blank else []
    return choices + [(code, i.name) for code, i in INDICATORS.items()]


class TargetForm(StyledForm):
    """The fields of a target; the rules are the service's (:func:`services.save_target`)."""

    code = forms.CharField(label=_("Target code"), max_length=40)
    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=300)
    title_en = forms.CharField(label=_("Title (English)"), max_length=300, required=False)
    document_title = forms.CharField(label=_("Policy document"), max_length=300)
    document_number = forms.CharField(label=_("Document number"), max_length=100, required=False)
    document_file = forms.CharField(label=_("Text of the document"), max_length=300, required=False)
    indicator = forms.ChoiceField(label=_("Indicator"))
    companion_indicator = forms.ChoiceField(label=_("Second indicator"), required=False)
    comparison = forms.ChoiceField(label=_("Comparison"), choices=Comparison.choices)
    target_value = forms.DecimalField(
        label=_("Target value"), required=False, max_digits=24, decimal_places=4
    )
    direction = forms.ChoiceField(
        label=_("Direction"), choices=[("", "—"), *Direction.choices], required=False
    )
    baseline_year = forms.IntegerField(
        label=_("Baseline year"), required=False, min_value=1949, max_value=2100
    )
    baseline_value = forms.DecimalField(
        label=_("Baseline value"), required=False, max_digits=24, decimal_places=4
    )
    baseline_source = forms.CharField(
        label=_("Source of the baseline value"), max_length=300, required=False
    )
    accumulate_from = forms.IntegerField(
        label=_("Counted from (year)"), required=False, min_value=1949, max_value=2100
    )
    deadline = forms.IntegerField(label=_("Deadline (year)"), min_value=1949, max_value=2100)
    scope_level = forms.ChoiceField(label=_("Scope"), choices=ScopeLevel.choices)
    division = forms.CharField(
        label=_("Province or city (division code)"), max_length=6, required=False
    )
    series = forms.ModelChoiceField(
        label=_("External series"),
        queryset=ExternalSeries.objects.all(),
        required=False,
        to_field_name="code",
    )
    benchmark = forms.ModelChoiceField(
        label=_("Benchmark series"),
        queryset=ExternalSeries.objects.all(),
        required=False,
        to_field_name="code",
    )
    threshold = forms.DecimalField(
        label=_("Threshold"), required=False, max_digits=24, decimal_places=4
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        indicator: Any = self.fields["indicator"]
        indicator.choices = _indicator_choices(blank=False)
        companion: Any = self.fields["companion_indicator"]
        companion.choices = _indicator_choices(blank=True)

    @classmethod
    def initial_of(cls, target: Target) -> dict[str, Any]:
        initial = {name: getattr(target, name) for name in cls.base_fields}
        initial["division"] = target.division_id or ""
        initial["series"] = target.series.code if target.series else None
        initial["benchmark"] = target.benchmark.code if target.benchmark else None
        return initial

    def clean_division(self) -> Division | None:
        code = (self.cleaned_data.get("division") or "").strip()
        if not code:
            return None
        division = Division.objects.filter(
            code=code, level__in=[DivisionLevel.PROVINCE, DivisionLevel.PREFECTURE]
        ).first()
        if division is None:
            raise forms.ValidationError(
                _("“%(value)s” is not the code of a province or a city."), params={"value": code}
            )
        return division

    def data_for_service(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class SeriesUploadForm(StyledForm):
    code = forms.CharField(
        label=_("Series code"),
        max_length=60,
        help_text=_("A series with this code is replaced whole, figures and description."),
    )
    name_zh = forms.CharField(label=_("Chinese name"), max_length=200)
    name_en = forms.CharField(label=_("English name"), max_length=200, required=False)
    unit = forms.ChoiceField(label=_("Unit"), choices=SeriesUnit.choices)
    source = forms.CharField(
        label=_("Source"),
        max_length=500,
        help_text=_("Who published the figures, and in which publication."),
    )
    source_url = forms.URLField(
        label=_("Source address"), max_length=500, required=False, assume_scheme="https"
    )
    illustrative = forms.BooleanField(
        label=_("Illustrative figures (not published ones)"), required=False
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        help_text=_(
            "Two columns: year and value (2024,1234.5), or period and value for year-end "
            "figures (2024-12,1234.5). UTF-8 or GB18030 as Excel saves it."
        ),
    )

    def series_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "file"}


class PublishForm(forms.Form):
    published = forms.BooleanField(required=False)
