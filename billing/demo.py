"""Demo billing data on top of ``estates.demo.demo_seed``: tariffs, three months of property-fee
bills for the three named demo estates, payments, overdue bills and reminders.

``seed_billing_demo()`` is meant to run after the inventory seed and after the governance seed
(whose management arrangements set tariffs): it only adds a property-fee tariff where an estate
has none, so it never overlaps one. It does nothing when a billing run exists already.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from estates.models import Estate

from .models import BillingRun, ChargeKind, Invoice, InvoiceStatus, Payee, PayeeAssignment, PayeeMoney, PaymentMethod, Tariff
from .payees import manager_name
from .services.invoices import invoices_mark_overdue
from .services.payments import payment_record
from .services.runs import _add_months, billing_run_execute, billing_run_start
from .services.tariffs import tariff_schedule_set

DEMO_ESTATES = ("金汤街小区", "通远门新村", "洋河新村")
DEMO_OWNER = "13800000001"  # 陈建华, owner in 金汤街小区
# Both demo owners' portals tell the story: last month paid (with receipts), the oldest month still
# owed (with a reminder). 刘秀英 is an owner in 洋河新村.
DEMO_OWNERS = (DEMO_OWNER, "13800000002")
DEMO_STAFF = "13900000001"  # 何晓燕, staff of 金汤街小区


def _write(stdout: TextIO | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def _seed_payees() -> int:
    """Every estate's payees (demo): the manager in charge receives the fees, the owners' assembly the
    public income and the maintenance fund; each with a (test-mode) connected account that can take
    payments, so the demo owners can pay online; the fake Stripe treats these accounts as existing."""
    created = 0
    since = datetime.date(2021, 1, 1)
    for estate in Estate.objects.filter(payees__isnull=True).order_by("pk"):
        manager = Payee.objects.create(
            estate=estate,
            legal_name=manager_name(estate),
            account_id=f"acct_1DemoFee{estate.pk:06d}",
            charges_enabled=True,
            payouts_enabled=True,
            details_submitted=True,
        )
        owners = Payee.objects.create(
            estate=estate,
            legal_name=f"{estate.name}业主大会",
            account_id=f"acct_1DemoOwn{estate.pk:06d}",
            charges_enabled=True,
            payouts_enabled=True,
            details_submitted=True,
        )
        PayeeAssignment.objects.bulk_create(
            [
                PayeeAssignment(estate=estate, money=PayeeMoney.FEES, payee=manager, valid_from=since, note="演示数据"),
                PayeeAssignment(estate=estate, money=PayeeMoney.PUBLIC_INCOME, payee=owners, valid_from=since, note="演示数据"),
                PayeeAssignment(
                    estate=estate, money=PayeeMoney.MAINTENANCE_FUND, payee=owners, valid_from=since, note="演示数据"
                ),
            ]
        )
        created += 2
    return created


def seed_billing_demo(stdout: TextIO | None = None, *, seed: int = 2026) -> dict[str, int]:
    counts = {"tariffs": 0, "bills": 0, "payments": 0, "reminders": 0}
    if BillingRun.objects.exists():
        _write(stdout, "账单演示数据已存在，未做更改 / Billing demo data already present; nothing changed")
        return counts
    rng = random.Random(seed)
    with transaction.atomic():
        with_tariff = set(Tariff.objects.filter(charge_kind=ChargeKind.PROPERTY_FEE).values_list("estate_id", flat=True))
        for estate in Estate.objects.exclude(pk__in=with_tariff).order_by("pk"):
            rate = Decimal("1.00") + Decimal(rng.randrange(0, 9)) / 10  # 1.00–1.80 元/m²·月
            created = tariff_schedule_set(
                estate=estate,
                charge_kind=ChargeKind.PROPERTY_FEE,
                rates={"residential": rate, "shop": Decimal("3.00"), "other": rate},
                valid_from=datetime.date(2021, 1, 1),
                source_label="演示数据 / demo",
            )
            counts["tariffs"] += len(created)
        counts["payees"] = _seed_payees()

    estates = list(Estate.objects.filter(name__in=DEMO_ESTATES).order_by("pk"))
    this_month = timezone.localdate().replace(day=1)
    periods = [_add_months(this_month, -2), _add_months(this_month, -1), this_month]
    for period in periods:
        for estate in estates:
            run = billing_run_execute(run=billing_run_start(period=period, estate=estate))
            counts["bills"] += run.invoices_created
        # Bills of past months were issued then, not today (demo only: the run issues on the run day).
        if period < this_month:
            Invoice.objects.filter(period=period, estate__in=estates).update(
                issued_on=period, due_on=period + datetime.timedelta(days=30)
            )
    invoices_mark_overdue()

    staff = User.objects.filter(mobile=DEMO_STAFF).first()
    owner_users = list(User.objects.filter(mobile__in=DEMO_OWNERS).order_by("mobile"))
    now = timezone.now()
    unpaid = [InvoiceStatus.OPEN, InvoiceStatus.OVERDUE]
    oldest = (
        Invoice.objects.filter(period=periods[0], estate__in=estates, status__in=unpaid).select_related("estate").order_by("pk")
    )
    for invoice in oldest:
        if invoice.payer_owner and invoice.payer_owner.user_id in {u.pk for u in owner_users}:
            continue  # the demo owners still owe the oldest month: their portals show a reminder
        if rng.random() < 0.6:
            payment_record(
                estate=invoice.estate,
                invoices=[invoice],
                amount=invoice.total,
                method=rng.choice([PaymentMethod.CASH, PaymentMethod.BANK_TRANSFER]),
                received_at=now - datetime.timedelta(days=rng.randrange(5, 25)),
                payer_name=invoice.payer_name,
                recorded_by=staff,
            )
            counts["payments"] += 1

    # The demo owners paid last month's bills at the counter: a payment history with receipts.
    for owner_user in owner_users:
        last_month = (
            Invoice.objects.filter(period=periods[1], payer_owner__user=owner_user, status__in=unpaid)
            .select_related("estate")
            .order_by("pk")
        )
        for invoice in last_month:
            payment_record(
                estate=invoice.estate,
                invoices=[invoice],
                amount=invoice.total,
                method=PaymentMethod.BANK_TRANSFER,
                received_at=now - datetime.timedelta(days=rng.randrange(2, 10)),
                payer_name=invoice.payer_name,
                recorded_by=staff,
            )
            counts["payments"] += 1

    from .dunning import dunning_run

    for owner_user in owner_users:
        counts["reminders"] += dunning_run(invoices=Invoice.objects.filter(payer_owner__user=owner_user))
    counts["reminders"] += dunning_run(limit=20)
    _write(
        stdout,
        "账单演示数据已加载 / Billing demo data loaded: " + ", ".join(f"{value} {key}" for key, value in counts.items()),
    )
    return counts
