"""Leases of common parts (shops, advertising spots, charging-point sites, venues) and their rent.

Civil Code Art. 278 item (8): changing the use of common parts or using them for business is decided
by the owners, by 3/4 of the participating area and of the participating owners. A lease is signed
only under a passed resolution of that item of the same estate (``lease_sign``); a common part in
business use without one is listed as unauthorised (``assets_unauthorised``). The rent is the owners'
public income (Art. 282): ``lease_rent_bill`` bills a period through billing.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from accounts.errors import refuse
from billing.models import Invoice
from billing.services import invoice_create_for_source
from estates.models import AssetKind, CommonAsset, Estate

from ..models import AssemblyMatter, CommonPartLease, LeaseCycle
from ..voting import Matter

BUSINESS_KINDS = (AssetKind.SHOP_PREMISES, AssetKind.AD_SPOT, AssetKind.CHARGING_POINT, AssetKind.VENUE)
RENT_KIND = {
    AssetKind.SHOP_PREMISES: "shop_rent",
    AssetKind.AD_SPOT: "ad_rent",
    AssetKind.CHARGING_POINT: "site_rent",
    AssetKind.VENUE: "site_rent",
}
CYCLE_MONTHS = {LeaseCycle.MONTH: 1, LeaseCycle.QUARTER: 3, LeaseCycle.YEAR: 12}


def resolution_approves(resolution: AssemblyMatter | None, estate: Estate) -> bool:
    """A passed Art. 278 item (8) resolution of this estate's owners."""
    return (
        resolution is not None
        and resolution.assembly.estate_id == estate.pk
        and resolution.matter == Matter.CHANGE_USE_OR_OPERATE_COMMON_PARTS
        and resolution.passed is True
    )


@transaction.atomic
def lease_sign(
    *,
    asset: CommonAsset,
    lessee: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    rent: Decimal,
    cycle: str,
    resolution: AssemblyMatter | None,
    deposit: Decimal = Decimal("0.00"),
    deposit_terms: str = "",
    lessee_credit_code: str = "",
) -> CommonPartLease:
    """Sign a lease of a common part. Refused: no passed Art. 278 item (8) resolution of the estate,
    an asset that is not for business use, a term that ends before it starts, or an overlap with
    another lease of the same asset."""
    estate = asset.estate
    if not resolution_approves(resolution, estate):
        raise refuse(
            "经营共有部分须有本小区业主大会依民法典第278条第一款第（八）项通过的决定（参与表决专有部分面积和人数的四分之三以上同意）",
            "Using a common part for business needs a passed resolution of this estate's owners under Civil Code "
            "Art. 278 item (8) (3/4 of the participating area and owners).",
            field="resolution",
            code="no_resolution",
        )
    if asset.kind not in BUSINESS_KINDS:
        raise refuse("该共有部分不能出租经营", "This common part cannot be leased.", field="asset", code="asset_kind")
    lessee = (lessee or "").strip()
    if not lessee:
        raise refuse("请填写承租人", "Give the lessee.", field="lessee", code="lessee")
    if ends_on <= starts_on:
        raise refuse("租期结束日须晚于开始日", "The lease must end after it starts.", field="ends_on", code="term")
    if rent is None or rent <= 0 or deposit < 0:
        raise refuse("租金须大于零，押金不能为负", "The rent must be more than zero and the deposit not negative.", code="amount")
    if cycle not in LeaseCycle.values:
        raise refuse("未知的收租周期", f"Unknown rent cycle {cycle!r}.", field="cycle", code="cycle")
    CommonAsset.objects.select_for_update().filter(pk=asset.pk).first()  # one decision per asset at a time
    clash = CommonPartLease.objects.filter(asset=asset, starts_on__lt=ends_on, ends_on__gt=starts_on).first()
    if clash is not None:
        raise refuse(
            f"该共有部分在 {clash.starts_on}–{clash.ends_on} 已出租给 {clash.lessee}",
            f"This common part is already leased to {clash.lessee} from {clash.starts_on} to {clash.ends_on}.",
            code="overlap",
        )
    return CommonPartLease.objects.create(
        estate=estate,
        asset=asset,
        lessee=lessee[:200],
        lessee_credit_code=(lessee_credit_code or "").strip()[:30],
        starts_on=starts_on,
        ends_on=ends_on,
        rent=rent,
        cycle=cycle,
        deposit=deposit,
        deposit_terms=(deposit_terms or "").strip()[:300],
        resolution=resolution,
    )


def lease_rent_bill(*, lease: CommonPartLease, period: datetime.date) -> Any:
    """Bill one cycle of rent starting in ``period``'s month (once: billing's own key makes a second call
    return the same bill). The rent is the owners' public income (Art. 282)."""
    period = period.replace(day=1)
    if not (lease.starts_on.replace(day=1) <= period < lease.ends_on):
        raise refuse("该月不在租期内", "This month is outside the lease's term.", code="period")
    return invoice_create_for_source(
        source=lease,
        estate=lease.estate,
        charge_kind=RENT_KIND[AssetKind(lease.asset.kind)],
        period=period,
        payer_name=lease.lessee,
        lines=[(f"{lease.asset} {LeaseCycle(lease.cycle).label} {period:%Y-%m}", Decimal("1"), lease.rent)],
        due_on=max(period, lease.starts_on),
    )


def lease_rent_periods(*, lease: CommonPartLease, until: datetime.date) -> list[datetime.date]:
    """The first days of the months in which each rent cycle of ``lease`` starts, up to ``until``.

    Cycles run from the lease's first month every 1, 3 or 12 months (its cycle) while the lease is in
    force; a lease signed mid-month starts its first cycle in that month.
    """
    step = CYCLE_MONTHS[LeaseCycle(lease.cycle)]
    first = lease.starts_on.replace(day=1)
    periods = []
    index = 0
    while True:
        month = first.month - 1 + index * step
        period = datetime.date(first.year + month // 12, month % 12 + 1, 1)
        if period > until or period >= lease.ends_on:
            return periods
        periods.append(period)
        index += 1


def leases_rent_bill_due(*, on: datetime.date) -> int:
    """Bill every cycle of rent that has started by ``on`` for every lease of common parts; returns the
    number of bills written now. Safe to run twice: a cycle already billed is left as it is (billing's
    own key per source and period). Rent is the owners' public income (Civil Code Art. 282).
    """
    leases = list(CommonPartLease.objects.filter(starts_on__lte=on).select_related("asset", "estate"))
    billed = set(
        Invoice.objects.filter(
            source_type=ContentType.objects.get_for_model(CommonPartLease), source_id__in=[lease.pk for lease in leases]
        ).values_list("source_id", "period")
    )
    written = 0
    for lease in leases:
        for period in lease_rent_periods(lease=lease, until=on):
            if (lease.pk, period) not in billed:
                lease_rent_bill(lease=lease, period=period)
                written += 1
    return written


def assets_unauthorised(*, estate: Estate, on: datetime.date):
    """Common parts in business use (in service, of a business kind) with no lease in force on ``on`` under
    a passed Art. 278 item (8) resolution: what the owners never approved, e.g. chargers running after a
    failed motion."""
    approved = CommonPartLease.objects.filter(
        asset=OuterRef("pk"),
        starts_on__lte=on,
        ends_on__gt=on,
        resolution__passed=True,
        resolution__matter=Matter.CHANGE_USE_OR_OPERATE_COMMON_PARTS,
    )
    return (
        CommonAsset.objects.filter(estate=estate, in_service=True, kind__in=BUSINESS_KINDS)
        .filter(~Q(Exists(approved)))
        .order_by("kind", "code")
    )


__all__ = [
    "BUSINESS_KINDS",
    "assets_unauthorised",
    "lease_rent_bill",
    "lease_rent_periods",
    "lease_sign",
    "leases_rent_bill_due",
    "resolution_approves",
]
