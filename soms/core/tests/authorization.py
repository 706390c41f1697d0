"""Who is who in the authorization matrix: the enterprises of the world, where each is
registered, and the actors, with the enterprises each one sees.

What each actor sees follows from geography and the role alone (PRODUCT.md: "an enterprise sees
only itself, a department only its jurisdiction"), not from the code under test: Pudong and Xuhui
are districts of the municipality Shanghai; Gusu is a district of Suzhou and Gulou of Nanjing, both
in Jiangsu. A registration awaiting review is seen by the departments above its district, never by
another enterprise.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    district: str
    marker: str  # written into every text field of the enterprise's objects
    registered: bool = True
    scenery: bool = False  # only approved records: no drafts, certifications or extensions


ENTERPRISES: dict[str, Place] = {
    "pudong": Place("310115", "QXALPHA"),  # 上海市浦东新区
    "xuhui": Place("310104", "QXBRAVO", scenery=True),  # 上海市徐汇区
    "gusu": Place("320508", "QXCHARLIE"),  # 江苏省苏州市姑苏区
    "gulou": Place("320106", "QXDELTA", scenery=True),  # 江苏省南京市鼓楼区
    "pending": Place("310115", "QXECHO", registered=False),  # a registration awaiting review
}
EVERY = frozenset(ENTERPRISES)


@dataclass(frozen=True)
class Actor:
    name: str
    role: str | None  # None: an anonymous visitor
    division: str | None = None
    enterprise: str | None = None  # the key of an enterprise user's enterprise
    staff: bool = False  # the Django admin site
    sees: frozenset[str] = frozenset()

    @property
    def government(self) -> bool:
        return self.role is not None and self.enterprise is None


def _actor(
    name: str, role: str | None, sees: set[str] | frozenset[str] = frozenset(), **kwargs: object
) -> tuple[str, Actor]:
    return name, Actor(name, role, sees=frozenset(sees), **kwargs)  # type: ignore[arg-type]


ACTORS: dict[str, Actor] = dict(
    [
        _actor("anonymous", None),
        _actor("enterprise_admin", "enterprise_admin", {"pudong"}, enterprise="pudong"),
        _actor("enterprise_filer", "enterprise_filer", {"pudong"}, enterprise="pudong"),
        _actor("district_reviewer", "district_reviewer", {"pudong", "pending"}, division="310115"),
        _actor("district_reviewer_away", "district_reviewer", {"gusu"}, division="320508"),
        _actor("city_reviewer", "city_reviewer", {"pudong", "xuhui", "pending"}, division="310000"),
        _actor("province_reviewer", "province_reviewer", {"gusu", "gulou"}, division="320000"),
        _actor("ministry_statistician", "ministry_statistician", EVERY),
        _actor("ministry_admin", "ministry_admin", EVERY, staff=True),
        # 苏州市's evaluator: the city's evaluation forms, no enterprise data.
        _actor("city_evaluator", "city_evaluator", division="320500"),
    ]
)
