from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    name = "soms.review"
    label = "review"
    verbose_name = _("Review and sign-off")

    def ready(self) -> None:
        # The filing rules learn about locked months from review (the data flows one way:
        # review reads filing, filing never imports review).
        from soms.review import rules  # noqa: F401
