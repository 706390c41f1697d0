from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ENTERPRISE_ADMIN = "enterprise_admin", _("Enterprise administrator")
    ENTERPRISE_FILER = "enterprise_filer", _("Enterprise filer")
    DISTRICT_REVIEWER = "district_reviewer", _("District reviewer")
    CITY_REVIEWER = "city_reviewer", _("City reviewer")
    PROVINCE_REVIEWER = "province_reviewer", _("Province reviewer")
    MINISTRY_STATISTICIAN = "ministry_statistician", _("Ministry statistician")
    MINISTRY_ADMIN = "ministry_admin", _("Ministry administrator")
    CITY_EVALUATOR = "city_evaluator", _("City evaluator")


ENTERPRISE_ROLES = frozenset({Role.ENTERPRISE_ADMIN, Role.ENTERPRISE_FILER})
MINISTRY_ROLES = frozenset({Role.MINISTRY_STATISTICIAN, Role.MINISTRY_ADMIN})
REVIEWER_ROLES = frozenset({Role.DISTRICT_REVIEWER, Role.CITY_REVIEWER, Role.PROVINCE_REVIEWER})
# Government roles bound to one division, with the level of division each one needs.
DIVISION_ROLES = {
    Role.DISTRICT_REVIEWER: "county",
    Role.CITY_REVIEWER: "city",
    Role.CITY_EVALUATOR: "city",
    Role.PROVINCE_REVIEWER: "province",
}


class Jurisdiction(models.TextChoices):
    """How far a user's view of enterprise data reaches."""

    NONE = "none", _("None")
    ENTERPRISE = "enterprise", _("Own enterprise")
    COUNTY = "county", _("District")
    CITY = "city", _("City")
    PROVINCE = "province", _("Province")
    NATION = "nation", _("Nation")
