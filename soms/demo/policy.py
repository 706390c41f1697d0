"""The demo's policy targets: every target of ``policy-targets-and-programs.md``, published, with
the external series they need, written through the policy services as the demo's ministry
administrator.

What the system cannot derive from filed records is an external series. Two are needed that no
published figure loaded at set-up covers: services exports and a world benchmark of output per
practitioner. The demo fills them with **illustrative** figures, flagged as such (every page
showing them says so), with the source the real figures would come from named. A third — the
multinational corporations that moved outsourcing business to China — has no published count
at all: its series is created empty, and the target says it has no data.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from soms.accounts.models import User
from soms.policy import services
from soms.policy.choices import Comparison, Direction, SeriesUnit
from soms.policy.models import ExternalSeries, Target
from soms.policy.services import Figure

ADMINISTRATOR = "ministry-admin"

THT = {
    "document_title": "商务部关于实施服务外包“千百十工程”的通知"
    "（Circular of MOFCOM on Implementing the “Thousand-Hundred-Ten Project” of Service "
    "Outsourcing）",
    "document_number": "商资发〔2006〕556号",
    "document_file": "004_4c2322435ad7c07f.txt",
}
GUIDANCE_2020 = {
    "document_title": "商务部等8部门关于推动服务外包加快转型升级的指导意见"
    "（Guidance of MOFCOM and seven other departments on promoting the transformation and "
    "upgrading of service outsourcing）",
    "document_number": "商服贸发〔2020〕12号",
    "document_file": "000_19e03178475367a6.txt",
}
ACTION_PLAN_2025 = {
    "document_title": "商务部等部门关于推动服务外包高质量发展的行动方案"
    "（Action Plan of MOFCOM and five other departments for promoting the high-quality "
    "development of service outsourcing）",
    "document_number": "",
    "document_file": "003_2c8778ffdcfb547a.txt",
}

ILLUSTRATIVE = (
    "Illustrative figures for the demonstration, not published ones; "
    "示意数值，仅供演示，非公布数据。"
)

SERIES: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
    (
        {
            "code": "services-exports",
            "name_zh": "服务出口额（示意）",
            "name_en": "Services exports (illustrative)",
            "unit": SeriesUnit.CNY_100M,
            "source": "商务部服务贸易统计 / MOFCOM services trade statistics — "
            "demo figures of the published order of magnitude",
            "source_url": "http://www.mofcom.gov.cn/",
            "illustrative": True,
            "note": ILLUSTRATIVE + " Replace them with the published yearly figures.",
        },
        [
            ("2019", "19564"),
            ("2020", "19357"),
            ("2021", "25435"),
            ("2022", "28522"),
            ("2023", "26857"),
            ("2024", "31756"),
            ("2025", "33500"),
        ],
    ),
    (
        {
            "code": "world-output-per-practitioner",
            "name_zh": "世界领先水平：服务外包从业人员人均年产值（示意）",
            "name_en": "World-leading output value per practitioner (illustrative)",
            "unit": SeriesUnit.USD_PER_PERSON,
            "source": "Revenue per employee of the leading IT-BPM industries as industry "
            "bodies (NASSCOM and others) report it — demo figures, not theirs",
            "source_url": "",
            "illustrative": True,
            "note": ILLUSTRATIVE + " The ministry adopts the benchmark it compares with.",
        },
        [(str(year), str(42_000 + 1_800 * (year - 2015))) for year in range(2015, 2026)],
    ),
    (
        {
            "code": "multinationals-transferring",
            "name_zh": "向中国转移服务外包业务的世界著名跨国公司数",
            "name_en": "Well-known multinational corporations transferring outsourcing to China",
            "unit": SeriesUnit.COUNT,
            "source": "No published count; the ministry uploads its own tally. "
            "无公布数据，由商务部上传。",
            "source_url": "",
            "illustrative": False,
            "note": "The system records counterparts by name and country, with no flag for "
            "multinational corporations, so it cannot count them from filed contracts.",
        },
        [],
    ),
]


def _targets(series: dict[str, ExternalSeries]) -> list[dict[str, Any]]:
    return [
        {
            **THT,
            "code": "T-2006-BASE",
            "title_zh": "建设10个具有国际竞争力的服务外包基地城市",
            "title_en": "10 base cities with international competitiveness",
            "indicator": "designated_cities",
            "target_value": Decimal(10),
            "baseline_year": 2005,
            "deadline": 2010,
        },
        {
            **THT,
            "code": "T-2006-MNC",
            "title_zh": "推动100家世界著名跨国公司将服务外包业务转移到中国",
            "title_en": "100 well-known multinationals transfer outsourcing business to China",
            "indicator": "external",
            "series": series["multinationals-transferring"],
            "target_value": Decimal(100),
            "deadline": 2010,
            "note": "Measured by an external series: the system has no flag for multinational "
            "counterparts. 系统未标记跨国公司客户，以外部数据衡量。",
        },
        {
            **THT,
            "code": "T-2006-ENT",
            "title_zh": "培育1000家取得国际资质的大中型服务外包企业",
            "title_en": "1000 large and medium enterprises with international qualification",
            "indicator": "international_certified",
            "target_value": Decimal(1000),
            "baseline_year": 2005,
            "deadline": 2010,
        },
        {
            **THT,
            "code": "T-2006-CMMI3",
            "title_zh": "5年内700家企业获得CMM/CMMI 3级认证",
            "title_en": "700 enterprises with CMM/CMMI level 3",
            "indicator": "cmmi_level3",
            "target_value": Decimal(700),
            "baseline_year": 2005,
            "deadline": 2011,
            "note": "Five years from the circular of 2006. 自2006年通知起5年。",
        },
        {
            **THT,
            "code": "T-2006-CMMI5",
            "title_zh": "5年内300家企业获得CMM/CMMI 5级认证",
            "title_en": "300 enterprises with CMM/CMMI level 5",
            "indicator": "cmmi_level5",
            "target_value": Decimal(300),
            "baseline_year": 2005,
            "deadline": 2011,
            "note": "Five years from the circular of 2006. 自2006年通知起5年。",
        },
        {
            **THT,
            "code": "T-2006-TRAIN",
            "title_zh": "培训30–40万服务外包人才",
            "title_en": "300,000–400,000 people trained",
            "indicator": "trainees",
            "target_value": Decimal(300_000),
            "accumulate_from": 2006,
            "deadline": 2010,
            "note": "The circular names 300,000–400,000; the lower end is the target. "
            "通知为30–40万人，以下限为目标。",
        },
        {
            **THT,
            "code": "T-2006-GRAD",
            "title_zh": "吸纳20–30万大学毕业生就业",
            "title_en": "200,000–300,000 college graduates employed",
            "indicator": "college_hires",
            "target_value": Decimal(200_000),
            "accumulate_from": 2006,
            "deadline": 2010,
            "note": "The circular names 200,000–300,000; the lower end is the target. "
            "通知为20–30万人，以下限为目标。",
        },
        {
            **THT,
            "code": "T-2006-X4",
            "title_zh": "2010年离岸服务外包出口额为2005年的4倍",
            "title_en": "Offshore outsourcing exports in 2010 four times those of 2005",
            "indicator": "offshore_execution",
            "comparison": Comparison.RATIO,
            "target_value": Decimal(4),
            "baseline_year": 2005,
            "deadline": 2010,
            "note": "No 2005 figure is in the system or in the published figures loaded: enter "
            "it as the baseline value, with its source, when known. "
            "系统与已公布数据均无2005年数字。",
        },
        {
            **GUIDANCE_2020,
            "code": "T-2020-DIGITAL",
            "title_zh": "高技术含量、高附加值的数字化业务占比不断提高",
            "title_en": "The share of high-tech, high value-added digital business keeps rising",
            "indicator": "digital_share",
            "direction": Direction.RISE,
            "baseline_year": 2019,
            "deadline": 2025,
        },
        {
            **GUIDANCE_2020,
            "code": "T-2020-HUB",
            "title_zh": "离岸服务外包作为生产性服务出口主渠道的地位进一步巩固",
            "title_en": "Offshore outsourcing consolidated as the main channel of "
            "producer-services exports",
            "indicator": "offshore_share_of_exports",
            "series": series["services-exports"],
            "direction": Direction.RISE,
            "baseline_year": 2020,
            "deadline": 2025,
            "note": "The guidance sets no number: measured as the share of offshore execution "
            "value in services exports, which is to keep rising. 意见未设定数值。",
        },
        {
            **GUIDANCE_2020,
            "code": "T-2035-PRODUCTIVITY",
            "title_zh": "服务外包从业人员年人均产值达到世界领先水平",
            "title_en": "Average annual output value per practitioner reaches the world's "
            "leading level",
            "indicator": "output_per_practitioner",
            "benchmark": series["world-output-per-practitioner"],
            "deadline": 2035,
        },
        {
            **ACTION_PLAN_2025,
            "code": "T-2025-LEADERS",
            "title_zh": "培育具有国际竞争力的服务外包龙头企业，带动就业显著增加",
            "title_en": "Internationally competitive leading enterprises cultivated; "
            "employment significantly increased",
            "indicator": "leading_enterprises",
            "companion_indicator": "employees",
            "threshold": Decimal(100_000_000),
            "direction": Direction.RISE,
            "baseline_year": 2024,
            "deadline": 2030,
            "note": "The action plan sets no threshold: a leading enterprise is one whose "
            "yearly execution value reaches CNY 100 million (a demo assumption). "
            "行动方案未规定门槛，演示假定年执行额1亿元。",
        },
    ]


def configure_demo_targets(now: dt.datetime) -> int:
    """Create the external series and the targets the demo lacks (an existing one is left as
    an administrator may have changed it); return the number of targets created."""
    actor = User.objects.filter(username=ADMINISTRATOR).first()
    if actor is None:
        return 0
    series: dict[str, ExternalSeries] = {}
    for data, figures in SERIES:
        existing = ExternalSeries.objects.filter(code=data["code"]).first()
        if existing is None:
            parsed = [
                Figure(period, int(period), None, Decimal(value)) for period, value in figures
            ]
            existing = services.save_series(actor, data, parsed, at=now)
        series[data["code"]] = existing
    created = 0
    for data in _targets(series):
        if Target.objects.filter(code=data["code"]).exists():
            continue
        services.save_target(actor, {**data, "published": True}, None, at=now)
        created += 1
    return created
