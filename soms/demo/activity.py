"""The demo's filings as a plan: two years and more of monthly workforce reports, contracts,
amendments and executions for every registered demo enterprise, and what happened to each record.

Like :mod:`soms.demo.planning`, this only plans; :mod:`soms.demo.replay` files the plan through
the filing and review services, month after month, as the enterprises and reviewers would have.

Every record has a *life* (:class:`Life`): when it was entered, submitted, returned with a reason
and fixed, approved, corrected. Months older than the last two were reviewed and signed off long
ago, so their records are approved (a few were late, returned and fixed, or corrected); the last
two months are still open: reviewers have a queue, some records are drafts or returned, some
corrections await review, and some enterprises have not filed yet.

The figures follow the published national ones (:mod:`soms.demo.calibration`): headcounts around
each enterprise's planned size with the national share of college graduates, contract values in
proportion to the execution value per employee, the offshore share and the ITO/BPO/KPO split.
Each enterprise draws from its own random stream (extensions from a shared one), so the same seed
and day give the same plan.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.utils import timezone

from soms.demo import names
from soms.demo.calibration import Calibration
from soms.demo.planning import random_stream
from soms.demo.rates import CURRENCIES, HKD_PEG
from soms.filing.calendar import due_date, month_of, next_month

DEFAULT_MONTHS = 24
# The previous and the current month stay open: not signed off, with work waiting.
OPEN_MONTHS = 2
# Share of the other enterprises that file contracts (all of them file their workforce): the
# services take about 15 ms a record, and a demo must build in a couple of minutes.
CONTRACT_SHARE = 0.3

# Kinds in the order a month is filed: a contract before its amendments and executions.
KINDS = ("contract", "amendment", "execution", "workforce")

# Historic months: what share of records was late, returned and fixed, or corrected.
LATE_SHARE = 0.05
RETURNED_SHARE = 0.03
CORRECTED_SHARE = 0.015
# Open months.
OPEN_LATE_SHARE = 0.12
OPEN_DRAFT_SHARE = 0.04
OPEN_RETURNED_SHARE = 0.08
OPEN_PENDING_SHARE = 0.3
SHOWCASE_PENDING_SHARE = 0.6
OPEN_MISSING_SHARE = 0.04
OPEN_CORRECTION_SHARE = 0.05
# Share of enterprise-months that asked for (and got) more time.
EXTENSION_SHARE = 0.01

# Most inbound contracts are with clients abroad; onshore ones are fewer but larger (see
# onshore_scale), so that the value shares are the published ones.
OFFSHORE_CLIENT_SHARE = 0.65

# fmt: off
# Offshore clients: (country, weight, currencies with weights).
OFFSHORE = (
    ("US", 24, (("USD", 1),)),
    ("HK", 18, (("HKD", 5), ("USD", 4))),
    ("JP", 16, (("JPY", 4), ("USD", 1))),
    ("SG", 7, (("USD", 1),)),
    ("KR", 6, (("USD", 1),)),
    ("DE", 6, (("EUR", 1),)),
    ("GB", 5, (("USD", 1), ("EUR", 1))),
    ("FR", 3, (("EUR", 1),)),
    ("NL", 3, (("EUR", 1),)),
    ("AU", 2, (("USD", 1),)),
    ("CA", 2, (("USD", 1),)),
)
# Dalian's outsourcing industry grew up on Japanese clients.
COUNTRY_BIAS = {"210200": {"JP": 4.0}}
# Foreign providers the larger enterprises buy services from.
OUTBOUND = (
    ("US", 4, (("USD", 1),)), ("DE", 2, (("EUR", 1),)), ("JP", 2, (("JPY", 1),)),
    ("IN", 2, (("USD", 1),)), ("SG", 1, (("USD", 1),)),
)
# Made-up client names per country: (first parts, second parts, legal forms).
CLIENT_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "US": (("Bluewater", "Northgate", "Silverline", "Redwood", "Lakeshore", "Crestview",
            "Ironbridge", "Pinecrest", "Harborview", "Granite Peak", "Westfield", "Clearbrook"),
           ("Analytics", "Health Systems", "Financial Group", "Logistics", "Insurance",
            "Retail", "Media", "Technologies", "Labs", "Therapeutics"),
           ("Inc.", "LLC", "Corp.")),
    "JP": (("Sakura", "Aoyama", "Minato", "Kanto", "Hikari", "Midori", "Tsubasa", "Yamabuki",
            "Kawasemi", "Asahigaoka"),
           ("Joho System", "Software", "Denshi", "Shoji", "Solutions", "Seiyaku", "Sogo Kikaku"),
           ("Co., Ltd.", "K.K.")),
    "HK": (("Harbourfront", "Victoria Crest", "Kowloon Bay", "Pearl Delta", "Jade Gate",
            "Lantau", "Golden Bauhinia", "Peak Tower"),
           ("Holdings", "Trading", "Digital", "Securities", "Logistics", "Insurance"),
           ("Limited",)),
    "SG": (("Lion City", "Marina", "Straits", "Orchid", "Merlion Bay", "Kallang"),
           ("Data", "Fintech", "Health", "Logistics", "Capital"), ("Pte. Ltd.",)),
    "KR": (("Hanbit", "Saebyeol", "Mirae", "Hanul", "Daon", "Nuri"),
           ("Solutions", "Tech", "Bio", "Games", "Electronics"), ("Co., Ltd.",)),
    "DE": (("Rheinland", "Nordlicht", "Alpenblick", "Elbtal", "Schwarzwald", "Bergmann"),
           ("Datentechnik", "Maschinenbau", "Automotive Software", "Medizintechnik", "Logistik"),
           ("GmbH", "AG")),
    "GB": (("Thames Valley", "Pennine", "Kingsbridge", "Albion", "Highgate", "Wessex"),
           ("Software", "Insurance Services", "Analytics", "Retail", "Pharma"), ("Ltd", "plc")),
    "FR": (("Lumière", "Rivage", "Montclair", "Beaulieu"),
           ("Conseil", "Numérique", "Santé", "Assurances"), ("SAS", "SA")),
    "NL": (("Oranje", "Zeeland", "Amstelveld", "Noordzee"),
           ("Data", "Logistics", "Systems"), ("B.V.",)),
    "AU": (("Southern Cross", "Coral Coast", "Eucalypt", "Outback"),
           ("Analytics", "Health", "Mining Services"), ("Pty Ltd",)),
    "CA": (("Maplewood", "Northern Lights", "Laurentian", "Prairie"),
           ("Software", "Insurance", "Analytics"), ("Inc.", "Ltd.")),
    "IN": (("Sahyadri", "Ganga", "Deccan", "Indus Valley"),
           ("Infotech", "Software Services", "Data Services"), ("Pvt. Ltd.",)),
}
ONSHORE_INDUSTRIES = (
    "汽车零部件", "医药", "电子商务", "物流", "保险代理", "连锁零售", "装备制造", "新能源科技",
    "文化传媒", "通信设备", "智能家居", "生物科技",
)
# Terms in months with weights.
TERMS = ((3, 2), (6, 4), (12, 6), (18, 1), (24, 2), (36, 1))
# Months between payments.
PAYMENT_INTERVALS = ((1, 3), (2, 2), (3, 4), (6, 1))
AMENDMENT_SHARE = 0.12
AMENDMENT_REASONS_UP = (
    "客户追加二期开发范围，合同金额相应调增。",
    "增加驻场服务人员及服务内容，签订补充协议调整合同金额。",
    "需求变更，新增数据迁移及测试服务。",
    "延长服务期限并相应调整合同金额。",
)
AMENDMENT_REASONS_DOWN = (
    "客户调整项目范围，取消部分交付内容，合同金额相应调减。",
    "部分模块由客户自行实施，双方协商调减合同金额。",
)
# Returned records: the reviewer's reason, by kind and mistake.
RETURN_REASONS = {
    "receipt": "收汇凭证号与银行回单不符，请核对后重新提交。",
    "payment": "付汇凭证号与银行回单不符，请核对后重新提交。",
    "execution_amount": "执行金额与银行回单金额不一致，请核对后重新提交。",
    "contract_amount": "合同金额与合同文本不一致，请核对后重新提交。",
    "category": "业务类别与合同服务内容不符，请按合同约定的服务内容选择业务类别。",
    "amendment_amount": "补充协议金额与协议文本不一致，请核对后重新提交。",
    "new_hires": "新增从业人员数明显偏高，请核对是否多录入了数字后重新提交。",
}
EXTENSION_REASONS_ENTERPRISE = (
    "企业财务人员变动，交接期间申请延期报送。",
    "银行回单尚未取得，申请延期报送当月执行数据。",
    "企业办公地址搬迁，申请延期报送。",
    "企业信息系统升级，数据核对需要时间，申请延期报送。",
)
EXTENSION_REASON_FESTIVAL = "春节假期，{month}数据报送截止日顺延至{until}。"
EXTENSION_REASON_DISTRICT = "区内政务网络升级改造，{month}数据报送截止日统一延至{until}。"
REOPEN_REASON = "浦东新区一家企业的报送数据有误，退回区县更正后重新签报。"
# fmt: on


@dataclass(frozen=True)
class Filer:
    """A registered demo enterprise as the filings need it."""

    uscc: str
    name_en: str
    division: str
    city: str
    city_zh: str
    employees: int
    registered_on: dt.date
    flagship: bool = False
    showcase: bool = False
    files_contracts: bool = True


@dataclass(frozen=True)
class Correction:
    """A correction of an approved record: started, perhaps submitted, perhaps approved."""

    started: dt.datetime
    data: Mapping[str, Any]
    submitted: dt.datetime | None = None
    approved: dt.datetime | None = None


@dataclass(frozen=True)
class Life:
    """What happens to one record, with when."""

    created: dt.datetime
    submitted: dt.datetime | None = None  # None: it stays a draft
    returned: dt.datetime | None = None
    return_reason: str = ""
    resubmitted: dt.datetime | None = None  # after the return, with the fixed values
    approved: dt.datetime | None = None
    correction: Correction | None = None

    @property
    def status(self) -> str:
        if self.approved:
            return "approved"
        if self.submitted is None:
            return "draft"
        if self.returned and not self.resubmitted:
            return "returned"
        return "submitted"

    @property
    def last(self) -> dt.datetime:
        moments = [self.created, self.submitted, self.returned, self.resubmitted, self.approved]
        if self.correction:
            moments += [
                self.correction.started,
                self.correction.submitted,
                self.correction.approved,
            ]
        return max(m for m in moments if m is not None)


@dataclass(frozen=True)
class PlannedFiling:
    kind: str
    uscc: str
    period: dt.date
    # The record's key: contract_no; with it amendment_no or execution_no; or month.
    key: Mapping[str, Any]
    data: Mapping[str, Any]
    life: Life
    # The values after a return (the first ``data`` held the reviewer's reason).
    fixed: Mapping[str, Any] | None = None

    @property
    def contract_no(self) -> str:
        return str(self.key["contract_no"])


@dataclass(frozen=True)
class PlannedExtension:
    period: dt.date
    until: dt.date
    reason: str
    granted: dt.datetime
    division: str | None = None
    uscc: str | None = None


@dataclass(frozen=True)
class PlannedReopen:
    """A city reopens one of its districts' signed months to have a record corrected."""

    period: dt.date
    division: str
    uscc: str
    reason: str


@dataclass
class FilingPlan:
    periods: list[dt.date]
    open_from: dt.date
    filings: list[PlannedFiling] = field(default_factory=list)
    extensions: list[PlannedExtension] = field(default_factory=list)
    reopen: PlannedReopen | None = None

    @property
    def signed_periods(self) -> list[dt.date]:
        return [p for p in self.periods if p < self.open_from]


# --- dates and moments ------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    first = dt.date(year, month + 1, 1)
    last = (next_month(first) - dt.timedelta(days=1)).day
    return first.replace(day=min(day.day, last))


def month_end(period: dt.date) -> dt.date:
    return next_month(period) - dt.timedelta(days=1)


def _between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    end = max(start, end)
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def _workday(day: dt.date) -> dt.date:
    """Reviewers decide on working days: a weekend moves to the Monday."""
    return day + dt.timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)


def _moment(rng: random.Random, day: dt.date, *, after: dt.datetime | None = None) -> dt.datetime:
    """A time of the working day on ``day``, later than ``after``."""
    minutes = rng.randint(9 * 60, 18 * 60)
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60)))
    if after is not None and moment <= after:
        moment = after + dt.timedelta(minutes=rng.randint(5, 90))
    return moment


def _later(rng: random.Random, moment: dt.datetime, low: int, high: int) -> dt.datetime:
    """A decision some working days after ``moment``."""
    day = _workday(timezone.localtime(moment).date() + dt.timedelta(days=rng.randint(low, high)))
    return _moment(rng, day, after=moment)


# --- lives --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """When a record could be entered, when it was due, and until when an extension ran."""

    earliest: dt.date
    due: dt.date
    until: dt.date | None
    open: bool
    now: dt.datetime


def _submission_day(rng: random.Random, t: Timing, late_share: float) -> dt.date:
    effective = max(t.due, t.until) if t.until else t.due
    draw = rng.random()
    if t.until and draw < 0.6:
        day = _between(rng, t.due + dt.timedelta(days=1), t.until)
    elif draw < late_share:
        day = effective + dt.timedelta(days=rng.randint(1, 15))
    else:
        day = _between(rng, t.earliest, min(effective, t.earliest + dt.timedelta(days=12)))
    return max(day, t.earliest)


def _historic_life(
    rng: random.Random, t: Timing, correctable: bool, force: str | None
) -> tuple[Life, bool]:
    """A record of a signed-off month: approved, perhaps late, returned and fixed, corrected.
    Returns the life and whether it was returned (the values first submitted were wrong)."""
    late_share = 1.0 if force == "late" else LATE_SHARE
    submitted_on = _submission_day(rng, t, late_share)
    if force == "late":
        submitted_on = max(submitted_on, max(t.due, t.until or t.due) + dt.timedelta(days=3))
    created = _moment(rng, _between(rng, t.earliest, submitted_on))
    submitted = _moment(rng, submitted_on, after=created)
    returned = resubmitted = None
    if rng.random() < RETURNED_SHARE:
        returned = _later(rng, submitted, 1, 3)
        resubmitted = _later(rng, returned, 1, 4)
        approved = _later(rng, resubmitted, 1, 4)
    else:
        approved = _later(rng, submitted, 1, 6)
    correction = None
    if correctable and rng.random() < CORRECTED_SHARE:
        started = _later(rng, approved, 3, 12)
        corrected = _moment(rng, timezone.localtime(started).date(), after=started)
        correction = Correction(started, {}, corrected, _later(rng, corrected, 1, 4))
    life = Life(
        created=created,
        submitted=submitted,
        returned=returned,
        resubmitted=resubmitted,
        approved=approved,
        correction=correction,
    )
    return life, returned is not None


def _open_life(
    rng: random.Random, t: Timing, correctable: bool, force: str | None, pending_share: float
) -> tuple[Life | None, bool]:
    """A record of an open month, as it stands now: anything from not filed yet to approved
    with a correction awaiting review. ``None`` when it has not been entered yet."""
    now = t.now
    if force:
        forced = _forced_life(rng, t.earliest, force)
        # Placed early in the month, it has happened unless the month has barely begun.
        if forced.last <= now:
            return forced, force == "returned"
    submitted_on = _submission_day(rng, t, OPEN_LATE_SHARE)
    created = _moment(rng, _between(rng, t.earliest, submitted_on))
    submitted = _moment(rng, submitted_on, after=created)
    if created > now or rng.random() < OPEN_MISSING_SHARE:
        return None, False
    if submitted > now or rng.random() < OPEN_DRAFT_SHARE:
        return Life(created=created), False
    draw = rng.random()
    if draw < OPEN_RETURNED_SHARE:
        returned = _later(rng, submitted, 1, 3)
        if returned > now:
            return Life(created, submitted), False
        resubmitted = _later(rng, returned, 1, 3) if rng.random() < 0.4 else None
        if resubmitted is not None and resubmitted > now:
            resubmitted = None
        return Life(created, submitted, returned=returned, resubmitted=resubmitted), True
    if draw < OPEN_RETURNED_SHARE + pending_share:
        return Life(created, submitted), False
    approved = _later(rng, submitted, 1, 8)
    if approved > now:
        return Life(created, submitted), False
    correction = None
    if correctable and rng.random() < OPEN_CORRECTION_SHARE:
        started = _later(rng, approved, 1, 10)
        if started <= now:
            corrected = _moment(rng, timezone.localtime(started).date(), after=started)
            correction = Correction(started, {}, corrected if corrected <= now else None)
    return Life(created, submitted, approved=approved, correction=correction), False


def _forced_life(rng: random.Random, earliest: dt.date, force: str) -> Life:
    created = _moment(rng, earliest)
    submitted = _moment(rng, earliest + dt.timedelta(days=1), after=created)
    if force == "draft":
        return Life(created=created)
    if force == "returned":
        return Life(created, submitted, returned=_later(rng, submitted, 1, 2))
    if force == "pending":
        return Life(created, submitted)
    approved = _later(rng, submitted, 1, 2)
    if force == "correction":
        started = _moment(rng, timezone.localtime(approved).date(), after=approved)
        correction = Correction(started, {}, started + dt.timedelta(minutes=20))
        return Life(created, submitted, approved=approved, correction=correction)
    return Life(created, submitted, approved=approved)


def life_of(
    rng: random.Random,
    t: Timing,
    *,
    correctable: bool = True,
    force: str | None = None,
    pending_share: float = OPEN_PENDING_SHARE,
) -> tuple[Life | None, bool]:
    if t.open:
        return _open_life(rng, t, correctable, force, pending_share)
    return _historic_life(rng, t, correctable, force)


# --- what the enterprises do ----------------------------------------------------------------------


@dataclass(frozen=True)
class Client:
    direction: str
    country: str
    name: str
    currencies: tuple[tuple[str, int], ...]


def _weighted(rng: random.Random, options: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([o for o, _w in options], weights=[w for _o, w in options])[0]


def _client(rng: random.Random, filer: Filer, direction: str, offshore: bool) -> Client:
    if direction == "outbound":
        country, _w, currencies = rng.choice(OUTBOUND)
    elif offshore:
        bias = COUNTRY_BIAS.get(filer.city, {})
        country, _w, currencies = _weighted(
            rng, [(row, row[1] * bias.get(row[0], 1.0)) for row in OFFSHORE]
        )
    else:
        first, second = rng.choice(names.BRAND_FIRST), rng.choice(names.BRAND_SECOND)
        name = f"{filer.city_zh}{first[0]}{second[0]}{rng.choice(ONSHORE_INDUSTRIES)}有限公司"
        return Client(direction, "CN", name, (("CNY", 1),))
    first_parts, second_parts, forms = CLIENT_NAMES[country]
    name = f"{rng.choice(first_parts)} {rng.choice(second_parts)} {rng.choice(forms)}"
    return Client(direction, country, name, currencies)


def _clients(rng: random.Random, filer: Filer, offshore_share: float) -> list[Client]:
    """The enterprise's regular clients (most contracts are repeat business) and suppliers."""
    count = 2 + min(6, filer.employees // 150) + rng.randint(0, 2)
    clients = [_client(rng, filer, "inbound", rng.random() < offshore_share) for _ in range(count)]
    if filer.employees >= 100 and rng.random() < 0.5:
        clients.append(_client(rng, filer, "outbound", True))
    return clients


def onshore_scale(offshore_share: float) -> float:
    """How much larger onshore contracts are than offshore ones, so that with
    :data:`OFFSHORE_CLIENT_SHARE` of the contracts offshore, the offshore share of their value is
    the published one."""
    p = OFFSHORE_CLIENT_SHARE
    return p * (1 - offshore_share) / (offshore_share * (1 - p))


def cny_per_unit(currency: str) -> float:
    """A rough rate for planning amounts (the filed amounts are converted with the real ones)."""
    if currency == "CNY":
        return 1.0
    if currency == "HKD":
        return CURRENCIES["USD"].base / sum(HKD_PEG) * 2
    return CURRENCIES[currency].base


def _amount(value_cny: float, currency: str, unit: int) -> Decimal:
    """``value_cny`` in ``currency``, rounded to ``unit``, never a multiple of 10,000 by
    accident (an enterprise whose every amount is round gets a warning)."""
    units = max(1, round(value_cny / cny_per_unit(currency) / unit))
    amount = units * unit
    if amount % 10_000 == 0 and unit < 10_000:
        amount += unit
    return Decimal(amount).quantize(Decimal("0.01"))


def _cents(rng: random.Random, value: float) -> Decimal:
    return (
        Decimal(str(round(max(value, 1.0), 2))).quantize(Decimal("0.01"))
        + Decimal(rng.randint(0, 99)) / 100
    )


def contracts_per_year(employees: int) -> int:
    return max(2, min(10, round(1.5 + math.sqrt(employees) / 4)))


def _abbreviation(name_en: str) -> str:
    words = [w for w in name_en.replace(",", " ").split() if w[:1].isalpha() and w[0].isupper()]
    letters = "".join(w[0] for w in words[1:4] if w not in ("Co.", "Ltd."))
    return (letters or "SO").upper()


def _contract_number(pattern: int, abbreviation: str, signed_on: dt.date, serial: int) -> str:
    return (
        f"{abbreviation}-{signed_on.year}-{serial:03d}",
        f"HT{signed_on.year}{serial:04d}",
        f"{abbreviation}{signed_on:%y%m}{serial:03d}",
        f"CT-{signed_on:%Y}-{serial:03d}",
    )[pattern]


def _receipt(rng: random.Random, filer: Filer, bank: int, day: dt.date) -> str:
    """A balance-of-payments declaration number (申报号码) of 22 digits: area, bank, branch,
    date and serial."""
    return f"{filer.division[:4]}00{bank:04d}{rng.randint(1, 40):02d}{day:%y%m%d}" + (
        f"{rng.randint(1, 9999):04d}"
    )


def _swap_digits(text: str, rng: random.Random) -> str:
    """A typing mistake: two neighbouring different digits swapped."""
    positions = [i for i in range(len(text) - 1) if text[i] != text[i + 1]]
    if not positions:
        return text + "1"
    i = rng.choice(positions)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


@dataclass
class _Enterprise:
    """Planning state of one enterprise."""

    filer: Filer
    rng: random.Random
    plan: FilingPlan
    cal: Calibration
    leaves: Mapping[str, Sequence[str]]
    now: dt.datetime
    extensions: Mapping[tuple[str, dt.date], dt.date]
    # Fates imposed on the first records of a kind in a month: (kind, month) → fates.
    forced: dict[tuple[str, dt.date], list[str]] = field(default_factory=dict)

    def life(
        self, t: Timing, *, correctable: bool = True, force: str | None = None
    ) -> tuple[Life | None, bool]:
        # The showcase districts' reviewers find more work waiting.
        pending = SHOWCASE_PENDING_SHARE if self.filer.showcase else OPEN_PENDING_SHARE
        return life_of(self.rng, t, correctable=correctable, force=force, pending_share=pending)

    def fate(self, kind: str, period: dt.date) -> str | None:
        fates = self.forced.get((kind, period))
        return fates.pop(0) if fates else None

    def timing(self, period: dt.date, earliest: dt.date) -> Timing:
        f = self.filer
        until = max(
            (self.extensions.get((key, period), dt.date.min) for key in (f.uscc, f.division)),
            default=dt.date.min,
        )
        return Timing(
            earliest=earliest,
            due=due_date(period),
            until=until if until != dt.date.min else None,
            open=period >= self.plan.open_from,
            now=self.now,
        )

    def add(
        self,
        kind: str,
        period: dt.date,
        key: Mapping[str, Any],
        data: Mapping[str, Any],
        life: Life,
        fixed: Mapping[str, Any] | None = None,
    ) -> PlannedFiling:
        filing = PlannedFiling(kind, self.filer.uscc, period, key, data, life, fixed)
        self.plan.filings.append(filing)
        return filing


def _workforce(e: _Enterprise, periods: list[dt.date]) -> None:
    rng, cal = e.rng, e.cal
    college_share = min(0.95, max(0.25, rng.gauss(cal.college_share, 0.08)))
    growth = rng.gauss(0.06, 0.08) / 12
    employees = max(3, round(e.filer.employees * rng.uniform(0.88, 1.0)))
    for period in periods:
        turnover = rng.uniform(0.006, 0.022)
        season = 2.4 if period.month in (7, 8) else 1.4 if period.month == 3 else 1.0
        hires = max(
            0, round(employees * (turnover + max(growth, -0.01)) * season * rng.uniform(0.6, 1.4))
        )
        leavers = max(0, round(employees * turnover * rng.uniform(0.6, 1.4)))
        employees = max(3, employees + hires - leavers)
        college = min(employees, round(employees * (college_share + rng.gauss(0, 0.006))))
        hires_college = min(
            hires, round(hires * min(0.98, college_share + rng.uniform(0.02, 0.12)))
        )
        data = {
            "employees": employees,
            "employees_college": college,
            "new_hires": hires,
            "new_hires_college": hires_college,
        }
        force = e.fate("workforce", period)
        t = e.timing(period, next_month(period))
        life, returned = e.life(t, force=force)
        if life is None:
            continue
        first, fixed = data, None
        if returned:
            first = {**data, "new_hires": hires * 10 + rng.randint(1, 9)}
            life = replace(life, return_reason=RETURN_REASONS["new_hires"])
            fixed = data
        if life.correction:
            delta = max(1, round(college * 0.02))
            corrected = {**data, "employees_college": max(0, min(employees, college + delta))}
            life = replace(life, correction=replace(life.correction, data=corrected))
        e.add("workforce", period, {"month": period}, first, life, fixed)


def _leaf(e: _Enterprise, specialties: list[str]) -> str:
    rng = e.rng
    if rng.random() < 0.75:
        return rng.choice(specialties)
    group = _weighted(rng, list(e.cal.category_shares.items()))
    return _weighted_leaf(rng, e.leaves[group])


def _weighted_leaf(rng: random.Random, leaves: Sequence[str]) -> str:
    return _weighted(
        rng, [(c, 4 if c.endswith("01") else 1 if c.endswith("99") else 2) for c in leaves]
    )


def _contracts(e: _Enterprise, periods: list[dt.date], today: dt.date) -> None:
    f, rng, cal = e.filer, e.rng, e.cal
    per_year = 10 if f.flagship else contracts_per_year(f.employees)
    annual_cny = f.employees * cal.execution_per_employee * rng.lognormvariate(0, 0.35)
    clients = _clients(rng, f, OFFSHORE_CLIENT_SHARE)
    group = _weighted(rng, list(cal.category_shares.items()))
    specialties = [_weighted_leaf(rng, e.leaves[group]) for _ in range(2)]
    pattern, abbreviation = rng.randrange(4), _abbreviation(f.name_en)
    bank = rng.choice((1041, 1021, 1051, 3080, 3010, 1031))  # 中行 工行 建行 招行 交行 农行
    serials: dict[int, int] = {}
    for period in periods:
        last_day = min(month_end(period), today)
        count = sum(1 for _ in range(3) if rng.random() < per_year / 36)
        forced = len(e.forced.get(("contract", period), []))
        for index in range(max(count, forced)):
            force = e.fate("contract", period)
            signed_on = _between(rng, max(period, f.registered_on), last_day)
            if force:
                # Early in the month, so that the fate has happened whatever day it is.
                signed_on = max(period, f.registered_on) + dt.timedelta(days=index)
            if signed_on > today:
                continue
            serials[signed_on.year] = serials.get(signed_on.year, 0) + 1
            contract_no = _contract_number(
                pattern, abbreviation, signed_on, serials[signed_on.year]
            )
            _contract(
                e,
                period,
                contract_no,
                signed_on,
                clients,
                specialties,
                annual_cny / per_year,
                bank,
                force,
                today,
            )


def _contract(
    e: _Enterprise,
    period: dt.date,
    contract_no: str,
    signed_on: dt.date,
    clients: list[Client],
    specialties: list[str],
    mean_cny: float,
    bank: int,
    force: str | None,
    today: dt.date,
) -> None:
    rng, f = e.rng, e.filer
    client = rng.choice(clients)
    currency = _weighted(rng, client.currencies)
    term = _weighted(rng, TERMS)
    start_on = signed_on + dt.timedelta(days=rng.randint(0, 14))
    end_on = add_months(start_on, term) - dt.timedelta(days=1)
    value_cny = mean_cny * math.sqrt(term / 12) * rng.lognormvariate(0, 0.5)
    if client.country == "CN":
        value_cny *= onshore_scale(e.cal.offshore_share)
    unit = 1000 if currency == "JPY" else 100
    amount = _amount(value_cny, currency, unit)
    category = _leaf(e, specialties)
    data = {
        "direction": client.direction,
        "counterpart_name": client.name,
        "counterpart_country": client.country,
        "category": category,
        "currency": currency,
        "amount": amount,
        "signed_on": signed_on,
        "start_on": start_on,
        "end_on": end_on,
    }
    life, returned = e.life(e.timing(period, signed_on), force=force)
    # Draw the executions whatever the life, so the stream does not depend on it.
    amendment = _amendment_terms(rng, amount, start_on, term)
    payments = _payments(rng, amount, amendment, start_on, end_on, term, f.flagship)
    if life is None:
        return
    first, fixed = data, None
    if returned:
        if rng.random() < 0.6:
            first = {**data, "amount": amount * 10}
            reason = RETURN_REASONS["contract_amount"]
        else:
            first = {**data, "category": _other_leaf(rng, e.leaves, category)}
            reason = RETURN_REASONS["category"]
        life = replace(life, return_reason=reason)
        fixed = data
    if life.correction:
        corrected = {**data, "category": _other_leaf(rng, e.leaves, category)}
        life = replace(life, correction=replace(life.correction, data=corrected))
    contract = e.add("contract", period, {"contract_no": contract_no}, first, life, fixed)
    offshore = client.country != "CN"
    if amendment is not None:
        effective_on, new_amount, reason = amendment
        if effective_on <= today:
            _child(
                e,
                contract,
                "amendment",
                effective_on,
                {"amendment_no": "BC-01"},
                {"effective_on": effective_on, "new_amount": new_amount, "reason": reason},
            )
    for number, (executed_on, value) in enumerate(payments, start=1):
        if executed_on > today:
            break
        receipt = _receipt(rng, f, bank, executed_on) if offshore else ""
        _child(
            e,
            contract,
            "execution",
            executed_on,
            {"execution_no": f"P{number:02d}"},
            {
                "executed_on": executed_on,
                "currency": currency,
                "amount": value,
                "receipt_no": receipt,
            },
        )


def _other_leaf(rng: random.Random, leaves: Mapping[str, Sequence[str]], category: str) -> str:
    """Another category of the same group (the one a filer confused it with)."""
    others = [c for c in leaves[category[:3]] if c != category]
    return rng.choice(others) if others else category


def _amendment_terms(
    rng: random.Random, amount: Decimal, start_on: dt.date, term: int
) -> tuple[dt.date, Decimal, str] | None:
    drawn = rng.random(), rng.uniform(0.3, 0.7), rng.random(), rng.uniform(1.08, 1.45)
    if term < 6 or drawn[0] >= AMENDMENT_SHARE:
        return None
    effective_on = start_on + dt.timedelta(days=int(drawn[1] * term * 30))
    if drawn[2] < 0.85:
        factor, reason = drawn[3], rng.choice(AMENDMENT_REASONS_UP)
    else:
        factor, reason = 0.8 + (drawn[3] - 1.08) / 3, rng.choice(AMENDMENT_REASONS_DOWN)
    new_amount = (amount * Decimal(str(round(factor, 3)))).quantize(Decimal("1")) + Decimal("0.00")
    return effective_on, new_amount, reason


def _payments(
    rng: random.Random,
    amount: Decimal,
    amendment: tuple[dt.date, Decimal, str] | None,
    start_on: dt.date,
    end_on: dt.date,
    term: int,
    flagship: bool,
) -> list[tuple[dt.date, Decimal]]:
    """Payments over the term, each a share of the value in force when it is paid; together
    75 to 100 % of the value (the replay caps them at what the contract still allows)."""
    interval = _weighted(rng, PAYMENT_INTERVALS)
    most = 8 if flagship else 5
    interval = max(interval, math.ceil(term / most))
    count = max(1, term // interval)
    paid = rng.uniform(0.75, 1.0)
    weights = [rng.uniform(0.7, 1.3) for _ in range(count)]
    total = sum(weights)
    payments = []
    for index, weight in enumerate(weights, start=1):
        day = add_months(start_on, index * interval) + dt.timedelta(days=rng.randint(5, 40))
        day = min(day, end_on + dt.timedelta(days=60))
        value = amendment[1] if amendment and day >= amendment[0] else amount
        share = float(value) * paid * weight / total
        payments.append((day, _cents(rng, share)))
    return payments


def _child(
    e: _Enterprise,
    contract: PlannedFiling,
    kind: str,
    day: dt.date,
    key: Mapping[str, Any],
    data: dict[str, Any],
) -> None:
    """An amendment or execution; its fate follows its contract's (no approval before the
    contract's; none at all for a contract still a draft or returned)."""
    rng = e.rng
    period = month_of(day)
    force = e.fate(kind, period)
    life, returned = e.life(e.timing(period, day), correctable=kind == "execution", force=force)
    if life is None:
        return
    parent = contract.life
    if parent.status in ("draft", "returned"):
        return
    if parent.approved is None:
        if life.approved or life.returned:
            life = Life(life.created, life.submitted)
        if life.submitted and parent.submitted and life.submitted < parent.submitted:
            life = replace(life, submitted=parent.submitted + dt.timedelta(minutes=30))
    elif life.approved and life.approved < parent.approved:
        life = replace(life, approved=parent.approved + dt.timedelta(minutes=rng.randint(5, 60)))
    first, fixed = data, None
    if returned and life.returned:
        if kind == "amendment":
            first = {**data, "new_amount": data["new_amount"] * Decimal("1.1")}
            reason = RETURN_REASONS["amendment_amount"]
        elif data["receipt_no"]:
            first = {**data, "receipt_no": _swap_digits(data["receipt_no"], rng)}
            direction = contract.data["direction"]
            reason = RETURN_REASONS["receipt" if direction == "inbound" else "payment"]
        else:
            first = {**data, "amount": (data["amount"] * Decimal("0.9")).quantize(Decimal("0.01"))}
            reason = RETURN_REASONS["execution_amount"]
        life = replace(life, return_reason=reason)
        fixed = data
    if life.correction:
        # The bank's charges were deducted: the amount received was a little less.
        fee = Decimal(rng.randint(15, 60))
        corrected = {**data, "amount": max(Decimal("1.00"), data["amount"] - fee)}
        life = replace(life, correction=replace(life.correction, data=corrected))
    e.add(kind, period, {"contract_no": contract.contract_no, **key}, first, life, fixed)


# --- the whole plan -----------------------------------------------------------------------------


def _extensions(
    rng: random.Random, filers: list[Filer], plan: FilingPlan, now: dt.datetime
) -> list[PlannedExtension]:
    """Spring-festival extensions for a few districts each January, one district with more
    time for last month, and some enterprises that asked for it."""
    extensions: list[PlannedExtension] = []
    districts = sorted({f.division for f in filers})
    last = plan.open_from
    for period in plan.periods:
        if period > last:
            break
        due = due_date(period)
        if period.month == 1 or period == last:
            chosen = rng.sample(districts, min(len(districts), 2 if period != last else 1))
            for district in chosen:
                until = due + dt.timedelta(days=10)
                template = (
                    EXTENSION_REASON_FESTIVAL if period != last else EXTENSION_REASON_DISTRICT
                )
                extensions.append(
                    PlannedExtension(
                        period,
                        until,
                        template.format(month=f"{period:%Y年%m月}", until=f"{until:%m月%d日}"),
                        min(_moment(rng, due - dt.timedelta(days=4)), now),
                        division=district,
                    )
                )
        askers = [f for f in filers if f.registered_on <= month_end(period)]
        count = sum(1 for _ in askers if rng.random() < EXTENSION_SHARE)
        if period == last:
            count = max(count, 2)
        for filer in rng.sample(askers, min(count, len(askers))):
            until = due + dt.timedelta(days=rng.randint(7, 15))
            extensions.append(
                PlannedExtension(
                    period,
                    until,
                    rng.choice(EXTENSION_REASONS_ENTERPRISE),
                    min(_moment(rng, due - dt.timedelta(days=rng.randint(1, 3))), now),
                    uscc=filer.uscc,
                )
            )
    return extensions


def plan_filings(
    *,
    seed: int,
    filers: list[Filer],
    cal: Calibration,
    leaves: Mapping[str, Sequence[str]],
    months: int = DEFAULT_MONTHS,
    now: dt.datetime | None = None,
) -> FilingPlan:
    """The filings of ``filers`` over ``months`` whole months before the current one and the
    current month up to ``now``. ``leaves`` are the catalogue's most detailed categories by
    group (ITO, BPO, KPO)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    current = month_of(today)
    first = add_months(current, -months)
    periods = [add_months(first, i) for i in range(months + 1)]
    plan = FilingPlan(periods=periods, open_from=add_months(current, 1 - OPEN_MONTHS))
    rng = random_stream(seed, "filings")
    plan.extensions = _extensions(rng, filers, plan, now)
    granted: dict[tuple[str, dt.date], dt.date] = {}
    for x in plan.extensions:
        key = (x.uscc or x.division or "", x.period)
        granted[key] = max(granted.get(key, dt.date.min), x.until)
    for filer in filers:
        e = _Enterprise(
            filer, random_stream(seed, f"filings:{filer.uscc}"), plan, cal, leaves, now, granted
        )
        if filer.flagship:
            e.forced.update(_flagship_fates(plan))
        start = max(first, month_of(filer.registered_on))
        active = [p for p in periods if p >= start]
        _workforce(e, [p for p in active if p < current])
        if filer.files_contracts:
            _contracts(e, active, today)
    flagship = next((f for f in filers if f.flagship), None)
    if flagship and len(plan.signed_periods) >= 4:
        plan.reopen = PlannedReopen(
            plan.signed_periods[-3], flagship.division, flagship.uscc, REOPEN_REASON
        )
    return plan


def _flagship_fates(plan: FilingPlan) -> dict[tuple[str, dt.date], list[str]]:
    """The flagship's records that show every state on its own pages, whatever the seed and
    the day: last month's first contracts returned, awaiting review, corrected, still a
    draft; its first execution of last month returned; a workforce report filed late."""
    last = plan.open_from
    fates = {
        ("contract", last): ["returned", "pending", "correction", "draft"],
        ("execution", last): ["returned"],
        ("workforce", last): ["correction"],
    }
    signed = plan.signed_periods
    if signed:
        fates[("workforce", signed[len(signed) // 2])] = ["late"]
    return fates
