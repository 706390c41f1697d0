"""Disclosure control for public outputs (statistics-rules.md, "Publication and confidentiality").

Primary suppression hides a cell that fewer than 3 distinct enterprises contribute to, or that
one enterprise dominates with more than 85% of its value. Secondary suppression then hides more
cells so that no hidden value can be recovered by subtraction: a table's cells that differ in one
dimension only add up to a total that can be published elsewhere (the same query with that
dimension left out), so in every such line of cells either none or at least two are hidden.
When one line would have a single hidden cell, the smallest visible cell of that line is hidden
too; this repeats until every line is safe.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Protocol

MIN_CONTRIBUTORS = 3
DOMINANCE = Decimal("0.85")


class CellLike(Protocol):
    total: Decimal
    parts: dict[int, Decimal]


def primary(cell: CellLike) -> bool:
    contributors = [v for v in cell.parts.values() if v != 0]
    if len(contributors) < MIN_CONTRIBUTORS:
        return True
    total = sum((abs(v) for v in contributors), Decimal(0))
    return total > 0 and max(abs(v) for v in contributors) > DOMINANCE * total


def suppress(cells: Mapping[tuple[str, ...], CellLike]) -> set[tuple[str, ...]]:
    hidden = {key for key, cell in cells.items() if primary(cell)}
    if not cells:
        return hidden
    width = len(next(iter(cells)))
    changed = True
    while changed:
        changed = False
        for dim in range(width):
            lines: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
            for key in cells:
                lines[key[:dim] + key[dim + 1 :]].append(key)
            for members in lines.values():
                hidden_here = [k for k in members if k in hidden]
                if len(hidden_here) != 1:
                    continue
                visible = [k for k in members if k not in hidden]
                if not visible:
                    continue
                # The line's total is public elsewhere: hide the smallest visible cell too.
                smallest = min(visible, key=lambda k: (abs(cells[k].total), k))
                hidden.add(smallest)
                changed = True
    return hidden
