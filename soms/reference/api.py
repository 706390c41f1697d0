from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from soms.api import OptionalSession
from soms.reference.models import CatalogueVersion, Country, Currency, Division, ExchangeRate

# Reference data is public: anyone may read it.
router = Router(tags=["reference"], auth=OptionalSession())


class DivisionOut(Schema):
    code: str
    name_zh: str
    name_en: str
    level: str
    parent: str | None
    province_code: str
    city_code: str
    accepts_enterprises: bool

    @staticmethod
    def resolve_parent(obj: Division) -> str | None:
        return obj.parent_id


class CountryOut(Schema):
    code: str
    alpha3: str
    name_zh: str
    name_en: str


class CurrencyOut(Schema):
    code: str
    name_zh: str
    name_en: str


class ItemOut(Schema):
    code: str
    parent: str | None
    level: int
    name_zh: str
    name_en: str
    digital: bool | None
    ebops_code: str
    leaf: bool


class RateOut(Schema):
    month: str
    currency: str
    cny_per_unit: Decimal


@router.get("/divisions", response=list[DivisionOut])
def divisions(request: HttpRequest, parent: str | None = None, level: str | None = None) -> object:
    queryset = Division.objects.all()
    if parent:
        queryset = queryset.filter(parent_id=parent)
    if level:
        queryset = queryset.filter(level=level)
    return queryset


@router.get("/countries", response=list[CountryOut])
def countries(request: HttpRequest) -> object:
    return Country.objects.all()


@router.get("/currencies", response=list[CurrencyOut])
def currencies(request: HttpRequest) -> object:
    return Currency.objects.all()


@router.get("/catalogue/{version}", response=list[ItemOut])
def catalogue(request: HttpRequest, version: str) -> list[dict[str, object]]:
    catalogue_version = get_object_or_404(CatalogueVersion, code=version)
    items = list(catalogue_version.items.select_related("parent"))
    parents = {i.parent_id for i in items}
    return [
        {
            "code": i.code,
            "parent": i.parent.code if i.parent else None,
            "level": i.level,
            "name_zh": i.name_zh,
            "name_en": i.name_en,
            "digital": i.digital,
            "ebops_code": i.ebops_code,
            "leaf": i.pk not in parents,
        }
        for i in items
    ]


@router.get("/rates", response=list[RateOut])
def rates(request: HttpRequest, month: str | None = None) -> list[dict[str, object]]:
    queryset = ExchangeRate.objects.all()
    if month:
        try:
            first = dt.date.fromisoformat(f"{month}-01")
        except ValueError:
            return []
        queryset = queryset.filter(month=first)
    return [
        {"month": f"{r.month:%Y-%m}", "currency": r.currency_id, "cny_per_unit": r.cny_per_unit}
        for r in queryset
    ]
