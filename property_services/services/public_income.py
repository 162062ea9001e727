"""The owners' public income of an estate: costs claimed with evidence, and the statement of a period.

Civil Code Art. 282: income from the common parts, after the reasonable costs, belongs to the owners
jointly. The manager claiming a cost bears the burden of proving it (``cost_claim`` refuses a cost
without a valid PDF document). The statement of a period is read from the estate's ledger
(billing.ledger): income by source is what the public-income charges (parking, permits, each kind
of rent) credited to the owners' public-income account in the period, net of voids; costs are the
claimed costs, posted to the same account; so the statement's closing balance is the account's
balance, always.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from accounts.errors import refuse
from billing.charges import charge_kind_label
from billing.ledger import Posting, ledger_post
from billing.models import AccountKind, LedgerEntry
from estates.models import Estate

from ..models import PublicIncomeCost

ZERO = Decimal("0.00")


@transaction.atomic
def cost_claim(*, estate: Estate, incurred_on: datetime.date, description: str, amount: Decimal, evidence: Any, by: Any = None):
    """Record a cost charged to the owners' public income, with its evidence (a PDF). Refused without one."""
    if not evidence:
        raise refuse(
            "费用必须附证明文件（发票、合同或收据）：主张费用的一方负有举证责任",
            "A cost needs its evidence (invoice, contract or receipt): whoever claims a cost must prove it.",
            field="evidence",
            code="no_evidence",
        )
    description = (description or "").strip()
    if not description:
        raise refuse("请说明费用用途", "Say what the cost was for.", field="description", code="description")
    if amount is None or amount <= 0 or amount != Decimal(amount).quantize(Decimal("0.01")):
        raise refuse(
            "费用金额必须大于零、最多两位小数", "The amount must be more than zero, in fen.", field="amount", code="amount"
        )
    cost = PublicIncomeCost(
        estate=estate,
        incurred_on=incurred_on,
        description=description[:200],
        amount=amount,
        evidence=evidence,
        claimed_by=by if getattr(by, "pk", None) else None,
    )
    try:
        cost.full_clean()
    except ValidationError as exc:
        raise refuse(
            "证明文件无效：" + " ".join(exc.messages), "The evidence is not valid.", field="evidence", code="evidence"
        ) from exc
    cost.save()
    ledger_post(
        estate_id=estate.pk,
        postings=[
            Posting(
                AccountKind.PUBLIC_INCOME, AccountKind.CASH, cost.amount, f"public income cost {cost.pk}: {description}"[:200]
            )
        ],
        by=by,
    )
    return cost


@dataclass
class Statement:
    estate: Estate
    starts_on: datetime.date
    ends_on: datetime.date  # the last day
    opening: Decimal = ZERO
    income: dict[str, Decimal] = field(default_factory=dict)  # by source (charge kind label)
    costs: list[PublicIncomeCost] = field(default_factory=list)

    @property
    def income_total(self) -> Decimal:
        return sum(self.income.values(), ZERO)

    @property
    def costs_total(self) -> Decimal:
        return sum((c.amount for c in self.costs), ZERO)

    @property
    def net(self) -> Decimal:
        return self.income_total - self.costs_total

    @property
    def closing(self) -> Decimal:
        return self.opening + self.net


def _bounds(starts_on: datetime.date, ends_on: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(starts_on, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(ends_on + datetime.timedelta(days=1), datetime.time.min))
    return start, end


def public_income_balance(*, estate: Estate, before: datetime.datetime) -> Decimal:
    """What the owners' public-income account holds for them before a moment (credits − debits)."""
    entries = LedgerEntry.objects.filter(estate=estate, created_at__lt=before)
    credits = entries.filter(credit__kind=AccountKind.PUBLIC_INCOME).aggregate(t=Sum("amount"))["t"] or ZERO
    debits = entries.filter(debit__kind=AccountKind.PUBLIC_INCOME).aggregate(t=Sum("amount"))["t"] or ZERO
    return Decimal(credits) - Decimal(debits)


def statement_compute(*, estate: Estate, starts_on: datetime.date, ends_on: datetime.date) -> Statement:
    """The period's statement: opening balance, income by source, costs with evidence, net, closing balance."""
    if ends_on < starts_on:
        raise refuse("结束日期早于开始日期", "The period ends before it starts.", code="period")
    start, end = _bounds(starts_on, ends_on)
    statement = Statement(estate=estate, starts_on=starts_on, ends_on=ends_on)
    statement.opening = public_income_balance(estate=estate, before=start)
    in_period = LedgerEntry.objects.filter(estate=estate, created_at__gte=start, created_at__lt=end, invoice__isnull=False)
    income: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for kind, amount in in_period.filter(credit__kind=AccountKind.PUBLIC_INCOME).values_list("invoice__charge_kind", "amount"):
        income[kind] += amount
    for kind, amount in in_period.filter(debit__kind=AccountKind.PUBLIC_INCOME).values_list("invoice__charge_kind", "amount"):
        income[kind] -= amount  # a void or write-off of such a bill
    statement.income = {charge_kind_label(kind): amount for kind, amount in sorted(income.items())}
    statement.costs = list(
        PublicIncomeCost.objects.filter(estate=estate)
        .filter(Q(created_at__gte=start) & Q(created_at__lt=end))
        .order_by("incurred_on", "pk")
    )
    return statement


__all__ = ["Statement", "cost_claim", "public_income_balance", "statement_compute"]
