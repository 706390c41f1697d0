from django.db import models
from django.utils.translation import gettext_lazy as _


class Ownership(models.TextChoices):
    PRIVATE = "private", _("Private")
    STATE = "state", _("State-owned")
    FOREIGN = "foreign", _("Foreign-invested (excluding HMT)")
    HMT = "hmt", _("Invested from Hong Kong, Macao and Taiwan")
    COLLECTIVE = "collective", _("Collective")
    OTHER = "other", _("Other")


class Size(models.TextChoices):
    LARGE = "large", _("Large")
    MEDIUM = "medium", _("Medium")
    SMALL = "small", _("Small")
    MICRO = "micro", _("Micro")


class RegistrationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Awaiting review")
    RETURNED = "returned", _("Returned")
    APPROVED = "approved", _("Registered")
    DEREGISTERED = "deregistered", _("Deregistered")


class ChangeStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Awaiting review")
    RETURNED = "returned", _("Returned")
    APPROVED = "approved", _("Approved")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class CertificationKind(models.TextChoices):
    CMM = "CMM", "CMM"
    CMMI = "CMMI", "CMMI"
    PCMM = "PCMM", "PCMM"
    ISO27001 = "ISO27001", "ISO/IEC 27001"
    ISO20000 = "ISO20000", "ISO/IEC 20000"
    SOC = "SOC", _("SOC / SAS 70")
    OTHER = "other", _("Other")


# Maturity models have levels 1 to 5; the ISO and SOC certificates have none.
LEVELLED_CERTIFICATIONS = frozenset(
    {CertificationKind.CMM, CertificationKind.CMMI, CertificationKind.PCMM}
)
INTERNATIONAL_CERTIFICATIONS = frozenset(CertificationKind) - {CertificationKind.OTHER}
