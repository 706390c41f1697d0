"""What enterprises file: contracts, amendments, executions, monthly workforce, the annual
information form and training records.

Every record kind shares one life (:class:`FiledRecord`): draft → submitted → approved, or →
returned (with the reason) → resubmitted; withdrawal before review. The row that a natural key
names (an enterprise's contract number …) is the record; it holds the values in force. A change
to an approved record is a *correction*: a second row of the same kind pointing at the record
(``corrects``) that goes through review on its own, while the record keeps its approved values and
keeps counting. Approving the correction copies its values into the record. So statistics count
exactly the rows with ``corrects IS NULL AND status = 'approved'``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from soms.core.querysets import RestrictedQuerySet
from soms.filing.choices import Cycle, Direction, RecordStatus

if TYPE_CHECKING:
    from soms.accounts.models import User


class RecordQuerySet(RestrictedQuerySet):
    def scope(self, user: User, action: str) -> Q | None:
        if user.is_enterprise_user:
            if user.enterprise_id is None or action not in ("view", "file"):
                return None
            return Q(enterprise_id=user.enterprise_id)
        if action == "view":
            # A draft is the enterprise's own work until it is submitted.
            scope = user.division_scope("enterprise__division")
            return None if scope is None else scope & ~Q(status=RecordStatus.DRAFT)
        if action == "review" and user.role == "district_reviewer":
            return Q(enterprise__division_id=user.division_id)
        return None

    def counting(self) -> RecordQuerySet:
        """The rows that count in statistics: approved records (not correction rows)."""
        return self.filter(corrects__isnull=True, status=RecordStatus.APPROVED)

    def records(self) -> RecordQuerySet:
        return self.filter(corrects__isnull=True)


class FiledRecord(models.Model):
    """The state every filed record shares; concrete kinds add their values."""

    enterprise = models.ForeignKey(
        "registry.Enterprise",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("enterprise"),
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=RecordStatus.choices,
        default=RecordStatus.DRAFT,
        db_index=True,
    )
    corrects = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("correction of"),
    )
    period = models.DateField(
        _("month"),
        db_index=True,
        help_text=_("First day of the month the record is dated in (for deadlines and locks)."),
    )
    is_late = models.BooleanField(_("filed late"), default=False)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    warning_comment = models.TextField(_("comment on the warnings"), blank=True)
    return_reason = models.TextField(_("reason for return"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lock_version = models.PositiveIntegerField(default=1)

    objects = RecordQuerySet.as_manager()

    corrects_id: int | None
    enterprise_id: int

    # The fields a filer enters; a correction copies them into the record when approved.
    VALUE_FIELDS: ClassVar[tuple[str, ...]] = ()
    # The fields that name a record within its enterprise (or contract).
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ()
    kind: ClassVar[str] = ""
    # The stored date that places the record in a month.
    DATE_FIELD: ClassVar[str] = ""
    # The field a filer enters that date through, when it is not the date itself (the annual
    # form's year); refusals about the date name it.
    DATE_INPUT: ClassVar[str] = ""
    # When the record falls due (calendar.due_date).
    CYCLE: ClassVar[Cycle] = Cycle.MONTHLY

    class Meta:
        abstract = True

    @property
    def is_correction(self) -> bool:
        return self.corrects_id is not None

    @property
    def record(self) -> FiledRecord:
        """The record a row belongs to (itself, or the record it corrects)."""
        return self.corrects if self.corrects_id else self  # type: ignore[return-value]

    def dated_on(self) -> dt.date:
        """The date that places the record in a month (statistics-rules.md, Measures)."""
        value: dt.date = getattr(self, self.DATE_FIELD)
        return value

    @classmethod
    def date_input(cls) -> str:
        """The field that refusals about the record's date name."""
        return cls.DATE_INPUT or cls.DATE_FIELD

    @classmethod
    def derived_from_key(cls, key: dict[str, Any]) -> dict[str, Any]:
        """Stored fields that follow from the key (the annual form's year end)."""
        return {}

    def values(self) -> dict[str, Any]:
        return {
            f: getattr(self, f if f not in self.fk_value_fields() else f + "_id")
            for f in self.VALUE_FIELDS
        }

    @classmethod
    def fk_value_fields(cls) -> set[str]:
        return {f for f in cls.VALUE_FIELDS if cls._meta.get_field(f).is_relation}


def _status_checks(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(
            condition=~Q(status="approved") | Q(decided_at__isnull=False),
            name=f"{prefix}_approved_has_decision",
            violation_error_message=_("An approved record has a decision date."),
        ),
    ]


class Contract(FiledRecord):
    """A service-outsourcing contract: inbound (the enterprise provides the service) or
    outbound (it buys the service)."""

    contract_no = models.CharField(_("contract number"), max_length=100)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    counterpart_name = models.CharField(_("counterpart"), max_length=300)
    counterpart_country = models.ForeignKey(
        "reference.Country",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("counterpart country or territory"),
    )
    category = models.ForeignKey(
        "reference.CatalogueItem",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("business category"),
    )
    currency = models.ForeignKey(
        "reference.Currency",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("currency"),
    )
    amount = models.DecimalField(_("contract amount"), max_digits=20, decimal_places=2)
    signed_on = models.DateField(_("signed on"))
    start_on = models.DateField(_("start"), null=True, blank=True)
    end_on = models.DateField(_("end"), null=True, blank=True)

    VALUE_FIELDS = (
        "direction",
        "counterpart_name",
        "counterpart_country",
        "category",
        "currency",
        "amount",
        "signed_on",
        "start_on",
        "end_on",
    )
    KEY_FIELDS = ("contract_no",)
    kind = "contract"
    DATE_FIELD = "signed_on"

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-signed_on", "contract_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "contract_no"],
                condition=Q(corrects__isnull=True),
                name="contract_unique_number",
                violation_error_message=_(
                    "This enterprise already has a contract with this number."
                ),
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=Decimal(0)),
                name="contract_amount_positive",
                violation_error_message=_("The amount must be greater than zero."),
            ),
            models.CheckConstraint(
                condition=Q(end_on__isnull=True)
                | Q(start_on__isnull=True)
                | Q(end_on__gte=models.F("start_on")),
                name="contract_end_after_start",
                violation_error_message=_("A contract cannot end before it starts."),
            ),
            *_status_checks("contract"),
        ]
        indexes = [
            models.Index(fields=["enterprise", "period", "status"]),
            # The enterprise's latest counted amounts (the outlier warning reads 200 of them
            # at each filing): without it the query reads every record the enterprise has.
            models.Index(
                fields=["enterprise", "status", "-id"],
                condition=Q(corrects__isnull=True),
                name="contract_counted_latest",
            ),
        ]

    def __str__(self) -> str:
        return self.contract_no


class Amendment(FiledRecord):
    """A change of a contract's amount, effective from a date."""

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="amendments", verbose_name=_("contract")
    )
    amendment_no = models.CharField(_("amendment number"), max_length=100)
    effective_on = models.DateField(_("effective on"))
    new_amount = models.DecimalField(
        _("amount after the amendment"), max_digits=20, decimal_places=2
    )
    reason = models.TextField(_("reason for the amendment"), blank=True)

    VALUE_FIELDS = ("effective_on", "new_amount", "reason")
    KEY_FIELDS = ("contract", "amendment_no")
    kind = "amendment"
    DATE_FIELD = "effective_on"

    class Meta:
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        ordering = ["contract", "effective_on", "amendment_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "amendment_no"],
                condition=Q(corrects__isnull=True),
                name="amendment_unique_number",
                violation_error_message=_(
                    "This contract already has an amendment with this number."
                ),
            ),
            models.CheckConstraint(
                condition=Q(new_amount__gt=Decimal(0)),
                name="amendment_amount_positive",
                violation_error_message=_("The amount must be greater than zero."),
            ),
            *_status_checks("amendment"),
        ]

    def __str__(self) -> str:
        return f"{self.contract} / {self.amendment_no}"


class Execution(FiledRecord):
    """Payment received (inbound) or made (outbound) for work done under a contract."""

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="executions", verbose_name=_("contract")
    )
    execution_no = models.CharField(_("execution number"), max_length=100)
    executed_on = models.DateField(_("executed on"))
    currency = models.ForeignKey(
        "reference.Currency",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("currency"),
    )
    amount = models.DecimalField(_("execution amount"), max_digits=20, decimal_places=2)
    receipt_no = models.CharField(_("bank receipt voucher number"), max_length=100, blank=True)

    VALUE_FIELDS = ("executed_on", "currency", "amount", "receipt_no")
    KEY_FIELDS = ("contract", "execution_no")
    kind = "execution"
    DATE_FIELD = "executed_on"

    class Meta:
        verbose_name = _("execution")
        verbose_name_plural = _("executions")
        ordering = ["-executed_on", "execution_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "execution_no"],
                condition=Q(corrects__isnull=True),
                name="execution_unique_number",
                violation_error_message=_(
                    "This contract already has an execution with this number."
                ),
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=Decimal(0)),
                name="execution_amount_positive",
                violation_error_message=_("The amount must be greater than zero."),
            ),
            *_status_checks("execution"),
        ]
        indexes = [
            models.Index(fields=["enterprise", "period", "status"]),
            # The enterprise's latest counted amounts (the outlier warning reads 200 of them
            # at each filing): without it the query reads every record the enterprise has.
            models.Index(
                fields=["enterprise", "status", "-id"],
                condition=Q(corrects__isnull=True),
                name="execution_counted_latest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract} / {self.execution_no}"


class WorkforceReport(FiledRecord):
    """An enterprise's monthly workforce: employees and new hires, with the college-educated."""

    month = models.DateField(_("month"))
    employees = models.PositiveIntegerField(_("employees"))
    employees_college = models.PositiveIntegerField(_("employees with college education"))
    new_hires = models.PositiveIntegerField(_("new hires"))
    new_hires_college = models.PositiveIntegerField(_("new hires with college education"))

    VALUE_FIELDS = ("employees", "employees_college", "new_hires", "new_hires_college")
    KEY_FIELDS = ("month",)
    kind = "workforce"
    DATE_FIELD = "month"

    class Meta:
        verbose_name = _("workforce report")
        verbose_name_plural = _("workforce reports")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "month"],
                condition=Q(corrects__isnull=True),
                name="workforce_unique_month",
                violation_error_message=_(
                    "This enterprise already has a workforce report for this month."
                ),
            ),
            models.CheckConstraint(
                condition=Q(employees_college__lte=models.F("employees"))
                & Q(new_hires_college__lte=models.F("new_hires")),
                name="workforce_college_within_total",
                violation_error_message=_("College counts cannot exceed their totals."),
            ),
            models.CheckConstraint(
                condition=Q(month__day=1),
                name="workforce_month_first_day",
                violation_error_message=_("A month is stored as its first day."),
            ),
            *_status_checks("workforce"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class AnnualReport(FiledRecord):
    """The annual enterprise information form: the previous year's revenue, staff at the year
    end and staff-education spending, due on 15 January (``SOMS_ANNUAL_DUE``). Amounts in yuan.

    It is dated on the last day of its year (``year_end``, set from ``year``), so the filing
    window, locks and statistics place it in that year's December."""

    year = models.PositiveSmallIntegerField(_("year"))
    year_end = models.DateField(_("year end"), editable=False)
    revenue_total = models.DecimalField(
        _("total operating revenue (yuan)"), max_digits=20, decimal_places=2
    )
    revenue_outsourcing = models.DecimalField(
        _("service-outsourcing revenue (yuan)"), max_digits=20, decimal_places=2
    )
    revenue_offshore = models.DecimalField(
        _("offshore service-outsourcing revenue (yuan)"), max_digits=20, decimal_places=2
    )
    revenue_tase_scope = models.DecimalField(
        _("revenue from advanced-technology services (yuan)"), max_digits=20, decimal_places=2
    )
    staff_education_spend = models.DecimalField(
        _("staff education spending (yuan)"), max_digits=20, decimal_places=2
    )
    employees_year_end = models.PositiveIntegerField(_("employees at the year end"))
    employees_college_year_end = models.PositiveIntegerField(
        _("employees with college education at the year end")
    )

    VALUE_FIELDS = (
        "revenue_total",
        "revenue_outsourcing",
        "revenue_offshore",
        "revenue_tase_scope",
        "staff_education_spend",
        "employees_year_end",
        "employees_college_year_end",
    )
    AMOUNT_FIELDS: ClassVar[tuple[str, ...]] = VALUE_FIELDS[:5]
    KEY_FIELDS = ("year",)
    kind = "annual"
    DATE_FIELD = "year_end"
    DATE_INPUT = "year"
    CYCLE = Cycle.ANNUAL

    class Meta:
        verbose_name = _("annual information form")
        verbose_name_plural = _("annual information forms")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "year"],
                condition=Q(corrects__isnull=True),
                name="annual_unique_year",
                violation_error_message=_(
                    "This enterprise already has an annual information form for this year."
                ),
            ),
            models.CheckConstraint(
                condition=Q(year_end__year=models.F("year"), year_end__month=12, year_end__day=31),
                name="annual_year_end_of_year",
                violation_error_message=_("The year end is 31 December of the year."),
            ),
            models.CheckConstraint(
                condition=Q(
                    revenue_total__gte=Decimal(0),
                    revenue_outsourcing__gte=Decimal(0),
                    revenue_offshore__gte=Decimal(0),
                    revenue_tase_scope__gte=Decimal(0),
                    staff_education_spend__gte=Decimal(0),
                ),
                name="annual_amounts_not_negative",
                violation_error_message=_("Amounts cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(revenue_outsourcing__lte=models.F("revenue_total")),
                name="annual_outsourcing_within_total",
                violation_error_message=_(
                    "Service-outsourcing revenue cannot exceed total operating revenue."
                ),
            ),
            models.CheckConstraint(
                condition=Q(revenue_offshore__lte=models.F("revenue_outsourcing")),
                name="annual_offshore_within_outsourcing",
                violation_error_message=_(
                    "Offshore service-outsourcing revenue cannot exceed service-outsourcing "
                    "revenue."
                ),
            ),
            models.CheckConstraint(
                condition=Q(revenue_tase_scope__lte=models.F("revenue_total")),
                name="annual_tase_within_total",
                violation_error_message=_(
                    "Revenue from advanced-technology services cannot exceed total operating "
                    "revenue."
                ),
            ),
            models.CheckConstraint(
                condition=Q(employees_college_year_end__lte=models.F("employees_year_end")),
                name="annual_college_within_employees",
                violation_error_message=_("College counts cannot exceed their totals."),
            ),
            *_status_checks("annual"),
        ]

    def __str__(self) -> str:
        return str(self.year)

    @classmethod
    def derived_from_key(cls, key: dict[str, Any]) -> dict[str, Any]:
        return {"year_end": dt.date(key["year"], 12, 31)}


class TrainingRecord(FiledRecord):
    """A trainee's training course at a training institution, and whether the enterprise hired
    the trainee after it. Of the trainee's personal data only the name is kept."""

    record_no = models.CharField(_("training record number"), max_length=100)
    trainee_name = models.CharField(_("trainee"), max_length=100)
    institution = models.CharField(_("training institution"), max_length=300)
    course = models.CharField(_("course"), max_length=300)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1)
    completed_on = models.DateField(_("completed on"))
    hired = models.BooleanField(
        _("hired after the training"),
        default=False,
        help_text=_("Whether the enterprise hired the trainee after the training."),
    )

    VALUE_FIELDS = ("trainee_name", "institution", "course", "hours", "completed_on", "hired")
    KEY_FIELDS = ("record_no",)
    kind = "training"
    DATE_FIELD = "completed_on"

    class Meta:
        verbose_name = _("training record")
        verbose_name_plural = _("training records")
        ordering = ["-completed_on", "record_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "record_no"],
                condition=Q(corrects__isnull=True),
                name="training_unique_number",
                violation_error_message=_(
                    "This enterprise already has a training record with this number."
                ),
            ),
            models.CheckConstraint(
                condition=Q(hours__gt=Decimal(0)),
                name="training_hours_positive",
                violation_error_message=_("The hours must be greater than zero."),
            ),
            *_status_checks("training"),
        ]
        indexes = [models.Index(fields=["enterprise", "period", "status"])]

    def __str__(self) -> str:
        return self.record_no


RECORD_MODELS: dict[str, type[FiledRecord]] = {
    model.kind: model
    for model in (Contract, Amendment, Execution, WorkforceReport, AnnualReport, TrainingRecord)
}


class Extension(models.Model):
    """More time for a month's filing, for one enterprise or a whole district."""

    enterprise = models.ForeignKey(
        "registry.Enterprise",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="extensions",
        verbose_name=_("enterprise"),
    )
    division = models.ForeignKey(
        "reference.Division",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="extensions",
        verbose_name=_("district"),
    )
    period = models.DateField(_("month"))
    until = models.DateField(_("extended until"))
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        ordering = ["-period", "-granted_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(enterprise__isnull=False, division__isnull=True)
                | Q(enterprise__isnull=True, division__isnull=False),
                name="extension_enterprise_or_district",
                violation_error_message=_("An extension is for one enterprise or one district."),
            ),
            models.CheckConstraint(
                condition=Q(period__day=1),
                name="extension_month_first_day",
                violation_error_message=_("A month is stored as its first day."),
            ),
        ]

    def __str__(self) -> str:
        who = self.enterprise or self.division
        return f"{who} {self.period:%Y-%m} → {self.until}"
