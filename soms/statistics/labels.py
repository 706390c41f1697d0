"""Names of measures and dimensions as pages and spreadsheets show them, their units, and the
disclosure rule's thresholds as the pages state them."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from soms.statistics.disclosure import DOMINANCE, MIN_CONTRIBUTORS
from soms.statistics.engine import MONEY_MEASURES

MEASURE_LABELS: dict[str, Promise] = {
    "contract_value": _("Contract value"),
    "contract_count": _("Number of contracts"),
    "execution_value": _("Execution value"),
    "outbound_contract_value": _("Outbound contract value"),
    "outbound_execution_value": _("Outbound execution value"),
    "enterprises_registered": _("Registered enterprises"),
    "enterprises_active": _("Active enterprises"),
    "employees": _("Employees"),
    "employees_college": _("Employees with college education"),
    "new_hires": _("New hires"),
    "new_hires_college": _("New hires with college education"),
}

DIMENSION_LABELS: dict[str, Promise] = {
    "province": _("Province"),
    "city": _("City"),
    "district": _("District or county"),
    "nbs_region": _("NBS region"),
    "demonstration_city": _("Demonstration city"),
    "ownership": _("Ownership"),
    "month": _("Month"),
    "category_l1": _("Business type (ITO, BPO, KPO)"),
    "category": _("Business category"),
    "flow": _("Flow (offshore, onshore)"),
    "counterpart_country": _("Counterpart country or region"),
    "counterpart_group": _("Counterpart group"),
}

FLOW_LABELS: dict[str, Promise] = {"offshore": _("offshore"), "onshore": _("onshore")}


def is_amount(measure: str) -> bool:
    """Whether the measure is an amount of money (else a count)."""
    return measure in MONEY_MEASURES and MONEY_MEASURES[measure][2] == "value"


def unit_label(measure: str, currency: str) -> str:
    if is_amount(measure):
        return str(_("US dollars (US$)") if currency == "USD" else _("yuan (元)"))
    if measure == "contract_count":
        return str(_("contracts"))
    if measure.startswith("enterprises"):
        return str(_("enterprises"))
    return str(_("persons"))


def measure_label(measure: str) -> str:
    return str(MEASURE_LABELS.get(measure, measure))


def dimension_label(dimension: str) -> str:
    return str(DIMENSION_LABELS.get(dimension, dimension))


def disclosure_rule() -> dict[str, str]:
    """The thresholds of primary suppression, to state the rule where figures are shown."""
    return {"count": str(MIN_CONTRIBUTORS), "share": f"{DOMINANCE * 100:.0f}%"}
