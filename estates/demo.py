"""Realistic Chongqing demo data: districts down to units, owners, common assets, renovation projects and logins.

``demo_seed()`` fills an *empty* inventory; ``manage.py seed_demo [--units N]`` calls it and ``make run``
runs that on a fresh database. Everything comes from one ``random.Random(seed)``, so the same ``units``
give the same data on every run. Estates hold about 200 units in buildings of 1980s–90s type (6–7 floors,
2–3 entrances, two flats per landing), so ``--units 100000`` gives about 500 estates for benchmarks.

Rows are built in Python and written with ``bulk_create`` a few dozen estates at a time: no query per row.
Personal data is stored exactly as ``owner_save`` stores it (encrypted, digest, masked), with valid
resident ID numbers and unified social credit codes.
"""

from __future__ import annotations

import datetime
import itertools
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TextIO

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import Role, User

from .models import (
    AssetKind,
    Building,
    CommonAsset,
    Community,
    ContentClass,
    ContentItem,
    District,
    Estate,
    FundingLine,
    FundingSource,
    ManagementModel,
    Owner,
    OwnerKind,
    Ownership,
    ProjectStatus,
    RenovationProject,
    Subdistrict,
    Unit,
    UnitUse,
)
from .services import role_grant
from .validators import resident_id_check_char, uscc_check_char

DEMO_PASSWORD = "anju-demo-2026"
DEFAULT_UNITS = 600
UNITS_PER_ESTATE = 200
DEFAULT_SEED = 2026

ALREADY_PRESENT = "演示数据已存在，未做更改 / Demo data already present; nothing changed"
NOT_ALLOWED = (
    "此环境不允许加载演示数据（DEMO_DATA_ALLOWED = False），生产环境从不加载演示账号。"
    " / Demo data is not allowed here (DEMO_DATA_ALLOWED = False): production never gets demo logins."
)

# The three estates every demo has, whatever --units says: one per management model, the first two in
# the same sub-district (七星岗街道) so that a sub-district officer sees two estates but not all of them.
JINTANGJIE = "金汤街小区"
TONGYUANMEN = "通远门新村"
YANGHE = "洋河新村"

# (mobile, role, description): printed by seed_demo, `make run` and the README. Password: DEMO_PASSWORD.
DEMO_LOGINS: list[tuple[str, str, str]] = [
    ("13900000000", Role.PLATFORM_ADMIN, "周立新 · 平台管理员，可见全部小区 / Platform administrator (superuser), all estates"),
    ("13900000001", Role.ESTATE_STAFF, f"何晓燕 · {JINTANGJIE}物业服务人员 / Property staff of {JINTANGJIE} only"),
    (
        "13900000002",
        Role.SUBDISTRICT_OFFICER,
        f"谭志刚 · 渝中区七星岗街道干部（{JINTANGJIE}、{TONGYUANMEN}等）/ Sub-district officer of 七星岗街道",
    ),
    ("13900000003", Role.COMMITTEE_MEMBER, f"冉桂芳 · {YANGHE}业委会委员 / Owners' committee member of {YANGHE}"),
    ("13900000004", Role.CMS_EDITOR, "蒋雨萱 · 网站编辑 / Site (CMS) editor"),
    ("13800000001", Role.OWNER, f"陈建华 · {JINTANGJIE}业主 / Owner in {JINTANGJIE}"),
    ("13800000002", Role.OWNER, f"刘秀英 · {YANGHE}业主 / Owner in {YANGHE}"),
    ("13700000001", Role.TENANT, "王浩宇 · 租户 / Tenant"),
]
# Name and sex of each login's person (the sex has to match the owner record's ID number).
_LOGIN_PEOPLE = {
    "13900000000": ("周立新", True),
    "13900000001": ("何晓燕", False),
    "13900000002": ("谭志刚", True),
    "13900000003": ("冉桂芳", False),
    "13900000004": ("蒋雨萱", False),
    "13800000001": ("陈建华", True),
    "13800000002": ("刘秀英", False),
    "13700000001": ("王浩宇", True),
}
# Logins that are on an estate's register of owners: estate index -> mobiles. A committee member is an
# owner of the estate by law (Civil Code Art. 277), so 冉桂芳 holds a flat in 洋河新村 as well.
_OWNER_LOGINS = {0: ["13800000001"], 2: ["13800000002", "13900000003"]}


class DemoDataNotAllowedError(RuntimeError):
    """Raised where settings.DEMO_DATA_ALLOWED is false (production)."""


# --- places ----------------------------------------------------------------------------------------

# District code (= resident ID region code), name, sub-districts (街道), main roads for addresses.
DISTRICTS: list[tuple[str, str, list[str], list[str]]] = [
    (
        "500103",
        "渝中区",
        [
            "七星岗街道",
            "解放碑街道",
            "朝天门街道",
            "南纪门街道",
            "大溪沟街道",
            "上清寺街道",
            "两路口街道",
            "菜园坝街道",
            "石油路街道",
            "大坪街道",
            "化龙桥街道",
        ],
        ["中山一路", "中山二路", "民生路", "和平路", "人民路", "长江一路", "嘉陵江滨江路", "大坪正街"],
    ),
    (
        "500105",
        "江北区",
        ["观音桥街道", "华新街街道", "五里店街道", "石马河街道", "大石坝街道", "寸滩街道", "江北城街道", "郭家沱街道"],
        ["建新北路", "建新东路", "建新南路", "洋河一路", "北城天街", "五里店正街", "红石路", "石马河正街"],
    ),
    (
        "500108",
        "南岸区",
        ["南坪街道", "花园路街道", "铜元局街道", "龙门浩街道", "弹子石街道", "海棠溪街道", "南山街道", "天文街道"],
        ["南坪正街", "南坪西路", "南坪东路", "海峡路", "学府大道", "铜元局正街", "弹子石正街", "烟雨路"],
    ),
    (
        "500107",
        "九龙坡区",
        [
            "杨家坪街道",
            "谢家湾街道",
            "黄桷坪街道",
            "石坪桥街道",
            "石桥铺街道",
            "渝州路街道",
            "二郎街道",
            "中梁山街道",
            "九龙街道",
        ],
        ["杨家坪正街", "直港大道", "谢家湾正街", "黄桷坪正街", "石杨路", "渝州路", "科园一路", "西郊路"],
    ),
    (
        "500106",
        "沙坪坝区",
        [
            "磁器口街道",
            "小龙坎街道",
            "沙坪坝街道",
            "渝碚路街道",
            "天星桥街道",
            "新桥街道",
            "井口街道",
            "童家桥街道",
            "石井坡街道",
            "覃家岗街道",
        ],
        ["小龙坎正街", "天星桥正街", "渝碚路", "沙坪坝正街", "磁器口正街", "童家桥正街", "汉渝路", "石门坎"],
    ),
    (
        "500104",
        "大渡口区",
        ["新山村街道", "跃进村街道", "九宫庙街道", "茄子溪街道", "春晖路街道"],
        ["松青路", "钢花路", "文体路", "春晖路", "大渡口老街", "八桥镇正街"],
    ),
    (
        "500109",
        "北碚区",
        ["天生街道", "北温泉街道", "朝阳街道", "龙凤桥街道", "东阳街道"],
        ["天生路", "北温泉路", "中山路", "碚峡路", "朝阳路", "龙凤一村"],
    ),
]
# Communities known by name; other sub-districts draw from COMMUNITY_STEMS.
KNOWN_COMMUNITIES = {
    "七星岗街道": ["金汤街社区", "通远门社区", "领事巷社区", "双钢路社区"],
    "观音桥街道": ["洋河社区", "建北社区", "塔坪社区"],
    "南坪街道": ["南坪东路社区", "百子甲社区"],
    "杨家坪街道": ["直港大道社区", "西郊路社区"],
    "磁器口街道": ["磁器口社区", "金碧社区"],
    "解放碑街道": ["民族路社区", "较场口社区"],
}
COMMUNITY_STEMS = (
    "新村 和平 建设 团结 胜利 红旗 东风 向阳 长江 嘉陵 光明 民主 幸福 朝阳 兴隆 友谊 文化 工人村 "
    "桂花 黄葛 石门 新华 红岩 金沙 滨江 一村 二村 三村 南桥 北城 大田湾 马家堡 枇杷山 鹅岭 桥北 正街"
).split()
ESTATE_STEMS = (
    "建设厂 长安厂 嘉陵厂 望江厂 空压厂 重钢 特钢厂 重棉三厂 电机厂 水泵厂 川仪 标准件厂 印制二厂 邮电局 供电局 "
    "粮食局 商业局 交通局 建工 重汽 江陵厂 铁路 自来水公司 燃气公司 港务局 "
    "桂花园 枇杷山 大田湾 马家堡 黄桷坪 谢家湾 石坪桥 五里店 海棠溪 弹子石 天星桥 童家桥 小龙坎 双碑 松青 春晖 朝阳 "
    "红岩 嘉陵 长江 和平 建新 渝州 南桥 北城 九龙 金碧 龙凤 天生"
).split()
WORK_UNIT_SUFFIXES = ["宿舍", "家属区", "职工宿舍", "生活区", "家属院"]
PLACE_SUFFIXES = ["新村", "小区", "花园", "大院", "住宅区"]
PHASES = ["二期", "三期", "四期", "五期", "东区", "西区", "南区", "北区"]

# Resident ID region codes of people who own flats in the city, beside the estate's own district.
OTHER_REGIONS = ["500101", "500102", "500103", "500104", "500105", "500106", "500107", "500108", "500109", "500112", "500113"]

# --- people ----------------------------------------------------------------------------------------

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万严覃武戴莫孔向汤冉"
)
# Chongqing-heavy surnames come up more often.
SURNAME_WEIGHTS = [6 if s in "陈刘李王张杨黄周谭何罗唐冉向" else 2 if s in SURNAMES[:40] else 1 for s in SURNAMES]
SURNAME_CUM_WEIGHTS = list(itertools.accumulate(SURNAME_WEIGHTS))
MALE_NAMES = (
    "建国 建华 国强 志强 志刚 德明 明华 永福 卫东 红军 建军 文斌 海涛 晓东 小平 光荣 家林 世明 大勇 正元 "
    "伟 军 勇 刚 平 强 斌 波 涛 杰 鹏 浩 宇 林 彬 毅 超 磊 亮 俊 川 渝 江"
).split()
FEMALE_NAMES = (
    "秀英 桂英 秀兰 淑芬 玉兰 桂芳 丽华 晓燕 春梅 玉梅 素琴 德芳 小红 明珍 永红 世琼 光碧 家慧 雪梅 晓梅 "
    "丽 静 敏 燕 艳 霞 娟 芳 红 琴 莉 萍 英 玲 婷 娜 蓉 渝 琼"
).split()
MOBILE_PREFIXES = "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 158 159 177 180 182 186 187 188 189 199".split()

# Organisations that own units: the old work unit that kept some flats after the housing reform (房改),
# shops' companies and sole traders.
WORK_UNITS = [
    "重庆建设机床厂",
    "重庆长江电工厂",
    "重庆嘉陵机器厂",
    "重庆市第二轻工业局",
    "重庆市粮食储运公司",
    "重庆市商业储运公司",
    "重庆电机厂",
    "重庆水泵厂",
    "重庆市自来水公司",
    "重庆市房屋管理所",
]
SHOP_TRADES = ["商贸", "餐饮管理", "医药连锁", "便利店", "五金建材", "通信器材", "家政服务", "眼镜"]
SHOP_BRANDS = "鑫旺 兴隆 佳和 和顺 乐家 渝味 山城 巴渝 同心 永辉 利民 百姓 红火 嘉禾 德信 顺达".split()

# --- renovation content (seed policy 二(二)): title, measure -------------------------------------------

BASIC_ITEMS = [("水电气讯", "户"), ("排水", "米"), ("道路", "平方米"), ("消防", "处"), ("安防", "个"), ("生活垃圾分类", "个")]
IMPROVEMENT_ITEMS = [
    ("违法建筑拆除", "平方米"),
    ("绿化", "平方米"),
    ("照明", "盏"),
    ("适老设施", "处"),
    ("无障碍设施", "处"),
    ("停车库（场）", "个"),
    ("加装电梯", "部"),
    ("充电设施", "个"),
    ("文体设施", "处"),
    ("物业用房", "平方米"),
]
UPGRADE_ITEMS = [
    ("社区综合服务设施", "平方米"),
    ("公共卫生设施", "处"),
    ("养老", "平方米"),
    ("托幼", "平方米"),
    ("助餐", "处"),
    ("家政保洁", "处"),
    ("菜市场", "平方米"),
    ("便利店", "处"),
]
MODEL_NAMES_ZH = {
    ManagementModel.PROFESSIONAL: "引进专业物业服务企业",
    ManagementModel.SERVICE_CENTRE: "组建社区物业服务中心",
    ManagementModel.SELF_GOVERNANCE: "实施居民自治管理",
}
FUNDING_NOTES = {
    FundingSource.CENTRAL_GOVERNMENT: "中央财政城镇老旧小区改造补助资金",
    FundingSource.MUNICIPAL_GOVERNMENT: "市级财政补助",
    FundingSource.DISTRICT_GOVERNMENT: "区级财政配套",
    FundingSource.UTILITIES: "水电气讯专业经营单位出资",
    FundingSource.RESIDENTS: "居民合理分摊（含加装电梯业主出资）",
    FundingSource.MAINTENANCE_FUND: "经业主大会表决使用住宅专项维修资金",
    FundingSource.SOCIAL_CAPITAL: "社会资本投资建设运营停车、充电设施",
    FundingSource.PUBLIC_INCOME: "小区公共收益",
    FundingSource.LOANS: "政策性银行贷款",
}

BATCH_SIZE = 2000
ESTATES_PER_CHUNK = 25


# --- the plan, built in Python before anything is written -------------------------------------------


@dataclass
class _EstatePlan:
    index: int
    estate: Estate
    district_code: str
    units: int
    model: str
    project_year: int


@dataclass
class _Chunk:
    buildings: list[Building] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    owners: list[Owner] = field(default_factory=list)
    ownerships: list[Ownership] = field(default_factory=list)
    assets: list[CommonAsset] = field(default_factory=list)
    projects: list[RenovationProject] = field(default_factory=list)
    # project -> (content items, funding lines), linked once the project has its pk
    project_children: list[tuple[RenovationProject, list[ContentItem], list[FundingLine]]] = field(default_factory=list)


def demo_seed(*, units: int = DEFAULT_UNITS, stdout: TextIO | None = None, seed: int = DEFAULT_SEED) -> dict[str, int]:
    """Fill an empty inventory with ``units`` units of demo data and the demo logins; return row counts.

    Refuses (``DemoDataNotAllowedError``) where ``settings.DEMO_DATA_ALLOWED`` is false. If any estate exists
    already it writes a note and changes nothing (every count is 0).
    """
    if not getattr(settings, "DEMO_DATA_ALLOWED", False):
        raise DemoDataNotAllowedError(NOT_ALLOWED)
    if units < 3:
        raise ValueError("The demo needs at least 3 units (one estate per management model).")
    counts = dict.fromkeys(
        [
            "districts",
            "subdistricts",
            "communities",
            "estates",
            "buildings",
            "units",
            "owners",
            "ownerships",
            "common_assets",
            "renovation_projects",
            "content_items",
            "funding_lines",
            "users",
        ],
        0,
    )
    if Estate.objects.exists():
        _write(stdout, ALREADY_PRESENT)
        return counts
    started = time.perf_counter()
    with transaction.atomic():
        _Seeder(random.Random(seed), units, counts, stdout).run()
    _write(stdout, f"演示数据已加载 / Demo data loaded in {time.perf_counter() - started:.1f} s: " + _format_counts(counts))
    return counts


# Later apps add their demo data (arrangements, bills, site pages…) after the inventory:
# estates cannot import them, so they register a step in their AppConfig.ready().
_demo_steps: list[tuple[int, str, Callable[..., object]]] = []


def register_demo_step(name: str, step: Callable[..., object], *, order: int = 100) -> None:
    """`step(stdout=...)` must be idempotent: it runs on every seed_demo and skips what exists."""
    global _demo_steps
    _demo_steps = sorted([s for s in _demo_steps if s[1] != name] + [(order, name, step)], key=lambda s: (s[0], s[1]))


def demo_steps_run(*, stdout: TextIO | None = None) -> None:
    if not getattr(settings, "DEMO_DATA_ALLOWED", False):
        raise DemoDataNotAllowedError(NOT_ALLOWED)
    for _order, _name, step in _demo_steps:
        step(stdout=stdout)


def demo_logins_text() -> str:
    """The demo logins as a small table, for the command's output and `make run`."""
    lines = [f"演示账号（密码均为 {DEMO_PASSWORD}）/ Demo logins (password {DEMO_PASSWORD} for all):"]
    lines += [f"  {mobile}  {role:<20} {description}" for mobile, role, description in DEMO_LOGINS]
    return "\n".join(lines)


def _write(stdout: TextIO | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def _format_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {number}" for name, number in counts.items())


class _Seeder:
    def __init__(self, rng: random.Random, units: int, counts: dict[str, int], stdout: TextIO | None):
        self.rng = rng
        self.total_units = units
        self.counts = counts
        self.stdout = stdout
        self.used_id_numbers: set[str] = set()
        self.used_credit_codes: set[str] = set()
        self.used_estate_names: set[str] = set()
        self.users: dict[str, User] = {}
        self.birth_years: dict[int, int] = {}  # id(owner) -> year of birth, for the estate being built

    # -- orchestration --------------------------------------------------------------------------

    def run(self) -> None:
        districts, subdistricts = self._create_places()
        plans = self._plan_estates(districts, subdistricts)
        self._create_users(plans)
        for start in range(0, len(plans), ESTATES_PER_CHUNK):
            chunk = _Chunk()
            for plan in plans[start : start + ESTATES_PER_CHUNK]:
                self._build_estate(plan, chunk)
            self._save_chunk(chunk)
            if len(plans) > ESTATES_PER_CHUNK:
                done = min(start + ESTATES_PER_CHUNK, len(plans))
                _write(self.stdout, f"  … {done}/{len(plans)} estates, {self.counts['units']} units")

    def _save_chunk(self, chunk: _Chunk) -> None:
        Building.objects.bulk_create(chunk.buildings, batch_size=BATCH_SIZE)
        Unit.objects.bulk_create(chunk.units, batch_size=BATCH_SIZE)
        Owner.objects.bulk_create(chunk.owners, batch_size=BATCH_SIZE)
        Ownership.objects.bulk_create(chunk.ownerships, batch_size=BATCH_SIZE)
        CommonAsset.objects.bulk_create(chunk.assets, batch_size=BATCH_SIZE)
        RenovationProject.objects.bulk_create(chunk.projects, batch_size=BATCH_SIZE)
        items, lines = [], []
        for project, project_items, project_lines in chunk.project_children:
            for child in (*project_items, *project_lines):
                child.project_id = project.pk
            items += project_items
            lines += project_lines
        ContentItem.objects.bulk_create(items, batch_size=BATCH_SIZE)
        FundingLine.objects.bulk_create(lines, batch_size=BATCH_SIZE)
        for key, rows in [
            ("buildings", chunk.buildings),
            ("units", chunk.units),
            ("owners", chunk.owners),
            ("ownerships", chunk.ownerships),
            ("common_assets", chunk.assets),
            ("renovation_projects", chunk.projects),
            ("content_items", items),
            ("funding_lines", lines),
        ]:
            self.counts[key] += len(rows)

    # -- districts, sub-districts, communities, estates --------------------------------------------

    def _create_places(self):
        districts = District.objects.bulk_create([District(code=code, name=name) for code, name, _s, _r in DISTRICTS])
        by_code = {d.code: d for d in districts}
        subdistricts = Subdistrict.objects.bulk_create(
            [
                Subdistrict(district=by_code[code], code=f"{code}{i:03d}", name=name)
                for code, _n, names, _r in DISTRICTS
                for i, name in enumerate(names, start=1)
            ]
        )
        self.counts["districts"] = len(districts)
        self.counts["subdistricts"] = len(subdistricts)
        return by_code, subdistricts

    def _plan_estates(self, districts: dict[str, District], subdistricts: list[Subdistrict]) -> list[_EstatePlan]:
        rng = self.rng
        n_estates = max(3, round(self.total_units / UNITS_PER_ESTATE))
        quotas = self._split(self.total_units, n_estates, spread=0.3)
        by_name = {s.name: s for s in subdistricts}
        roads = {code: road_list for code, _n, _s, road_list in DISTRICTS}
        communities: dict[str, list[Community]] = {}  # subdistrict code -> communities
        estates_in: dict[int, int] = {}  # id(community) -> number of estates
        new_communities: list[Community] = []

        def community_for(subdistrict: Subdistrict, name: str | None = None) -> Community:
            existing = communities.setdefault(subdistrict.code, [])
            if name is not None:
                for community in existing:
                    if community.name == name:
                        return community
            elif existing and (estates_in[id(existing[-1])] < 3 and rng.random() < 0.6):
                return existing[-1]
            else:
                taken = {c.name for c in existing}
                free = [n for n in KNOWN_COMMUNITIES.get(subdistrict.name, []) if n not in taken]
                free += [f"{stem}社区" for stem in COMMUNITY_STEMS if f"{stem}社区" not in taken and f"{stem}社区" not in free]
                if not free:
                    return rng.choice(existing)
                name = free[0] if free[0] in KNOWN_COMMUNITIES.get(subdistrict.name, []) else rng.choice(free)
            community = Community(
                subdistrict=subdistrict,
                code=f"{subdistrict.code}{len(existing) + 1:03d}",
                name=name,
                residents_committee_phone=f"023-6{rng.randrange(1000000, 9999999)}",
            )
            existing.append(community)
            estates_in[id(community)] = 0
            new_communities.append(community)
            return community

        fixed = [
            ("七星岗街道", "金汤街社区", JINTANGJIE, ManagementModel.PROFESSIONAL, 1989, 2021),
            ("七星岗街道", "通远门社区", TONGYUANMEN, ManagementModel.SERVICE_CENTRE, 1985, 2022),
            ("观音桥街道", "洋河社区", YANGHE, ManagementModel.SELF_GOVERNANCE, 1993, 2023),
        ]
        plans: list[_EstatePlan] = []
        for index, quota in enumerate(quotas):
            if index < len(fixed):
                sub_name, community_name, name, model, built, year = fixed[index]
                subdistrict = by_name[sub_name]
                community = community_for(subdistrict, community_name)
            else:
                subdistrict = rng.choice(subdistricts)
                community = community_for(subdistrict)
                name = self._estate_name(subdistrict)
                model = rng.choices(list(ManagementModel), weights=[5, 3.5, 1.5])[0]
                built = rng.randint(1980, 1999)
                year = rng.choice([2021, 2022, 2023])
            self.used_estate_names.add(name)
            estates_in[id(community)] += 1
            district_code = subdistrict.code[:6]
            estate = Estate(
                community=community,
                code=f"{district_code}-{index + 1:05d}",
                name=name,
                address=f"重庆市{districts[district_code].name}{rng.choice(roads[district_code])}{rng.randint(1, 400)}号",
                built_year=built,
            )
            plans.append(_EstatePlan(index, estate, district_code, quota, model, year))
        Community.objects.bulk_create(new_communities, batch_size=BATCH_SIZE)
        Estate.objects.bulk_create([p.estate for p in plans], batch_size=BATCH_SIZE)
        self.counts["communities"] = len(new_communities)
        self.counts["estates"] = len(plans)
        return plans

    def _estate_name(self, subdistrict: Subdistrict) -> str:
        rng = self.rng
        # Many estates are named after the place they stand in, the rest after the old work unit.
        stem = subdistrict.name.removesuffix("街道") if rng.random() < 0.4 else rng.choice(ESTATE_STEMS)
        suffix = rng.choice(
            WORK_UNIT_SUFFIXES if stem.endswith(("厂", "局", "公司", "钢", "汽", "仪", "建工", "铁路")) else PLACE_SUFFIXES
        )
        name = stem + suffix
        if name not in self.used_estate_names:
            return name
        for phase in PHASES:
            if name + phase not in self.used_estate_names:
                return name + phase
        number = 2
        while f"{name}{number}号院" in self.used_estate_names:
            number += 1
        return f"{name}{number}号院"

    def _split(self, total: int, parts: int, *, spread: float) -> list[int]:
        """``total`` split into ``parts`` positive integers that vary by about ±spread."""
        weights = [1 + self.rng.uniform(-spread, spread) for _ in range(parts)]
        scale = (total - parts) / sum(weights)
        raw = [w * scale for w in weights]
        shares = [1 + math.floor(r) for r in raw]
        leftover = total - sum(shares)
        for i in sorted(range(parts), key=lambda i: raw[i] - math.floor(raw[i]), reverse=True)[:leftover]:
            shares[i] += 1
        return shares

    # -- logins ------------------------------------------------------------------------------------

    def _create_users(self, plans: list[_EstatePlan]) -> None:
        existing = {u.mobile: u for u in User.objects.filter(mobile__in=[m for m, _r, _d in DEMO_LOGINS])}
        # One hash for all: the password is public anyway, and each hash costs the full work factor.
        password_hash = make_password(DEMO_PASSWORD)
        for mobile, _role, _description in DEMO_LOGINS:
            if mobile in existing:  # someone made this account by hand: leave its password alone
                self.users[mobile] = existing[mobile]
                continue
            name = _LOGIN_PEOPLE[mobile][0]
            create = User.objects.create_superuser if mobile == "13900000000" else User.objects.create_user
            user = create(mobile, None, name=name)
            user.password = password_hash
            user.save(update_fields=["password"])
            self.users[mobile] = user
            self.counts["users"] += 1
        professional, self_governance = plans[0].estate, plans[2].estate
        scopes = {
            "13900000001": {"estate": professional},
            "13900000002": {"subdistrict": professional.community.subdistrict},
            "13900000003": {"estate": self_governance},
        }
        for mobile, role, _description in DEMO_LOGINS:
            role_grant(user=self.users[mobile], role=role, **scopes.get(mobile, {}))

    # -- one estate ----------------------------------------------------------------------------------

    def _build_estate(self, plan: _EstatePlan, chunk: _Chunk) -> None:
        rng = self.rng
        estate = plan.estate
        n_buildings = max(1, round(plan.units / 38))
        buildings: list[Building] = []
        estate_units: list[Unit] = []
        for number, quota in enumerate(self._split_even(plan.units, n_buildings), start=1):
            building, units = self._building(estate, number, quota, street_facing=(number == 1 and rng.random() < 0.7))
            buildings.append(building)
            estate_units += units
        project, items, lines, lifts, completed_on = self._project(plan, buildings, estate_units)
        # Lifts go into the tallest buildings first.
        if completed_on is not None:
            for building in sorted(buildings, key=lambda b: (-b.floors, b.number))[:lifts]:
                building.lift_added_year = completed_on.year
        chunk.buildings += buildings
        chunk.units += estate_units
        self._owners(plan, estate_units, chunk)
        chunk.assets += self._assets(estate, buildings, items)
        chunk.projects.append(project)
        chunk.project_children.append((project, items, lines))

    @staticmethod
    def _split_even(total: int, parts: int) -> list[int]:
        base, extra = divmod(total, parts)
        return [base + (1 if i < extra else 0) for i in range(parts)]

    def _building(self, estate: Estate, number: int, quota: int, *, street_facing: bool) -> tuple[Building, list[Unit]]:
        """A building of ``quota`` units: two flats per landing; missing places are on the ground floor
        (an open 架空层 or a caretaker's room, common on Chongqing's slopes)."""
        rng = self.rng
        options = [(e, math.ceil(quota / (2 * e))) for e in (2, 3) if 5 <= math.ceil(quota / (2 * e)) <= 7]
        if options:
            entrances, floors = rng.choice(options)
        else:
            entrances = max(1, min(4, math.ceil(quota / 14)))
            floors = math.ceil(quota / (2 * entrances))
        missing = 2 * entrances * floors - quota
        absent = set()
        for i in range(missing):  # from the last entrance backwards, flat 02 before flat 01
            entrance = entrances - i // 2
            absent.add((entrance, 2 - i % 2))
        built = min(2000, (estate.built_year or 1990) + rng.randint(0, 2))
        building = Building(estate=estate, number=str(number), floors=floors, built_year=built)
        units = []
        for entrance in range(1, entrances + 1):
            stacks = [rng.triangular(45, 98.5, 63) for _ in range(2)]  # the same plan on every floor
            shop = 0
            for floor in range(1, floors + 1):
                for flat in (1, 2):
                    if floor == 1 and (entrance, flat) in absent:
                        continue
                    if floor == 1 and street_facing:
                        shop += 1
                        area, use, unit_number = rng.uniform(18, 85), UnitUse.SHOP, f"附{(entrance - 1) * 2 + shop}"
                    else:
                        area, use, unit_number = (
                            stacks[flat - 1] + rng.uniform(-0.4, 0.4),
                            UnitUse.RESIDENTIAL,
                            f"{floor}{flat:02d}",
                        )
                    area = min(
                        max(area, 45.0 if use == UnitUse.RESIDENTIAL else 18.0), 98.5 if use == UnitUse.RESIDENTIAL else 85.0
                    )
                    units.append(
                        Unit(
                            building=building,
                            entrance=entrance,
                            floor=floor,
                            number=unit_number,
                            exclusive_area=Decimal(f"{area:.2f}"),
                            use=use,
                            built_year=built,
                        )
                    )
        return building, units

    # -- owners --------------------------------------------------------------------------------------

    def _owners(self, plan: _EstatePlan, units: list[Unit], chunk: _Chunk) -> None:
        rng = self.rng
        estate, region = plan.estate, plan.district_code
        built = estate.built_year or 1990
        work_unit = None  # the old work unit that kept a few flats; made on first use
        singles: list[Owner] = []  # persons holding one unit, who may hold a second
        login_mobiles = list(_OWNER_LOGINS.get(plan.index, []))
        birth_years = self.birth_years = {}
        kept = self._kept_by_original_work_unit(plan, units)
        for unit in units:
            owners_before, singles_before, work_unit_before = len(chunk.owners), list(singles), work_unit
            since = self._purchase_date(built)
            roll = rng.random()
            residential = unit.use == UnitUse.RESIDENTIAL
            if not residential and roll < 0.5:
                owner = self._organisation(estate, region, shop=True)
                chunk.owners.append(owner)
                holders = [(owner, Decimal("1"))]
            elif residential and roll < 0.04 and singles:
                holders = [(singles.pop(rng.randrange(len(singles))), Decimal("1"))]
            elif residential and roll < 0.12:  # a married couple, half each
                husband, birth_year = self._person(estate, region, male=True)
                wife, _birth = self._person(estate, region, male=False, birth_year=birth_year + rng.randint(-4, 3))
                chunk.owners += [husband, wife]
                holders = [(husband, Decimal("0.5")), (wife, Decimal("0.5"))]
            elif residential and roll < 0.135:
                if work_unit is None:
                    work_unit = self._organisation(estate, region, shop=False)
                    chunk.owners.append(work_unit)
                holders = [(work_unit, Decimal("1"))]
                since = datetime.date(built, 12, 31)
            elif login_mobiles and residential and unit.floor >= 2:
                mobile = login_mobiles.pop(0)
                owner, _birth = self._person(estate, region, male=_LOGIN_PEOPLE[mobile][1])
                owner.name = _LOGIN_PEOPLE[mobile][0]
                owner.set_phone(mobile)
                owner.user = self.users[mobile]
                chunk.owners.append(owner)
                holders = [(owner, Decimal("1"))]
            else:
                owner, _birth = self._person(estate, region, male=rng.random() < 0.5)
                chunk.owners.append(owner)
                singles.append(owner)
                holders = [(owner, Decimal("1"))]
            if id(unit) in kept:
                # Never sold in the housing reform: the original work unit still holds it. The owner drawn
                # above is dropped, so the random sequence (and every other estate's data) stays the same.
                del chunk.owners[owners_before:]
                singles[:], work_unit = singles_before, work_unit_before
                if kept[id(unit)] not in chunk.owners:
                    chunk.owners.append(kept[id(unit)])
                holders, since = [(kept[id(unit)], Decimal("1"))], datetime.date(built, 12, 31)
            youngest = max((birth_years.get(id(owner), 0) for owner, _share in holders), default=0)
            if since.year < youngest + 20:  # nobody buys a flat before about twenty
                since = since.replace(year=youngest + 20 + rng.randint(0, 4))
            for owner, share in holders:
                chunk.ownerships.append(Ownership(unit=unit, owner=owner, share=share, since=since))

    def _kept_by_original_work_unit(self, plan: _EstatePlan, units: list[Unit]) -> dict[int, Owner]:
        """In 洋河新村 the original work unit (原产权单位) kept the ground-floor flats of the last building.

        It is one owner however many units it holds (SPC interpretation on building ownership Art. 9) and votes
        through its named representative. Made without the random generator, so nothing else changes.
        """
        if plan.estate.name != YANGHE:
            return {}
        last = units[-1].building if units else None
        flats = [u for u in units if u.building is last and u.floor == 1 and u.use == UnitUse.RESIDENTIAL][:3]
        if len(flats) < 2:
            return {}
        body = f"{plan.index:08d}"
        first17 = "91" + plan.district_code + body + _organisation_code_check(body)
        self.used_credit_codes.add(first17)
        work_unit = Owner(
            estate=plan.estate,
            kind=OwnerKind.ORGANISATION,
            name="重庆长江电工厂（原产权单位）",
            credit_code=first17 + uscc_check_char(first17),
            representative_name="周建国",
        )
        return {id(u): work_unit for u in flats}

    def _purchase_date(self, built: int) -> datetime.date:
        # Most flats were bought from the work unit in the housing reform of 1994–2000; some resold since.
        rng = self.rng
        first = max(built + 1, 1994)
        year = rng.randint(first, 2000) if rng.random() < 0.65 else rng.randint(first, 2024)
        return datetime.date(min(year, 2024), rng.randint(1, 12), rng.randint(1, 28))

    def _person(self, estate: Estate, district_code: str, *, male: bool, birth_year: int | None = None) -> tuple[Owner, int]:
        """A person owner with a valid resident ID number, and the year of birth it contains."""
        rng = self.rng
        if birth_year is None:
            birth_year = round(rng.triangular(1936, 1980, 1960))
        birth = datetime.date(birth_year, 1, 1) + datetime.timedelta(days=rng.randrange(365))
        region = district_code if rng.random() < 0.7 else rng.choice(OTHER_REGIONS)
        while True:
            sequence = rng.randrange(0, 500) * 2 + (1 if male else 0)  # odd for men, even for women
            first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
            if first17 not in self.used_id_numbers:
                self.used_id_numbers.add(first17)
                break
        given = rng.choice(MALE_NAMES if male else FEMALE_NAMES)
        owner = Owner(
            estate=estate, kind=OwnerKind.PERSON, name=rng.choices(SURNAMES, cum_weights=SURNAME_CUM_WEIGHTS)[0] + given
        )
        owner.set_id_number(first17 + resident_id_check_char(first17))
        if rng.random() < 0.85:
            owner.set_phone(self._mobile())
        self.birth_years[id(owner)] = birth_year
        return owner, birth_year

    def _mobile(self) -> str:
        rng = self.rng
        while True:
            number = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            if not number.startswith(("1370000", "1380000", "1390000")):  # the demo logins' range
                return number

    def _organisation(self, estate: Estate, district_code: str, *, shop: bool) -> Owner:
        rng = self.rng
        if not shop:
            name, prefix = rng.choice(WORK_UNITS), "91"  # an enterprise registered with market regulation
        elif rng.random() < 0.5:
            name, prefix = f"重庆市{rng.choice(SHOP_BRANDS)}{rng.choice(SHOP_TRADES)}有限公司", "91"
        else:
            name, prefix = f"{rng.choice(SHOP_BRANDS)}{rng.choice(SHOP_TRADES)}店", "92"  # a sole trader
        while True:
            body = "".join(rng.choice("0123456789") for _ in range(8))
            first17 = prefix + district_code + body + _organisation_code_check(body)
            if first17 not in self.used_credit_codes:
                self.used_credit_codes.add(first17)
                break
        owner = Owner(estate=estate, kind=OwnerKind.ORGANISATION, name=name, credit_code=first17 + uscc_check_char(first17))
        if rng.random() < 0.6:
            owner.set_phone(self._mobile())
        return owner

    # -- common assets --------------------------------------------------------------------------------

    def _assets(self, estate: Estate, buildings: list[Building], items: list[ContentItem]) -> list[CommonAsset]:
        rng = self.rng
        quantity = {item.title: int(item.quantity or 0) for item in items}
        parking = quantity.get("停车库（场）") or max(4, len(buildings) * rng.randint(3, 7))
        charging = quantity.get("充电设施") or rng.randint(1, 3)

        def place() -> str:
            return f"{rng.choice(buildings).number}栋旁"

        assets = [
            CommonAsset(estate=estate, kind=AssetKind.PARKING_SPACE, code=f"P-{i:03d}", name=f"地面停车位{i}号", location=place())
            for i in range(1, parking + 1)
        ]
        assets += [
            CommonAsset(
                estate=estate,
                kind=AssetKind.SHOP_PREMISES,
                code=f"S-{i:02d}",
                name=rng.choice(["原自行车棚改建门面", "临街架空层门面", "原锅炉房改建门面", "小区入口门面"]),
                location=place(),
                area=Decimal(f"{rng.uniform(15, 60):.2f}"),
            )
            for i in range(1, rng.randint(1, 3) + 1)
        ]
        assets += [
            CommonAsset(
                estate=estate,
                kind=AssetKind.AD_SPOT,
                code=f"AD-{i:02d}",
                name=rng.choice(["外墙广告位", "单元门禁广告屏", "电梯轿厢广告位", "小区入口道闸广告位"]),
                location=place(),
            )
            for i in range(1, rng.randint(2, 6) + 1)
        ]
        assets += [
            CommonAsset(
                estate=estate, kind=AssetKind.CHARGING_POINT, code=f"C-{i:02d}", name=f"电动汽车充电桩{i}号", location=place()
            )
            for i in range(1, charging + 1)
        ]
        assets.append(
            CommonAsset(
                estate=estate,
                kind=AssetKind.VENUE,
                code="V-01",
                name=rng.choice(["居民活动室", "坝坝舞广场", "篮球场", "老年活动中心"]),
                location=place(),
                area=Decimal(f"{rng.uniform(60, 400):.2f}"),
            )
        )
        return assets

    # -- renovation project ---------------------------------------------------------------------------

    def _project(self, plan: _EstatePlan, buildings: list[Building], units: list[Unit]):
        rng = self.rng
        estate, year, n_units, n_buildings = plan.estate, plan.project_year, len(units), len(buildings)
        demo_estate = plan.index < 3
        lifts = 0
        if demo_estate or rng.random() < 0.6:
            lifts = min(n_buildings, rng.randint(1, 4))
        measures = {title: (ContentClass.BASIC, m) for title, m in BASIC_ITEMS}
        measures |= {title: (ContentClass.IMPROVEMENT, m) for title, m in IMPROVEMENT_ITEMS}
        measures |= {title: (ContentClass.UPGRADE, m) for title, m in UPGRADE_ITEMS}

        basic = [t for t, _m in BASIC_ITEMS if rng.random() < 0.85]
        for title, _m in BASIC_ITEMS:
            if len(basic) < 4 and title not in basic:
                basic.append(title)
        improvement = [t for t, _m in IMPROVEMENT_ITEMS if t != "加装电梯" and rng.random() < 0.45]
        if lifts:
            improvement.append("加装电梯")
        for title, _m in IMPROVEMENT_ITEMS:
            if len(improvement) < 3 and title not in improvement and title != "加装电梯":
                improvement.append(title)
        upgrade = [t for t, _m in UPGRADE_ITEMS if rng.random() < 0.2]
        if demo_estate and not upgrade:
            upgrade.append(rng.choice(UPGRADE_ITEMS)[0])

        quantity_of = {
            "水电气讯": lambda: n_units,
            "排水": lambda: n_buildings * rng.randint(60, 150),
            "道路": lambda: n_buildings * rng.randint(250, 600),
            "消防": lambda: n_buildings * rng.randint(2, 4),
            "安防": lambda: n_buildings * rng.randint(3, 6) + 4,
            "生活垃圾分类": lambda: math.ceil(n_units / 80) + rng.randint(0, 2),
            "违法建筑拆除": lambda: rng.randint(5, 60) * 10,
            "绿化": lambda: n_buildings * rng.randint(80, 250),
            "照明": lambda: n_buildings * rng.randint(4, 10),
            "适老设施": lambda: rng.randint(4, 20),
            "无障碍设施": lambda: rng.randint(2, 10),
            "停车库（场）": lambda: max(6, n_units // rng.randint(5, 9)),
            "加装电梯": lambda: lifts,
            "充电设施": lambda: rng.randint(4, 12),
            "文体设施": lambda: rng.randint(1, 4),
            "物业用房": lambda: rng.randint(30, 120),
            "社区综合服务设施": lambda: rng.randint(15, 60) * 10,
            "公共卫生设施": lambda: rng.randint(1, 2),
            "养老": lambda: rng.randint(10, 40) * 10,
            "托幼": lambda: rng.randint(8, 30) * 10,
            "助餐": lambda: 1,
            "家政保洁": lambda: 1,
            "菜市场": lambda: rng.randint(30, 120) * 10,
            "便利店": lambda: rng.randint(1, 3),
        }
        items = []
        for title in basic + improvement + upgrade:
            content_class, measure = measures[title]
            items.append(
                ContentItem(content_class=content_class, title=title, quantity=Decimal(quantity_of[title]()), measure=measure)
            )

        started_on = datetime.date(year, rng.randint(3, 9), rng.randint(1, 28))
        status, completed_on = ProjectStatus.COMPLETED, started_on + datetime.timedelta(days=30 * rng.randint(5, 14))
        if year == 2023 and not demo_estate and rng.random() < 0.15:  # a lift still waiting for acceptance
            status, completed_on = ProjectStatus.IN_PROGRESS, None
        project = RenovationProject(
            estate=estate,
            name=f"{year}年{estate.name}老旧小区改造提升项目",
            year=year,
            status=status,
            started_on=started_on,
            completed_on=completed_on,
            management_model_after=plan.model,
            summary=(
                f"纳入{year}年全市城镇老旧小区改造计划，实施{'、'.join(basic)}等基础类改造"
                f"{'，加装电梯' + str(lifts) + '部' if lifts else ''}；改造后{MODEL_NAMES_ZH[plan.model]}。"
            ),
        )
        lines = self._funding(n_units, lifts, basic, improvement, upgrade)
        return project, items, lines, lifts, completed_on

    def _funding(
        self, n_units: int, lifts: int, basic: list[str], improvement: list[str], upgrade: list[str]
    ) -> list[FundingLine]:
        """Cost shared by governments, residents, utilities and social capital (seed policy, section 四)."""
        rng = self.rng
        basic_cost = n_units * rng.uniform(9000, 16000)
        other_cost = n_units * rng.uniform(2500, 6000) + len(upgrade) * rng.uniform(200_000, 800_000)
        lift_cost = lifts * rng.uniform(550_000, 680_000)
        general = basic_cost + other_cost
        total = _yuan(general + lift_cost)
        shares = {
            FundingSource.CENTRAL_GOVERNMENT: general * rng.uniform(0.35, 0.45),
            FundingSource.MUNICIPAL_GOVERNMENT: general * rng.uniform(0.08, 0.12),
            FundingSource.RESIDENTS: general * rng.uniform(0.03, 0.08) + lift_cost * rng.uniform(0.55, 0.7),
        }
        if "水电气讯" in basic:
            shares[FundingSource.UTILITIES] = basic_cost * rng.uniform(0.05, 0.10)
        if rng.random() < 0.5:
            shares[FundingSource.MAINTENANCE_FUND] = general * rng.uniform(0.01, 0.04)
        if "停车库（场）" in improvement or "充电设施" in improvement:
            shares[FundingSource.SOCIAL_CAPITAL] = general * rng.uniform(0.03, 0.08)
        elif rng.random() < 0.08:
            shares[FundingSource.LOANS] = general * rng.uniform(0.03, 0.08)
        if rng.random() < 0.3:
            shares[FundingSource.PUBLIC_INCOME] = general * rng.uniform(0.005, 0.02)
        amounts = {source: _yuan(value, step=-2) for source, value in shares.items()}
        amounts[FundingSource.DISTRICT_GOVERNMENT] = total - sum(amounts.values())  # the district covers the rest
        return [
            FundingLine(source=source, amount=amount, note=FUNDING_NOTES[source])
            for source, amount in amounts.items()
            if amount > 0
        ]


def _yuan(value: float, step: int = 0) -> Decimal:
    """A float amount as Decimal yuan with two places, rounded to 10**-step yuan (step=-2: hundreds)."""
    return Decimal(round(value, step)).quantize(Decimal("0.01"))


def _organisation_code_check(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code (the USCC's 9th to 17th characters)."""
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    remainder = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))
