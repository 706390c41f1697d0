"""Names of dimension values in the user's language, for JSON rows (``<dimension>_name``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from soms.reference.models import CatalogueItem, Country, CountryGroup, Division, Region
from soms.registry.choices import Ownership


def names_for(dimension: str, codes: set[str]) -> dict[str, str]:
    if dimension in ("province", "city", "district"):
        return {d.code: d.name for d in Division.objects.filter(code__in=codes)}
    if dimension == "nbs_region":
        return {r.code: r.name for r in Region.objects.filter(code__in=codes)}
    if dimension in ("category", "category_l1"):
        names: dict[str, str] = {}
        for item in CatalogueItem.objects.filter(code__in=codes).order_by(
            "-version__effective_from"
        ):
            names.setdefault(item.code, item.name)
        return names
    if dimension == "counterpart_country":
        return {c.code: c.name for c in Country.objects.filter(code__in=codes)}
    if dimension == "counterpart_group":
        return {g.code: g.name for g in CountryGroup.objects.filter(code__in=codes)}
    if dimension == "ownership":
        return {code: str(Ownership(code).label) for code in codes if code in Ownership.values}
    if dimension == "flow":
        labels = {"offshore": _("offshore"), "onshore": _("onshore")}
        return {code: str(labels[code]) for code in codes if code in labels}
    if dimension == "demonstration_city":
        labels = {"yes": _("demonstration city"), "no": _("other cities")}
        return {code: str(labels[code]) for code in codes if code in labels}
    return {code: code for code in codes}
