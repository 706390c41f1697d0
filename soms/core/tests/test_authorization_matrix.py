"""The authorization matrix: one declaration of who reaches every URL of SOMS, and a test generated
from the URL configuration against it.

For every URL name (:data:`MATRIX`), the declaration says what an anonymous visitor gets, which
actors (:mod:`soms.core.tests.authorization`) are let in, and on which objects: every object the
URL can name in the world (:mod:`soms.core.tests.authorization_world`) is tried, those of
enterprises inside and outside each actor's jurisdiction, releases published, embargoed and in
draft, targets and rounds published and not. The expectations come from the roles of PRODUCT.md,
not from the views:

- let in: the page (200); a form action is not posted by those let in (its own tests do that);
- an object the actor does not see: 404, never 403, so its existence does not leak;
- a page the actor's role has no business with: 403 or 404;
- anonymous: the login page (302) or 401 from the API, unless the URL is public;
- a refused POST changes nothing: no audit event is written.

Every response, whatever its status, is searched for the markers of the enterprises the actor does
not see (in text, CSV, XLSX cells, PDF text): a marker found is a leak, through a page, a search, a
filter, an export or an error message. List pages, searches and exports must also show every
enterprise the actor does see, and the API's counts must equal what the actor sees.

``test_every_url_is_declared`` fails when a URL is added without its line here.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import re
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import openpyxl
import pytest
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from soms.audit.models import AuditEvent
from soms.core.tests.authorization import ACTORS, ENTERPRISES, EVERY, Actor
from soms.core.tests.authorization_world import World, build

# Run on PostgreSQL, production's database, when both are tested (see the Makefile).
pytestmark = pytest.mark.production

# --- who ------------------------------------------------------------------------------------------

ENTERPRISE_ROLES = {"enterprise_admin", "enterprise_filer"}
REVIEWERS = {"district_reviewer", "city_reviewer", "province_reviewer"}
MINISTRY = {"ministry_statistician", "ministry_admin"}
GOVERNMENT = REVIEWERS | MINISTRY | {"city_evaluator"}


@dataclass(frozen=True)
class Case:
    """One way of calling a URL: its arguments, its query, and what it names."""

    label: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    key: str | None = None  # the enterprise the object belongs to, if any
    variant: str | None = None  # which of several objects (published, draft, owner A or B …)
    lists: bool = False  # the response lists every enterprise the actor sees
    within: frozenset[str] = frozenset()  # the enterprises of the unit a query names
    body: dict[str, Any] | None = None  # a JSON body (the API)


Rule = Callable[[Actor, Case], bool]


def roles(*names: str | set[str]) -> Rule:
    wanted: set[str] = set()
    for name in names:
        wanted |= {name} if isinstance(name, str) else name
    return lambda actor, case: actor.role in wanted


def anyone(actor: Actor, case: Case) -> bool:
    return True


def users(actor: Actor, case: Case) -> bool:
    return actor.role is not None


def sees(actor: Actor, case: Case) -> bool:
    """The case's enterprise is in the actor's view."""
    return case.key is not None and case.key in actor.sees


def own(actor: Actor, case: Case) -> bool:
    """The case's enterprise is the actor's own."""
    return case.key is not None and actor.enterprise == case.key


def covers(actor: Actor, case: Case) -> bool:
    """Every enterprise of the unit the case names is in the actor's view."""
    return case.within <= actor.sees


def district_of(actor: Actor, case: Case) -> bool:
    """The case's enterprise is registered in the actor's district (a district reviewer)."""
    return (
        actor.role == "district_reviewer"
        and case.key is not None
        and ENTERPRISES[case.key].district == actor.division
    )


def variant(*names: str) -> Rule:
    return lambda actor, case: case.variant in names


def both(*rules: Rule) -> Rule:
    return lambda actor, case: all(rule(actor, case) for rule in rules)


def either(*rules: Rule) -> Rule:
    return lambda actor, case: any(rule(actor, case) for rule in rules)


REFUSED = (403, 404)
# A release: published, to everyone; embargoed, previewed by the ministry.
PREVIEW = either(variant("published"), both(roles(MINISTRY), variant("embargoed")))


@dataclass(frozen=True)
class Entry:
    """The expected outcome of one URL for every actor."""

    cases: str | None = None  # the name of a case generator in CASES; None: one case, no args
    let_in: Rule = users  # who gets the page (GET) or may act (POST)
    seen: Rule | None = None  # who may know the named object exists (else 404); default: let_in
    method: str = "GET"
    anonymous: str = "login"  # "login", "401" (API) or "public" (let_in decides)
    ok: tuple[int, ...] = (200,)  # the status of a page for those let in
    queries: tuple[dict[str, str], ...] = ({},)
    lists: str | None = None  # "enterprises" (pending ones too) or "firms" (registered ones)
    route: str = ""  # a part of the route, where two URLs share a name
    refusal: tuple[int, ...] = REFUSED  # what an actor let in on nothing gets
    hidden: tuple[int, ...] = (404,)  # what an actor gets for an object out of its view
    refused_body: Callable[[Any], bool] | None = None  # a refusal answered 200: its JSON says so
    note: str = ""


PUBLIC_PAGE = Entry(let_in=anyone, anonymous="public")
POST = "POST"

# Import jobs and inbox messages belong to one user each (see authorization_world).
OWNERS: dict[str, str] = {"enterprise_admin": "A", "district_reviewer_away": "B"}
RECIPIENTS: dict[str, str] = {"enterprise_admin": "A", "district_reviewer_away": "B"}
LOGIN = resolve_url(settings.LOGIN_URL)

# --- the declaration ------------------------------------------------------------------------------

MATRIX: dict[str, Entry] = {
    # The public site: the home page, languages, reference data, the open-data portal.
    "core:home": PUBLIC_PAGE,
    "set_language": Entry(method=POST, let_in=anyone, anonymous="public"),
    "admin:*": Entry(
        cases="admin",
        let_in=lambda actor, case: actor.staff,
        anonymous="302",
        refusal=(302,),
        note="the Django admin site, for staff only; others are sent to its login page",
    ),
    "accounts:login": Entry(let_in=anyone, anonymous="public", ok=(200, 302)),
    "accounts:logout": Entry(method=POST, let_in=anyone, anonymous="public"),
    "accounts:password": Entry(),
    "accounts:two_factor": Entry(),
    "accounts:two_factor_setup": Entry(
        note="an unconfirmed authenticator until a code confirms it"
    ),
    "accounts:two_factor_verify": Entry(
        ok=(200, 302), note="nobody of the world has an authenticator: back to where they were"
    ),
    "accounts:two_factor_remove": Entry(method=POST),
    "reference:index": PUBLIC_PAGE,
    "reference:divisions": PUBLIC_PAGE,
    "reference:division": Entry(cases="division", let_in=anyone, anonymous="public"),
    "reference:catalogue": Entry(
        cases="catalogue",
        let_in=anyone,
        anonymous="public",
        note="reference data, drafts included (marked as drafts): nothing confidential",
    ),
    "reference:catalogue_draft": Entry(cases="catalogue", method=POST, let_in=roles(MINISTRY)),
    "reference:catalogue_item": Entry(cases="catalogue", method=POST, let_in=roles(MINISTRY)),
    "reference:catalogue_item_remove": Entry(
        cases="catalogue_item", method=POST, let_in=roles(MINISTRY)
    ),
    "reference:catalogue_concordance": Entry(
        cases="catalogue", method=POST, let_in=roles(MINISTRY)
    ),
    "reference:catalogue_publish": Entry(cases="catalogue", method=POST, let_in=roles(MINISTRY)),
    "reference:group": Entry(cases="group", let_in=anyone, anonymous="public"),
    "reference:group#post": Entry(
        cases="group", method=POST, let_in=roles(MINISTRY), anonymous="public"
    ),
    "reference:rates": PUBLIC_PAGE,
    "reference:rates#post": Entry(method=POST, let_in=roles(MINISTRY), anonymous="public"),
    # The registry.
    "registry:register": PUBLIC_PAGE,
    "registry:enterprises": Entry(
        let_in=users,
        queries=(
            {},
            {"q": "QX"},
            {"q": "QXCHARLIE"},
            {"division": "320508"},
            {"division": "310000"},
            {"status": "approved"},
        ),
        lists="enterprises",
    ),
    "registry:review": Entry(let_in=roles(REVIEWERS, MINISTRY)),
    "registry:enterprise": Entry(cases="enterprise", let_in=sees),
    "registry:approve": Entry(cases="enterprise", method=POST, let_in=district_of, seen=sees),
    "registry:return": Entry(cases="enterprise", method=POST, let_in=district_of, seen=sees),
    "registry:edit": Entry(cases="registered", let_in=own, seen=sees),
    "registry:deregister": Entry(
        cases="registered",
        method=POST,
        let_in=either(district_of, roles("ministry_admin")),
        seen=sees,
    ),
    "registry:certification_add": Entry(cases="registered", let_in=own, seen=sees),
    "registry:certification_edit": Entry(cases="certification", let_in=own, seen=sees),
    "registry:certification_scan": Entry(cases="certification", let_in=sees),
    "registry:certification_delete": Entry(
        cases="certification", method=POST, let_in=own, seen=sees
    ),
    "registry:user_add": Entry(
        cases="registered", let_in=both(own, roles("enterprise_admin")), seen=sees
    ),
    "registry:user_action": Entry(
        cases="firm_user", method=POST, let_in=both(own, roles("enterprise_admin")), seen=sees
    ),
    "registry:change_decide": Entry(
        cases="change",
        method=POST,
        let_in=either(
            both(variant("withdraw"), own), both(variant("approve", "return"), district_of)
        ),
        seen=sees,
    ),
    # Filing: an enterprise's records, to the enterprise and the departments above it.
    "filing:home": Entry(),
    "filing:list": Entry(
        cases="kind",
        queries=({}, {"status": "approved"}, {"month": "MONTH"}),
        lists="firms",
        note="an evaluator gets the lists, empty: no enterprise is in its view",
    ),
    "filing:create": Entry(cases="kind", let_in=roles(ENTERPRISE_ROLES)),
    "filing:detail": Entry(
        cases="record",
        let_in=both(sees, either(own, variant("submitted", "approved"))),
        note="a draft is the enterprise's own until it is submitted",
    ),
    "filing:edit": Entry(
        cases="record",
        let_in=both(own, variant("draft")),
        seen=sees,
        refusal=(302, 403, 404),
        note="a record that is no longer a draft: back to its page, with the reason",
    ),
    "filing:submit": Entry(cases="contract_record", method=POST, let_in=own, seen=sees),
    "filing:withdraw": Entry(cases="contract_record", method=POST, let_in=own, seen=sees),
    "filing:discard": Entry(cases="contract_record", method=POST, let_in=own, seen=sees),
    "filing:correction": Entry(cases="contract_record", method=POST, let_in=own, seen=sees),
    "filing:comment": Entry(cases="contract_record", method=POST, let_in=sees),
    "filing:review_queue": Entry(
        let_in=roles("district_reviewer"), note="records are approved by the district alone"
    ),
    "filing:review_bulk": Entry(method=POST, let_in=roles("district_reviewer")),
    "filing:review_approve": Entry(
        cases="contract_record", method=POST, let_in=district_of, seen=sees
    ),
    "filing:review_return": Entry(
        cases="contract_record", method=POST, let_in=district_of, seen=sees
    ),
    # Review: sign-off, completeness, extensions, the inbox.
    "review:signoff": Entry(
        cases="unit",
        let_in=roles(REVIEWERS, MINISTRY),
        note="the official's own unit, whatever unit the query names",
    ),
    "review:sign": Entry(method=POST, let_in=roles(REVIEWERS, MINISTRY)),
    "review:reopen": Entry(method=POST, let_in=roles(REVIEWERS, MINISTRY)),
    "review:completeness": Entry(
        cases="unit", let_in=both(roles(REVIEWERS, MINISTRY), covers), seen=covers
    ),
    "review:missing": Entry(
        cases="unit", let_in=both(roles(REVIEWERS, MINISTRY), covers), seen=covers
    ),
    "review:remind": Entry(method=POST, let_in=roles(REVIEWERS, MINISTRY)),
    "review:extensions": Entry(let_in=roles(REVIEWERS, MINISTRY)),
    "review:inbox": Entry(),
    "review:read_all": Entry(method=POST),
    "review:read": Entry(
        cases="message",
        method=POST,
        let_in=lambda actor, case: case.variant == RECIPIENTS.get(actor.name, ""),
    ),
    # Exchange: exports of what the caller sees, uploads, import jobs.
    "exchange:export": Entry(
        cases="export",
        lists="firms",
        note="what the caller sees: an evaluator's files have headers only",
    ),
    "exchange:upload": Entry(note="each row is then checked against the uploader's rights"),
    "exchange:job": Entry(
        cases="job", let_in=lambda actor, case: case.variant == OWNERS.get(actor.name, "")
    ),
    "exchange:report": Entry(
        cases="job", let_in=lambda actor, case: case.variant == OWNERS.get(actor.name, "")
    ),
    "audit:log": Entry(let_in=roles("ministry_admin"), queries=({}, {"actor": "enterprise_admin"})),
    # Statistics: exact figures for the caller's jurisdiction, public ones for everybody else.
    "statistics:dashboard": PUBLIC_PAGE,
    "statistics:public": PUBLIC_PAGE,
    "statistics:province_geojson": Entry(
        let_in=anyone, anonymous="public", ok=(404,), note="no map file is configured in the tests"
    ),
    "statistics:pivot": Entry(
        let_in=anyone,
        anonymous="public",
        queries=({}, {"rows": "district", "measure": "execution_value"}, {"public": "1"}),
    ),
    "statistics:pivot_xlsx": Entry(
        let_in=anyone, anonymous="public", queries=({"rows": "district"},)
    ),
    # Policy monitoring: published targets to everyone, the rest to the ministry.
    "policy:overview": PUBLIC_PAGE,
    "policy:target": Entry(
        cases="target",
        let_in=either(variant("published"), roles(MINISTRY)),
        anonymous="public",
    ),
    "policy:target_new": Entry(let_in=roles("ministry_admin")),
    "policy:target_edit": Entry(cases="target", let_in=roles("ministry_admin"), seen=anyone),
    "policy:publish": Entry(cases="target", method=POST, let_in=roles("ministry_admin")),
    "policy:series": Entry(let_in=roles(MINISTRY)),
    "policy:series_detail": Entry(cases="series", let_in=roles(MINISTRY)),
    # Demonstration-city evaluation.
    "evaluation:designations": PUBLIC_PAGE,
    "evaluation:decision_new": Entry(let_in=roles("ministry_admin")),
    "evaluation:candidate_new": Entry(let_in=roles("ministry_admin")),
    "evaluation:index": PUBLIC_PAGE,
    "evaluation:round": Entry(cases="round", let_in=roles(MINISTRY)),
    "evaluation:round_action": Entry(
        cases="round_action", method=POST, let_in=roles("ministry_admin")
    ),
    "evaluation:city_add": Entry(cases="round", method=POST, let_in=roles("ministry_admin")),
    "evaluation:city_remove": Entry(
        cases="round_city", method=POST, let_in=roles("ministry_admin")
    ),
    "evaluation:indicators": Entry(cases="round", let_in=roles(MINISTRY)),
    "evaluation:indicator_edit": Entry(cases="indicator", let_in=roles("ministry_admin")),
    "evaluation:indicator_remove": Entry(
        cases="indicator", method=POST, let_in=roles("ministry_admin")
    ),
    "evaluation:submission": Entry(
        cases="round_city",
        let_in=either(
            roles(MINISTRY),
            lambda actor, case: (
                actor.role == "city_evaluator"
                and case.kwargs["code"] == actor.division
                and case.variant != "draft"
            ),
        ),
    ),
    "evaluation:review": Entry(cases="round", let_in=roles("ministry_admin")),
    "evaluation:approve": Entry(cases="round_city", method=POST, let_in=roles("ministry_admin")),
    "evaluation:return": Entry(cases="round_city", method=POST, let_in=roles("ministry_admin")),
    "evaluation:ranking": Entry(
        cases="round",
        let_in=either(variant("published"), roles(MINISTRY)),
        anonymous="public",
    ),
    "evaluation:report": Entry(
        cases="round",
        let_in=either(variant("published"), roles(MINISTRY)),
        anonymous="public",
    ),
    "evaluation:report_xlsx": Entry(
        cases="round",
        let_in=either(variant("published"), roles(MINISTRY)),
        anonymous="public",
    ),
    "evaluation:report_pdf": Entry(
        cases="round",
        let_in=either(variant("published"), roles(MINISTRY)),
        anonymous="public",
    ),
    # Dissemination: the ministry's release desk, and the open-data portal.
    "dissemination:desk": Entry(let_in=roles("ministry_statistician")),
    "dissemination:current_workbook": Entry(
        let_in=roles(REVIEWERS, MINISTRY),
        note="exact tables of current data for the official's own jurisdiction",
    ),
    "dissemination:release_desk": Entry(cases="release", let_in=roles("ministry_statistician")),
    "dissemination:redraft": Entry(
        cases="release", method=POST, let_in=roles("ministry_statistician")
    ),
    "dissemination:edit": Entry(
        cases="release", method=POST, let_in=roles("ministry_statistician")
    ),
    "dissemination:publish": Entry(
        cases="release", method=POST, let_in=roles("ministry_statistician")
    ),
    "dissemination:portal": PUBLIC_PAGE,
    "dissemination:about": PUBLIC_PAGE,
    "dissemination:feed": PUBLIC_PAGE,
    "dissemination:series": PUBLIC_PAGE,
    "dissemination:series_download": Entry(cases="series_kind", let_in=anyone, anonymous="public"),
    "dissemination:sdmx_structure": PUBLIC_PAGE,
    **{
        f"dissemination:{name}": Entry(
            cases="release",
            let_in=either(
                variant("published"),
                both(roles(MINISTRY), variant("embargoed", *drafts)),
            ),
            anonymous="public",
            note="the ministry previews an embargoed release (and a draft's files)",
        )
        for name, drafts in (
            ("release", ()),
            ("bulletin", ("draft",)),
            ("bulletin_pdf", ("draft",)),
            ("tables", ("draft",)),
            ("figures_csv", ("draft",)),
            ("sdmx", ("draft",)),
            ("revisions", ()),
        )
    },
    # The API: the OpenAPI document is public; enterprise and filing data need a login.
    "api:api-root": Entry(
        let_in=anyone, anonymous="public", ok=(404,), note="nothing there: see api:openapi-view"
    ),
    "api:openapi-json": PUBLIC_PAGE,
    "api:openapi-view": PUBLIC_PAGE,
    "api:list_enterprises": Entry(anonymous="401", queries=({}, {"q": "QX"}), lists="enterprises"),
    "api:register": Entry(method=POST, let_in=anyone, anonymous="public"),
    "api:get_enterprise": Entry(cases="enterprise", let_in=sees, anonymous="401"),
    "api:approve": Entry(
        cases="enterprise",
        method=POST,
        let_in=district_of,
        seen=sees,
        anonymous="401",
        route="enterprises/",
    ),
    "api:return_registration": Entry(
        cases="enterprise", method=POST, let_in=district_of, seen=sees, anonymous="401"
    ),
    "api:divisions": PUBLIC_PAGE,
    "api:countries": PUBLIC_PAGE,
    "api:currencies": PUBLIC_PAGE,
    "api:catalogue": Entry(cases="catalogue_api", let_in=anyone, anonymous="public"),
    "api:rates": PUBLIC_PAGE,
    "api:list_records": Entry(
        cases="api_kind",
        let_in=users,
        anonymous="401",
        lists="firms",
    ),
    "api:create_record": Entry(
        cases="api_kind", method=POST, let_in=roles(ENTERPRISE_ROLES), anonymous="401"
    ),
    "api:get_record": Entry(
        cases="api_record",
        let_in=both(sees, either(own, variant("submitted", "approved"))),
        anonymous="401",
    ),
    "api:update_record": Entry(
        cases="api_contract_record", method="PUT", let_in=own, seen=sees, anonymous="401"
    ),
    "api:discard_record": Entry(
        cases="api_contract_record", method="DELETE", let_in=own, seen=sees, anonymous="401"
    ),
    "api:submit_record": Entry(
        cases="api_contract_record", method=POST, let_in=own, seen=sees, anonymous="401"
    ),
    "api:withdraw_record": Entry(
        cases="api_contract_record", method=POST, let_in=own, seen=sees, anonymous="401"
    ),
    "api:start_correction": Entry(
        cases="api_contract_record", method=POST, let_in=own, seen=sees, anonymous="401"
    ),
    "api:queue": Entry(let_in=roles("district_reviewer"), anonymous="401"),
    "api:decide_many": Entry(
        cases="bulk",
        method=POST,
        let_in=district_of,
        anonymous="401",
        refusal=(200,),
        hidden=(200,),
        refused_body=lambda body: not body["done"] and body["refused"][0]["code"] == "not_found",
        note="each record decided on its own: one the caller may not review is refused in the body",
    ),
    "api:approve#review": Entry(
        cases="api_contract_record",
        method=POST,
        let_in=district_of,
        seen=sees,
        anonymous="401",
        route="review/",
    ),
    "api:return_record": Entry(
        cases="api_contract_record", method=POST, let_in=district_of, seen=sees, anonymous="401"
    ),
    "api:list_comments": Entry(
        cases="api_record",
        let_in=both(sees, either(own, variant("submitted", "approved"))),
        anonymous="401",
    ),
    "api:add_comment": Entry(
        cases="api_contract_record", method=POST, let_in=sees, anonymous="401"
    ),
    "api:stats": Entry(
        let_in=anyone,
        anonymous="public",
        queries=({"measure": "execution_value", "from": "MONTH", "to": "MONTH", "by": "province"},),
    ),
    "api:releases": PUBLIC_PAGE,
    "api:sdmx_structure": PUBLIC_PAGE,
    "api:release": Entry(cases="release_api", let_in=PREVIEW, anonymous="public"),
    "api:release_sdmx": Entry(cases="release_api", let_in=PREVIEW, anonymous="public"),
}


# --- the objects each URL is tried on -------------------------------------------------------------

Cases = Callable[[World], list[Case]]
CASES: dict[str, Cases] = {}


def cases(function: Cases) -> Cases:
    CASES[function.__name__] = function
    return function


@cases
def admin(world: World) -> list[Case]:
    return [
        Case("site", {"path": "/admin/"}),
        Case("groups", {"path": "/admin/auth/group/"}),
        Case("lock-outs", {"path": "/admin/axes/accessattempt/"}),
    ]


@cases
def unit(world: World) -> list[Case]:
    """The official's own unit, and units named by a query (what each holds: ENTERPRISES)."""
    named = {
        ("county", "310115"): {"pudong", "pending"},
        ("city", "310000"): {"pudong", "xuhui", "pending"},
        ("county", "320508"): {"gusu"},
        ("province", "320000"): {"gusu", "gulou"},
    }
    return [Case("own unit")] + [
        Case(f"{level} {code}", query={"level": level, "code": code}, within=frozenset(keys))
        for (level, code), keys in named.items()
    ]


@cases
def bulk(world: World) -> list[Case]:
    return [
        Case(
            key,
            key=key,
            body={
                "records": [{"kind": "contract", "id": firm.submitted.pk}],
                "decision": "approve",
            },
        )
        for key, firm in world.firms.items()
        if firm.submitted is not None
    ]


@cases
def division(world: World) -> list[Case]:
    return [Case("310115", {"code": "310115"})]


@cases
def catalogue(world: World) -> list[Case]:
    assert world.draft_catalogue is not None
    return [Case(code, {"code": code}, variant=code) for code in ("v1", world.draft_catalogue.code)]


@cases
def catalogue_api(world: World) -> list[Case]:
    return [
        Case(c.label, {"version": c.kwargs["code"]}, variant=c.variant) for c in catalogue(world)
    ]


@cases
def catalogue_item(world: World) -> list[Case]:
    assert world.draft_catalogue is not None
    item = world.draft_catalogue.items.order_by("-code").first()
    assert item is not None
    code = world.draft_catalogue.code
    return [Case(f"{code}/{item.code}", {"code": code, "item": item.code}, variant=code)]


@cases
def group(world: World) -> list[Case]:
    from soms.reference.models import CountryGroup

    code = CountryGroup.objects.order_by("code").values_list("code", flat=True).first()
    assert code is not None
    return [Case(code, {"code": code})]


@cases
def enterprise(world: World) -> list[Case]:
    return [Case(key, {"uscc": world.enterprise(key).uscc}, key=key) for key in ENTERPRISES]


@cases
def registered(world: World) -> list[Case]:
    return [Case(key, {"uscc": firm.uscc}, key=key) for key, firm in world.firms.items()]


@cases
def certification(world: World) -> list[Case]:
    return [
        Case(key, {"uscc": firm.uscc, "pk": firm.certification.pk}, key=key)
        for key, firm in world.firms.items()
        if firm.certification is not None
    ]


@cases
def firm_user(world: World) -> list[Case]:
    return [
        Case(key, {"uscc": firm.uscc, "pk": firm.filer.pk, "action": "deactivate"}, key=key)
        for key, firm in world.firms.items()
        if firm.filer is not None
    ]


@cases
def change(world: World) -> list[Case]:
    return [
        Case(
            f"{key}/{decision}",
            {"pk": firm.change.pk, "decision": decision},
            key=key,
            variant=decision,
        )
        for key, firm in world.firms.items()
        if firm.change is not None
        for decision in ("approve", "return", "withdraw")
    ]


def _records(world: World) -> Iterator[tuple[str, str, Any]]:
    for key, firm in world.firms.items():
        for state, row in (
            ("approved", firm.contract),
            ("approved", firm.execution),
            ("approved", firm.workforce),
            ("draft", firm.draft),
            ("submitted", firm.submitted),
        ):
            if row is not None:
                yield key, state, row


@cases
def record(world: World) -> list[Case]:
    return [
        Case(f"{key}/{row.kind}/{state}", {"kind": row.kind, "pk": row.pk}, key=key, variant=state)
        for key, state, row in _records(world)
    ]


@cases
def api_record(world: World) -> list[Case]:
    return [
        Case(
            c.label, {"kind": c.kwargs["kind"], "id": c.kwargs["pk"]}, key=c.key, variant=c.variant
        )
        for c in record(world)
    ]


@cases
def contract_record(world: World) -> list[Case]:
    """The contracts of ``record``, in every state: the actions take any kind by the same path,
    so their refusals are tried on contracts (every kind is read by ``filing:detail``)."""
    return [c for c in record(world) if c.kwargs["kind"] == "contract"]


@cases
def api_contract_record(world: World) -> list[Case]:
    return [c for c in api_record(world) if c.kwargs["kind"] == "contract"]


FILED = ("contract", "execution", "workforce")  # the kinds every firm of the world has filed


@cases
def kind(world: World) -> list[Case]:
    from soms.filing.models import RECORD_MODELS

    return [Case(k, {"kind": k}, lists=k in FILED) for k in RECORD_MODELS]


@cases
def api_kind(world: World) -> list[Case]:
    return kind(world)


@cases
def export(world: World) -> list[Case]:
    from soms.exchange.exports import EXPORTS

    listed = {"enterprises", "contracts", "executions", "workforce"}
    return [
        Case(f"{k}.{fmt}", {"kind": k, "fmt": fmt}, variant=k, lists=k in listed)
        for k in EXPORTS
        for fmt in ("csv", "xlsx")
    ]


@cases
def message(world: World) -> list[Case]:
    return [Case(v, {"pk": m.pk}, variant=v) for v, m in world.messages.items()]


@cases
def job(world: World) -> list[Case]:
    return [Case(v, {"pk": j.pk}, variant=v) for v, j in world.jobs.items()]


@cases
def target(world: World) -> list[Case]:
    return [Case(v, {"code": t.code}, variant=v) for v, t in world.targets.items()]


@cases
def series(world: World) -> list[Case]:
    assert world.series is not None
    return [Case(world.series.code, {"code": world.series.code})]


@cases
def round(world: World) -> list[Case]:  # an evaluation round
    return [Case(v, {"pk": r.pk}, variant=v) for v, r in world.rounds.items()]


@cases
def round_action(world: World) -> list[Case]:
    return [
        Case(f"{v}/{action}", {"pk": r.pk, "action": action}, variant=v)
        for v, r in world.rounds.items()
        for action in ("open", "close", "publish")
    ]


@cases
def round_city(world: World) -> list[Case]:
    from soms.evaluation.models import EvaluatedCity

    return [
        Case(f"{v}/{code}", {"pk": r.pk, "code": code}, variant=v)
        for v, r in world.rounds.items()
        for code in EvaluatedCity.objects.filter(evaluation_round=r)
        .order_by("division_id")
        .values_list("division_id", flat=True)
    ]


@cases
def indicator(world: World) -> list[Case]:
    from soms.evaluation.models import Indicator

    return [
        Case(
            v,
            {
                "pk": r.pk,
                "indicator": Indicator.objects.filter(evaluation_round=r).order_by("pk")[0].pk,
            },
            variant=v,
        )
        for v, r in world.rounds.items()
    ]


@cases
def release(world: World) -> list[Case]:
    return [Case(v, {"label": r.label}, variant=v) for v, r in world.releases.items()]


@cases
def release_api(world: World) -> list[Case]:
    return [Case(v, {"month": r.label}, variant=v) for v, r in world.releases.items()]


@cases
def series_kind(world: World) -> list[Case]:
    return [Case(k, {"kind": k}) for k in ("csv", "xlsx")]


# --- the URL configuration ------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # namespace:name; admin:* for the admin site
    route: str  # the pattern, prefixes joined


@functools.cache
def routes() -> tuple[Route, ...]:
    """The URL configuration, walked once."""
    found: list[Route] = []

    def walk(patterns: list[Any], prefix: str, namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    found.append(Route("admin:*", prefix + str(pattern.pattern)))
                    continue
                inner = ":".join(n for n in (namespace, pattern.namespace) if n) or None
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
                found.append(Route(name, prefix + str(pattern.pattern)))

    walk(get_resolver().url_patterns, "", None)
    return tuple(found)


def route_of(key: str) -> Route:
    """The one route a declaration line is about."""
    name, entry = key.split("#")[0], MATRIX[key]
    matching = [r for r in routes() if r.name == name and entry.route in r.route]
    assert len(matching) == 1, f"{key}: {len(matching)} routes match"
    return matching[0]


def url_for(route: Route, case: Case, world: World) -> str:
    if route.name == "admin:*":
        return str(case.kwargs["path"])
    path = route.route
    for name, value in case.kwargs.items():
        path = re.sub(rf"<(?:\w+:)?{name}>|\(\?P<{name}>[^)]*\)", str(value), path)
    path = path.replace("^", "").replace("$", "")
    assert "<" not in path and "(?P" not in path, f"{route.route}: arguments missing in {case}"
    query = {k: (f"{world.month:%Y-%m}" if v == "MONTH" else v) for k, v in case.query.items()}
    return "/" + path + (("?" + urlencode(query)) if query else "")


def test_every_url_is_declared() -> None:
    """A URL added without a line in MATRIX fails here; so does a line for a URL gone."""
    declared = {(r.name, r.route) for r in map(route_of, MATRIX)}
    present = {(r.name, r.route) for r in routes()}
    assert present - declared == set(), "URLs with no line in the authorization matrix"
    assert declared - present == set()
    for key, entry in MATRIX.items():
        assert entry.cases is None or entry.cases in CASES, key


def test_the_declaration_covers_every_role() -> None:
    from soms.accounts.choices import Role

    assert {a.role for a in ACTORS.values()} == {*Role.values, None}


# --- what a response says -----------------------------------------------------------------------


def text_of(response: HttpResponse) -> str:
    """Everything a reader of the response gets: the body (cells of a workbook, text of a PDF)
    and where it redirects."""
    body = (
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
        if response.streaming
        else response.content
    )
    parts = [response.get("Location", ""), response.get("Content-Disposition", "")]
    if body.startswith(b"PK") and zipfile.is_zipfile(io.BytesIO(body)):
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        for sheet in book.worksheets:
            for row in sheet.iter_rows(values_only=True):
                parts.extend(str(v) for v in row if v is not None)
    elif body.startswith(b"%PDF"):
        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(body)
            handle.flush()
            done = subprocess.run(  # noqa: S603
                ["pdftotext", handle.name, "-"],  # noqa: S607
                capture_output=True,
                check=True,
                text=True,
            )
            parts.append(done.stdout)
    else:
        parts.append(body.decode("utf-8", errors="replace"))
    return "\n".join(parts)


@dataclass
class Outcome:
    want: str  # what the declaration expects, in words
    statuses: tuple[int, ...]
    login: bool = False  # a redirect to the login page


def expected(entry: Entry, actor: Actor, case: Case) -> Outcome | None:
    """What the declaration says ``actor`` gets from ``case``; None: not tried (a form
    action posted by one let in, which changes the world: its own tests post it)."""
    if actor.role is None and entry.anonymous != "public":
        if entry.anonymous == "401":
            return Outcome("401 for an anonymous caller", (401,))
        if entry.anonymous == "302":
            return Outcome("a redirect for an anonymous visitor", (302,))
        return Outcome("the login page", (302,), login=True)
    if entry.let_in(actor, case):
        return Outcome(f"{entry.ok}", entry.ok) if entry.method == "GET" else None
    seen = entry.seen or entry.let_in
    if (case.key is not None or entry.seen is not None) and not seen(actor, case):
        return Outcome(f"{entry.hidden}: not in the actor's view", entry.hidden)
    if entry.method != "GET" and entry.refusal == REFUSED:
        # A form action refused by its service: back to the page with the reason (nothing
        # changes: no audit event), or 403.
        return Outcome(
            "refused (302 back with the reason, 400, 403, 404, 409)", (302, 400, 403, 404, 409)
        )
    return Outcome(f"refused {entry.refusal}", entry.refusal)


def markers(keys: set[str] | frozenset[str], world: World) -> dict[str, str]:
    """Text that betrays an enterprise: its marker and its USCC."""
    found = {}
    for key in keys:
        found[ENTERPRISES[key].marker] = key
        found[world.enterprise(key).uscc] = key
    return found


def listed_keys(entry: Entry, actor: Actor, world: World) -> set[str]:
    if entry.lists == "firms":
        return {k for k in actor.sees if k in world.firms}
    return set(actor.sees)


# --- the test -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """Built once for the module, inside a transaction rolled back at its end."""
    media = tmp_path_factory.mktemp("matrix-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        built = build(media)
        built.media = media
        yield built
        transaction.set_rollback(True)


def client_of(name: str, world: World) -> Client:
    client = Client(raise_request_exception=False)
    if name in world.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[name]
    return client


# What an API action is sent: enough for its schema, so the answer is about the caller's rights.
API_BODY = {"comment": "checked", "reason": "why", "text": "a comment", "version": None}


def request(client: Client, method: str, url: str, case: Case) -> HttpResponse:
    if method == "GET":
        return client.get(url)  # type: ignore[return-value]
    if url.startswith("/api/"):
        body = json.dumps(API_BODY if case.body is None else case.body)
        return client.generic(method, url, body, content_type="application/json")  # type: ignore[return-value]
    form = "application/x-www-form-urlencoded"
    return client.generic(method, url, "", content_type=form)  # type: ignore[return-value]


def check(
    entry: Entry,
    actor: Actor,
    call: Case,
    url: str,
    response: HttpResponse,
    world: World,
    events: int,
) -> list[str]:
    """What is wrong with one response, in words; nothing when it is as declared."""
    problems = []
    where = f"{actor.name} {entry.method} {url}"
    outcome = expected(entry, actor, call)
    assert outcome is not None
    if response.status_code not in outcome.statuses:
        problems.append(f"{where}: {response.status_code}, declared {outcome.want}")
    elif outcome.login and not response["Location"].startswith(LOGIN):
        problems.append(f"{where}: redirects to {response['Location']}, not to the login page")
    if (
        entry.refused_body
        and response.status_code == 200
        and not entry.refused_body(json.loads(response.content))
    ):
        problems.append(f"{where}: 200 without the refusal in its body")
    if entry.method != "GET" and AuditEvent.objects.count() != events:
        problems.append(f"{where}: a refused {entry.method} wrote an audit event")
    text = text_of(response)
    # What the caller typed is no leak when it comes back; the USCC still is.
    betrays = {m: k for m, k in markers(EVERY - actor.sees, world).items() if m not in url}
    leaked = sorted({k for m, k in betrays.items() if m in text})
    if leaked:
        problems.append(f"{where}: shows {', '.join(leaked)}, outside its view")
    if entry.lists and call.lists and not call.query and response.status_code == 200:
        wanted = listed_keys(entry, actor, world)
        missing = sorted(
            k
            for k in wanted
            if ENTERPRISES[k].marker not in text and world.enterprise(k).uscc not in text
        )
        if missing:
            problems.append(f"{where}: does not list {', '.join(missing)}")
        body = (
            json.loads(response.content)
            if response["Content-Type"].startswith("application/json")
            else None
        )
        if (
            entry.lists == "enterprises"
            and isinstance(body, dict)
            and body.get("count") != len(wanted)
        ):
            problems.append(f"{where}: counts {body.get('count')}, sees {len(wanted)}")
    return problems


@pytest.mark.django_db
@pytest.mark.parametrize("key", list(MATRIX))
def test_the_matrix(key: str, world: World, settings: Any) -> None:
    settings.MEDIA_ROOT = world.media
    entry = MATRIX[key]
    route = route_of(key)
    tried = CASES[entry.cases](world) if entry.cases else [Case("", lists=True)]
    assert tried, f"{key}: the world has nothing for this URL"
    problems: list[str] = []
    count = 0
    for name, actor in ACTORS.items():
        client = client_of(name, world)
        for case in tried:
            for query in entry.queries:
                call = dataclasses.replace(case, query={**case.query, **query})
                if expected(entry, actor, call) is None:
                    continue  # an action by one let in: its own tests take it
                url = url_for(route, call, world)
                events = AuditEvent.objects.count()
                response = request(client, entry.method, url, call)
                problems += check(entry, actor, call, url, response, world, events)
                count += 1
    print(f"matrix {key}: {count} calls")
    assert not problems, f"{key}: {len(problems)} of {count} calls\n" + "\n".join(problems)
