from django.db import models
from django.utils.translation import gettext_lazy as _


class ScopeLevel(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")


class Comparison(models.TextChoices):
    """How a target's value is judged against its figures."""

    AT_LEAST = "at_least", _("At least the target value")
    AT_MOST = "at_most", _("At most the target value")
    RATIO = "ratio", _("The target value times the baseline")


class Direction(models.TextChoices):
    """A target without a number: the indicator is to keep rising or falling."""

    RISE = "rise", _("Keeps rising")
    FALL = "fall", _("Keeps falling")


class Status(models.TextChoices):
    ACHIEVED = "achieved", _("Achieved")
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    MISSED = "missed", _("Missed")
    NO_DATA = "no_data", _("No data")


# The Bootstrap colour of each status's badge.
STATUS_COLOURS = {
    Status.ACHIEVED: "success",
    Status.ON_TRACK: "primary",
    Status.AT_RISK: "warning",
    Status.MISSED: "danger",
    Status.NO_DATA: "secondary",
}


class SeriesUnit(models.TextChoices):
    """Units of the external series an administrator uploads."""

    USD_100M = "USD_100M", _("100 million US dollars")
    CNY_100M = "CNY_100M", _("100 million yuan")
    USD_PER_PERSON = "USD_per_person", _("US dollars per person")
    CNY_PER_PERSON = "CNY_per_person", _("yuan per person")
    COUNT = "count", _("count")
    PERSONS = "persons", _("persons")
    PERCENT = "percent", _("per cent")


class Source(models.TextChoices):
    """Where a year's figure of an indicator comes from."""

    SYSTEM = "system", _("this system's approved records")
    REFERENCE = "reference", _("reference data")
    PUBLISHED = "published", _("published national figure")
    EXTERNAL = "external", _("external series")
