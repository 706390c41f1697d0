"""Scores and rankings of an evaluation by mean normalisation (均值法无量纲化): pure functions over
the tree and the values, no database.

For each leaf, the mean is taken over the evaluated cities that have a usable value. A city's
points on the leaf are its value divided by the mean (the mean divided by its value where lower
is better), times the leaf's weight; so a city at the mean scores the weight, and the average
city scores the total weight (100). A city without a usable value scores 0 on the leaf and the
leaf is flagged. A lower-is-better value must be above zero (nothing can be divided by it
otherwise). When every usable value of a higher-is-better leaf is zero, the leaf tells no city
from another: every city with a value is at the mean and scores the weight. A round may limit a
leaf's points to a multiple of its weight (the mean stays the mean of the values).

Bonus items are leaves outside the 100: a city's points are its value, up to the weight. A
city's score is its points on the leaves plus its bonus points. Cities are ranked on the score
as shown (two decimals), ties sharing a rank, nationally, within their region group, and among
their own kind (demonstration or candidate cities); candidates are ranked beside the designated
cities in the national and group rankings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Node:
    """An indicator: ``key`` its code, ``parent`` its parent's code (None at the first level)."""

    key: str
    parent: str | None
    weight: Decimal
    lower_is_better: bool = False
    bonus: bool = False


@dataclass(frozen=True)
class Entrant:
    """A city evaluated: ``group`` its region group; ``candidate`` whether it applies."""

    key: str
    group: str
    candidate: bool = False


@dataclass
class CityScore:
    key: str
    group: str
    candidate: bool
    points: dict[str, Decimal] = field(default_factory=dict)  # every node, bonus items too
    missing: list[str] = field(default_factory=list)  # leaves without a usable value
    base: Decimal = ZERO
    bonus: Decimal = ZERO
    rank: int = 0
    group_rank: int = 0
    kind_rank: int = 0

    @property
    def total(self) -> Decimal:
        return self.base + self.bonus

    @property
    def shown(self) -> Decimal:
        return shown(self.total)


@dataclass
class Scores:
    cities: list[CityScore]  # in national rank order
    means: dict[str, Decimal | None]  # each scored leaf's mean (None: no city has a value)
    averages: dict[str, Decimal]  # each node's average points over the cities

    def by_key(self) -> dict[str, CityScore]:
        return {city.key: city for city in self.cities}

    def in_group(self, group: str) -> list[CityScore]:
        return [city for city in self.cities if city.group == group]

    @property
    def average_total(self) -> Decimal:
        if not self.cities:
            return ZERO
        return sum((c.total for c in self.cities), ZERO) / len(self.cities)


def shown(value: Decimal) -> Decimal:
    """A score as shown and ranked: half-up to two decimals."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def leaves(nodes: Iterable[Node]) -> list[Node]:
    nodes = list(nodes)
    parents = {n.parent for n in nodes}
    return [n for n in nodes if n.key not in parents]


def usable(value: Decimal | None, lower_is_better: bool) -> bool:
    if value is None or value < 0:
        return False
    return value > 0 if lower_is_better else True


def leaf_points(
    node: Node, value: Decimal | None, mean: Decimal | None, cap: Decimal | None = None
) -> Decimal | None:
    """The points of one value on one leaf (at most ``cap`` times its weight when the round
    sets a limit); None when the value is not usable."""
    if node.bonus:
        return min(max(value or ZERO, ZERO), node.weight)
    if mean is None or not usable(value, node.lower_is_better):
        return None
    assert value is not None
    if node.lower_is_better:
        points = node.weight * mean / value
    elif mean == 0:
        points = node.weight  # every value is zero: every city is at the mean
    else:
        points = node.weight * value / mean
    return points if cap is None else min(points, cap * node.weight)


def leaf_means(
    nodes: Iterable[Node],
    entrants: Iterable[Entrant],
    values: Mapping[tuple[str, str], Decimal | None],
) -> dict[str, Decimal | None]:
    entrants = list(entrants)
    means: dict[str, Decimal | None] = {}
    for node in leaves(nodes):
        if node.bonus:
            continue
        present: list[Decimal] = []
        for e in entrants:
            value = values.get((e.key, node.key))
            if value is not None and usable(value, node.lower_is_better):
                present.append(value)
        means[node.key] = sum(present, ZERO) / len(present) if present else None
    return means


def _ancestors(nodes: dict[str, Node], key: str) -> Iterable[str]:
    parent = nodes[key].parent
    while parent is not None:
        yield parent
        parent = nodes[parent].parent


def _rank(cities: list[CityScore], attribute: str) -> None:
    """Competition ranking (1, 2, 2, 4) on the shown score; ``cities`` in score order."""
    previous: Decimal | None = None
    rank = 0
    for position, city in enumerate(cities, start=1):
        if city.shown != previous:
            rank, previous = position, city.shown
        setattr(city, attribute, rank)


def score(
    nodes: Iterable[Node],
    entrants: Iterable[Entrant],
    values: Mapping[tuple[str, str], Decimal | None],
    cap: Decimal | None = None,
) -> Scores:
    """Every city's points per node, its score and its ranks. ``values`` maps (city, leaf) to
    the value; a pair that is absent is a missing value. ``cap``: the most points a leaf gives,
    as a multiple of its weight (None: no limit)."""
    nodes = list(nodes)
    entrants = list(entrants)
    by_key = {n.key: n for n in nodes}
    means = leaf_means(nodes, entrants, values)
    cities = []
    for entrant in entrants:
        city = CityScore(entrant.key, entrant.group, entrant.candidate)
        city.points = {n.key: ZERO for n in nodes}
        for node in leaves(nodes):
            value = values.get((entrant.key, node.key))
            points = leaf_points(node, value, means.get(node.key), cap)
            if points is None:
                city.missing.append(node.key)
                continue
            city.points[node.key] = points
            for ancestor in _ancestors(by_key, node.key):
                city.points[ancestor] += points
            if node.bonus:
                city.bonus += points
            else:
                city.base += points
        cities.append(city)
    cities.sort(key=lambda c: (-c.shown, c.key))
    _rank(cities, "rank")
    groups: dict[str, list[CityScore]] = defaultdict(list)
    kinds: dict[bool, list[CityScore]] = defaultdict(list)
    for city in cities:
        groups[city.group].append(city)
        kinds[city.candidate].append(city)
    for members in groups.values():
        _rank(members, "group_rank")
    for members in kinds.values():
        _rank(members, "kind_rank")
    averages = {
        n.key: (sum((c.points[n.key] for c in cities), ZERO) / len(cities) if cities else ZERO)
        for n in nodes
    }
    return Scores(cities, means, averages)
