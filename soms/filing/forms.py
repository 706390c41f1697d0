"""Forms of the filing pages. They only collect text: the services type, look up and check every
value (``soms.filing.services.clean_values`` and the rules), so the web, the API and imports refuse
alike. A form checks what no service sees: that a required field is filled, the month typed into
``<input type=month>``, and that the chosen contract is one of the enterprise's own."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from soms.core.errors import bilingual
from soms.core.forms import StyledForm
from soms.filing.choices import Direction, RecordStatus
from soms.filing.models import RECORD_MODELS, Contract, FiledRecord
from soms.reference.choices import CATEGORY_L1
from soms.reference.models import CatalogueItem, CatalogueVersion, Country, Currency
from soms.registry.models import Enterprise

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONTH_PATTERN = "[0-9]{4}-[0-9]{2}"


def parse_month(value: str) -> dt.date | None:
    """``YYYY-MM`` as the first day of the month; ``None`` when it is not one."""
    try:
        return dt.datetime.strptime(value.strip(), "%Y-%m").date()
    except ValueError:
        return None


def month_error(value: str) -> str:
    return bilingual(_("“%(value)s” is not a month (YYYY-MM)."), {"value": value})


def required_message(label: Any) -> str:
    return bilingual(_("“%(field)s” is required."), {"field": label})


def category_choices(day: dt.date | None = None) -> list[tuple[str, Any]]:
    """The most detailed categories of the catalogue in force, grouped by ITO, BPO and KPO."""
    version = CatalogueVersion.in_force_on(day or timezone.localdate())
    choices: list[tuple[str, Any]] = [("", "—")]
    if version is None:
        return choices
    items = {i.pk: i for i in version.items.order_by("code")}
    parents = {i.parent_id for i in items.values()}
    groups: dict[CatalogueItem, list[tuple[str, str]]] = {}
    for item in items.values():
        if item.pk in parents:
            continue
        top = item
        while top.parent_id is not None:
            top = items[top.parent_id]
        groups.setdefault(top, []).append((item.code, f"{item.code} {item.name}"))
    order = {code: n for n, code in enumerate(CATEGORY_L1)}
    for top in sorted(groups, key=lambda t: (order.get(t.code, len(order)), t.code)):
        choices.append((f"{top.code} {top.name}", groups[top]))
    return choices


def currency_choices() -> list[tuple[str, str]]:
    return [("", "—")] + [(c.code, f"{c.code} {c.name}") for c in Currency.objects.order_by("code")]


def countries() -> list[Country]:
    """For the ``<datalist>`` of the counterpart country."""
    return list(Country.objects.order_by("code"))


class RecordForm(StyledForm):
    """The fields of one record kind. Key fields are fixed once the record exists."""

    model: ClassVar[type[FiledRecord]]
    # Which fields the services require: marked, and refused here in both languages.
    REQUIRED: ClassVar[tuple[str, ...]] = ()

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        enterprise: Enterprise,
        row: FiledRecord | None = None,
        **kwargs: Any,
    ) -> None:
        if row is not None:
            kwargs.setdefault("initial", self.initial_from(row))
        super().__init__(*args, **kwargs)
        self.enterprise = enterprise
        self.row = row
        for name, field in self.fields.items():
            if name == "version":
                continue
            label = getattr(self.model._meta.get_field(name), "verbose_name", name)
            field.label = field.label or label
            field.required = name in self.REQUIRED
            field.error_messages["required"] = required_message(field.label)
            if row is not None and name in self.model.KEY_FIELDS:
                field.disabled = True

    @classmethod
    def initial_from(cls, row: FiledRecord) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name in (*row.KEY_FIELDS, *row.VALUE_FIELDS):
            value = getattr(row, name)
            if name == "contract":
                value = row.contract_id  # type: ignore[attr-defined]
            elif name == "category":
                value = value.code
            elif name == "month":
                value = f"{value:%Y-%m}"
            elif hasattr(value, "pk"):
                value = value.pk
            values[name] = value
        return values

    def key(self) -> dict[str, Any]:
        return {f: self.cleaned_data.get(f) for f in self.model.KEY_FIELDS}

    def values(self) -> dict[str, Any]:
        return {f: self.cleaned_data.get(f) for f in self.model.VALUE_FIELDS}


class ContractForm(RecordForm):
    model = Contract
    REQUIRED = (
        "contract_no",
        "direction",
        "counterpart_name",
        "counterpart_country",
        "category",
        "currency",
        "amount",
        "signed_on",
    )

    contract_no = forms.CharField(max_length=100)
    direction = forms.CharField(widget=forms.Select(choices=[("", "—"), *Direction.choices]))
    counterpart_name = forms.CharField(max_length=300)
    counterpart_country = forms.CharField(
        help_text=_("Two-letter ISO code (e.g. US) or the Chinese name."),
        widget=forms.TextInput(attrs={"list": "country-options", "autocomplete": "off"}),
    )
    category = forms.CharField(widget=forms.Select)
    currency = forms.CharField(widget=forms.Select)
    amount = forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    signed_on = forms.CharField(widget=DATE)
    start_on = forms.CharField(widget=DATE)
    end_on = forms.CharField(widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        categories = category_choices()
        current = str(self["category"].value() or "")
        offered = {code for _group, items in categories[1:] for code, _label in items}
        if current and current not in offered:
            categories.append((current, current))  # a category of another catalogue version
        self.fields["category"].widget.choices = categories  # type: ignore[attr-defined]
        self.fields["currency"].widget.choices = currency_choices()  # type: ignore[attr-defined]


class ContractChoiceMixin:
    """The contract an amendment or execution belongs to: one of the enterprise's contracts."""

    enterprise: Enterprise
    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def contracts(self) -> Any:
        return Contract.objects.records().filter(enterprise=self.enterprise).order_by("contract_no")

    def set_contract_choices(self) -> None:
        field = self.fields["contract"]
        field.widget.choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *(
                (c.pk, f"{c.contract_no} · {c.counterpart_name} · {c.get_status_display()}")
                for c in self.contracts()
            ),
        ]

    def clean_contract(self) -> Contract | None:
        value = self.cleaned_data.get("contract")
        if isinstance(value, Contract):  # a disabled field keeps its initial value
            return value
        if not value:
            return None
        contract = self.contracts().filter(pk=value).first() if str(value).isdigit() else None
        if contract is None:
            raise forms.ValidationError(bilingual(_("Choose one of this enterprise's contracts.")))
        return contract


class AmendmentForm(ContractChoiceMixin, RecordForm):
    model = RECORD_MODELS["amendment"]
    REQUIRED = ("contract", "amendment_no", "effective_on", "new_amount")

    contract = forms.CharField(widget=forms.Select)
    amendment_no = forms.CharField(max_length=100)
    effective_on = forms.CharField(widget=DATE)
    new_amount = forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_contract_choices()


class ExecutionForm(ContractChoiceMixin, RecordForm):
    model = RECORD_MODELS["execution"]
    REQUIRED = ("contract", "execution_no", "executed_on", "currency", "amount")

    contract = forms.CharField(widget=forms.Select)
    execution_no = forms.CharField(max_length=100)
    executed_on = forms.CharField(widget=DATE)
    currency = forms.CharField(widget=forms.Select)
    amount = forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    receipt_no = forms.CharField(max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_contract_choices()
        self.fields["currency"].widget.choices = currency_choices()  # type: ignore[attr-defined]


class WorkforceForm(RecordForm):
    model = RECORD_MODELS["workforce"]
    REQUIRED = ("month", "employees", "employees_college", "new_hires", "new_hires_college")

    month = forms.CharField(
        widget=forms.TextInput(attrs={"type": "month", "pattern": MONTH_PATTERN}),
        help_text=_("YYYY-MM"),
    )
    employees = forms.CharField(widget=forms.NumberInput(attrs={"min": 0, "step": 1}))
    employees_college = forms.CharField(widget=forms.NumberInput(attrs={"min": 0, "step": 1}))
    new_hires = forms.CharField(widget=forms.NumberInput(attrs={"min": 0, "step": 1}))
    new_hires_college = forms.CharField(widget=forms.NumberInput(attrs={"min": 0, "step": 1}))

    def clean_month(self) -> dt.date | None:
        value = self.cleaned_data.get("month")
        if isinstance(value, dt.date):
            return value
        if not value:
            return None
        month = parse_month(str(value))
        if month is None:
            raise forms.ValidationError(month_error(str(value)))
        return month


def _yuan_input() -> forms.TextInput:
    return forms.TextInput(attrs={"inputmode": "decimal"})


def _count_input() -> forms.NumberInput:
    return forms.NumberInput(attrs={"min": 0, "step": 1})


class AnnualForm(RecordForm):
    model = RECORD_MODELS["annual"]
    REQUIRED = ("year", *RECORD_MODELS["annual"].VALUE_FIELDS)

    year = forms.CharField(widget=forms.NumberInput(attrs={"min": 1000, "max": 9999, "step": 1}))
    revenue_total = forms.CharField(widget=_yuan_input())
    revenue_outsourcing = forms.CharField(widget=_yuan_input())
    revenue_offshore = forms.CharField(widget=_yuan_input())
    revenue_tase_scope = forms.CharField(widget=_yuan_input())
    staff_education_spend = forms.CharField(widget=_yuan_input())
    employees_year_end = forms.CharField(widget=_count_input())
    employees_college_year_end = forms.CharField(widget=_count_input())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        month, day = getattr(settings, "SOMS_ANNUAL_DUE", (1, 15))
        self.fields["year"].help_text = _(
            "The year reported on (YYYY); the form is due on %(due)s of the following year."
        ) % {"due": date_format(dt.date(2000, month, day), "MONTH_DAY_FORMAT")}
        if self.row is None:
            self.fields["year"].initial = timezone.localdate().year - 1


class TrainingForm(RecordForm):
    model = RECORD_MODELS["training"]
    REQUIRED = ("record_no", "trainee_name", "institution", "course", "hours", "completed_on")

    record_no = forms.CharField(max_length=100)
    trainee_name = forms.CharField(
        max_length=100, help_text=_("The trainee's name only: no identity document number.")
    )
    institution = forms.CharField(max_length=300)
    course = forms.CharField(max_length=300)
    hours = forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    completed_on = forms.CharField(widget=DATE)
    hired = forms.BooleanField(
        help_text=_("Tick if the enterprise hired the trainee after the training.")
    )


FORMS: dict[str, type[RecordForm]] = {
    "contract": ContractForm,
    "amendment": AmendmentForm,
    "execution": ExecutionForm,
    "workforce": WorkforceForm,
    "annual": AnnualForm,
    "training": TrainingForm,
}


# --- actions on a record ------------------------------------------------------------------------


class VersionForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class SubmitForm(VersionForm):
    warning_comment = forms.CharField(
        label=_("comment on the warnings"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Explain each warning for the reviewer; a record with warnings needs it."),
    )


class ReturnForm(VersionForm):
    reason = forms.CharField(
        label=_("reason for return"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CommentForm(StyledForm):
    text = forms.CharField(
        label=_("comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


# --- lists and the review queue -----------------------------------------------------------------


class MonthFilterMixin:
    cleaned_data: dict[str, Any]

    def clean_month(self) -> dt.date | None:
        value = (self.cleaned_data.get("month") or "").strip()
        if not value:
            return None
        month = parse_month(value)
        if month is None:
            raise forms.ValidationError(month_error(value))
        return month


class RecordFilterForm(MonthFilterMixin, StyledForm):
    month = forms.CharField(
        label=_("month"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "pattern": MONTH_PATTERN}),
    )
    status = forms.ChoiceField(
        label=_("status"), required=False, choices=[("", _("all")), *RecordStatus.choices]
    )


KIND_CHOICES = [(kind, model._meta.verbose_name) for kind, model in RECORD_MODELS.items()]


class QueueFilterForm(MonthFilterMixin, StyledForm):
    kind = forms.ChoiceField(
        label=_("kind"), required=False, choices=[("", _("all")), *KIND_CHOICES]
    )
    month = forms.CharField(
        label=_("month"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "pattern": MONTH_PATTERN}),
    )
    late = forms.BooleanField(label=_("filed late only"), required=False)
    warnings = forms.BooleanField(label=_("with warnings only"), required=False)


class BulkDecisionForm(StyledForm):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("return", _("Return"))], widget=forms.HiddenInput
    )
    reason = forms.CharField(
        label=_("reason for return"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
