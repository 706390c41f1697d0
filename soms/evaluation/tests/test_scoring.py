"""Scores and rankings against an independent recomputation: the rule of the method written
again here in plain Python over fractions (each leaf's value over the mean of the cities that
have one, the mean over the value where lower is better, times the weight; bonus points up to
the item's weight on top; a missing value scores 0), never calling the scoring code."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from soms.evaluation.scoring import Entrant, Node, score

# A tree of three levels: 1 (60) → 1.1 (35) → 1.1.1 (20), 1.1.2 (15); 1 → 1.2 (25, lower is
# better); 2 (40) → 2.1 (40); bonus B1 (5).
TREE = {
    "1": (None, 60, False, False),
    "1.1": ("1", 35, False, False),
    "1.1.1": ("1.1", 20, False, False),
    "1.1.2": ("1.1", 15, False, False),
    "1.2": ("1", 25, True, False),
    "2": (None, 40, False, False),
    "2.1": ("2", 40, False, False),
    "B1": (None, 5, False, True),
}
CITIES = {"A": "east", "B": "east", "C": "central_west", "D": "northeast", "E": "central_west"}
CANDIDATES = {"E"}
VALUES = {
    ("A", "1.1.1"): "120",
    ("B", "1.1.1"): "80",
    ("C", "1.1.1"): "40",
    ("D", "1.1.1"): "100",
    ("E", "1.1.1"): "60",
    ("A", "1.1.2"): "3.5",
    ("B", "1.1.2"): "7.25",
    ("C", "1.1.2"): "5",
    ("D", "1.1.2"): "1",
    # E has no 1.1.2: it scores 0 there, and the mean is over A–D.
    ("A", "1.2"): "180",  # rent: lower is better
    ("B", "1.2"): "120",
    ("C", "1.2"): "60",
    ("D", "1.2"): "90",
    ("E", "1.2"): "45",
    ("A", "2.1"): "10",
    ("B", "2.1"): "30",
    ("C", "2.1"): "20",
    ("D", "2.1"): "5",
    ("E", "2.1"): "15",
    ("A", "B1"): "2",
    ("C", "B1"): "9",  # above the item's 5 points: counts 5
}


def nodes(tree: dict[str, tuple[str | None, int, bool, bool]]) -> list[Node]:
    return [
        Node(key, parent, Decimal(weight), lower, bonus)
        for key, (parent, weight, lower, bonus) in tree.items()
    ]


def entrants() -> list[Entrant]:
    return [Entrant(key, group, key in CANDIDATES) for key, group in CITIES.items()]


def decimal_values(values: dict[tuple[str, str], str]) -> dict[tuple[str, str], Decimal]:
    return {key: Decimal(v) for key, v in values.items()}


def recompute(
    tree: dict[str, tuple[str | None, int, bool, bool]],
    values: dict[tuple[str, str], str],
) -> dict[str, Fraction]:
    """Each city's total, from the rule."""
    parents = {parent for parent, *_rest in tree.values()}
    totals = {city: Fraction(0) for city in CITIES}
    for leaf, (_parent, weight, lower, bonus) in tree.items():
        if leaf in parents:
            continue
        have = {c: Fraction(values[(c, leaf)]) for c in CITIES if (c, leaf) in values}
        if bonus:
            for city, value in have.items():
                totals[city] += min(value, Fraction(weight))
            continue
        mean = sum(have.values(), Fraction(0)) / len(have)
        for city, value in have.items():
            totals[city] += weight * (mean / value if lower else value / mean)
    return totals


def ranks(totals: dict[str, Fraction], members: list[str]) -> dict[str, int]:
    ordered = sorted(members, key=lambda c: -totals[c])
    return {city: n for n, city in enumerate(ordered, start=1)}


def test_scores_and_ranks_match_an_independent_recomputation() -> None:
    result = score(nodes(TREE), entrants(), decimal_values(VALUES))
    expected = recompute(TREE, VALUES)
    got = result.by_key()

    for city, total in expected.items():
        assert abs(Fraction(got[city].total) - total) < Fraction(1, 10**12), city
    # The totals differ enough for the order not to depend on rounding.
    assert [c.key for c in result.cities] == sorted(CITIES, key=lambda c: -expected[c])
    national = ranks(expected, list(CITIES))
    assert {c.key: c.rank for c in result.cities} == national
    for group in set(CITIES.values()):
        members = [c for c, g in CITIES.items() if g == group]
        assert {c.key: c.group_rank for c in result.in_group(group)} == ranks(expected, members)
    designated = [c for c in CITIES if c not in CANDIDATES]
    assert {c: got[c].kind_rank for c in designated} == ranks(expected, designated)
    assert got["E"].kind_rank == 1  # the only candidate, ranked beside the others nationally
    assert got["E"].rank == national["E"]


def test_lower_is_better_divides_the_mean_by_the_value() -> None:
    result = score(nodes(TREE), entrants(), decimal_values(VALUES)).by_key()
    rents = [180, 120, 60, 90, 45]
    mean = Fraction(sum(rents), len(rents))
    for city, rent in zip("ABCDE", rents, strict=True):
        assert Fraction(result[city].points["1.2"]) == pytest.approx(25 * mean / rent)
    # The cheapest city gets the most points, the dearest the least.
    assert result["E"].points["1.2"] > result["C"].points["1.2"] > result["A"].points["1.2"]


def test_bonus_points_are_added_up_to_the_items_weight_and_outside_the_100() -> None:
    result = score(nodes(TREE), entrants(), decimal_values(VALUES)).by_key()
    assert result["A"].bonus == Decimal(2)
    assert result["C"].bonus == Decimal(5)  # 9 claimed, 5 at most
    assert result["B"].bonus == 0 and "B1" not in result["B"].missing
    without = score(
        nodes(TREE),
        entrants(),
        decimal_values({k: v for k, v in VALUES.items() if k[1] != "B1"}),
    ).by_key()
    for city in CITIES:
        assert result[city].total - without[city].total == result[city].bonus
        assert result[city].base == without[city].base


def test_a_missing_value_scores_zero_and_is_flagged() -> None:
    result = score(nodes(TREE), entrants(), decimal_values(VALUES)).by_key()
    assert result["E"].missing == ["1.1.2"]
    assert result["E"].points["1.1.2"] == 0
    assert all(not result[c].missing for c in "ABCD")
    # The mean is over the four cities with a value.
    mean = Fraction(Decimal("3.5") + Decimal("7.25") + 5 + 1) / 4
    assert Fraction(result["B"].points["1.1.2"]) == pytest.approx(15 * Fraction("7.25") / mean)


def test_a_city_at_the_mean_of_every_indicator_scores_the_total_weight() -> None:
    """The average city: a city whose every value is the mean of the others' (so the mean does
    not move when it joins) scores each leaf's weight, 100 in all."""
    complete = {**VALUES, ("E", "1.1.2"): "4"}
    leaves = [k for k in TREE if k not in {p for p, *_r in TREE.values()} and k != "B1"]
    for leaf in leaves:
        have = [Decimal(complete[(c, leaf)]) for c in CITIES]
        complete[("M", leaf)] = str(sum(have) / len(have))
    result = score(
        nodes(TREE), [*entrants(), Entrant("M", "east")], decimal_values(complete)
    ).by_key()
    average = result["M"]
    assert average.total == pytest.approx(Decimal(100))
    for key, (_parent, weight, _lower, _bonus) in TREE.items():
        if key != "B1":
            assert average.points[key] == pytest.approx(Decimal(weight)), key


def test_points_of_a_higher_is_better_leaf_average_to_its_weight() -> None:
    complete = {**VALUES, ("E", "1.1.2"): "4"}
    result = score(nodes(TREE), entrants(), decimal_values(complete))
    assert result.averages["1.1.1"] == pytest.approx(Decimal(20))
    assert result.averages["2"] == pytest.approx(Decimal(40))
    # Lower is better: mean / value averages to more than 1 (the arithmetic mean is at least
    # the harmonic one), so the cities' points average to more than the weight.
    assert result.averages["1.2"] > 25
    # Subtotals are the sums of the leaves below them.
    a = result.by_key()["A"]
    assert a.points["1"] == a.points["1.1.1"] + a.points["1.1.2"] + a.points["1.2"]
    assert a.base == a.points["1"] + a.points["2"]


def test_changing_a_weight_changes_the_ranking_accordingly() -> None:
    """A leads on indicator x, B on y: the one whose strength weighs more ranks first."""
    values = {("A", "x"): "30", ("B", "x"): "10", ("A", "y"): "10", ("B", "y"): "20"}
    two = [Entrant("A", "east"), Entrant("B", "east")]

    def ranking(wx: int, wy: int) -> tuple[list[str], dict[str, Fraction]]:
        tree = {"x": (None, wx, False, False), "y": (None, wy, False, False)}
        result = score(nodes(tree), two, decimal_values(values))
        # x: mean 20 → A 1.5·wx, B 0.5·wx; y: mean 15 → A 2/3·wy, B 4/3·wy.
        expected = {
            "A": Fraction(3, 2) * wx + Fraction(2, 3) * wy,
            "B": Fraction(1, 2) * wx + Fraction(4, 3) * wy,
        }
        for city in result.cities:
            assert Fraction(city.total) == pytest.approx(expected[city.key])
        return [c.key for c in result.cities], expected

    order, expected = ranking(60, 40)
    assert order == ["A", "B"] and expected["A"] > expected["B"]
    order, expected = ranking(20, 80)
    assert order == ["B", "A"] and expected["B"] > expected["A"]


def test_ties_share_a_rank() -> None:
    values = {("A", "x"): "10", ("B", "x"): "10", ("C", "x"): "4"}
    three = [Entrant("A", "east"), Entrant("B", "east"), Entrant("C", "northeast")]
    result = score(nodes({"x": (None, 100, False, False)}), three, decimal_values(values))
    assert [(c.key, c.rank) for c in result.cities] == [("A", 1), ("B", 1), ("C", 3)]


def test_a_zero_lower_is_better_value_cannot_be_divided_by_and_counts_as_missing() -> None:
    values = {("A", "x"): "0", ("B", "x"): "50", ("C", "x"): "100"}
    three = [Entrant(k, "east") for k in "ABC"]
    result = score(nodes({"x": (None, 100, True, False)}), three, decimal_values(values)).by_key()
    assert result["A"].missing == ["x"] and result["A"].total == 0
    # mean over B and C = 75
    assert result["B"].total == Decimal(150) and result["C"].total == Decimal(75)


def test_a_leaf_where_every_city_has_zero_tells_none_apart() -> None:
    values = {("A", "x"): "0", ("B", "x"): "0", ("A", "y"): "1", ("B", "y"): "3"}
    two = [Entrant("A", "east"), Entrant("B", "east")]
    tree = {"x": (None, 50, False, False), "y": (None, 50, False, False)}
    result = score(nodes(tree), two, decimal_values(values)).by_key()
    assert result["A"].points["x"] == result["B"].points["x"] == Decimal(50)
    assert result["A"].points["y"] == Decimal(25) and result["B"].points["y"] == Decimal(75)


def test_a_round_may_limit_an_indicators_points_to_a_multiple_of_its_weight() -> None:
    """One city far above the others: without a limit it decides the ranking alone."""
    values = {("A", "x"): "100", ("B", "x"): "1", ("C", "x"): "1", ("D", "x"): "2"}
    values |= {("A", "y"): "1", ("B", "y"): "4", ("C", "y"): "3", ("D", "y"): "4"}
    four = [Entrant(k, "east") for k in "ABCD"]
    tree = {"x": (None, 50, False, False), "y": (None, 50, False, False)}
    # x: mean 26; y: mean 3.
    free = score(nodes(tree), four, decimal_values(values)).by_key()
    assert Fraction(free["A"].points["x"]) == pytest.approx(Fraction(50 * 100, 26))
    capped = score(nodes(tree), four, decimal_values(values), cap=Decimal(2))
    by_key = capped.by_key()
    assert by_key["A"].points["x"] == Decimal(100)  # 192.3 limited to twice the weight
    assert Fraction(by_key["B"].points["y"]) == pytest.approx(Fraction(50 * 4, 3))  # under it
    expected = {
        c: min(Fraction(50) * Fraction(values[(c, "x")]) / 26, Fraction(100))
        + min(Fraction(50) * Fraction(values[(c, "y")]) / 3, Fraction(100))
        for c in "ABCD"
    }
    for city in "ABCD":
        assert Fraction(by_key[city].total) == pytest.approx(expected[city])
    assert [c.key for c in capped.cities] == sorted("ABCD", key=lambda c: -expected[c])
