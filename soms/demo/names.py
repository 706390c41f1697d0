"""Names, people, telephones and codes that look like the real thing.

Officials judge a demo by whether its list of enterprises looks like theirs: "苏州云启信息技术有限
公司", a contact person called 王敏, a Suzhou landline starting 0512, a USCC whose division part
is the district. Everything here is drawn from a :class:`random.Random` passed in, so the
same seed gives the same names.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from stdnum.cn import uscc as stdnum_uscc

# The characters a USCC may contain (GB 32100-2015: no I, O, S, V, Z).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# Brand names are two characters with their pinyin, as most Chinese company names are.
# fmt: off
BRAND_FIRST = (
    ("云", "Yun"), ("智", "Zhi"), ("数", "Shu"), ("博", "Bo"), ("华", "Hua"), ("汇", "Hui"),
    ("联", "Lian"), ("易", "Yi"), ("信", "Xin"), ("创", "Chuang"), ("恒", "Heng"), ("天", "Tian"),
    ("海", "Hai"), ("星", "Xing"), ("瑞", "Rui"), ("凯", "Kai"), ("宏", "Hong"), ("远", "Yuan"),
    ("腾", "Teng"), ("卓", "Zhuo"), ("睿", "Rui"), ("启", "Qi"), ("鼎", "Ding"), ("捷", "Jie"),
    ("维", "Wei"), ("泰", "Tai"), ("安", "An"), ("明", "Ming"), ("新", "Xin"), ("中", "Zhong"),
)
BRAND_SECOND = (
    ("启", "qi"), ("通", "tong"), ("达", "da"), ("科", "ke"), ("联", "lian"), ("创", "chuang"),
    ("驰", "chi"), ("辰", "chen"), ("帆", "fan"), ("宇", "yu"), ("泽", "ze"), ("朗", "lang"),
    ("航", "hang"), ("图", "tu"), ("擎", "qing"), ("澜", "lan"), ("峰", "feng"), ("源", "yuan"),
    ("拓", "tuo"), ("讯", "xun"), ("盛", "sheng"), ("锐", "rui"), ("弘", "hong"), ("微", "wei"),
)
# Made-up brands for foreign-invested and Hong Kong, Macao or Taiwan enterprises rather than
# well-known companies' names, so that the demo is not read as a statement about a real one.
FOREIGN_BRANDS = (
    ("诺维克", "Norvik"), ("赫尔蒙", "Helmont"), ("卢美拉", "Lumera"), ("奥比达", "Orbida"),
    ("维瑞登", "Veriden"), ("斯卡利", "Skarly"), ("梅里安", "Merian"), ("昆托", "Quintor"),
    ("达维罗", "Dalvero"), ("安布雷", "Ambrel"), ("托瓦利", "Tovalis"), ("布雷文", "Brevant"),
    ("丸花", "Maruhana"), ("青叶", "Aoba"), ("索尔凡", "Solvane"), ("基拉诺", "Kyrano"),
)
HMT_BRANDS = (
    ("永信", "Wingson"), ("宏途", "Grandway"), ("港联", "Harbourlink"), ("恒达", "Evertop"),
    ("德裕", "Tak Yue"), ("建丰", "Kin Fung"), ("致远", "Chih Yuan"), ("龙腾", "Lung Teng"),
    ("嘉晋", "Ka Chun"), ("联丰", "Luen Fung"),
)
# fmt: on

# (Chinese, English, weight): mostly IT services, then business and knowledge processes.
INDUSTRIES = (
    ("信息技术", "Information Technology", 10),
    ("软件", "Software", 8),
    ("软件技术", "Software Technology", 4),
    ("网络科技", "Network Technology", 5),
    ("数据科技", "Data Technology", 4),
    ("数字科技", "Digital Technology", 4),
    ("智能科技", "Intelligent Technology", 3),
    ("信息服务", "Information Services", 3),
    ("计算机系统", "Computer Systems", 2),
    ("系统集成", "Systems Integration", 2),
    ("服务外包", "Outsourcing Services", 3),
    ("商务服务", "Business Services", 2),
    ("企业管理咨询", "Management Consulting", 2),
    ("人力资源服务", "Human Resources Services", 2),
    ("金融信息服务", "Financial Information Services", 2),
    ("呼叫中心服务", "Contact Centre Services", 1),
    ("医药科技", "Pharmaceutical Technology", 2),
    ("生物医药研发", "Biopharmaceutical R&D", 1),
    ("工业设计", "Industrial Design", 2),
    ("动漫设计", "Animation Design", 1),
    ("检测技术", "Testing Technology", 1),
    ("工程技术咨询", "Engineering Consulting", 1),
    ("供应链管理", "Supply Chain Management", 1),
)

# The commonest surnames, roughly in order of frequency (weights fall off accordingly).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵"
)
# fmt: off
GIVEN_NAMES = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "霞", "平", "刚", "婷", "宇", "浩", "鑫", "晨", "欣", "佳", "颖", "昊", "琳",
    "志强", "秀英", "建华", "晓东", "海燕", "子涵", "雨轩", "思远", "文博", "嘉怡", "俊杰",
    "梓萱", "浩然", "欣怡", "明辉", "丽华", "建国", "晓燕", "宏伟", "雪梅",
)
ROADS = (
    "科技路", "创新大道", "软件园路", "高新大道", "信息路", "学府路", "星湖街", "长江路",
    "人民路", "中山路", "滨江大道", "文化路", "湖滨路", "金桥路", "望江路", "明珠路",
)
BUILDINGS = ("", "A座", "B座", "科技大厦", "创新中心", "软件园二期", "国际商务中心")
MAIL_BOXES = ("contact", "service", "info", "office", "hr", "bd")
MOBILE_PREFIXES = (
    "133", "135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "177", "180",
    "181", "186", "187", "188", "189", "199",
)
# fmt: on


@dataclass(frozen=True)
class CompanyName:
    zh: str
    en: str
    domain: str


def gb11714_check(body: str) -> str:
    """The check character of an organisation code (GB 11714-1997) for its first 8 characters.

    The USCC (GB 32100-2015) embeds the organisation code, check character included, in its
    characters 9 to 17; only the final USCC check is verified by stdnum, but a demo code should
    be right throughout.
    """
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c, 36) * w for c, w in zip(body, weights, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def organisation_code(rng: random.Random, *, recent: bool) -> str:
    """A 9-character organisation code: ``MA…`` as issued since the USCC reform of late 2015,
    eight digits before it."""
    if recent:
        body = "MA" + rng.choice("123456789") + "".join(rng.choice(USCC_ALPHABET) for _ in range(5))
    else:
        body = rng.choice("5677789") + "".join(rng.choice("0123456789") for _ in range(7))
    return body + gb11714_check(body)


def uscc(division: str, organisation: str) -> str:
    """An enterprise's USCC: 9 (market regulation), 1 (enterprise), the division where it is
    registered, the organisation code and the check character."""
    body = f"91{division}{organisation}"
    return body + stdnum_uscc.calc_check_digit(body)


def _weighted_index(rng: random.Random, weights: list[int]) -> int:
    return rng.choices(range(len(weights)), weights=weights)[0]


def company_name(rng: random.Random, *, city_zh: str, city_en: str, ownership: str) -> CompanyName:
    """A company name in the form the registration authorities give: for a domestic company
    ``{city}{brand}{industry}有限公司``, for a foreign-invested one ``{brand}（{city}）…``."""
    industry_zh, industry_en, _weight = INDUSTRIES[
        _weighted_index(rng, [weight for *_names, weight in INDUSTRIES])
    ]
    if ownership in ("foreign", "hmt"):
        brand_zh, brand_en = rng.choice(FOREIGN_BRANDS if ownership == "foreign" else HMT_BRANDS)
        return CompanyName(
            zh=f"{brand_zh}（{city_zh}）{industry_zh}有限公司",
            en=f"{brand_en} ({city_en}) {industry_en} Co., Ltd.",
            domain=f"{brand_en.lower().replace(' ', '')}.com",
        )
    first, second = rng.choice(BRAND_FIRST), rng.choice(BRAND_SECOND)
    while second[0] == first[0]:
        second = rng.choice(BRAND_SECOND)
    brand_zh, brand_en = first[0] + second[0], first[1] + second[1]
    # Joint-stock companies are commoner among the older and state-owned enterprises.
    joint_stock = rng.random() < (0.45 if ownership == "state" else 0.12)
    suffix = "股份有限公司" if joint_stock else "有限公司"
    return CompanyName(
        zh=f"{city_zh}{brand_zh}{industry_zh}{suffix}",
        en=f"{city_en} {brand_en} {industry_en} Co., Ltd.",
        domain=f"{brand_en.lower()}{rng.choice(('', 'tech', 'soft', 'info', 'data'))}"
        f"{rng.choice(('.com', '.com.cn', '.cn'))}",
    )


def person_name(rng: random.Random) -> str:
    surname = SURNAMES[min(int(rng.expovariate(1 / 18)), len(SURNAMES) - 1)]
    return surname + rng.choice(GIVEN_NAMES)


def telephone(rng: random.Random, *, area_code: str, local_digits: int) -> str:
    """A mobile number (most contact persons give one) or a landline of the city."""
    if rng.random() < 0.6:
        return rng.choice(MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(8))
    local = rng.choice("2345678") + "".join(
        rng.choice("0123456789") for _ in range(local_digits - 1)
    )
    return f"{area_code}-{local}"


def address(rng: random.Random, *, city_prefix: str, district: str) -> str:
    building = rng.choice(BUILDINGS)
    floor = f"{rng.randint(2, 28)}层" if building else f"{rng.randint(1, 5)}号楼"
    return f"{city_prefix}{district}{rng.choice(ROADS)}{rng.randint(1, 999)}号{building}{floor}"


def email(rng: random.Random, domain: str) -> str:
    return f"{rng.choice(MAIL_BOXES)}@{domain}"
