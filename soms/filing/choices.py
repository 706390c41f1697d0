from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class RecordStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    APPROVED = "approved", _("Approved")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound (providing the service)")
    OUTBOUND = "outbound", _("Outbound (buying the service)")


class Severity(models.TextChoices):
    ERROR = "error", _("Error")
    WARNING = "warning", _("Warning")


EDITABLE = frozenset({RecordStatus.DRAFT, RecordStatus.RETURNED})


class Cycle(StrEnum):
    """When a record kind falls due (``soms.filing.calendar.due_date``): a month's records in
    the next month, the annual information form in January of the following year."""

    MONTHLY = "monthly"
    ANNUAL = "annual"
