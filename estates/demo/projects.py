"""A demo estate's common assets and its renovation project: what was done, when, and who paid.

Functions of the seeder's random generator, called in a fixed order so that the same seed gives the
same data on every run.
"""

from __future__ import annotations

import datetime
import math
import random
from decimal import Decimal
from typing import TYPE_CHECKING

from ..models import (
    AssetKind,
    Building,
    CommonAsset,
    ContentClass,
    ContentItem,
    Estate,
    FundingLine,
    FundingSource,
    ProjectStatus,
    RenovationProject,
    Unit,
)
from .vocabulary import BASIC_ITEMS, FUNDING_NOTES, IMPROVEMENT_ITEMS, MODEL_NAMES_ZH, UPGRADE_ITEMS

if TYPE_CHECKING:
    from .seed import EstatePlan


def common_assets(rng: random.Random, estate: Estate, buildings: list[Building], items: list[ContentItem]) -> list[CommonAsset]:
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


def renovation_project(rng: random.Random, plan: EstatePlan, buildings: list[Building], units: list[Unit]):
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
    lines = _funding(rng, n_units, lifts, basic, improvement, upgrade)
    return project, items, lines, lifts, completed_on


def _funding(
    rng: random.Random, n_units: int, lifts: int, basic: list[str], improvement: list[str], upgrade: list[str]
) -> list[FundingLine]:
    """Cost shared by governments, residents, utilities and social capital (seed policy, section 四)."""
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
        FundingLine(source=source, amount=amount, note=FUNDING_NOTES[source]) for source, amount in amounts.items() if amount > 0
    ]


def _yuan(value: float, step: int = 0) -> Decimal:
    """A float amount as Decimal yuan with two places, rounded to 10**-step yuan (step=-2: hundreds)."""
    return Decimal(round(value, step)).quantize(Decimal("0.01"))
