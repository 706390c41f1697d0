"""The business catalogue: the seeded v1, drafting a successor, concordance, publication."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings

from soms.accounts.choices import Role
from soms.audit.models import AuditEvent
from soms.core.errors import NotPermitted, ServiceError
from soms.reference.choices import CatalogueStatus
from soms.reference.models import CatalogueItem, CatalogueVersion, Concordance
from soms.reference.services import (
    draft_catalogue_version,
    publish_catalogue_version,
    remove_catalogue_item,
    save_catalogue_item,
    set_concordance,
    translate_code,
)
from soms.testing import make_user

pytestmark = pytest.mark.django_db

V2_FROM = dt.date(2026, 1, 1)


def catalogue_rows() -> list[dict[str, str]]:
    path = Path(settings.SOMS_REFERENCE_DIR) / "catalogue-v1.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def csv_leaves() -> set[str]:
    rows = catalogue_rows()
    parents = {r["parent"] for r in rows}
    return {r["code"] for r in rows if r["code"] not in parents}


@pytest.fixture
def editor():
    return make_user(Role.MINISTRY_STATISTICIAN)


@pytest.fixture
def v1():
    return CatalogueVersion.objects.get(code="v1")


@pytest.fixture
def v2(editor, v1):
    return draft_catalogue_version(
        actor=editor, predecessor=v1, code="v2", effective_from=V2_FROM, name="服务外包业务分类 v2"
    )


def leaf_codes(version: CatalogueVersion) -> set[str]:
    return set(version.items.filter(children__isnull=True).values_list("code", flat=True))


def identity(version: CatalogueVersion) -> list[tuple[str, str]]:
    return [(code, code) for code in sorted(leaf_codes(version))]


def concordance_of(version: CatalogueVersion) -> set[tuple[str, str]]:
    return set(
        Concordance.objects.filter(target__version=version).values_list(
            "source__code", "target__code"
        )
    )


# --- the seed -----------------------------------------------------------------------------------


def test_v1_is_seeded_published_with_three_top_categories_and_33_leaves(v1):
    assert v1.status == CatalogueStatus.PUBLISHED
    tops = set(v1.items.filter(parent__isnull=True).values_list("code", flat=True))
    assert tops == {"ITO", "BPO", "KPO"}
    expected_leaves = csv_leaves()
    assert len(expected_leaves) == 33
    assert leaf_codes(v1) == expected_leaves
    for item in v1.items.filter(code__in=expected_leaves):
        assert item.is_leaf
        assert item.level1_code == item.code[:3]
    software = v1.items.get(code="ITO01")
    assert software.name_zh == "软件研发服务"
    assert software.parent.code == "ITO"


@pytest.mark.parametrize(
    "day", [dt.date(2000, 1, 1), dt.date(2009, 6, 30), dt.date.today(), dt.date(2040, 12, 31)]
)
def test_v1_is_in_force_on_any_date_of_the_history(v1, day):
    assert CatalogueVersion.in_force_on(day) == v1


# --- drafting -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.MINISTRY_ADMIN, Role.MINISTRY_STATISTICIAN])
def test_ministry_editors_draft_a_new_version(role, v1):
    version = draft_catalogue_version(
        actor=make_user(role), predecessor=v1, code="v2", effective_from=V2_FROM
    )
    assert version.is_draft
    assert version.predecessor == v1


def test_a_district_reviewer_may_not_draft(v1):
    reviewer = make_user(Role.DISTRICT_REVIEWER, division="310115")
    with pytest.raises(NotPermitted):
        draft_catalogue_version(actor=reviewer, predecessor=v1, code="v2", effective_from=V2_FROM)
    assert not CatalogueVersion.objects.filter(code="v2").exists()


def test_a_draft_copies_the_tree_with_an_identity_concordance(v1, v2):
    copied = {
        (i.code, i.parent.code if i.parent else None, i.level, i.name_zh)
        for i in v2.items.select_related("parent")
    }
    original = {
        (i.code, i.parent.code if i.parent else None, i.level, i.name_zh)
        for i in v1.items.select_related("parent")
    }
    assert copied == original
    assert concordance_of(v2) == {(code, code) for code in csv_leaves()}
    # A draft is never in force, whatever its date.
    assert CatalogueVersion.in_force_on(V2_FROM + dt.timedelta(days=400)) == v1


def test_a_draft_must_come_into_force_after_its_predecessor(editor, v1):
    with pytest.raises(ServiceError) as refused:
        draft_catalogue_version(
            actor=editor, predecessor=v1, code="v2", effective_from=v1.effective_from
        )
    assert refused.value.code == "date_order"
    assert refused.value.field == "effective_from"


def test_a_version_has_one_successor_and_starts_from_a_published_version(editor, v1, v2):
    with pytest.raises(ServiceError) as refused:
        draft_catalogue_version(actor=editor, predecessor=v1, code="v2b", effective_from=V2_FROM)
    assert refused.value.code == "successor_exists"
    with pytest.raises(ServiceError) as refused:
        draft_catalogue_version(
            actor=editor, predecessor=v2, code="v3", effective_from=dt.date(2027, 1, 1)
        )
    assert refused.value.code == "predecessor_draft"


def test_a_new_top_level_category_is_refused(editor, v2):
    with pytest.raises(ServiceError) as refused:
        save_catalogue_item(actor=editor, version=v2, code="DPO", data={"name_zh": "数字流程外包"})
    assert refused.value.code == "parent_required"
    assert not v2.items.filter(code="DPO").exists()


# --- a successor: new leaf, split, publication --------------------------------------------------


def test_new_leaf_split_and_publication(editor, v1, v2):
    item = save_catalogue_item(
        actor=editor,
        version=v2,
        code="ito11",
        data={
            "parent": "ITO",
            "name_zh": "云计算服务",
            "name_en": "Cloud computing services",
            "digital": True,
        },
    )
    assert (item.code, item.level, item.parent.code, item.level1_code) == ("ITO11", 2, "ITO", "ITO")
    # ITO01 is split: what was filed under it now falls under ITO01 or ITO11.
    pairs = [*identity(v1), ("ITO01", "ITO11")]
    assert set_concordance(actor=editor, version=v2, pairs=pairs) == len(csv_leaves()) + 1

    published = publish_catalogue_version(actor=editor, version=v2)
    assert published.status == CatalogueStatus.PUBLISHED
    assert published.published_by == editor
    assert published.published_at is not None
    assert leaf_codes(published) == csv_leaves() | {"ITO11"}

    assert CatalogueVersion.in_force_on(V2_FROM - dt.timedelta(days=1)) == v1
    assert CatalogueVersion.in_force_on(V2_FROM) == published
    assert CatalogueVersion.in_force_on(dt.date(2030, 1, 1)) == published

    assert translate_code("ITO01", from_version=v1, to_version=published) == ["ITO01", "ITO11"]
    assert translate_code("BPO03", from_version=v1, to_version=published) == ["BPO03"]
    assert translate_code("KPO99", from_version=v1, to_version=v1) == ["KPO99"]


def test_translation_follows_a_merge_and_a_rename(editor, v1, v2):
    save_catalogue_item(
        actor=editor,
        version=v2,
        code="KPO12",
        data={"parent": "KPO", "name_zh": "数据分析与知识服务"},
    )
    remove_catalogue_item(actor=editor, item=v2.items.get(code="KPO01"))
    remove_catalogue_item(actor=editor, item=v2.items.get(code="KPO02"))
    pairs = [(s, t) for s, t in identity(v1) if s not in ("KPO01", "KPO02")]
    pairs += [("KPO01", "KPO12"), ("KPO02", "KPO12")]
    set_concordance(actor=editor, version=v2, pairs=pairs)
    publish_catalogue_version(actor=editor, version=v2)
    assert translate_code("KPO01", from_version=v1, to_version=v2) == ["KPO12"]
    assert translate_code("KPO02", from_version=v1, to_version=v2) == ["KPO12"]


def test_concordance_names_an_unknown_code(editor, v2):
    with pytest.raises(ServiceError) as refused:
        set_concordance(actor=editor, version=v2, pairs=[("ITO01", "ITO01"), ("ITO01", "XYZ42")])
    assert refused.value.code == "unknown_target"
    assert refused.value.message_en == "Row 2: XYZ42 is not a leaf of version v2."
    # Nothing was replaced.
    assert concordance_of(v2) == {(code, code) for code in csv_leaves()}


def test_an_item_cannot_move_under_its_own_descendant(editor, v2):
    with pytest.raises(ServiceError) as refused:
        save_catalogue_item(
            actor=editor,
            version=v2,
            code="ITO",
            data={"parent": "ITO01", "name_zh": "信息技术外包"},
        )
    assert refused.value.code == "cycle"
    ito = v2.items.get(code="ITO")
    assert ito.parent is None
    assert v2.items.get(code="ITO01").level1_code == "ITO"


def test_a_moved_subtree_keeps_its_levels_and_the_next_draft_copies_it(editor, v1, v2):
    def add(code, parent):
        save_catalogue_item(
            actor=editor, version=v2, code=code, data={"parent": parent, "name_zh": f"新类别{code}"}
        )

    add("ITO11", "ITO")
    add("ITO13", "ITO")
    add("ITO12A", "ITO13")
    add("ITO13", "ITO11")  # ITO13 moves under ITO11, taking ITO12A along
    levels = dict(v2.items.filter(code__startswith="ITO1").values_list("code", "level"))
    assert levels == {"ITO10": 2, "ITO11": 2, "ITO13": 3, "ITO12A": 4}
    assert v2.items.get(code="ITO12A").level1_code == "ITO"
    set_concordance(actor=editor, version=v2, pairs=identity(v1))
    v2 = publish_catalogue_version(actor=editor, version=v2)

    v3 = draft_catalogue_version(
        actor=editor, predecessor=v2, code="v3", effective_from=dt.date(2028, 1, 1)
    )
    tree = {
        (i.code, i.parent.code if i.parent else None, i.level)
        for i in v3.items.select_related("parent")
    }
    assert {("ITO11", "ITO", 2), ("ITO13", "ITO11", 3), ("ITO12A", "ITO13", 4)} <= tree
    assert translate_code("ITO01", from_version=v1, to_version=v3) == ["ITO01"]


def test_publication_is_refused_while_an_old_leaf_has_no_new_code(editor, v1, v2):
    set_concordance(
        actor=editor, version=v2, pairs=[(s, t) for s, t in identity(v1) if s != "KPO99"]
    )
    with pytest.raises(ServiceError) as refused:
        publish_catalogue_version(actor=editor, version=v2)
    assert refused.value.code == "not_publishable"
    assert "KPO99" in str(refused.value)
    assert "concordance gives no new code for KPO99 of version v1" in refused.value.message_en
    v2.refresh_from_db()
    assert v2.is_draft
    assert CatalogueVersion.in_force_on(dt.date(2030, 1, 1)) == v1


def test_removing_a_leaf_without_mapping_it_blocks_publication(editor, v2):
    remove_catalogue_item(actor=editor, item=v2.items.get(code="ITO99"))
    with pytest.raises(ServiceError) as refused:
        publish_catalogue_version(actor=editor, version=v2)
    assert "ITO99" in str(refused.value)


def test_publication_is_refused_when_the_top_level_is_wrong(editor, v2):
    # An editor moves KPO under ITO: the top level is no longer ITO, BPO and KPO.
    save_catalogue_item(
        actor=editor, version=v2, code="KPO", data={"parent": "ITO", "name_zh": "知识流程外包"}
    )
    with pytest.raises(ServiceError) as refused:
        publish_catalogue_version(actor=editor, version=v2)
    assert refused.value.code == "not_publishable"
    assert "The top level must be exactly ITO, BPO and KPO." in refused.value.message_en
    v2.refresh_from_db()
    assert v2.is_draft


def test_a_published_version_is_frozen(editor, v1, v2):
    set_concordance(actor=editor, version=v2, pairs=identity(v1))
    publish_catalogue_version(actor=editor, version=v2)
    for version in (v1, v2):
        with pytest.raises(ServiceError) as refused:
            save_catalogue_item(
                actor=editor,
                version=version,
                code="ITO01",
                data={"parent": "ITO", "name_zh": "改名"},
            )
        assert refused.value.code == "version_published"
        with pytest.raises(ServiceError):
            remove_catalogue_item(actor=editor, item=version.items.get(code="ITO99"))
    with pytest.raises(ServiceError) as refused:
        set_concordance(actor=editor, version=v2, pairs=identity(v1))
    assert refused.value.code == "version_published"
    with pytest.raises(ServiceError) as refused:
        publish_catalogue_version(actor=editor, version=v2)
    assert refused.value.code == "version_published"
    assert v1.items.get(code="ITO01").name_zh == "软件研发服务"
    assert v2.items.get(code="ITO01").name_zh == "软件研发服务"


def test_a_district_reviewer_may_not_edit_a_draft(v2):
    reviewer = make_user(Role.DISTRICT_REVIEWER, division="310115")
    with pytest.raises(NotPermitted):
        save_catalogue_item(
            actor=reviewer,
            version=v2,
            code="ITO11",
            data={"parent": "ITO", "name_zh": "云计算服务"},
        )
    with pytest.raises(NotPermitted):
        set_concordance(actor=reviewer, version=v2, pairs=[])
    with pytest.raises(NotPermitted):
        publish_catalogue_version(actor=reviewer, version=v2)
    assert not v2.items.filter(code="ITO11").exists()


# --- audit --------------------------------------------------------------------------------------


def test_every_catalogue_change_is_audited(editor, v1, v2):
    item = save_catalogue_item(
        actor=editor, version=v2, code="ITO11", data={"parent": "ITO", "name_zh": "云计算服务"}
    )
    save_catalogue_item(
        actor=editor, version=v2, code="ITO11", data={"parent": "ITO", "name_zh": "云服务"}
    )
    set_concordance(actor=editor, version=v2, pairs=[*identity(v1), ("ITO01", "ITO11")])
    publish_catalogue_version(actor=editor, version=v2)

    events = list(AuditEvent.objects.order_by("sequence"))
    assert [e.action for e in events] == [
        "reference.catalogue.drafted",
        "reference.catalogue.item_saved",
        "reference.catalogue.item_saved",
        "reference.catalogue.concordance_set",
        "reference.catalogue.published",
    ]
    assert {e.actor_id for e in events} == {editor.pk}
    drafted, added, renamed, concordance, published = events
    assert drafted.object_id == str(v2.pk)
    assert added.object_id == renamed.object_id == str(item.pk)
    assert added.before is None
    assert ("name_zh", "云计算服务", "云服务") in renamed.changes
    assert "ITO01>ITO11" in concordance.after["concordance"]
    assert "ITO01>ITO11" not in concordance.before["concordance"]
    assert published.object_id == str(v2.pk)
    assert ("status", "draft", "published") in published.changes
    assert CatalogueItem.objects.filter(version=v2, code="ITO11").get().name_zh == "云服务"
