"""The release in SDMX, read back by SDMX libraries that know nothing of SOMS: pysdmx
(which validates the structure against the SDMX-ML 2.1 schemas and reads SDMX-CSV 1.0 against
it) and sdmx1 (a second reading of the structure, with the names in both languages).

The figures are checked against the release's frozen cells through a mapping written here from
the specification of the data (which table row is which observation), not from
:mod:`soms.dissemination.sdmx`, so a wrong mapping there shows as a missing or wrong figure.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sdmx as sdmx1
from pysdmx.io import get_datasets, read_sdmx
from pysdmx.model import Role

from soms.dissemination import sdmx
from soms.dissemination.services import frozen_figures, prepare_release, publish_release
from soms.dissemination.tables import BY_CODE, TABLES, Cell, Figures, Table
from soms.reference.choices import CatalogueStatus, RegionKind
from soms.reference.models import CatalogueItem, Country, CountryGroup, Division, Region

pytestmark = pytest.mark.django_db

DSD_URN = "DataStructure=SOMS:DSD_SERVICE_OUTSOURCING(1.0)"
DATAFLOW_URN = "Dataflow=SOMS:DF_SERVICE_OUTSOURCING(1.0)"
DIMENSIONS = [
    "FREQ",
    "REF_AREA",
    "COUNTERPART_AREA",
    "SERVICE_CATEGORY",
    "FLOW",
    "MEASURE",
    "UNIT_MEASURE",
    "TIME_PERIOD",
]
CODED = {
    "FREQ": "CL_FREQ",
    "REF_AREA": "CL_AREA",
    "COUNTERPART_AREA": "CL_COUNTERPART_AREA",
    "SERVICE_CATEGORY": "CL_SERVICE_CATEGORY",
    "FLOW": "CL_FLOW",
    "MEASURE": "CL_MEASURE",
    "UNIT_MEASURE": "CL_UNIT_MEASURE",
    "OBS_STATUS": "CL_OBS_STATUS",
}

# Which column each table's rows break down (the specification of the data).
AREA_ROWS = {"province", "region", "demonstration_city", "enterprises"}
CATEGORY_ROWS = {"category_l1", "category"}
COUNTERPART_ROWS = {"market_group", "market_country"}
PEOPLE = {"employees", "employees_college", "new_hires", "new_hires_college"}
FIRMS = {"enterprises_registered", "enterprises_active"}


def expected_key(table: str, series_code: str, key: str, month: dt.date) -> tuple[str, ...]:
    """The observation (dimensions and time period) a release cell must be."""
    series = next(s for s in BY_CODE[table].series if s.code == series_code)
    area = "CN_DEMO" if table == "demonstration_city" else "CN"
    counterpart, category, period, ytd = "W0", "_T", f"{month:%Y-%m}", True
    if key:
        if table == "national":
            period, ytd = key, False
        elif table in AREA_ROWS:
            area = key
        elif table == "demonstration":
            area = {"yes": "CN_DEMO", "no": "CN_OTHER"}[key]
        elif table in CATEGORY_ROWS:
            category = key
        elif table in COUNTERPART_ROWS:
            counterpart = key
        else:
            raise AssertionError(f"no mapping for the rows of table {table}")
    if series.measure in PEOPLE:
        unit = "PS"
    elif series.measure in FIRMS:
        unit = "ENT"
    else:
        assert series.measure in ("contract_value", "execution_value")
        unit = series.currency
    flow = {None: "_T", "offshore": "OFF", "onshore": "ON"}[series.flow]
    measure = series.measure.upper() + ("_YTD" if ytd else "")
    return ("M", area, counterpart, category, flow, measure, unit, period)


@pytest.fixture
def release(history: Any) -> Any:
    draft = prepare_release(history.statistician, history.month)
    return publish_release(history.statistician, draft)


@pytest.fixture
def figures(release: Any) -> Figures:
    return frozen_figures(release)


@pytest.fixture
def structure_path(tmp_path: Path) -> Path:
    path = tmp_path / "structure.xml"
    path.write_bytes(sdmx.structure_message())
    return path


@pytest.fixture
def data_path(tmp_path: Path, figures: Figures) -> Path:
    path = tmp_path / "data.csv"
    path.write_text(sdmx.data_csv(figures), encoding="utf-8")
    return path


def observations(data_path: Path) -> dict[tuple[str, ...], dict[str, str]]:
    """The data as pysdmx reads it (values as text, exactly as written), by observation key;
    a key given twice fails."""
    message = read_sdmx(data_path)
    assert len(message.data) == 1
    dataset = message.data[0]
    assert dataset.short_urn == DATAFLOW_URN
    rows = dataset.data.to_dict("records")
    out = {tuple(row[d] for d in DIMENSIONS): row for row in rows}
    assert len(out) == len(rows), "an observation is given twice"
    return out


def codes(codelist: Any) -> set[str]:
    return {code.id for code in codelist}


# --- Structure ------------------------------------------------------------------------------


def test_structure_is_valid_sdmx_ml_with_the_data_structure(history: Any, structure_path: Path):
    prepared = dt.datetime(2026, 4, 10, 9, 30, tzinfo=dt.UTC)
    structure_path.write_bytes(sdmx.structure_message(prepared))
    # pysdmx validates the message against the SDMX-ML 2.1 schemas before reading it.
    message = read_sdmx(structure_path, validate=True)
    assert message.header.sender.id == "SOMS"
    assert message.header.prepared == prepared

    dsd = message.get_data_structure_definition(DSD_URN)
    assert dsd.agency == "SOMS" and dsd.version == "1.0"
    dimensions = dsd.components.dimensions
    assert [c.id for c in dimensions] == DIMENSIONS
    assert all(c.role == Role.DIMENSION for c in dimensions)
    (status,) = dsd.components.attributes
    assert status.id == "OBS_STATUS" and status.role == Role.ATTRIBUTE
    assert status.attachment_level == "O"  # to the observation
    assert [c.id for c in dsd.components.measures] == ["OBS_VALUE"]
    for component in [*dimensions, status]:
        if component.id in CODED:
            assert component.enumeration is not None, component.id
            assert component.enumeration.id == CODED[component.id]
    assert dsd.components["TIME_PERIOD"].enumeration is None

    dataflow = message.get_dataflow(DATAFLOW_URN)
    assert dataflow.structure == DSD_URN


def test_codelists_hold_every_code_of_the_reference_data(history: Any, structure_path: Path):
    message = read_sdmx(structure_path)
    lists = {cl.id: codes(cl) for cl in message.get_codelists()}
    assert set(lists) == set(CODED.values())

    assert lists["CL_FREQ"] == {"M"}
    assert lists["CL_FLOW"] == {"_T", "OFF", "ON"}
    assert lists["CL_UNIT_MEASURE"] == {"CNY", "USD", "PS", "ENT", "NUM"}
    assert lists["CL_OBS_STATUS"] == {"A", "P", "C"}
    measures = {s.measure.upper() for table in TABLES for s in table.series}
    assert "CONTRACT_VALUE" in measures and "EMPLOYEES" in measures
    assert lists["CL_MEASURE"] == measures | {m + "_YTD" for m in measures}

    area = lists["CL_AREA"]
    assert {"CN", "CN_DEMO", "CN_OTHER"} <= area
    provinces = set(Division.objects.filter(level="province").values_list("code", flat=True))
    cities = set(Division.objects.values_list("city_code", flat=True))
    assert len(provinces) == 31 and {"320500", "420100", "310000", "110000"} <= cities
    assert provinces | cities <= area
    regions = set(Region.objects.filter(kind=RegionKind.NBS).values_list("code", flat=True))
    assert "east" in regions and regions <= area
    assert "yangtze_river_delta" not in area  # strategic regions are not in the data
    assert "320508" not in area  # districts neither

    counterpart = lists["CL_COUNTERPART_AREA"]
    assert "W0" in counterpart
    assert set(Country.objects.values_list("code", flat=True)) <= counterpart
    groups = set(CountryGroup.objects.values_list("code", flat=True))
    assert {"EU27", "RCEP", "BRI", "HMT", "ASEAN"} <= groups <= counterpart

    category = lists["CL_SERVICE_CATEGORY"]
    catalogue = set(
        CatalogueItem.objects.filter(version__status=CatalogueStatus.PUBLISHED).values_list(
            "code", flat=True
        )
    )
    assert {"_T", "ITO", "BPO", "KPO", "ITO01", "BPO02", "KPO03"} <= category
    assert category == catalogue | {"_T"}


def test_sdmx1_reads_the_structure_with_names_in_chinese_and_english(
    history: Any, structure_path: Path
):
    message = sdmx1.read_sdmx(structure_path)
    assert isinstance(message, sdmx1.message.StructureMessage)
    dsd = message.structure["DSD_SERVICE_OUTSOURCING"]
    assert [d.id for d in dsd.dimensions.components] == DIMENSIONS
    assert type(dsd.dimensions.get("TIME_PERIOD")).__name__ == "TimeDimension"
    status = dsd.attributes.get("OBS_STATUS")
    assert type(status.related_to).__name__ == "PrimaryMeasureRelationship"
    assert status.local_representation.enumerated.id == "CL_OBS_STATUS"
    assert [m.id for m in dsd.measures.components] == ["OBS_VALUE"]
    assert message.dataflow["DF_SERVICE_OUTSOURCING"].structure is dsd

    # Every codelist, concept and code is named in Chinese; the labels of SOMS in English too.
    for codelist in message.codelist.values():
        assert {"zh", "en"} <= set(codelist.name.localizations), codelist.id
        for code in codelist:
            assert code.name.localizations.get("zh"), (codelist.id, code.id)
    for concept in message.concept_scheme["CS_SERVICE_OUTSOURCING"]:
        assert {"zh", "en"} <= set(concept.name.localizations), concept.id

    flow = message.codelist["CL_FLOW"]["OFF"].name.localizations
    assert flow == {"zh": "离岸", "en": "offshore"}  # gettext, whatever the active language
    measure = message.codelist["CL_MEASURE"]["CONTRACT_VALUE"].name.localizations
    assert measure == {"zh": "合同金额", "en": "Contract value"}
    suzhou = Division.objects.get(code="320500")
    assert message.codelist["CL_AREA"]["320500"].name.localizations["zh"] == suzhou.name_zh
    germany = message.codelist["CL_COUNTERPART_AREA"]["DE"].name.localizations
    assert germany == {"zh": Country.objects.get(code="DE").name_zh, "en": "Germany"}


# --- Data -----------------------------------------------------------------------------------


def test_data_reads_against_the_structure_with_codes_of_its_codelists(
    figures: Figures, structure_path: Path, data_path: Path
):
    (dataset,) = get_datasets(data_path, structure_path)
    schema = dataset.structure
    assert schema.short_urn == DATAFLOW_URN
    components = schema.components
    assert [c.id for c in components] == [*DIMENSIONS, "OBS_VALUE", "OBS_STATUS"]
    frame = dataset.data
    assert list(frame.columns) == [*DIMENSIONS, "OBS_VALUE", "OBS_STATUS"]
    assert len(frame) > 50
    for column, codelist in CODED.items():
        enumeration = components[column].enumeration
        assert enumeration.id == codelist
        used = set(frame[column])
        assert used <= codes(enumeration), (column, used - codes(enumeration))
    assert all(re.fullmatch(r"\d{4}-\d{2}", p) for p in frame["TIME_PERIOD"])
    # What the figures break down reaches the data: provinces, cities, categories, markets.
    assert {"320000", "320500", "CN_DEMO", "east"} <= set(frame["REF_AREA"])
    assert {"ITO", "ITO01"} <= set(frame["SERVICE_CATEGORY"])
    assert {"US", "HMT"} <= set(frame["COUNTERPART_AREA"])


def test_every_release_figure_is_an_observation_and_suppressed_ones_stay_hidden(
    release: Any, figures: Figures, data_path: Path
):
    found = observations(data_path)
    expected: dict[tuple[str, ...], list[tuple[tuple[str, str, str], Cell]]] = {}
    for (table, series, key), cell in figures.cells.items():
        expected.setdefault(expected_key(table, series, key, figures.month), []).append(
            ((table, series, key), cell)
        )
    # The fixture has what is worth checking: suppressed cells, figures, repeated totals.
    flags = [cell.flag for cell in figures.cells.values()]
    assert flags.count("C") >= 10 and flags.count("") >= 10
    assert len(expected["M", "CN", "W0", "_T", "_T", "EXECUTION_VALUE_YTD", "CNY", "2026-03"]) > 3

    assert set(found) == set(expected)
    status = "P" if release.provisional else "A"
    assert release.provisional  # March 2026 is not signed off in the fixture
    suppressed = 0
    for obs, cells in expected.items():
        row = found[obs]
        if any(cell.flag == "C" for _, cell in cells):
            suppressed += 1
            assert row["OBS_STATUS"] == "C", (obs, cells)
            assert row["OBS_VALUE"] == "", (obs, cells)
        else:
            values = {cell.value for _, cell in cells}
            assert len(values) == 1, (obs, cells)  # a repeated total is the same figure
            assert Decimal(row["OBS_VALUE"]) == values.pop(), (obs, cells)
            assert row["OBS_STATUS"] == status
    assert suppressed >= 10

    # Spot checks in full units, as the release states them.
    assert found["M", "320000", "W0", "_T", "_T", "CONTRACT_VALUE_YTD", "CNY", "2026-03"][
        "OBS_VALUE"
    ] == str(int(figures.get("province", "contract_value_cny", "320000").value))
    month = found["M", "CN", "W0", "_T", "_T", "CONTRACT_VALUE", "CNY", "2026-01"]
    assert (
        Decimal(month["OBS_VALUE"])
        == figures.get("national", "contract_value_cny", "2026-01").value
    )
    lone = found["M", "310000", "W0", "_T", "_T", "EMPLOYEES_YTD", "PS", "2026-03"]
    assert lone == {**lone, "OBS_VALUE": "", "OBS_STATUS": "C"}


def test_final_figures_are_normal_observations(figures: Figures, tmp_path: Path):
    path = tmp_path / "final.csv"
    path.write_text(sdmx.data_csv(dataclasses.replace(figures, provisional=False)))
    statuses = {row["OBS_STATUS"] for row in observations(path).values()}
    assert statuses == {"A", "C"}


def test_a_figure_suppressed_in_one_table_is_suppressed_wherever_it_repeats():
    month = dt.date(2026, 3, 1)
    shown, hidden = Cell(Decimal("1500000.00")), Cell(None, flag="C")
    for national, province in ((shown, hidden), (hidden, shown)):
        cells = {
            ("national", "execution_value_cny", ""): national,
            ("province", "execution_value_cny", ""): province,
            ("province", "execution_value_cny", "320000"): shown,
        }
        rows = list(csv.DictReader(io.StringIO(sdmx.data_csv(Figures(month, cells, True)))))
        assert [(r["REF_AREA"], r["OBS_VALUE"], r["OBS_STATUS"]) for r in rows] == [
            ("320000", "1500000", "P"),
            ("CN", "", "C"),
        ]


def test_the_total_of_demonstration_cities_is_not_the_national_total():
    # In the fixture every enterprise is in a demonstration city, so the totals agree there.
    cells = {
        ("national", "execution_value_cny", ""): Cell(Decimal(10)),
        ("demonstration_city", "execution_value_cny", ""): Cell(Decimal(7)),
        ("demonstration", "execution_value_cny", "no"): Cell(Decimal(3)),
    }
    text = sdmx.data_csv(Figures(dt.date(2026, 3, 1), cells, False))
    rows = {r["REF_AREA"]: r["OBS_VALUE"] for r in csv.DictReader(io.StringIO(text))}
    assert rows == {"CN": "10", "CN_DEMO": "7", "CN_OTHER": "3"}


def test_the_data_is_the_same_whatever_order_the_cells_come_in(figures: Figures):
    text = sdmx.data_csv(figures)
    backwards = Figures(figures.month, dict(reversed(figures.cells.items())), True)
    assert sdmx.data_csv(backwards) == text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["DATAFLOW", *DIMENSIONS, "OBS_VALUE", "OBS_STATUS"]
    assert rows[1:] == sorted(rows[1:])
    assert {row[0] for row in rows[1:]} == {"SOMS:DF_SERVICE_OUTSOURCING(1.0)"}


def test_a_table_the_structure_cannot_tell_apart_is_left_out(
    figures: Figures, monkeypatch: pytest.MonkeyPatch
):
    by_ownership = Table(
        "ownership", BY_CODE["province"].title, "ownership", BY_CODE["province"].series
    )
    monkeypatch.setattr(sdmx, "TABLES", (*TABLES, by_ownership))
    cells = {
        **figures.cells,
        ("ownership", "contract_value_cny", ""): Cell(Decimal(1)),
        ("ownership", "contract_value_cny", "private"): Cell(Decimal(1)),
    }
    # No dimension of the structure takes its rows, and its total is not the national one.
    assert sdmx.data_csv(Figures(figures.month, cells, True)) == sdmx.data_csv(figures)
