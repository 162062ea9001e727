"""Using the owners' maintenance fund (专项维修资金), unit by unit.

Civil Code Art. 281: the fund belongs to the owners; it is used for the repair, renewal and
rebuilding of common parts as the owners decide — Art. 278 item (5), more than half of the
participating area and owners — and, in an emergency that needs urgent repair, the owners' committee
may apply to use it without a vote (Art. 281 para. 2). ``fund_use_record`` checks which of the two
applies, charges the use to the units that bear it by exclusive area (``sharing.share_by_weight``,
to the fen, summing exactly), refuses a use larger than what those units hold, and posts it to the
estate's ledger. ``fund_balances`` is each unit's account: contributions paid in, plus its shares of
the public income the owners put into the fund (物业管理条例 Art. 54 para. 3;
``public_income.allocation_record``), less its shares of uses.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.errors import refuse
from billing.ledger import Posting, ledger_post
from billing.models import AccountKind
from estates.models import Building, Estate, Unit

from ..models import AssemblyMatter, MaintenanceFundUse, MaintenanceFundUseShare, Notice, NoticeKind
from ..selectors import acts_for_the_owners
from ..selectors.fund import fund_accounts
from ..sharing import share_by_weight
from ..voting import Matter

ZERO = Decimal("0.00")


def fund_balances(*, estate: Estate) -> dict[int, Decimal]:
    """{unit id: what the unit holds in the fund}: contributions paid in (less refunds), plus its shares of
    public income allocated into the fund, less its shares of uses; every unit of the estate, at zero when it
    holds nothing (``selectors.fund_accounts``)."""
    return {account.unit_id: account.balance for account in fund_accounts(estate=estate).accounts}


def _emergency_applicant_check(*, estate: Estate, by: Any, on: datetime.date) -> None:
    """Art. 281 para. 2: the owners' committee applies (the sub-district office where there is none)."""
    if acts_for_the_owners(user=by, estate=estate, on=on):
        return
    raise refuse(
        "紧急使用维修资金须由业主委员会申请（民法典第281条第二款）",
        "An emergency use of the maintenance fund is applied for by the owners' committee (Civil Code Art. 281 para. 2).",
        code="not_applicant",
    )


@transaction.atomic
def fund_use_record(
    *,
    estate: Estate,
    title: str,
    amount: Decimal,
    used_on: datetime.date,
    resolution: AssemblyMatter | None = None,
    emergency_reason: str = "",
    building: Building | None = None,
    by: Any = None,
) -> MaintenanceFundUse:
    """Record a use of the fund, approved by a passed Art. 278 item (5) resolution of the estate or, in an
    emergency, applied for by the owners' committee; charged to the bearing units by exclusive area."""
    title, emergency_reason = (title or "").strip(), (emergency_reason or "").strip()
    if not title:
        raise refuse("请填写维修项目", "Say what the repair is.", field="title", code="title")
    if amount is None or amount <= 0 or amount != Decimal(amount).quantize(Decimal("0.01")):
        raise refuse("金额必须大于零、最多两位小数", "The amount must be more than zero, in fen.", field="amount", code="amount")
    if building is not None and building.estate_id != estate.pk:
        raise refuse("该楼栋不属于本小区", "The building belongs to another estate.", field="building", code="other_estate")
    if resolution is not None:
        approved = (
            resolution.assembly.estate_id == estate.pk
            and resolution.matter == Matter.USE_MAINTENANCE_FUND
            and resolution.passed is True
        )
        if not approved:
            raise refuse(
                "使用维修资金须有本小区业主大会依民法典第278条第一款第（五）项通过的决定",
                "Using the maintenance fund needs a passed resolution of this estate's owners under Civil Code Art. 278 item (5).",
                field="resolution",
                code="no_resolution",
            )
    elif emergency_reason:
        _emergency_applicant_check(estate=estate, by=by, on=timezone.localdate())
    else:
        raise refuse(
            "使用维修资金须有业主大会决定（民法典第278条第一款第（五）项），或属紧急情况由业主委员会申请（第281条第二款）",
            "Using the maintenance fund needs the owners' resolution (Art. 278 item (5)) or, in an emergency, the "
            "committee's application (Art. 281 para. 2).",
            code="no_approval",
        )
    units = Unit.objects.filter(building__estate=estate)
    if building is not None:
        units = units.filter(building=building)
    areas = {unit_id: area for unit_id, area in units.values_list("pk", "exclusive_area")}
    if not areas:
        raise refuse("没有承担该费用的房屋", "No unit bears this use.", code="no_units")
    balances = fund_balances(estate=estate)
    held = sum((balances.get(unit_id, ZERO) for unit_id in areas), ZERO)
    if amount > held:
        raise refuse(
            f"维修资金余额不足：承担房屋的余额合计 ¥{held:.2f}，本次使用 ¥{amount:.2f}",
            f"Not enough in the fund: the bearing units hold ¥{held:.2f}, the use is ¥{amount:.2f}.",
            field="amount",
            code="insufficient",
        )
    use = MaintenanceFundUse.objects.create(
        estate=estate,
        title=title[:200],
        amount=amount,
        building=building,
        resolution=resolution,
        emergency_reason=emergency_reason[:300],
        used_on=used_on,
        recorded_by=by if getattr(by, "pk", None) else None,
    )
    shares = share_by_weight(amount, areas)
    MaintenanceFundUseShare.objects.bulk_create(
        MaintenanceFundUseShare(use=use, unit_id=unit_id, amount=share) for unit_id, share in shares.items()
    )
    ledger_post(
        estate_id=estate.pk,
        postings=[
            Posting(AccountKind.MAINTENANCE_FUND, AccountKind.CASH, amount, f"maintenance fund use {use.pk}: {title}"[:200])
        ],
        by=by,
    )
    return use


def fund_use_authority(use: MaintenanceFundUse) -> str:
    """What authorised a use, as the disclosure states it (Chinese: a public document)."""
    if use.resolution_id:
        matter = use.resolution
        return f"业主大会决定：{matter.assembly.title}“{matter.title}”（民法典第二百七十八条第一款第（五）项）"
    return f"紧急情况下申请使用（民法典第二百八十一条第二款）：{use.emergency_reason}"


def _fund_publisher_check(*, estate: Estate, by: Any) -> None:
    """Staff of the estate (the manager discloses, Civil Code Art. 943) or whoever acts for its owners;
    ``by=None`` is the platform itself (demo data, tasks)."""
    from estates.selectors import estates_visible_to

    if by is None:
        return
    if by.has_perm("property_services.publish_maintenancefunduse") and estates_visible_to(user=by).filter(pk=estate.pk).exists():
        return
    raise refuse(
        "只有本小区的管理人员或业主委员会可以公示维修资金的使用",
        "Only the estate's staff or its owners' committee publish a use of the maintenance fund.",
        code="not_publisher",
    )


def fund_use_publish(*, use: MaintenanceFundUse, by: Any = None) -> Notice:
    """Publish a use of the fund (公示): a notice of the estate with its PDF — the repair, what authorised it
    (the resolution, or the emergency application), the amount, and each bearing unit's share by its unit
    key (no names) — which owners read among their estate's notices. Civil Code Art. 281 para. 1: the
    fund's raising and use are published periodically; Art. 943: the manager discloses the fund's use.
    Publishing a use again refreshes its notice."""
    from ..pdf import fund_use_pdf
    from .notices import disclosure_publish

    use = MaintenanceFundUse.objects.select_related("estate", "building", "resolution__assembly").get(pk=use.pk)
    _fund_publisher_check(estate=use.estate, by=by)
    bearing = f"{use.building.number}栋各户" if use.building_id else "全体业主"
    return disclosure_publish(
        kind=NoticeKind.MAINTENANCE_FUND_USE,
        source=use,
        estate=use.estate,
        title=f"{use.estate.name}住宅专项维修资金使用公示：{use.title}（{use.used_on:%Y-%m-%d}）",
        body=(
            f"维修项目：{use.title}；使用金额 ¥{use.amount:.2f}，由{bearing}按专有部分面积分摊。"
            f"{fund_use_authority(use)}。各户分摊明细见附件。"
        ),
        render_pdf=lambda: fund_use_pdf(use=use),
        by=by,
    )


__all__ = ["fund_balances", "fund_use_authority", "fund_use_publish", "fund_use_record"]
