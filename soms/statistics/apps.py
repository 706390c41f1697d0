from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatisticsConfig(AppConfig):
    name = "soms.statistics"
    label = "statistics"
    verbose_name = _("Statistics")

    def ready(self) -> None:
        # Facts follow every decision inside its transaction (see soms.filing.signals).
        from soms.statistics import maintenance  # noqa: F401
