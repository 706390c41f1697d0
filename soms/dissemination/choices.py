from django.db import models
from django.utils.translation import gettext_lazy as _


class ReleaseStatus(models.TextChoices):
    # A draft shows current figures to ministry officials; publishing freezes them and sets the
    # time from which everyone may see them (the embargo).
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
