"""Demo data of the owners' common parts in 洋河新村 (the self-governance estate), after billing's step:
a car park with planned spaces and spaces on common ground (the tariff and gate key are the
property_services step's), owners'
permits and a waiting list, visitor stays through the gate, the shop premises leased under the passed
Art. 278 item (8) resolution, chargers running after the failed motion (listed as unauthorised), costs
with their evidence, and the last period's statement approved by the committee and published.

The months before today are history: bills and costs of past months are dated in their month (demo
only, like billing's step), so last quarter's statement has figures.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import TextIO

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from billing.models import Invoice, LedgerEntry, PaymentMethod
from billing.services import payment_record
from estates.models import AssetKind, CommonAsset, Estate, Owner

from .models import (
    AssemblyMatter,
    CommonPartLease,
    LeaseCycle,
    ParkingSpace,
    ParkingStay,
    PermitPeriod,
    PublicIncomeCost,
    SpaceKind,
)
from .parking import BEIJING
from .voting import Matter

ESTATE = "洋河新村"
COMMITTEE_LOGIN = "13900000003"
DEMO_OWNER = "13800000002"  # 刘秀英: holds a permit, sees the waiting list in the portal
ALREADY = "共有部分演示数据已存在，未做更改 / Common-parts demo data already present; nothing changed"


def _write(stdout: TextIO | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def _evidence_pdf(title: str, lines: list[str]) -> bytes:
    from weasyprint import HTML

    body = "".join(f"<p>{line}</p>" for line in lines)
    html = f'<html lang="zh"><body style="font-family: \'Noto Sans CJK SC\', sans-serif"><h1>{title}</h1>{body}</body></html>'
    return HTML(string=html).write_pdf()


def _backdate(invoice_ids: list[int], day_of) -> None:
    """Bills of past months were issued in their month, and so were their ledger entries (demo history)."""
    for invoice in Invoice.objects.filter(pk__in=invoice_ids):
        day = day_of(invoice)
        at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
        Invoice.objects.filter(pk=invoice.pk).update(issued_on=day)
        LedgerEntry.objects.filter(invoice_id=invoice.pk).update(created_at=at)


def seed_common_parts_demo(stdout: TextIO | None = None, *, seed: int = 2027) -> dict[str, int]:
    """Seed the common parts of 洋河新村 (see the module docstring); return counts. Safe to run twice."""
    from .services.leases import lease_sign, leases_rent_bill_due
    from .services.parking import gate_record, permit_issue, waitlist_join
    from .services.public_income import (
        cost_claim,
        statement_approve,
        statement_draft,
        statement_period_of,
        statement_publish,
    )

    counts = dict.fromkeys(["spaces", "permits", "waiting", "stays", "leases", "costs", "statements"], 0)
    estate = Estate.objects.filter(name=ESTATE).first()
    if estate is None:
        return counts
    if ParkingSpace.objects.filter(estate=estate).exists():
        _write(stdout, ALREADY)
        return counts
    rng = random.Random(seed)
    today = timezone.localdate()
    # The estate's disclosure periods (its own setting): the demo's history starts with the last ended one.
    period_start, _ends = statement_period_of(estate=estate, day=today)
    last_period_start, last_period_end = statement_period_of(estate=estate, day=period_start - datetime.timedelta(days=1))
    history_start = last_period_start
    member = User.objects.filter(mobile=COMMITTEE_LOGIN).first()

    with transaction.atomic():
        spaces = [
            ParkingSpace.objects.create(
                estate=estate,
                code=f"{'A' if kind == SpaceKind.PLANNED else 'G'}-{n:03d}",
                kind=kind,
                month_fee=Decimal("150.00") if kind == SpaceKind.PLANNED else Decimal("120.00"),
            )
            for kind, how_many in ((SpaceKind.PLANNED, 24), (SpaceKind.COMMON_GROUND, 12))
            for n in range(1, how_many + 1)
        ]
        counts["spaces"] = len(spaces)

        owners = list(Owner.objects.filter(estate=estate, kind="person", ownerships__isnull=False).distinct().order_by("pk"))
        demo_owner = Owner.objects.filter(estate=estate, user__mobile=DEMO_OWNER).first()
        holders = ([demo_owner] if demo_owner else []) + [o for o in owners if o != demo_owner][:19]
        letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
        permit_bills = []
        for index, (owner, space) in enumerate(zip(holders, spaces, strict=False)):
            plate = f"渝{rng.choice('ABCDG')}{rng.choice(letters)}{rng.randrange(1000, 9999)}"
            period = rng.choice([PermitPeriod.MONTH, PermitPeriod.QUARTER, PermitPeriod.YEAR])
            valid_from = {
                PermitPeriod.MONTH: today.replace(day=1),
                PermitPeriod.QUARTER: datetime.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1),
            }.get(period, history_start)
            permit = permit_issue(space=space, plate=plate, period=period, valid_from=valid_from, owner=owner)
            if permit.invoice_id:
                permit_bills.append(permit.invoice_id)
                if index == 0 or rng.random() < 0.8:  # most paid at the office; the demo owner's is paid
                    invoice = Invoice.objects.get(pk=permit.invoice_id)
                    payment_record(
                        estate=estate,
                        invoices=[invoice],
                        amount=invoice.total,
                        method=PaymentMethod.BANK_TRANSFER,
                        received_at=timezone.now(),
                        payer_name=invoice.payer_name,
                    )
            counts["permits"] += 1
        for owner in [o for o in owners if o not in holders][:3]:
            waitlist_join(estate=estate, owner=owner, plate=f"渝B{rng.choice(letters)}{rng.randrange(1000, 9999)}")
            counts["waiting"] += 1
        _backdate(permit_bills, lambda invoice: max(invoice.period, history_start))

        # The shop premises, leased under the passed item (8) resolution; the chargers of the failed motion run anyway.
        resolution = (
            AssemblyMatter.objects.filter(assembly__estate=estate, matter=Matter.CHANGE_USE_OR_OPERATE_COMMON_PARTS, passed=True)
            .order_by("pk")
            .first()
        )
        # The inventory's chargers (C-…) stay in service although their motion failed: unauthorised.
        shops = [
            CommonAsset.objects.get_or_create(
                estate=estate, code=code, defaults={"kind": AssetKind.SHOP_PREMISES, "name": "南门临街门面房"}
            )[0]
            for code in ("S-01", "S-02")
        ]
        if resolution is not None:
            for shop, lessee, rent in zip(
                shops,
                ("重庆邻里便民超市有限公司", "重庆好邻居大药房有限公司"),
                (Decimal("3200.00"), Decimal("2600.00")),
                strict=True,
            ):
                lease_sign(
                    asset=shop,
                    lessee=lessee,
                    starts_on=history_start,
                    ends_on=history_start.replace(year=history_start.year + 1),
                    rent=rent,
                    cycle=LeaseCycle.MONTH,
                    resolution=resolution,
                    deposit=rent * 2,
                    deposit_terms="租期届满、无欠租且门面无损坏的，30日内全额无息退还",
                )
                counts["leases"] += 1
            leases_rent_bill_due(on=today)
            rent_bills = list(
                Invoice.objects.filter(
                    source_id__in=CommonPartLease.objects.filter(estate=estate).values("pk"), charge_kind="shop_rent"
                ).values_list("pk", flat=True)
            )
            _backdate(rent_bills, lambda invoice: invoice.period)

        # Costs claimed with their evidence, in their month.
        for day, description, amount in (
            (last_period_start + datetime.timedelta(days=20), "道闸设备维修（更换电机）", Decimal("860.00")),
            (last_period_start + datetime.timedelta(days=45), "停车场划线及标识牌", Decimal("1240.00")),
        ):
            evidence = ContentFile(
                _evidence_pdf("维修费用收据", [description, f"金额：人民币 {amount} 元", f"日期：{day:%Y年%m月%d日}"]),
                name="receipt.pdf",
            )
            cost = cost_claim(estate=estate, incurred_on=day, description=description, amount=amount, evidence=evidence)
            at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
            PublicIncomeCost.objects.filter(pk=cost.pk).update(created_at=at, claimed_at=at)
            LedgerEntry.objects.filter(estate=estate, memo__startswith=f"public income cost {cost.pk}:").update(created_at=at)
            counts["costs"] += 1

    # Visitors through the gate today: two left (one paid its fee at the booth, one stayed within the
    # free time), one is still inside.
    day = timezone.now().astimezone(BEIJING).replace(hour=9, minute=0, second=0, microsecond=0)
    if day > timezone.now():
        day -= datetime.timedelta(days=1)
    for n, (plate, stayed) in enumerate((("渝A5K321", 95), ("川A88G12", 20), ("渝D72M45", None))):
        entered = day + datetime.timedelta(minutes=37 * n)
        record = {"gate": "N1", "serial": f"demo-{n}-in", "direction": "enter", "plate": plate, "at": entered.isoformat()}
        gate_record(estate=estate, data=record)
        if stayed is not None:
            left = entered + datetime.timedelta(minutes=stayed)
            record = {"gate": "N1", "serial": f"demo-{n}-out", "direction": "leave", "plate": plate, "at": left.isoformat()}
            answer = gate_record(estate=estate, data=record)
            stay = ParkingStay.objects.get(pk=answer.stay_id)
            if stay.invoice_id:
                invoice = Invoice.objects.get(pk=stay.invoice_id)
                payment_record(
                    estate=estate,
                    invoices=[invoice],
                    amount=invoice.total,
                    method=PaymentMethod.CASH,
                    received_at=left,
                    payer_name=plate,
                )
        counts["stays"] += 1

    # The last ended period's statement: drafted, approved by the committee, published (公示) with its PDF.
    if member is not None:
        draft = statement_draft(estate=estate, starts_on=last_period_start, ends_on=last_period_end)
        statement_publish(statement=statement_approve(statement=draft, by=member), by=member)
        counts["statements"] += 1
    _write(stdout, "共有部分演示数据已加载 / Common-parts demo data loaded: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts
