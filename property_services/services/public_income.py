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
from estates.status import transition

from ..models import PublicIncomeCost, PublicIncomeStatement, StatementStatus
from .notices import DISCLOSURE_DISPLAY_DAYS

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


__all__ = [
    "Statement",
    "cost_claim",
    "public_income_balance",
    "statement_approve",
    "statement_compute",
    "statement_draft",
    "statement_publish",
]


# --- the statement's disclosure (公示): drafted, approved, published ---------------------------------

#: A statement stays on display this long (the estate's notice period for financial disclosures).
STATEMENT_DISPLAY_DAYS = DISCLOSURE_DISPLAY_DAYS


@transaction.atomic
def statement_draft(*, estate: Estate, starts_on: datetime.date, ends_on: datetime.date) -> PublicIncomeStatement:
    """Freeze the period's figures (``statement_compute``) as a draft; drafting again refreshes a draft,
    never an approved or published statement."""
    computed = statement_compute(estate=estate, starts_on=starts_on, ends_on=ends_on)
    figures = {
        "opening": computed.opening,
        "income_total": computed.income_total,
        "costs_total": computed.costs_total,
        "closing": computed.closing,
        "lines": {
            "income": [[label, f"{amount:.2f}"] for label, amount in computed.income.items()],
            "costs": [[f"{c.incurred_on:%Y-%m-%d}", c.description, f"{c.amount:.2f}"] for c in computed.costs],
        },
    }
    statement = (
        PublicIncomeStatement.objects.select_for_update().filter(estate=estate, starts_on=starts_on, ends_on=ends_on).first()
    )
    if statement is None:
        return PublicIncomeStatement.objects.create(estate=estate, starts_on=starts_on, ends_on=ends_on, **figures)
    if statement.status != StatementStatus.DRAFT:
        raise refuse(
            "该期公示已审核，不能重新起草",
            "This period's statement is approved already: it is not drafted again.",
            code="approved",
        )
    PublicIncomeStatement.objects.filter(pk=statement.pk).update(**figures, updated_at=timezone.now())
    statement.refresh_from_db()
    return statement


def _approver_check(*, estate: Estate, by: Any, on: datetime.date) -> None:
    """A serving member of the owners' committee approves; without a committee in office, an officer of the
    estate's sub-district (or district). ``by=None`` is the platform itself (demo data)."""
    from ..selectors import acts_for_the_owners

    if acts_for_the_owners(user=by, estate=estate, on=on):
        return
    raise refuse(
        "公共收益公示由本小区在任业主委员会委员审核；没有在任业主委员会的，由街道办事处审核",
        "A public income statement is approved by a serving member of the owners' committee, or by the sub-district "
        "office where there is no committee in office.",
        code="not_approver",
    )


@transaction.atomic
def statement_approve(*, statement: PublicIncomeStatement, by: Any) -> PublicIncomeStatement:
    _approver_check(estate=statement.estate, by=by, on=timezone.localdate())
    transition(statement, to=StatementStatus.APPROVED, by=by, approved_by=by if getattr(by, "pk", None) else None)
    statement.refresh_from_db()
    return statement


def statement_publish(*, statement: PublicIncomeStatement, by: Any = None) -> Any:
    """Publish an approved statement as a notice of the estate with its PDF, on display for
    STATEMENT_DISPLAY_DAYS (``notices.disclosure_publish``); returns the notice."""
    from ..pdf import public_income_statement_pdf
    from .notices import disclosure_publish

    if statement.status != StatementStatus.APPROVED:
        raise refuse("只有已审核的公示才能发布", "Only an approved statement is published.", code="not_approved")
    return disclosure_publish(
        kind="public_income_statement",
        source=statement,
        estate=statement.estate,
        title=f"{statement.estate.name}公共收益公示（{statement.starts_on:%Y-%m-%d}至{statement.ends_on:%Y-%m-%d}）",
        body=(
            f"本期收入 ¥{statement.income_total:.2f}，支出 ¥{statement.costs_total:.2f}，"
            f"期末余额 ¥{statement.closing:.2f}。明细见附件。"
        ),
        render_pdf=lambda: public_income_statement_pdf(statement=statement),
        by=by,
        then=lambda: transition(statement, to=StatementStatus.PUBLISHED, by=by),
    )
