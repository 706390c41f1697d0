"""A round's results read from the database and scored by :mod:`soms.evaluation.scoring`: what
the ranking page, the report and its XLSX and PDF show.

A city's own submitted values count once the ministry has approved its submission; computed
and external values count as they stand (a round's values are final once it is closed).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from soms.evaluation.choices import CityKind, Direction, RegionGroup, Source, SubmissionStatus
from soms.evaluation.models import EvaluatedCity, EvaluationRound, Indicator, IndicatorValue
from soms.evaluation.scoring import CityScore, Entrant, Node, Scores, score, shown
from soms.evaluation.tree import tree_order


@dataclass
class Line:
    """One city's line of the results."""

    city: EvaluatedCity
    score: CityScore
    columns: list[Decimal]  # the points of each first-level indicator, in the tree's order

    @property
    def is_candidate(self) -> bool:
        return self.city.kind == CityKind.CANDIDATE


@dataclass
class Profile:
    """A first-level indicator (or a bonus item) of one city: its points, the mean of the
    cities' points, and its points against the average city's (a city at the mean of every
    leaf scores the weight)."""

    indicator: Indicator
    points: Decimal
    mean: Decimal

    @property
    def ratio(self) -> Decimal:
        """The city's points as a percentage of the average city's (100: as the average)."""
        return shown(self.points / self.indicator.weight * 100)


class Results:
    def __init__(self, evaluation_round: EvaluationRound) -> None:
        self.round = evaluation_round
        self.indicators = tree_order(
            list(Indicator.objects.filter(evaluation_round=evaluation_round))
        )
        self.by_code = {i.code: i for i in self.indicators}
        self.cities = {
            c.division_id: c
            for c in EvaluatedCity.objects.filter(evaluation_round=evaluation_round)
            .select_related("division", "submission")
            .order_by("division_id")
        }
        parents = {i.parent_id for i in self.indicators}
        self.leaves = [i for i in self.indicators if i.pk not in parents]
        self.first_level = [i for i in self.indicators if i.parent_id is None]
        self.values: dict[tuple[str, str], Decimal | None] = {}
        self.pending: set[str] = set()  # cities whose own values do not count (not approved)
        for city in self.cities.values():
            if city.submission.status != SubmissionStatus.APPROVED:
                self.pending.add(city.division_id)
        for division, code, source, value in IndicatorValue.objects.filter(
            city__evaluation_round=evaluation_round
        ).values_list("city__division_id", "indicator__code", "indicator__source", "value"):
            if source == Source.SUBMITTED and division in self.pending:
                continue
            self.values[(division, code)] = value

    @cached_property
    def scores(self) -> Scores:
        nodes = [
            Node(
                key=i.code,
                parent=self.by_pk[i.parent_id].code if i.parent_id else None,
                weight=i.weight,
                lower_is_better=i.direction == Direction.LOWER,
                bonus=i.is_bonus,
            )
            for i in self.indicators
        ]
        entrants = [
            Entrant(c.division_id, c.region_group, c.kind == CityKind.CANDIDATE)
            for c in self.cities.values()
        ]
        return score(nodes, entrants, self.values, self.round.cap)

    @cached_property
    def by_pk(self) -> dict[int, Indicator]:
        return {i.pk: i for i in self.indicators}

    @cached_property
    def lines(self) -> list[Line]:
        return [
            Line(self.cities[s.key], s, [s.points[i.code] for i in self.first_level])
            for s in self.scores.cities
        ]

    def group_lines(self) -> list[tuple[str, str, list[Line]]]:
        """Per region group (east; central and west; northeast): its value, label and lines."""
        out = []
        for group in RegionGroup:
            members = [line for line in self.lines if line.score.group == group.value]
            out.append((group.value, str(group.label), members))
        return out

    def kind_lines(self, kind: str) -> list[Line]:
        return [line for line in self.lines if line.city.kind == kind]

    def average_of(self, kind: str) -> Decimal | None:
        members = self.kind_lines(kind)
        if not members:
            return None
        return shown(sum((m.score.total for m in members), Decimal(0)) / len(members))

    @property
    def average_of_designated(self) -> Decimal | None:
        return self.average_of(CityKind.DESIGNATED)

    @property
    def average_of_candidates(self) -> Decimal | None:
        return self.average_of(CityKind.CANDIDATE)

    def profile(self, line: Line) -> list[Profile]:
        return [
            Profile(i, line.score.points[i.code], self.scores.averages[i.code])
            for i in self.first_level
        ]

    def missing_names(self, line: Line) -> list[str]:
        return [f"{code} {self.by_code[code].name}" for code in line.score.missing]

    def value_rows(self) -> list[tuple[Line, list[Decimal | None]]]:
        """Each city's value of every leaf (the ministry's view of the report)."""
        return [
            (line, [self.values.get((line.city.division_id, leaf.code)) for leaf in self.leaves])
            for line in self.lines
        ]

    @property
    def flagged(self) -> int:
        """Cities with at least one leaf scored 0 for want of a value."""
        return sum(1 for line in self.lines if line.score.missing)
