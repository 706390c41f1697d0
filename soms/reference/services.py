"""State changes of reference data: catalogue versions and concordance, country-group
membership, exchange rates. Each is one transaction with its audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.audit.services import record, snapshot
from soms.core.errors import NotPermitted, ServiceError
from soms.reference.choices import CATEGORY_L1, CatalogueStatus
from soms.reference.models import (
    CatalogueItem,
    CatalogueVersion,
    Concordance,
    Country,
    CountryGroup,
    CountryGroupMembership,
    Currency,
    ExchangeRate,
)

REFERENCE_EDITORS = (Role.MINISTRY_ADMIN, Role.MINISTRY_STATISTICIAN)


def require_reference_editor(actor: User) -> None:
    if not actor.is_authenticated or actor.role not in REFERENCE_EDITORS:
        raise NotPermitted(
            _("Only the ministry's administrators and statisticians maintain reference data."),
            code="not_permitted",
        )


# --- catalogue ----------------------------------------------------------------------------------


def _draft(version: CatalogueVersion) -> CatalogueVersion:
    current = CatalogueVersion.objects.select_for_update().get(pk=version.pk)
    if current.status != CatalogueStatus.DRAFT:
        raise ServiceError(
            _(
                "Catalogue version %(code)s is published and can no longer be edited; draft a "
                "new version instead."
            ),
            code="version_published",
            params={"code": current.code},
        )
    return current


@transaction.atomic
def draft_catalogue_version(
    *,
    actor: User,
    predecessor: CatalogueVersion,
    code: str,
    effective_from: dt.date,
    name: str = "",
) -> CatalogueVersion:
    """A new draft version, starting as a copy of ``predecessor`` with an identity
    concordance (every old leaf maps to the same code) that the editor then adjusts."""
    require_reference_editor(actor)
    code = code.strip()
    if not code:
        raise ServiceError(
            _("“%(field)s” is required."),
            code="required",
            field="code",
            params={"field": _("version")},
        )
    if CatalogueVersion.objects.filter(code=code).exists():
        raise ServiceError(
            _("There is already a catalogue version %(code)s."),
            code="duplicate",
            field="code",
            params={"code": code},
        )
    if predecessor.status != CatalogueStatus.PUBLISHED:
        raise ServiceError(
            _("A new version starts from a published version."),
            code="predecessor_draft",
            field="predecessor",
        )
    if CatalogueVersion.objects.filter(predecessor=predecessor).exists():
        raise ServiceError(
            _("Version %(code)s already has a successor."),
            code="successor_exists",
            field="predecessor",
            params={"code": predecessor.code},
        )
    if effective_from <= predecessor.effective_from:
        raise ServiceError(
            _("The new version must come into force after %(date)s, when %(code)s did."),
            code="date_order",
            field="effective_from",
            params={"date": predecessor.effective_from.isoformat(), "code": predecessor.code},
        )
    version = CatalogueVersion.objects.create(
        code=code, name=name, effective_from=effective_from, predecessor=predecessor
    )
    copies: dict[int, CatalogueItem] = {}
    for item in predecessor.items.order_by("level", "code"):
        copies[item.pk] = CatalogueItem.objects.create(
            version=version,
            code=item.code,
            name_zh=item.name_zh,
            name_en=item.name_en,
            parent=copies[item.parent_id] if item.parent_id else None,
            level=item.level,
            digital=item.digital,
            ebops_code=item.ebops_code,
            seen_in_published_statistics=item.seen_in_published_statistics,
        )
    leaves = predecessor.items.filter(children__isnull=True)
    Concordance.objects.bulk_create(
        [Concordance(source=leaf, target=copies[leaf.pk]) for leaf in leaves]
    )
    record("reference.catalogue.drafted", actor=actor, obj=version, after=snapshot(version))
    return version


@transaction.atomic
def save_catalogue_item(
    *, actor: User, version: CatalogueVersion, code: str, data: dict[str, Any]
) -> CatalogueItem:
    """Add or change an item of a draft version."""
    require_reference_editor(actor)
    version = _draft(version)
    code = code.strip().upper()
    if not code:
        raise ServiceError(
            _("“%(field)s” is required."),
            code="required",
            field="code",
            params={"field": _("code")},
        )
    if not (data.get("name_zh") or "").strip():
        raise ServiceError(
            _("“%(field)s” is required."),
            code="required",
            field="name_zh",
            params={"field": _("Chinese name")},
        )
    parent = None
    parent_code = (data.get("parent") or "").strip().upper()
    if parent_code:
        parent = version.items.filter(code=parent_code).first()
        if parent is None:
            raise ServiceError(
                _("There is no item %(code)s in this version to be the parent."),
                code="unknown_parent",
                field="parent",
                params={"code": parent_code},
            )
        if parent.code == code:
            raise ServiceError(_("An item cannot be its own parent."), code="cycle", field="parent")
        # Nor may it move under one of its own descendants: the tree would become a loop.
        ancestor = parent.parent
        while ancestor is not None:
            if ancestor.code == code:
                raise ServiceError(
                    _("%(code)s cannot be placed under %(parent)s, which stands below it."),
                    code="cycle",
                    field="parent",
                    params={"code": code, "parent": parent.code},
                )
            ancestor = ancestor.parent
    elif code not in CATEGORY_L1:
        raise ServiceError(
            _("Only ITO, BPO and KPO stand at the top of the catalogue; give %(code)s a parent."),
            code="parent_required",
            field="parent",
            params={"code": code},
        )
    item = version.items.filter(code=code).first()
    before = snapshot(item) if item else None
    item = item or CatalogueItem(version=version, code=code)
    item.parent = parent
    item.level = parent.level + 1 if parent else 1
    item.name_zh = data["name_zh"].strip()
    item.name_en = (data.get("name_en") or "").strip()
    item.digital = data.get("digital")
    item.ebops_code = (data.get("ebops_code") or "").strip()
    item.save()
    # A moved item takes its subtree along: keep the descendants' levels in step (drafting a
    # successor copies items level by level, parents first).
    stale = [item]
    while stale:
        node = stale.pop()
        for child in node.children.all():
            if child.level != node.level + 1:
                child.level = node.level + 1
                child.save(update_fields=["level"])
            stale.append(child)
    record(
        "reference.catalogue.item_saved", actor=actor, obj=item, before=before, after=snapshot(item)
    )
    return item


@transaction.atomic
def remove_catalogue_item(*, actor: User, item: CatalogueItem) -> None:
    require_reference_editor(actor)
    _draft(item.version)
    if item.children.exists():
        raise ServiceError(_("Remove or move the item's children first."), code="has_children")
    record("reference.catalogue.item_removed", actor=actor, obj=item, before=snapshot(item))
    item.delete()


@transaction.atomic
def set_concordance(
    *, actor: User, version: CatalogueVersion, pairs: Iterable[tuple[str, str]]
) -> int:
    """Replace the concordance from the predecessor's leaves to this draft's leaves."""
    require_reference_editor(actor)
    version = _draft(version)
    predecessor = version.predecessor
    if predecessor is None:
        raise ServiceError(_("A first version has no concordance."), code="no_predecessor")
    old = {i.code: i for i in predecessor.items.filter(children__isnull=True)}
    new = {i.code: i for i in version.items.filter(children__isnull=True)}
    entries: list[Concordance] = []
    seen: set[tuple[str, str]] = set()
    for number, (source, target) in enumerate(pairs, start=1):
        source, target = source.strip().upper(), target.strip().upper()
        if source not in old:
            raise ServiceError(
                _("Row %(row)d: %(code)s is not a leaf of version %(version)s."),
                code="unknown_source",
                field="source",
                params={"row": number, "code": source, "version": predecessor.code},
            )
        if target not in new:
            raise ServiceError(
                _("Row %(row)d: %(code)s is not a leaf of version %(version)s."),
                code="unknown_target",
                field="target",
                params={"row": number, "code": target, "version": version.code},
            )
        if (source, target) not in seen:
            seen.add((source, target))
            entries.append(Concordance(source=old[source], target=new[target]))
    before = sorted(
        f"{s}>{t}"
        for s, t in Concordance.objects.filter(target__version=version).values_list(
            "source__code", "target__code"
        )
    )
    Concordance.objects.filter(target__version=version).delete()
    Concordance.objects.bulk_create(entries)
    record(
        "reference.catalogue.concordance_set",
        actor=actor,
        obj=version,
        before={"concordance": before},
        after={"concordance": sorted(f"{s}>{t}" for s, t in seen)},
    )
    return len(entries)


def publication_problems(version: CatalogueVersion) -> list[str]:
    """What stands in the way of publishing a draft (empty when it may be published)."""
    from soms.core.errors import bilingual

    problems: list[str] = []
    items = list(version.items.all())
    tops = {i.code for i in items if i.parent_id is None}
    if tops != set(CATEGORY_L1):
        problems.append(bilingual(_("The top level must be exactly ITO, BPO and KPO.")))
    parents = {i.parent_id for i in items}
    leaves = [i for i in items if i.pk not in parents]
    if not any(leaf.level > 1 for leaf in leaves):
        problems.append(bilingual(_("The catalogue has no categories below ITO, BPO and KPO.")))
    for leaf in leaves:
        if leaf.level == 1:
            problems.append(
                bilingual(_("%(code)s has no categories below it."), {"code": leaf.code})
            )
    if version.predecessor is not None:
        mapped = set(
            Concordance.objects.filter(target__version=version).values_list("source_id", flat=True)
        )
        for old_leaf in version.predecessor.items.filter(children__isnull=True):
            if old_leaf.pk not in mapped:
                problems.append(
                    bilingual(
                        _("The concordance gives no new code for %(code)s of version %(version)s."),
                        {"code": old_leaf.code, "version": version.predecessor.code},
                    )
                )
        new_leaf_ids = {leaf.pk for leaf in leaves}
        if (
            Concordance.objects.filter(target__version=version)
            .exclude(target_id__in=new_leaf_ids)
            .exists()
        ):
            problems.append(bilingual(_("The concordance points at codes that are not leaves.")))
    return problems


@transaction.atomic
def publish_catalogue_version(*, actor: User, version: CatalogueVersion) -> CatalogueVersion:
    require_reference_editor(actor)
    version = _draft(version)
    problems = publication_problems(version)
    if problems:
        raise ServiceError(
            _("Version %(code)s cannot be published: %(problems)s"),
            code="not_publishable",
            params={"code": version.code, "problems": "; ".join(problems)},
        )
    before = snapshot(version)
    version.status = CatalogueStatus.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = actor
    version.save()
    record(
        "reference.catalogue.published",
        actor=actor,
        obj=version,
        before=before,
        after=snapshot(version),
    )
    return version


def translate_code(
    code: str, *, from_version: CatalogueVersion, to_version: CatalogueVersion
) -> list[str]:
    """The leaf codes of ``to_version`` that ``code`` of ``from_version`` corresponds to,
    following the concordance through every version in between."""
    codes = {code}
    version = from_version
    while version.pk != to_version.pk:
        successor = CatalogueVersion.objects.filter(predecessor=version).first()
        if successor is None:
            raise ServiceError(
                _("Version %(to)s does not follow %(from)s."),
                code="no_path",
                params={"to": to_version.code, "from": from_version.code},
            )
        codes = set(
            Concordance.objects.filter(
                source__version=version, source__code__in=codes, target__version=successor
            ).values_list("target__code", flat=True)
        )
        version = successor
    return sorted(codes)


# --- country groups -----------------------------------------------------------------------------


@transaction.atomic
def set_group_membership(
    *,
    actor: User,
    group: CountryGroup,
    countries: Iterable[str],
    valid_from: dt.date | None,
    valid_to: dt.date | None = None,
) -> int:
    """Record that ``countries`` belong to ``group`` over an interval (for the Belt and Road
    list, which the ministry maintains and which changes over time)."""
    require_reference_editor(actor)
    if valid_from and valid_to and valid_to < valid_from:
        raise ServiceError(
            _("A membership cannot end before it starts."), code="date_order", field="valid_to"
        )
    codes = [c.strip().upper() for c in countries if c.strip()]
    known = set(Country.objects.filter(code__in=codes).values_list("code", flat=True))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ServiceError(
            _("Unknown ISO 3166-1 codes: %(codes)s."),
            code="unknown_country",
            field="countries",
            params={"codes": ", ".join(unknown)},
        )
    created = 0
    for code in codes:
        _obj, was_created = CountryGroupMembership.objects.update_or_create(
            group=group, country_id=code, valid_from=valid_from, defaults={"valid_to": valid_to}
        )
        created += int(was_created)
    record(
        "reference.country_group.membership_set",
        actor=actor,
        obj=group,
        after={"countries": codes, "valid_from": valid_from, "valid_to": valid_to},
    )
    return created


# --- exchange rates -----------------------------------------------------------------------------


@transaction.atomic
def save_rates(
    *, actor: Any, rates: Iterable[tuple[dt.date, str, Decimal]], source: str = ""
) -> tuple[int, int]:
    """Insert or update monthly rates; returns (created, updated). One audit event per rate
    that changed, so the history of a rate is visible."""
    created = updated = 0
    currencies = set(Currency.objects.values_list("code", flat=True))
    for month, currency, value in rates:
        if currency not in currencies:
            raise ServiceError(
                _("“%(value)s” is not an ISO 4217 currency code."),
                code="unknown_currency",
                field="currency",
                params={"value": currency},
            )
        existing = ExchangeRate.objects.filter(month=month, currency_id=currency).first()
        if existing is not None and existing.cny_per_unit == value:
            continue
        before = snapshot(existing) if existing else None
        rate, was_created = ExchangeRate.objects.update_or_create(
            month=month, currency_id=currency, defaults={"cny_per_unit": value}
        )
        created += int(was_created)
        updated += int(not was_created)
        record(
            "reference.rate.saved",
            actor=actor,
            obj=rate,
            before=before,
            after=snapshot(rate, ["month", "currency", "cny_per_unit"]),
            reason=source,
        )
    return created, updated
