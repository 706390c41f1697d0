"""The demo dataset as a plan: what to register, where, and in which state, without writing.

Planning is separate from writing (:mod:`soms.demo.writing`) so that the plan can be checked on
its own: the same seed must give the same enterprises, and a test compares what the writer put
in the database with a fresh plan.

Identity (USCC, names, division, ownership, size, state) is drawn before anything that depends
on today's date, so a demo built next month has the same enterprises as one built today; only
the dates (registration, certificate validity) move with the calendar, to keep "registered over
the last ten years" and "expiring within 90 days" true.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from django.utils import timezone

from soms.demo import names
from soms.demo.calibration import Calibration, calibration, size_of
from soms.reference.models import Division
from soms.registry.choices import CertificationKind, Ownership, RegistrationStatus

DEFAULT_SEED = 2026
DEFAULT_COUNT = 300
MINIMUM_COUNT = 10


@dataclass(frozen=True)
class City:
    """A city the demo places enterprises in, with what its names and telephones look like."""

    code: str
    name_zh: str
    name_en: str
    address_prefix: str
    area_code: str
    weight: int
    # Districts where the city's software parks are; they get most of its enterprises.
    favoured: tuple[str, ...]
    local_digits: int = 8


# Ten demonstration cities and four others, in nine provinces; the weights follow roughly the
# number of registered service-outsourcing enterprises of each city.
# fmt: off
CITIES = (
    City("310000", "上海", "Shanghai", "上海市", "021", 40,
         ("310115", "310104", "310112", "310110", "310106")),
    City("110000", "北京", "Beijing", "北京市", "010", 34,
         ("110108", "110105", "110114", "110115")),
    City("320500", "苏州", "Suzhou", "江苏省苏州市", "0512", 30,
         ("320505", "320506", "320508", "320583")),
    City("440300", "深圳", "Shenzhen", "广东省深圳市", "0755", 28,
         ("440305", "440304", "440306", "440307")),
    City("320100", "南京", "Nanjing", "江苏省南京市", "025", 26,
         ("320114", "320115", "320106", "320105")),
    City("330100", "杭州", "Hangzhou", "浙江省杭州市", "0571", 26, ("330108", "330106", "330110")),
    City("510100", "成都", "Chengdu", "四川省成都市", "028", 22,
         ("510107", "510104", "510116", "510108")),
    City("610100", "西安", "Xi'an", "陕西省西安市", "029", 18, ("610113", "610116", "610112")),
    City("210200", "大连", "Dalian", "辽宁省大连市", "0411", 18, ("210211", "210204", "210202")),
    City("420100", "武汉", "Wuhan", "湖北省武汉市", "027", 18, ("420111", "420106", "420102")),
    City("320400", "常州", "Changzhou", "江苏省常州市", "0519", 10, ("320411", "320412")),
    City("440400", "珠海", "Zhuhai", "广东省珠海市", "0756", 12, ("440402",)),
    City("330400", "嘉兴", "Jiaxing", "浙江省嘉兴市", "0573", 8, ("330402", "330411")),
    City("510700", "绵阳", "Mianyang", "四川省绵阳市", "0816", 10, ("510703", "510704"),
         local_digits=7),
)
# fmt: on
FAVOURED_WEIGHT = 4
# Still in the division source, but merged into neighbouring districts in 2021.
ABOLISHED_DIVISIONS = frozenset({"330103", "330104"})

# Showcase districts: the district-reviewer logins of the demo should find work waiting.
SHOWCASE_DISTRICTS = ("310115", "320508")

OWNERSHIP_WEIGHTS = (
    (Ownership.PRIVATE, 72),
    (Ownership.FOREIGN, 11),
    (Ownership.HMT, 7),
    (Ownership.STATE, 6),
    (Ownership.COLLECTIVE, 1),
    (Ownership.OTHER, 3),
)
# Share of enterprises established after the USCC reform of October 2015 (``MA…`` codes).
RECENT_SHARE = 0.55
USCC_REFORM = dt.date(2015, 10, 1)
OLDEST_ESTABLISHMENT = dt.date(1998, 1, 1)
REGISTRATION_YEARS = 10

RETURN_REASONS = (
    "营业执照扫描件不清晰，请重新上传清晰的营业执照副本。",
    "企业名称与营业执照不一致，请按营业执照上的名称填写。",
    "联系电话无法接通，请核实联系人及电话后重新提交。",
    "未说明承接的服务外包业务内容，请补充主营业务说明后重新提交。",
    "注册地址与营业执照登记住所不一致，请核实后重新提交。",
)
DEREGISTRATION_REASONS = (
    "企业已在市场监管部门办理注销登记。",
    "企业申请注销：业务转型，不再承接服务外包业务。",
)

# Certification: (kind, probability by size, levels with weights, issuers, number prefix).
CERTIFICATE_YEARS = 3
# fmt: off
CERTIFICATIONS: tuple[tuple[str, Mapping[str, float], tuple[tuple[int, int], ...],
                            tuple[str, ...], str], ...] = (
    (CertificationKind.CMMI, {"large": 0.55, "medium": 0.3, "small": 0.1, "micro": 0.02},
     ((3, 60), (5, 30), (4, 5), (2, 5)), ("CMMI Institute (ISACA)",), "PARS"),
    (CertificationKind.ISO27001, {"large": 0.6, "medium": 0.4, "small": 0.18, "micro": 0.05},
     (), ("中国质量认证中心", "BSI", "SGS", "DNV", "TÜV Rheinland"), "ISMS"),
    (CertificationKind.ISO20000, {"large": 0.35, "medium": 0.2, "small": 0.07, "micro": 0.02},
     (), ("中国质量认证中心", "BSI", "SGS", "中国电子技术标准化研究院"), "ITSMS"),
    (CertificationKind.PCMM, {"large": 0.08, "medium": 0.02, "small": 0.0, "micro": 0.0},
     ((3, 70), (2, 20), (5, 10)), ("CMMI Institute (ISACA)",), "PCMM"),
)
# fmt: on
# Of the certificates recorded, most are current, some expire soon, some have lapsed.
VALIDITY_WEIGHTS = (("valid", 70), ("expiring", 12), ("expired", 18))


class DemoState(StrEnum):
    """Where a demo enterprise ends up in the registration workflow."""

    APPROVED = "approved"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    CHANGE_PENDING = "change_pending"
    DEREGISTERED = "deregistered"

    @property
    def status(self) -> str:
        """The registration status the state leaves on the enterprise."""
        if self == DemoState.CHANGE_PENDING:
            return str(RegistrationStatus.APPROVED)
        return str(RegistrationStatus(self.value))


@dataclass(frozen=True)
class PlannedCertification:
    kind: str
    level: int | None
    certificate_no: str
    issuer: str
    valid_from: dt.date
    valid_to: dt.date

    def data(self) -> dict[str, Any]:
        """The input of :func:`soms.registry.services.add_certification`."""
        return {
            "kind": self.kind,
            "level": self.level,
            "certificate_no": self.certificate_no,
            "issuer": self.issuer,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
        }


@dataclass(frozen=True)
class PlannedEnterprise:
    uscc: str
    name: str
    name_en: str
    division: str
    ownership: str
    size: str
    # Planned headcount (calibrated on the national mean). Not stored yet: the workforce
    # filings will start from it.
    employees: int
    established_on: dt.date
    address: str
    contact_name: str
    contact_phone: str
    contact_email: str
    username: str
    state: DemoState = DemoState.APPROVED
    registered_on: dt.date | None = None
    return_reason: str = ""
    change: Mapping[str, str] = field(default_factory=dict)
    deregistered_on: dt.date | None = None
    deregistration_reason: str = ""
    certifications: tuple[PlannedCertification, ...] = ()

    def profile(self) -> dict[str, Any]:
        """The input of :func:`soms.registry.services.register_enterprise`."""
        return {
            "name": self.name,
            "name_en": self.name_en,
            "division": self.division,
            "ownership": self.ownership,
            "size": self.size,
            "established_on": self.established_on,
            "address": self.address,
            "contact_name": self.contact_name,
            "contact_phone": self.contact_phone,
            "contact_email": self.contact_email,
        }


# The enterprise of the "ent-admin" and "ent-filer" logins: fixed, whatever the seed, so that
# the README can name it.
FLAGSHIP_DIVISION = "310115"
FLAGSHIP_ORGANISATION = "57418326" + names.gb11714_check("57418326")
FLAGSHIP_USCC = names.uscc(FLAGSHIP_DIVISION, FLAGSHIP_ORGANISATION)
FLAGSHIP_NAME = "上海云启数智信息技术有限公司"
FLAGSHIP_NAME_EN = "Shanghai Yunqi Digital Information Technology Co., Ltd."


def _flagship(today: dt.date) -> PlannedEnterprise:
    def certificate(
        kind: str, level: int | None, number: str, issuer: str, valid_to: dt.date
    ) -> PlannedCertification:
        valid_from = valid_to - dt.timedelta(days=CERTIFICATE_YEARS * 365)
        return PlannedCertification(kind, level, number, issuer, valid_from, valid_to)

    return PlannedEnterprise(
        uscc=FLAGSHIP_USCC,
        name=FLAGSHIP_NAME,
        name_en=FLAGSHIP_NAME_EN,
        division=FLAGSHIP_DIVISION,
        ownership=str(Ownership.PRIVATE),
        size=size_of(860),
        employees=860,
        established_on=dt.date(2011, 6, 8),
        address="上海市浦东新区软件园路88号A座12层",
        contact_name="陈静",
        contact_phone="021-50801234",
        contact_email="service@yunqi-digital.com.cn",
        username="ent-admin",
        state=DemoState.APPROVED,
        registered_on=dt.date(2016, 5, 18),
        certifications=(
            # An old CMMI 3 that lapsed, the CMMI 5 that followed it, and an ISO/IEC 27001
            # about to expire, so the enterprise's own pages show all three states.
            certificate(
                CertificationKind.CMMI,
                3,
                "PARS 31877",
                "CMMI Institute (ISACA)",
                today - dt.timedelta(days=900),
            ),
            certificate(
                CertificationKind.CMMI,
                5,
                "PARS 52406",
                "CMMI Institute (ISACA)",
                today + dt.timedelta(days=700),
            ),
            certificate(
                CertificationKind.ISO27001,
                None,
                "ISMS-2023-018342",
                "中国质量认证中心",
                today + dt.timedelta(days=45),
            ),
            certificate(
                CertificationKind.ISO20000,
                None,
                "ITSMS-2024-004417",
                "BSI",
                today + dt.timedelta(days=400),
            ),
        ),
    )


def _allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder, ties to the first)."""
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def district_pools() -> dict[str, list[tuple[Division, int]]]:
    """For each demo city, its urban districts from the Division table with their weights.

    Rural counties (``…县``) are left out: service-outsourcing enterprises sit in the urban
    districts and county-level cities.
    """
    pools: dict[str, list[tuple[Division, int]]] = {}
    for city in CITIES:
        divisions = (
            Division.objects.filter(city_code=city.code, accepts_enterprises=True)
            .exclude(code__in=ABOLISHED_DIVISIONS)
            .exclude(name_zh__endswith="县")
            .order_by("code")
        )
        pool = [(d, FAVOURED_WEIGHT if d.code in city.favoured else 1) for d in divisions]
        if not pool:
            raise ValueError(
                f"No district of {city.name_en} ({city.code}) accepts enterprises: load the "
                "reference data first (soms load_reference)."
            )
        pools[city.code] = pool
    return pools


def random_stream(seed: int, stream: str) -> random.Random:
    """A reproducible generator per concern of the demo ("enterprises", "rates", …), so that
    adding draws to one concern (later: contracts) leaves the others' values unchanged."""
    # Not for secrets: the point is that anyone with the seed gets the same values.
    return random.Random(f"soms-demo:{seed}:{stream}")


def _date_between(start: dt.date, end: dt.date, fraction: float) -> dt.date:
    end = max(start, end)
    return start + dt.timedelta(days=int(fraction * (end - start).days))


def plan(
    seed: int = DEFAULT_SEED, count: int = DEFAULT_COUNT, today: dt.date | None = None
) -> list[PlannedEnterprise]:
    """The enterprises of the demo for ``seed``: the flagship first, then ``count - 1`` more.

    Reads the Division table (to place enterprises in real districts) and the published
    figures (for the headcounts); writes nothing.
    """
    if count < MINIMUM_COUNT:
        raise ValueError(f"The demo needs at least {MINIMUM_COUNT} enterprises.")
    today = today or timezone.localdate()
    cal = calibration()
    rng = random_stream(seed, "enterprises")
    pools = district_pools()
    flagship = _flagship(today)
    used_usccs, used_names = {flagship.uscc}, {flagship.name}

    identities: list[tuple[PlannedEnterprise, City, bool]] = []
    counts = _allocate(count - 1, [city.weight for city in CITIES])
    for city, number in zip(CITIES, counts, strict=True):
        pool = pools[city.code]
        for _ in range(number):
            identities.append(_identity(rng, cal, city, pool, used_usccs, used_names))

    states = _states(rng, [planned.division for planned, _city, _recent in identities])
    district_names = {d.code: d.name_zh for pool in pools.values() for d, _w in pool}
    enterprises = [flagship]
    for (planned, city, recent), state in zip(identities, states, strict=True):
        enterprises.append(
            _history(rng, planned, city, recent, state, today, district_names[planned.division])
        )
    return enterprises


def _identity(
    rng: random.Random,
    cal: Calibration,
    city: City,
    pool: list[tuple[Division, int]],
    used_usccs: set[str],
    used_names: set[str],
) -> tuple[PlannedEnterprise, City, bool]:
    """Who the enterprise is: everything that must not change with the date of the build."""
    division = rng.choices([d for d, _w in pool], weights=[w for _d, w in pool])[0]
    ownership = rng.choices(
        [o for o, _w in OWNERSHIP_WEIGHTS], weights=[w for _o, w in OWNERSHIP_WEIGHTS]
    )[0]
    recent = rng.random() < RECENT_SHARE
    code = names.uscc(division.code, names.organisation_code(rng, recent=recent))
    while code in used_usccs:
        code = names.uscc(division.code, names.organisation_code(rng, recent=recent))
    used_usccs.add(code)
    company = names.company_name(
        rng, city_zh=city.name_zh, city_en=city.name_en, ownership=ownership
    )
    while company.zh in used_names:
        company = names.company_name(
            rng, city_zh=city.name_zh, city_en=city.name_en, ownership=ownership
        )
    used_names.add(company.zh)
    employees = cal.draw_employees(rng)
    planned = PlannedEnterprise(
        uscc=code,
        name=company.zh,
        name_en=company.en,
        division=division.code,
        ownership=str(ownership),
        size=size_of(employees),
        employees=employees,
        # Replaced by _history once the registration date is known.
        established_on=OLDEST_ESTABLISHMENT,
        address=names.address(rng, city_prefix=city.address_prefix, district=division.name_zh),
        contact_name=names.person_name(rng),
        contact_phone=names.telephone(
            rng, area_code=city.area_code, local_digits=city.local_digits
        ),
        contact_email=names.email(rng, company.domain),
        username=f"e{code}",
    )
    return planned, city, recent


def _states(rng: random.Random, divisions: list[str]) -> list[DemoState]:
    """Exact shares of each state (so that small demos have every state too), placed at
    random, with a registration awaiting review in each showcase district."""
    n = len(divisions)
    quotas = {
        DemoState.SUBMITTED: max(1, round(n * 0.05)),
        DemoState.RETURNED: max(1, round(n * 0.03)),
        DemoState.CHANGE_PENDING: max(1, round(n * 0.02)),
        DemoState.DEREGISTERED: 2 if n >= 100 else 1,
    }
    order = list(range(n))
    rng.shuffle(order)
    states = [DemoState.APPROVED] * n
    for district in SHOWCASE_DISTRICTS:
        first = next((i for i in order if divisions[i] == district), None)
        if first is not None:
            states[first] = DemoState.SUBMITTED
            quotas[DemoState.SUBMITTED] -= 1
    free = (i for i in order if states[i] == DemoState.APPROVED)
    for state, quota in quotas.items():
        for _ in range(max(0, quota)):
            states[next(free)] = state
    return states


def _history(
    rng: random.Random,
    planned: PlannedEnterprise,
    city: City,
    recent: bool,
    state: DemoState,
    today: dt.date,
    district: str,
) -> PlannedEnterprise:
    """The dates and the workflow of one enterprise. Draws the same number of values whatever
    the dates come out as."""
    registration, deregistration, establishment = rng.random(), rng.random(), rng.random()
    if state == DemoState.DEREGISTERED:
        # Registered long enough ago to have been deregistered since.
        registration = 0.5 + registration / 2
    registered_on = today - dt.timedelta(
        days=30 + int(registration * (REGISTRATION_YEARS * 365 - 30))
    )
    reference = registered_on if state != DemoState.SUBMITTED else today
    latest = reference - dt.timedelta(days=60)
    if recent:
        established_on = _date_between(min(USCC_REFORM, latest), latest, establishment)
    else:
        established_on = _date_between(
            OLDEST_ESTABLISHMENT, min(USCC_REFORM - dt.timedelta(days=1), latest), establishment
        )
    return_reason = rng.choice(RETURN_REASONS)
    deregistration_reason = rng.choice(DEREGISTRATION_REASONS)
    change = _change(rng, planned, city, district)
    certifications = _certifications(rng, planned.size, today, established_on)

    registered = state in (DemoState.APPROVED, DemoState.CHANGE_PENDING, DemoState.DEREGISTERED)
    deregistered_on = None
    if state == DemoState.DEREGISTERED:
        span = max(180, (today - dt.timedelta(days=30) - registered_on).days)
        deregistered_on = registered_on + dt.timedelta(
            days=180 + int(deregistration * (span - 180))
        )
    return replace(
        planned,
        state=state,
        established_on=established_on,
        registered_on=registered_on if registered else None,
        return_reason=return_reason if state == DemoState.RETURNED else "",
        change=change if state == DemoState.CHANGE_PENDING else {},
        deregistered_on=deregistered_on,
        deregistration_reason=deregistration_reason if state == DemoState.DEREGISTERED else "",
        certifications=certifications,
    )


def _change(
    rng: random.Random, planned: PlannedEnterprise, city: City, district: str
) -> dict[str, str]:
    """A plausible request to change the profile: a new contact person, or a move."""
    contact_name = names.person_name(rng)
    while contact_name == planned.contact_name:
        contact_name = names.person_name(rng)
    contact_phone = names.telephone(rng, area_code=city.area_code, local_digits=city.local_digits)
    new_address = names.address(rng, city_prefix=city.address_prefix, district=district)
    if rng.random() < 0.6 or new_address == planned.address:
        return {"contact_name": contact_name, "contact_phone": contact_phone}
    return {"address": new_address}


def _certifications(
    rng: random.Random, size: str, today: dt.date, established_on: dt.date
) -> tuple[PlannedCertification, ...]:
    held: list[PlannedCertification] = []
    for kind, probability, levels, issuers, prefix in CERTIFICATIONS:
        holds = rng.random() < probability[size]
        level = (
            rng.choices([lv for lv, _w in levels], weights=[w for _lv, w in levels])[0]
            if levels
            else None
        )
        issuer = rng.choice(issuers)
        validity = rng.choices(
            [v for v, _w in VALIDITY_WEIGHTS], weights=[w for _v, w in VALIDITY_WEIGHTS]
        )[0]
        days, serial = rng.random(), rng.randint(10_000, 999_999)
        if validity == "valid":
            valid_to = today + dt.timedelta(days=91 + int(days * 900))
        elif validity == "expiring":
            valid_to = today + dt.timedelta(days=1 + int(days * 85))
        else:
            valid_to = today - dt.timedelta(days=1 + int(days * 900))
        valid_from = valid_to - dt.timedelta(days=CERTIFICATE_YEARS * 365)
        # A certificate older than the company would give the demo away.
        if not holds or valid_from < established_on:
            continue
        number = (
            f"{prefix} {serial % 100_000:05d}"
            if kind in (CertificationKind.CMMI, CertificationKind.PCMM)
            else f"{prefix}-{valid_from.year}-{serial:06d}"
        )
        held.append(PlannedCertification(str(kind), level, number, issuer, valid_from, valid_to))
    return tuple(held)
