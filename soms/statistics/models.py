"""Facts: every counted money record, converted once and keyed by its dimensions.

A fact is written in the transaction that makes its record count (approval, approval of a
correction) and rewritten whenever what it counts changes, so figures are current the moment a
decision is made; ``soms stats --rebuild`` recomputes them all from the records.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
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


class Rollup(models.Model):
    """Sums of facts at one grain (see :mod:`soms.statistics.rollups`): what the common
    queries read instead of the facts. Kept current with the facts, in the same transaction, by
    adding each change's difference; ``soms stats --rebuild`` recomputes them from the facts.

    A column a grain does not break down by holds "" (not NULL, so that the unique key holds).
    """

    grain = models.CharField(max_length=1)
    family = models.CharField(max_length=10)  # "contract" (with amendments) or "execution"
    direction = models.CharField(max_length=10)
    month = models.DateField()
    area = models.CharField(max_length=6, blank=True, default="")
    category = models.CharField(max_length=20, blank=True, default="")
    category_l1 = models.CharField(max_length=3, blank=True, default="")
    counterpart = models.CharField(max_length=12, blank=True, default="")
    flow = models.CharField(max_length=8)
    value_cny = models.DecimalField(max_digits=40, decimal_places=14, default=0)
    value_usd = models.DecimalField(max_digits=40, decimal_places=14, default=0)
    # Facts without a dollar value (no dollar rate for their month yet).
    usd_missing = models.IntegerField(default=0)
    contracts = models.IntegerField(default=0)
    facts = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("rollup")
        verbose_name_plural = _("rollups")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "grain",
                    "family",
                    "direction",
                    "month",
                    "area",
                    "category",
                    "category_l1",
                    "counterpart",
                    "flow",
                ],
                name="rollup_unique_cell",
            ),
        ]
        # Cells emptied by a change are found through this (tiny) index and deleted.
        indexes = [
            models.Index(fields=["facts"], name="rollup_empty", condition=Q(facts=0)),
            # A city's or a province's figures: the area first, then the months.
            models.Index(
                fields=["grain", "family", "direction", "area", "month"], name="rollup_area"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grain} {self.family} {self.month:%Y-%m} {self.area}"


class Version(models.Model):
    """A token that changes, in the same transaction, whenever a counted figure may have
    changed (facts rewritten, an enterprise moved, a group's membership changed): public
    figures computed at one token are reused while it holds."""

    token = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("statistics version")
        verbose_name_plural = _("statistics versions")

    def __str__(self) -> str:
        return self.token
