from django.db import models
from django.utils.translation import gettext_lazy as _


class DivisionLevel(models.TextChoices):
    PROVINCE = "province", _("Province-level division")
    PREFECTURE = "prefecture", _("Prefecture-level division")
    COUNTY = "county", _("County-level division")


class RegionKind(models.TextChoices):
    NBS = "nbs", _("NBS region")
    STRATEGIC = "strategic", _("Strategic region")


class CatalogueStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class DesignationKind(models.TextChoices):
    BASE = "base", _("Base city")
    DEMONSTRATION = "demonstration", _("Demonstration city")


CATEGORY_L1 = ("ITO", "BPO", "KPO")
MUNICIPALITIES = ("110000", "120000", "310000", "500000")
