from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from soms.evaluation.choices import CityKind, DecisionKind, Direction, Source
from soms.evaluation.formulas import formula_choices
from soms.evaluation.models import EvaluationRound, Indicator, IndicatorValue

TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}
DATE = {"class": "form-control", "type": "date"}


class RoundForm(forms.Form):
    name_zh = forms.CharField(
        label=_("Name (Chinese)"), max_length=200, widget=forms.TextInput(TEXT)
    )
    name_en = forms.CharField(
        label=_("Name (English)"), max_length=200, required=False, widget=forms.TextInput(TEXT)
    )
    year = forms.IntegerField(
        label=_("Year evaluated"),
        min_value=2006,
        max_value=2100,
        widget=forms.NumberInput(TEXT),
        help_text=_("Indicators computed from the system's data cover this calendar year."),
    )
    cap = forms.DecimalField(
        label=_("Limit of an indicator's points"),
        required=False,
        min_value=1,
        max_digits=4,
        decimal_places=1,
        widget=forms.NumberInput({**TEXT, "step": "0.5"}),
        help_text=_("A multiple of the indicator's weight; empty: no limit."),
    )
    template = forms.ChoiceField(
        label=_("Start from"),
        required=False,
        choices=[("", _("an empty tree")), ("2016", _("the 2016 round's first level"))],
        widget=forms.Select(attrs=SELECT),
    )


class IndicatorForm(forms.Form):
    parent = forms.ModelChoiceField(
        label=_("Parent indicator"),
        queryset=Indicator.objects.none(),
        required=False,
        empty_label=_("(first level)"),
        widget=forms.Select(attrs=SELECT),
    )
    name_zh = forms.CharField(
        label=_("Name (Chinese)"), max_length=200, widget=forms.TextInput(TEXT)
    )
    name_en = forms.CharField(
        label=_("Name (English)"), max_length=200, required=False, widget=forms.TextInput(TEXT)
    )
    weight = forms.DecimalField(
        label=_("Weight"),
        max_digits=6,
        decimal_places=2,
        widget=forms.NumberInput({**TEXT, "step": "0.01"}),
        help_text=_("For a bonus item: the most points it gives."),
    )
    is_bonus = forms.BooleanField(label=_("Bonus item (outside the 100)"), required=False)
    direction = forms.ChoiceField(
        label=pgettext_lazy("indicator", "Direction"),
        choices=Direction.choices,
        widget=forms.Select(attrs=SELECT),
    )
    source = forms.ChoiceField(
        label=_("Source"), choices=Source.choices, widget=forms.Select(attrs=SELECT)
    )
    formula = forms.ChoiceField(
        label=_("Formula"),
        required=False,
        widget=forms.Select(attrs=SELECT),
        help_text=_("For an indicator computed from the system's data."),
    )
    unit = forms.CharField(
        label=_("Unit"), max_length=40, required=False, widget=forms.TextInput(TEXT)
    )
    guidance = forms.CharField(
        label=_("Guidance for the form"),
        required=False,
        widget=forms.Textarea({**TEXT, "rows": 2}),
    )

    def __init__(
        self, *args: Any, evaluation_round: EvaluationRound, editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["formula"].choices = [("", "—"), *formula_choices()]  # type: ignore[attr-defined]
        if editing:
            del self.fields["parent"]
            del self.fields["is_bonus"]
        else:
            self.fields["parent"].queryset = Indicator.objects.filter(  # type: ignore[attr-defined]
                evaluation_round=evaluation_round, is_bonus=False, level__lt=3
            ).order_by("code")


class CityForm(forms.Form):
    division = forms.CharField(
        label=_("City code"),
        max_length=6,
        widget=forms.TextInput({**TEXT, "inputmode": "numeric"}),
        help_text=_("The six-digit code of a prefecture-level city or a municipality."),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=CityKind.choices, widget=forms.Select(attrs=SELECT)
    )


class ValuesForm(forms.Form):
    """One field per indicator of a source, named ``value_<pk>``; values are checked by the
    service (:func:`soms.evaluation.services.parse_value`), so every path gets the same rules."""

    def __init__(
        self,
        *args: Any,
        indicators: list[Indicator],
        values: dict[int, IndicatorValue],
        disabled: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.indicators = indicators
        for indicator in indicators:
            current = values.get(indicator.pk)
            help_parts = [str(p) for p in (indicator.unit, indicator.guidance) if p]
            if indicator.is_bonus:
                help_parts.append(
                    str(
                        _("Bonus points, at most %(weight)s.")
                        % {"weight": f"{indicator.weight.normalize():f}"}
                    )
                )
            self.fields[f"value_{indicator.pk}"] = forms.CharField(
                label=f"{indicator.code} {indicator.name}",
                required=False,
                disabled=disabled,
                initial=""
                if current is None or current.value is None
                else f"{current.value.normalize():f}",
                help_text=" · ".join(help_parts),
                widget=forms.TextInput({**TEXT, "inputmode": "decimal"}),
            )

    def entered(self) -> dict[int, str]:
        return {
            int(name.removeprefix("value_")): self.cleaned_data.get(name, "")
            for name in self.fields
        }


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for return"), widget=forms.Textarea({**TEXT, "rows": 2})
    )


class DecisionForm(forms.Form):
    division = forms.CharField(
        label=_("City code"), max_length=6, widget=forms.TextInput({**TEXT, "inputmode": "numeric"})
    )
    kind = forms.ChoiceField(
        label=_("Decision"), choices=DecisionKind.choices, widget=forms.Select(attrs=SELECT)
    )
    decided_on = forms.DateField(label=_("Decided on"), widget=forms.DateInput(DATE))
    document = forms.CharField(
        label=_("Document number"), max_length=200, widget=forms.TextInput(TEXT)
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea({**TEXT, "rows": 3}))
    rectify_until = forms.DateField(
        label=_("Rectification until"),
        required=False,
        widget=forms.DateInput(DATE),
        help_text=_("For a rectification period: the day it ends."),
    )


class CandidateForm(forms.Form):
    division = forms.CharField(
        label=_("City code"), max_length=6, widget=forms.TextInput({**TEXT, "inputmode": "numeric"})
    )
    applied_on = forms.DateField(label=_("Applied on"), widget=forms.DateInput(DATE))
    document = forms.CharField(
        label=_("Application document"),
        max_length=200,
        required=False,
        widget=forms.TextInput(TEXT),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea({**TEXT, "rows": 2})
    )
