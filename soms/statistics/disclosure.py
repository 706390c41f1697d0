"""Disclosure control for public outputs (statistics-rules.md, "Publication and confidentiality").

Primary suppression hides a cell that fewer than 3 distinct enterprises contribute to, or that
one enterprise dominates with more than 85% of its value. Secondary suppression then hides more
cells so that no hidden value can be recovered by subtraction: a table's cells that differ in one
dimension only add up to a total that can be published elsewhere (the same query with that
dimension left out), so in every such line of cells either none or at least two are hidden.
When one line would have a single hidden cell, the smallest visible cell of that line is hidden
too — preferring cells that are not alone in their line along another dimension, whose value
that line's published total would give away; this repeats until every line is safe.
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

    def contributors(self) -> tuple[int, Decimal, Decimal]:
        """(enterprises with a part other than zero, sum of |part|, largest |part|)."""
        ...


def primary(cell: CellLike) -> bool:
    count, size, largest = cell.contributors()
    if count < MIN_CONTRIBUTORS:
        return True
    return size > 0 and largest > DOMINANCE * size


def suppress(cells: Mapping[tuple[str, ...], CellLike]) -> set[tuple[str, ...]]:
    hidden = {key for key, cell in cells.items() if primary(cell)}
    if not cells:
        return hidden
    width = len(next(iter(cells)))
    lines_by_dim: list[dict[tuple[str, ...], list[tuple[str, ...]]]] = []
    for dim in range(width):
        lines: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
        for key in cells:
            lines[key[:dim] + key[dim + 1 :]].append(key)
        lines_by_dim.append(lines)
    # A cell alone in its line along a dimension equals that line's total, which the query
    # without the dimension publishes: hidden as a complement, it would be recovered at once
    # (and with it the cell it protects). Such cells are complements of last resort.
    alone = {
        members[0]
        for lines in lines_by_dim
        for members in lines.values()
        if len(members) == 1 and width > 1
    }
    changed = True
    while changed:
        changed = False
        for lines in lines_by_dim:
            for members in lines.values():
                hidden_here = [k for k in members if k in hidden]
                if len(hidden_here) != 1:
                    continue
                visible = [k for k in members if k not in hidden]
                if not visible:
                    continue
                # The line's total is public elsewhere: hide the smallest visible cell too.
                smallest = min(visible, key=lambda k: (k in alone, abs(cells[k].total), k))
                hidden.add(smallest)
                changed = True
    return hidden
