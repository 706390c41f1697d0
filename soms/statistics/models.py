"""Facts: every counted money record, converted once and keyed by its dimensions.

A fact is written in the transaction that makes its record count (approval, approval of a
correction) and rewritten whenever what it counts changes, so figures are current the moment a
decision is made; ``soms stats --rebuild`` recomputes them all from the records.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Fact(models.Model):
    """One approved contract, amendment (its delta) or execution, in yuan and in dollars."""

    kind = models.CharField(_("kind"), max_length=12)
    record_id = models.BigIntegerField()
    direction = models.CharField(_("direction"), max_length=10)
    enterprise = models.ForeignKey(
        "registry.Enterprise", on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("dated on"))
    month = models.DateField(_("month"))
    category_code = models.CharField(max_length=20)
    category_l1 = models.CharField(max_length=3)
    counterpart_country = models.CharField(max_length=2)
    # Full precision: rounding happens once, on the final figure (statistics-rules.md).
    value_cny = models.DecimalField(max_digits=40, decimal_places=14)
    value_usd = models.DecimalField(max_digits=40, decimal_places=14, null=True)
    contracts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("fact")
        verbose_name_plural = _("facts")
        constraints = [
            models.UniqueConstraint(fields=["kind", "record_id"], name="fact_unique_record"),
        ]
        indexes = [models.Index(fields=["kind", "direction", "month"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.record_id} {self.month:%Y-%m}"
