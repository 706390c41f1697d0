from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "soms.evaluation"
    label = "evaluation"
    verbose_name = _("Demonstration cities and evaluation")
