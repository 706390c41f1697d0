"""The rules an indicator tree must satisfy before a round opens, checked over plain items so the
editor can show every problem at once and the services can refuse with the first.

- at most three levels;
- the first-level weights (bonus items apart) add up to 100;
- the weights of a node's children add up to the node's weight;
- a bonus item is a first-level leaf (it is points on top of the 100, not part of a level);
- a leaf computed from the system's data names a declared formula.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from soms.core.errors import ServiceError
from soms.evaluation.choices import Source
from soms.evaluation.formulas import FORMULAS
from soms.evaluation.models import MAX_LEVEL, Indicator

TOTAL = Decimal(100)


@dataclass(frozen=True)
class Item:
    code: str
    parent: str | None
    level: int
    weight: Decimal
    is_bonus: bool = False
    source: str = Source.SUBMITTED
    formula: str = ""


def items_of(indicators: Iterable[object]) -> list[Item]:
    """Items from Indicator rows (their parents fetched with them)."""
    out = []
    for i in indicators:
        parent = getattr(i, "parent", None)
        out.append(
            Item(
                code=i.code,  # type: ignore[attr-defined]
                parent=parent.code if parent is not None else None,
                level=i.level,  # type: ignore[attr-defined]
                weight=i.weight,  # type: ignore[attr-defined]
                is_bonus=i.is_bonus,  # type: ignore[attr-defined]
                source=i.source,  # type: ignore[attr-defined]
                formula=i.formula,  # type: ignore[attr-defined]
            )
        )
    return out


def _plain(number: Decimal) -> str:
    """40.00 as "40", 12.50 as "12.5"."""
    return f"{number.normalize():f}"


def problems(items: Iterable[Item]) -> list[ServiceError]:
    """Every rule the tree breaks, in the order of the codes (an empty list: it is sound)."""
    items = sorted(items, key=lambda i: i.code)
    children: dict[str | None, list[Item]] = defaultdict(list)
    for item in items:
        children[item.parent].append(item)
    out: list[ServiceError] = []
    scored = [i for i in children[None] if not i.is_bonus]
    if not scored:
        out.append(ServiceError(_("The tree has no indicator yet."), code="tree_empty"))
    else:
        total = sum((i.weight for i in scored), Decimal(0))
        if total != TOTAL:
            out.append(
                ServiceError(
                    _("The first-level weights add up to %(total)s, not 100."),
                    code="tree_total",
                    field="weight",
                    params={"total": _plain(total)},
                )
            )
    for item in items:
        below = children.get(item.code, [])
        if item.level > MAX_LEVEL:
            out.append(
                ServiceError(
                    _("%(code)s is below the third level: a tree has at most three levels."),
                    code="tree_depth",
                    field="parent",
                    params={"code": item.code},
                )
            )
        if item.is_bonus and (item.parent is not None or below):
            out.append(
                ServiceError(
                    _("%(code)s: a bonus item is a first-level indicator without sub-indicators."),
                    code="tree_bonus",
                    field="is_bonus",
                    params={"code": item.code},
                )
            )
        if below:
            total = sum((c.weight for c in below), Decimal(0))
            if total != item.weight:
                out.append(
                    ServiceError(
                        _(
                            "The weights under %(code)s add up to %(total)s, not to its "
                            "weight %(weight)s."
                        ),
                        code="tree_children",
                        field="weight",
                        params={
                            "code": item.code,
                            "total": _plain(total),
                            "weight": _plain(item.weight),
                        },
                    )
                )
        elif item.source == Source.COMPUTED and item.formula not in FORMULAS:
            out.append(
                ServiceError(
                    _("%(code)s is computed from the system's data but names no formula."),
                    code="tree_formula",
                    field="formula",
                    params={"code": item.code},
                )
            )
    return out


def tree_order(indicators: list[Indicator]) -> list[Indicator]:
    """Depth first, each level by position: 1, 1.1, 1.1.1, 1.2, 2 …, bonus items last."""
    children: dict[int | None, list[Indicator]] = defaultdict(list)
    for i in indicators:
        children[i.parent_id].append(i)
    for siblings in children.values():
        siblings.sort(key=lambda i: (i.is_bonus, i.position, i.code))
    out: list[Indicator] = []

    def walk(parent: int | None) -> None:
        for i in children.get(parent, []):
            out.append(i)
            walk(i.pk)

    walk(None)
    return out
