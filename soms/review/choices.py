from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    COUNTY = "county", _("District")
    CITY = "city", _("City")
    PROVINCE = "province", _("Province")
    NATION = "nation", _("Nation")


class SignOffStatus(models.TextChoices):
    SIGNED = "signed", _("Signed off")
    REOPENED = "reopened", _("Reopened")


class UnitState(models.TextChoices):
    WAITING = "waiting", _("Waiting for lower levels")
    READY = "ready", _("Ready to sign off")
    SIGNED = "signed", _("Signed off")
    REOPENED = "reopened", _("Reopened")
    NOTHING = "nothing", _("No reporters")


LEVEL_ORDER = [Level.COUNTY, Level.CITY, Level.PROVINCE, Level.NATION]
