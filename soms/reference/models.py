"""Reference data: the facts every record points at.

Divisions, countries, currencies and the business catalogue are loaded from maintained sources
(see :mod:`soms.reference.loaders`); each load records its source and date in :class:`Dataset`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from soms.reference.choices import (
    MUNICIPALITIES,
    CatalogueStatus,
    DesignationKind,
    DivisionLevel,
    ExternalUnit,
    ObservationQuality,
    RegionKind,
)


class BilingualNamed(models.Model):
    name_zh = models.CharField(_("Chinese name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language (Chinese when no English name is known)."""
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name_zh


class Dataset(models.Model):
    """Provenance of one loaded reference set: where it came from and how current it is."""

    key = models.CharField(_("dataset"), max_length=50, unique=True)
    source = models.TextField(_("source"))
    source_date = models.DateField(_("date of the source"), null=True, blank=True)
    record_count = models.PositiveIntegerField(_("records"), default=0)
    checksum = models.CharField(_("SHA-256 of the source"), max_length=64, blank=True)
    loaded_at = models.DateTimeField(_("loaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("reference dataset")
        verbose_name_plural = _("reference datasets")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class Division(BilingualNamed):
    """An administrative division of GB/T 2260: province, prefecture-level or county-level.

    ``province_code`` and ``city_code`` apply the counting rules of statistics-rules.md once, at
    load time: municipalities are their own city, and county-level divisions administered
    directly by a province (``xx90xx``) are their own city.
    """

    code = models.CharField(_("division code"), max_length=6, primary_key=True)
    level = models.CharField(_("level"), max_length=12, choices=DivisionLevel.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent division"),
    )
    province_code = models.CharField(_("province code"), max_length=6, db_index=True)
    city_code = models.CharField(_("city code"), max_length=6, db_index=True)
    accepts_enterprises = models.BooleanField(
        _("enterprises may register here"),
        default=False,
        help_text=_("County-level divisions, and prefecture-level cities without any."),
    )

    class Meta:
        verbose_name = _("administrative division")
        verbose_name_plural = _("administrative divisions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[1-9][0-9]{5}$"),
                name="division_code_six_digits",
                violation_error_message=_("A division code is six digits."),
            )
        ]

    @property
    def is_city_unit(self) -> bool:
        """Whether this division is a 'city' in the statistics (a city reviewer's unit)."""
        if self.level == DivisionLevel.PROVINCE:
            return self.code in MUNICIPALITIES
        return self.code == self.city_code

    @property
    def full_name(self) -> str:
        parts = [self.name]
        node = self.parent
        while node is not None:
            parts.append(node.name)
            node = node.parent
        separator = ", " if (get_language() or "").startswith("en") else ""
        return separator.join(parts if separator else reversed(parts))


class Region(BilingualNamed):
    """An NBS region or a strategic region; members are provinces or cities."""

    code = models.CharField(_("region"), max_length=40, primary_key=True)
    kind = models.CharField(_("kind"), max_length=12, choices=RegionKind.choices)
    members = models.ManyToManyField(Division, related_name="regions", verbose_name=_("members"))

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["kind", "code"]


class Country(BilingualNamed):
    """A country or territory of ISO 3166-1."""

    code = models.CharField(_("ISO 3166-1 alpha-2"), max_length=2, primary_key=True)
    alpha3 = models.CharField(_("ISO 3166-1 alpha-3"), max_length=3, unique=True)
    numeric = models.CharField(_("ISO 3166-1 numeric"), max_length=3)

    class Meta:
        verbose_name = _("country or territory")
        verbose_name_plural = _("countries and territories")
        ordering = ["code"]

    @property
    def is_offshore(self) -> bool:
        # Hong Kong, Macao and Taiwan count as offshore (statistics-rules.md, "Flow").
        return self.code != "CN"


class CountryGroup(BilingualNamed):
    """A grouping of counterpart countries (EU27, ASEAN, RCEP, HMT, Belt and Road …)."""

    code = models.CharField(_("group"), max_length=40, primary_key=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("country group")
        verbose_name_plural = _("country groups")
        ordering = ["code"]

    def members_on(self, day: dt.date) -> models.QuerySet[Country]:
        return Country.objects.filter(
            Q(group_memberships__group=self),
            Q(group_memberships__valid_from__isnull=True)
            | Q(group_memberships__valid_from__lte=day),
            Q(group_memberships__valid_to__isnull=True) | Q(group_memberships__valid_to__gte=day),
        ).distinct()


class CountryGroupMembership(models.Model):
    """A country's membership of a group over a dated interval (both ends included)."""

    group = models.ForeignKey(CountryGroup, on_delete=models.CASCADE, related_name="memberships")
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="group_memberships")
    valid_from = models.DateField(
        _("member from"),
        null=True,
        blank=True,
        help_text=_("Empty when the source gives no start: a member for every period."),
    )
    valid_to = models.DateField(_("member until"), null=True, blank=True)

    class Meta:
        verbose_name = _("country group membership")
        verbose_name_plural = _("country group memberships")
        ordering = ["group", "country", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "country", "valid_from"],
                name="country_group_membership_unique",
                violation_error_message=_("This membership is already recorded."),
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="country_group_membership_interval",
                violation_error_message=_("A membership cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group_id} {self.country_id} {self.valid_from or ''}–{self.valid_to or ''}"


class Currency(BilingualNamed):
    """A currency of ISO 4217."""

    code = models.CharField(_("ISO 4217 code"), max_length=3, primary_key=True)
    numeric = models.CharField(_("ISO 4217 numeric"), max_length=3, blank=True)

    class Meta:
        verbose_name = _("currency")
        verbose_name_plural = _("currencies")
        ordering = ["code"]


class ExchangeRate(models.Model):
    """Yuan for one unit of a currency in a month: the conversion rate of the statistics."""

    month = models.DateField(_("month"), help_text=_("First day of the month."))
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="rates")
    cny_per_unit = models.DecimalField(_("yuan per unit"), max_digits=20, decimal_places=8)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["-month", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "currency"],
                name="exchange_rate_month_currency_unique",
                violation_error_message=_("There is already a rate for this month and currency."),
            ),
            models.CheckConstraint(
                condition=Q(month__day=1),
                name="exchange_rate_month_first_day",
                violation_error_message=_("A rate's month is stored as its first day."),
            ),
            models.CheckConstraint(
                condition=Q(cny_per_unit__gt=Decimal(0)),
                name="exchange_rate_positive",
                violation_error_message=_("A rate must be greater than zero."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.currency_id} {self.cny_per_unit}"


class CatalogueVersion(models.Model):
    """A version of the business catalogue; in force from ``effective_from`` once published."""

    code = models.CharField(_("version"), max_length=20, unique=True)
    name = models.CharField(_("title"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=CatalogueStatus.choices, default=CatalogueStatus.DRAFT
    )
    effective_from = models.DateField(_("in force from"))
    predecessor = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="successor",
        verbose_name=_("replaces version"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("catalogue version")
        verbose_name_plural = _("catalogue versions")
        ordering = ["effective_from", "code"]

    def __str__(self) -> str:
        return self.code

    @property
    def is_draft(self) -> bool:
        return self.status == CatalogueStatus.DRAFT

    @classmethod
    def in_force_on(cls, day: dt.date) -> CatalogueVersion | None:
        return (
            cls.objects.filter(status=CatalogueStatus.PUBLISHED, effective_from__lte=day)
            .order_by("-effective_from")
            .first()
        )


class CatalogueItem(BilingualNamed):
    """One node of a catalogue version's tree; records are filed against leaves."""

    version = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("code"), max_length=20)
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    level = models.PositiveSmallIntegerField(_("level"))
    digital = models.BooleanField(_("digital service"), null=True, blank=True)
    ebops_code = models.CharField(_("EBOPS 2010 code"), max_length=10, blank=True)
    seen_in_published_statistics = models.BooleanField(
        _("seen in published statistics"), default=False
    )

    class Meta:
        verbose_name = _("catalogue item")
        verbose_name_plural = _("catalogue items")
        ordering = ["version", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "code"],
                name="catalogue_item_code_unique",
                violation_error_message=_("This code is already used in this version."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_leaf(self) -> bool:
        return not self.children.exists()

    @property
    def level1_code(self) -> str:
        node = self
        while node.parent_id is not None:
            node = node.parent  # type: ignore[assignment]
        return node.code


class Concordance(models.Model):
    """Old code -> new code(s) between a version and its successor."""

    source = models.ForeignKey(
        CatalogueItem, on_delete=models.CASCADE, related_name="concordance_to"
    )
    target = models.ForeignKey(
        CatalogueItem, on_delete=models.CASCADE, related_name="concordance_from"
    )

    class Meta:
        verbose_name = _("concordance entry")
        verbose_name_plural = _("concordance")
        ordering = ["source__code", "target__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "target"],
                name="concordance_unique",
                violation_error_message=_("This correspondence is already recorded."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id}"


class CityDesignation(models.Model):
    """A city's designation as a base city or a demonstration city."""

    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="designations")
    kind = models.CharField(_("designation"), max_length=16, choices=DesignationKind.choices)
    designated_on = models.DateField(_("designated on"))
    date_is_year_only = models.BooleanField(
        _("only the year is known"),
        default=False,
        help_text=_("The source gives the year; the designation counts from 1 January."),
    )
    document = models.CharField(_("approval document"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)

    class Meta:
        verbose_name = _("city designation")
        verbose_name_plural = _("city designations")
        ordering = ["kind", "designated_on", "division"]
        constraints = [
            models.UniqueConstraint(
                fields=["division", "kind", "designated_on"],
                name="city_designation_unique",
                violation_error_message=_("This designation is already recorded."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.division} {self.get_kind_display()} {self.designated_on:%Y}"


class ExternalSeries(BilingualNamed):
    """A series of figures published outside SOMS — the ministry's national figures released
    before the system existed, services exports, world benchmarks — shown beside the system's
    own figures and never mixed into them. ``measure`` and ``scope`` say what the series is
    comparable with (a measure of statistics-rules.md and ``all``/``offshore``/…) when it is.
    """

    code = models.CharField(_("series"), max_length=120, unique=True)
    measure = models.CharField(
        _("comparable measure"),
        max_length=60,
        blank=True,
        help_text=_("The SOMS measure this series can be compared with, if any."),
    )
    scope = models.CharField(
        _("scope"),
        max_length=60,
        blank=True,
        help_text=_("What the figures cover: all, offshore, onshore, offshore:US …"),
    )
    unit = models.CharField(_("unit"), max_length=20, choices=ExternalUnit.choices)
    source_note = models.TextField(_("source"), blank=True)

    class Meta:
        verbose_name = _("external series")
        verbose_name_plural = _("external series")
        ordering = ["code"]


class ExternalObservation(models.Model):
    """One figure of an external series for a period as its source states it: a year
    (``2013``), a month or year-end (``2013-12``) or a range of months (``2013-01..2013-09``),
    with the period's first and last day for ordering and comparison."""

    series = models.ForeignKey(
        ExternalSeries, on_delete=models.CASCADE, related_name="observations"
    )
    period = models.CharField(_("period"), max_length=30)
    period_start = models.DateField(_("period starts"))
    period_end = models.DateField(_("period ends"))
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4)
    yoy_pct = models.DecimalField(
        _("year on year (%)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    quality = models.CharField(
        _("quality"), max_length=2, choices=ObservationQuality.choices, blank=True
    )
    source = models.CharField(
        _("source"),
        max_length=500,
        blank=True,
        help_text=_(
            "The address the figure was published at or, where none is known, who published it."
        ),
    )

    class Meta:
        verbose_name = _("external observation")
        verbose_name_plural = _("external observations")
        ordering = ["series", "period_start", "period_end"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "period"],
                name="external_observation_period_unique",
                violation_error_message=_("This series already has a figure for this period."),
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="external_observation_period_order",
                violation_error_message=_("A period cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.series_id} {self.period} {self.value}"

    @property
    def source_url(self) -> str:
        """The source when it is a web address (some sources are only named)."""
        return self.source if self.source.startswith(("https://", "http://")) else ""

    @property
    def source_host(self) -> str:
        """The site of the source address, to name a link by."""
        return urlsplit(self.source_url).netloc
