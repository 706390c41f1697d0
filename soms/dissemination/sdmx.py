"""A release in SDMX: the structure (codelists, concepts, the data structure and its dataflow)
as an SDMX-ML 2.1 Structure message, and the release's figures as SDMX-CSV 1.0.

Statistical offices and international organisations load figures through SDMX rather than
through our pages or spreadsheets, so the same cells the release publishes (:mod:`.tables`) are
given here one observation per cell, keyed by dimensions every SDMX tool understands. The
structure is drawn from the reference data, so every code the data can use has its names in
Chinese and English; the data carries disclosure control as the release does: a suppressed cell
is an observation with status ``C`` and no value, never the figure.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from soms.dissemination.tables import TABLES, Cell, Figures, Series, Table
from soms.reference.choices import CatalogueStatus, RegionKind
from soms.reference.models import CatalogueItem, Country, CountryGroup, Currency, Division, Region
from soms.statistics.labels import DIMENSION_LABELS, FLOW_LABELS, MEASURE_LABELS

MESSAGE = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
STRUCTURE = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure"
COMMON = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# SDMX tools recognise a message by its root element's prefixed name ("mes:Structure").
for _prefix, _uri in (("mes", MESSAGE), ("str", STRUCTURE), ("com", COMMON)):
    ET.register_namespace(_prefix, _uri)

AGENCY = "SOMS"
VERSION = "1.0"
DSD_ID = "DSD_SERVICE_OUTSOURCING"
DATAFLOW_ID = "DF_SERVICE_OUTSOURCING"
CONCEPT_SCHEME_ID = "CS_SERVICE_OUTSOURCING"
DATAFLOW = f"{AGENCY}:{DATAFLOW_ID}({VERSION})"

# The series key, in the order of the data structure; TIME_PERIOD follows as the time dimension.
DIMENSIONS = (
    "FREQ",
    "REF_AREA",
    "COUNTERPART_AREA",
    "SERVICE_CATEGORY",
    "FLOW",
    "MEASURE",
    "UNIT_MEASURE",
)
TIME_DIMENSION = "TIME_PERIOD"
PRIMARY_MEASURE = "OBS_VALUE"
OBS_STATUS = "OBS_STATUS"
CODELIST_OF = {
    "FREQ": "CL_FREQ",
    "REF_AREA": "CL_AREA",
    "COUNTERPART_AREA": "CL_COUNTERPART_AREA",
    "SERVICE_CATEGORY": "CL_SERVICE_CATEGORY",
    "FLOW": "CL_FLOW",
    "MEASURE": "CL_MEASURE",
    "UNIT_MEASURE": "CL_UNIT_MEASURE",
    OBS_STATUS: "CL_OBS_STATUS",
}
CSV_COLUMNS = ("DATAFLOW", *DIMENSIONS, TIME_DIMENSION, PRIMARY_MEASURE, OBS_STATUS)

# The codes that stand for "not broken down by this dimension".
CHINA = "CN"
WORLD = "W0"
TOTAL = "_T"
DEMONSTRATION_CITIES = "CN_DEMO"
OTHER_CITIES = "CN_OTHER"
YTD = "_YTD"
FLOW_CODES = {None: TOTAL, "offshore": "OFF", "onshore": "ON"}
DEMONSTRATION_CODES = {"yes": DEMONSTRATION_CITIES, "no": OTHER_CITIES}
# Which SDMX dimension a table's dimension breaks down; its row keys are already the codes of
# that dimension's codelist except for demonstration_city (yes/no).
BREAKDOWN = {
    "province": "REF_AREA",
    "city": "REF_AREA",
    "nbs_region": "REF_AREA",
    "demonstration_city": "REF_AREA",
    "category_l1": "SERVICE_CATEGORY",
    "category": "SERVICE_CATEGORY",
    "counterpart_country": "COUNTERPART_AREA",
    "counterpart_group": "COUNTERPART_AREA",
}
DEFAULTS = {"REF_AREA": CHINA, "COUNTERPART_AREA": WORLD, "SERVICE_CATEGORY": TOTAL}

# SDMX names are given in these languages; the keys are the xml:lang values, the values
# Django's language codes.
LANGUAGES = {"zh": "zh-hans", "en": "en"}

Names = dict[str, str]  # xml:lang -> name


def _translated(label: Promise | Callable[[], str]) -> Names:
    """A gettext label in every language of the message (the active language does not matter:
    an SDMX consumer picks the language, not the visitor who downloaded the file)."""
    names = {}
    for lang, code in LANGUAGES.items():
        with translation.override(code):
            names[lang] = label() if callable(label) else str(label)
    return names


def _bilingual(name_zh: str, name_en: str) -> Names:
    """A reference record's names; no English name when none is known, so that SDMX tools fall
    back to the Chinese one rather than show a Chinese name as if it were English."""
    return {"zh": name_zh, "en": name_en} if name_en else {"zh": name_zh}


def _ytd_label(label: Promise) -> Callable[[], str]:
    return lambda: str(_("%(measure)s, year to date") % {"measure": label})


# --- Structure ------------------------------------------------------------------------------


@dataclass
class Codelist:
    id: str
    name: Names
    codes: list[tuple[str, Names]]


def measures() -> list[str]:
    """The measures the release's tables publish, in the order they first appear."""
    seen: dict[str, None] = {}
    for table in TABLES:
        for series in table.series:
            seen.setdefault(series.measure, None)
    return list(seen)


def _area_codes() -> list[tuple[str, Names]]:
    divisions = Division.objects.all()
    wanted = set(divisions.values_list("province_code", flat=True)) | set(
        divisions.values_list("city_code", flat=True)
    )
    named = {
        d.code: _bilingual(d.name_zh, d.name_en)
        for d in Division.objects.filter(code__in=wanted).only("code", "name_zh", "name_en")
    }
    codes = [
        (CHINA, _translated(_("China"))),
        (DEMONSTRATION_CITIES, _translated(_("demonstration city"))),
        (OTHER_CITIES, _translated(_("other cities"))),
    ]
    codes += [
        (r.code, _bilingual(r.name_zh, r.name_en))
        for r in Region.objects.filter(kind=RegionKind.NBS).order_by("code")
    ]
    codes += [(code, named.get(code, {"zh": code})) for code in sorted(wanted)]
    return codes


def _counterpart_codes() -> list[tuple[str, Names]]:
    codes = [(WORLD, _translated(_("All counterpart countries and territories")))]
    codes += [(c.code, _bilingual(c.name_zh, c.name_en)) for c in Country.objects.order_by("code")]
    codes += [
        (g.code, _bilingual(g.name_zh, g.name_en)) for g in CountryGroup.objects.order_by("code")
    ]
    return codes


def _category_codes() -> list[tuple[str, Names]]:
    """Every code of the published catalogue versions (a draft version is not public), named
    as the latest version names it."""
    names: dict[str, Names] = {}
    items = CatalogueItem.objects.filter(version__status=CatalogueStatus.PUBLISHED).order_by(
        "-version__effective_from"
    )
    for item in items:
        names.setdefault(item.code, _bilingual(item.name_zh, item.name_en))
    codes = [(TOTAL, _translated(_("All categories of service")))]
    return codes + sorted(names.items())


def _measure_codes() -> list[tuple[str, Names]]:
    codes = []
    for measure in measures():
        label = MEASURE_LABELS[measure]
        codes.append((measure.upper(), _translated(label)))
        codes.append((measure.upper() + YTD, _translated(_ytd_label(label))))
    return codes


def _unit_codes() -> list[tuple[str, Names]]:
    currencies = {c.code: c for c in Currency.objects.filter(code__in=("CNY", "USD"))}
    codes = []
    for code in ("CNY", "USD"):
        currency = currencies.get(code)
        codes.append((code, _bilingual(currency.name_zh, currency.name_en) if currency else {}))
    return [
        *codes,
        ("PS", _translated(_("persons"))),
        ("ENT", _translated(_("enterprises"))),
        ("NUM", _translated(_("Number"))),
    ]


def codelists() -> list[Codelist]:
    """The codelists of the structure, from the reference data as it is now."""
    return [
        Codelist("CL_FREQ", _translated(_("Frequency")), [("M", _translated(_("Monthly")))]),
        Codelist("CL_AREA", _translated(_("Reference area")), _area_codes()),
        Codelist(
            "CL_COUNTERPART_AREA",
            _translated(DIMENSION_LABELS["counterpart_country"]),
            _counterpart_codes(),
        ),
        Codelist(
            "CL_SERVICE_CATEGORY",
            _translated(DIMENSION_LABELS["category"]),
            _category_codes(),
        ),
        Codelist(
            "CL_FLOW",
            _translated(DIMENSION_LABELS["flow"]),
            [
                (TOTAL, _translated(_("offshore and onshore"))),
                ("OFF", _translated(FLOW_LABELS["offshore"])),
                ("ON", _translated(FLOW_LABELS["onshore"])),
            ],
        ),
        Codelist("CL_MEASURE", _translated(_("Measure")), _measure_codes()),
        Codelist("CL_UNIT_MEASURE", _translated(_("Unit of measure")), _unit_codes()),
        Codelist(
            "CL_OBS_STATUS",
            _translated(_("Observation status")),
            [
                ("A", _translated(_("Normal value"))),
                ("P", _translated(_("Provisional value"))),
                ("C", _translated(_("confidential"))),
            ],
        ),
    ]


CONCEPTS: dict[str, Promise] = {
    "FREQ": _("Frequency"),
    "REF_AREA": _("Reference area"),
    "COUNTERPART_AREA": DIMENSION_LABELS["counterpart_country"],
    "SERVICE_CATEGORY": DIMENSION_LABELS["category"],
    "FLOW": DIMENSION_LABELS["flow"],
    "MEASURE": _("Measure"),
    "UNIT_MEASURE": _("Unit of measure"),
    TIME_DIMENSION: _("Time period"),
    PRIMARY_MEASURE: _("Observation value"),
    OBS_STATUS: _("Observation status"),
}


def _el(parent: ET.Element, ns: str, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ns}}}{tag}" if ns else tag, attrs)
    if text is not None:
        element.text = text
    return element


def _names(parent: ET.Element, names: Names) -> None:
    for lang, name in names.items():
        if name:
            _el(parent, COMMON, "Name", name, **{XML_LANG: lang})


def _maintainable(parent: ET.Element, tag: str, id: str, names: Names) -> ET.Element:
    element = _el(parent, STRUCTURE, tag, id=id, agencyID=AGENCY, version=VERSION)
    element.set("isFinal", "false")
    _names(element, names)
    return element


def _concept_ref(parent: ET.Element, concept: str) -> None:
    identity = _el(parent, STRUCTURE, "ConceptIdentity")
    _el(
        identity,
        "",
        "Ref",
        id=concept,
        maintainableParentID=CONCEPT_SCHEME_ID,
        maintainableParentVersion=VERSION,
        agencyID=AGENCY,
        package="conceptscheme",
        **{"class": "Concept"},
    )


def _enumeration(parent: ET.Element, codelist: str) -> None:
    representation = _el(parent, STRUCTURE, "LocalRepresentation")
    enumeration = _el(representation, STRUCTURE, "Enumeration")
    _el(
        enumeration,
        "",
        "Ref",
        id=codelist,
        agencyID=AGENCY,
        version=VERSION,
        package="codelist",
        **{"class": "Codelist"},
    )


def _text_format(parent: ET.Element, text_type: str) -> None:
    representation = _el(parent, STRUCTURE, "LocalRepresentation")
    _el(representation, STRUCTURE, "TextFormat", textType=text_type)


def _data_structure(parent: ET.Element) -> None:
    dsd = _maintainable(
        parent, "DataStructure", DSD_ID, _translated(_("Service outsourcing statistics"))
    )
    components = _el(dsd, STRUCTURE, "DataStructureComponents")
    dimensions = _el(components, STRUCTURE, "DimensionList", id="DimensionDescriptor")
    for position, concept in enumerate(DIMENSIONS, start=1):
        dimension = _el(dimensions, STRUCTURE, "Dimension", id=concept, position=str(position))
        _concept_ref(dimension, concept)
        _enumeration(dimension, CODELIST_OF[concept])
    time = _el(
        dimensions,
        STRUCTURE,
        "TimeDimension",
        id=TIME_DIMENSION,
        position=str(len(DIMENSIONS) + 1),
    )
    _concept_ref(time, TIME_DIMENSION)
    _text_format(time, "ObservationalTimePeriod")

    attributes = _el(components, STRUCTURE, "AttributeList", id="AttributeDescriptor")
    status = _el(attributes, STRUCTURE, "Attribute", id=OBS_STATUS, assignmentStatus="Mandatory")
    _concept_ref(status, OBS_STATUS)
    _enumeration(status, CODELIST_OF[OBS_STATUS])
    relationship = _el(status, STRUCTURE, "AttributeRelationship")
    measure_ref = _el(relationship, STRUCTURE, "PrimaryMeasure")
    _el(measure_ref, "", "Ref", id=PRIMARY_MEASURE)

    measures_list = _el(components, STRUCTURE, "MeasureList", id="MeasureDescriptor")
    primary = _el(measures_list, STRUCTURE, "PrimaryMeasure", id=PRIMARY_MEASURE)
    _concept_ref(primary, PRIMARY_MEASURE)
    _text_format(primary, "Decimal")


def structure_message(prepared: dt.datetime | None = None) -> bytes:
    """The SDMX-ML 2.1 Structure message an SDMX consumer needs to read :func:`data_csv`: the
    dataflow, its data structure, the concepts and the codelists with every code the data can
    use (so a new province, country group or catalogue item appears without a code change)."""
    prepared = prepared or timezone.now()
    root = ET.Element(f"{{{MESSAGE}}}Structure")
    header = _el(root, MESSAGE, "Header")
    _el(header, MESSAGE, "ID", "SOMS_SERVICE_OUTSOURCING_STRUCTURE")
    _el(header, MESSAGE, "Test", "false")
    _el(header, MESSAGE, "Prepared", prepared.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    _el(header, MESSAGE, "Sender", id=AGENCY)
    structures = _el(root, MESSAGE, "Structures")

    # The order of these containers is the schema's (Dataflows, Codelists, Concepts, DSDs).
    dataflows = _el(structures, STRUCTURE, "Dataflows")
    dataflow = _maintainable(
        dataflows, "Dataflow", DATAFLOW_ID, _translated(_("Service outsourcing statistics"))
    )
    structure = _el(dataflow, STRUCTURE, "Structure")
    _el(
        structure,
        "",
        "Ref",
        id=DSD_ID,
        agencyID=AGENCY,
        version=VERSION,
        package="datastructure",
        **{"class": "DataStructure"},
    )

    codelists_element = _el(structures, STRUCTURE, "Codelists")
    for codelist in codelists():
        element = _maintainable(codelists_element, "Codelist", codelist.id, codelist.name)
        for code, names in codelist.codes:
            _names(_el(element, STRUCTURE, "Code", id=code), names or {"en": code})

    concepts = _el(structures, STRUCTURE, "Concepts")
    scheme = _maintainable(
        concepts,
        "ConceptScheme",
        CONCEPT_SCHEME_ID,
        _translated(_("Concepts of service outsourcing statistics")),
    )
    for concept, label in CONCEPTS.items():
        _names(_el(scheme, STRUCTURE, "Concept", id=concept), _translated(label))

    _data_structure(_el(structures, STRUCTURE, "DataStructures"))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# --- Data -----------------------------------------------------------------------------------


def _unit(series: Series) -> str:
    if series.money:
        return series.currency
    if series.measure.startswith(("employees", "new_hires")):
        return "PS"
    if series.measure == "contract_count":
        return "NUM"
    return "ENT"


def _breakdown(dimension: str, key: str) -> tuple[str, str]:
    """The SDMX dimension and code of a row of a table broken down by ``dimension``."""
    if dimension == "demonstration_city":
        return BREAKDOWN[dimension], DEMONSTRATION_CODES[key]
    return BREAKDOWN[dimension], key


def expressible(table: Table) -> bool:
    """Whether the data structure can tell this table's cells from every other table's: its
    rows must break down a dimension the structure has, and a restriction (demonstration
    cities only) must be one value of such a dimension. Otherwise its total would pass for the
    national one, so a table added later with, say, rows by ownership is left out of the data
    until the structure has a dimension for it."""
    if table.dimension != "month" and table.dimension not in BREAKDOWN:
        return False
    return all(dim in BREAKDOWN and len(values) == 1 for dim, values in table.where.items())


def series_key(table: Table, series: Series, key: str, month: dt.date) -> tuple[str, ...]:
    """The observation a cell is: its dimensions in the order of :data:`DIMENSIONS`, then the
    time period. A month row of the national table is that month's figure; every other cell is
    the year to date at the release month, which is what the ``_YTD`` measures say. A table
    restricted to a value of a dimension (demonstration cities) keeps that value in its
    total, so its total is not mistaken for the national one. Only for an
    :func:`expressible` table."""
    coordinates = dict(DEFAULTS)
    for dimension, values in table.where.items():
        target, code = _breakdown(dimension, next(iter(values)))
        coordinates[target] = code
    monthly = table.dimension == "month" and bool(key)
    if key and not monthly:
        target, code = _breakdown(table.dimension, key)
        coordinates[target] = code
    return (
        "M",
        coordinates["REF_AREA"],
        coordinates["COUNTERPART_AREA"],
        coordinates["SERVICE_CATEGORY"],
        FLOW_CODES[series.flow],
        series.measure.upper() + ("" if monthly else YTD),
        _unit(series),
        key if monthly else f"{month:%Y-%m}",
    )


def _plain(value: Decimal) -> str:
    """A decimal without exponent or needless trailing zeros (700000, 1234.5)."""
    return format(value.normalize(), "f")


def observations(figures: Figures) -> dict[tuple[str, ...], Cell]:
    """One cell per observation. A total repeated by several tables is one observation; if
    the copies disagree on suppression (a row suppressed in one table to protect its
    neighbours, the same figure a total in another), the observation is suppressed, so the
    data never discloses what one of the tables withholds."""
    tables = {table.code: table for table in TABLES if expressible(table)}
    out: dict[tuple[str, ...], Cell] = {}
    for (table_code, series_code, key), cell in sorted(figures.cells.items()):
        table = tables.get(table_code)
        series = next((s for s in table.series if s.code == series_code), None) if table else None
        if table is None or series is None:
            # Not declared (any more), or not expressible: no observation can say what it is.
            continue
        if cell.value is None and cell.flag != "C":
            continue  # no figure to give
        obs = series_key(table, series, key, figures.month)
        if obs not in out or cell.flag == "C":
            out[obs] = cell
    return out


def data_csv(figures: Figures) -> str:
    """The figures as SDMX-CSV 1.0 for :data:`DATAFLOW`: one row per observation, in the order
    of their keys, values in full units (yuan, dollars, persons) as the figures hold them."""
    status = "P" if figures.provisional else "A"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for obs, cell in sorted(observations(figures).items()):
        if cell.flag == "C" or cell.value is None:
            writer.writerow((DATAFLOW, *obs, "", "C"))
        else:
            writer.writerow((DATAFLOW, *obs, _plain(cell.value), status))
    return buffer.getvalue()
