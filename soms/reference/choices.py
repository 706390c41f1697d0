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


class ExternalUnit(models.TextChoices):
    """Units of figures published outside the system, as releases state them."""

    USD_100M = "USD_100M", _("100 million US dollars")
    CNY_100M = "CNY_100M", _("100 million yuan")
    PERSONS_10K = "persons_10k", _("10 thousand persons")
    COUNT = "count", _("count")


class ObservationQuality(models.TextChoices):
    """How directly an external figure comes from the body that produced it."""

    OFFICIAL = "O", _("official release")
    MEDIA = "M", _("media report of an official release")
    SECONDARY = "S", _("secondary source")
