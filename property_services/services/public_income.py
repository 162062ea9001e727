"""The owners' public income of an estate: costs claimed with evidence, the statement of a period and
its disclosure, and the allocation of what the account holds as the owners decided.

Civil Code Art. 282: income from the common parts, after the reasonable costs, belongs to the owners
jointly. The manager claiming a cost bears the burden of proving it (SPC interpretation Arts. 13-14):
``cost_claim`` refuses a cost without a valid PDF document; ``cost_propose`` records a cost whose
document is still to come, which counts nowhere (not in the ledger, not in any statement) until
``cost_evidence_attach`` claims it. The statement of a period is read from the estate's ledger
(billing.ledger): income by source is what the public-income charges (parking, permits, each kind
of rent) credited to the owners' public-income account in the period, net of voids; costs are the
claimed costs, posted to the same account; allocations (``allocation_record``) move what the owners
decided out of the account, each counted in the statement it allocates; so the statement's balance
after allocation is the account's balance, always.

Periods (``statement_period_of``, ``statement_next_due``) follow the estate's setting
(``EstateSettings.statement_period``: quarterly unless the estate chose half-yearly or yearly).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from accounts.errors import refuse
from billing.charges import charge_kind_label
from billing.ledger import Posting, ledger_post
from billing.models import AccountKind, LedgerEntry
from estates.models import Estate, Unit
from estates.status import transition

from ..models import (
    PERIOD_MONTHS,
    AllocationKind,
    AssemblyMatter,
    CostStatus,
    EstateSettings,
    PublicIncomeAllocation,
    PublicIncomeAllocationPart,
    PublicIncomeAllocationShare,
    PublicIncomeCost,
    PublicIncomeStatement,
    StatementStatus,
)
from ..sharing import share_by_weight
from ..voting import Matter
from .notices import DISCLOSURE_DISPLAY_DAYS

ZERO = Decimal("0.00")


def _cost_fields_check(*, description: str, amount: Decimal) -> str:
    description = (description or "").strip()
    if not description:
        raise refuse("请说明费用用途", "Say what the cost was for.", field="description", code="description")
    if amount is None or amount <= 0 or amount != Decimal(amount).quantize(Decimal("0.01")):
        raise refuse(
            "费用金额必须大于零、最多两位小数", "The amount must be more than zero, in fen.", field="amount", code="amount"
        )
    return description


def _no_evidence() -> ValidationError:
    return refuse(
        "费用必须附证明文件（发票、合同或收据）：主张费用的一方负有举证责任",
        "A cost needs its evidence (invoice, contract or receipt): whoever claims a cost must prove it.",
        field="evidence",
        code="no_evidence",
    )


@transaction.atomic
def cost_propose(
    *, estate: Estate, incurred_on: datetime.date, description: str, amount: Decimal, by: Any = None
) -> PublicIncomeCost:
    """Record a cost whose document is still to come: it awaits its evidence and is charged to nothing —
    not posted to the ledger, not in any statement — until ``cost_evidence_attach`` claims it (the manager
    bears the burden of proving a cost, SPC interpretation on property services Arts. 13-14)."""
    description = _cost_fields_check(description=description, amount=amount)
    return PublicIncomeCost.objects.create(
        estate=estate,
        incurred_on=incurred_on,
        description=description[:200],
        amount=amount,
        claimed_by=by if getattr(by, "pk", None) else None,
    )


@transaction.atomic
def cost_evidence_attach(*, cost: PublicIncomeCost, evidence: Any, by: Any = None) -> PublicIncomeCost:
    """Attach a cost's document (a real PDF) and so claim it: posted to the owners' public-income account
    now, counted in the statement of the period it is claimed in. Refused without a valid PDF, or for a
    cost that no longer awaits its evidence; nothing is written then."""
    cost = PublicIncomeCost.objects.select_for_update().get(pk=cost.pk)
    if cost.status != CostStatus.AWAITING_EVIDENCE:
        raise refuse("该费用不在待补证明状态", "This cost is not awaiting its evidence.", field="evidence", code="not_awaiting")
    if not evidence:
        raise _no_evidence()
    cost.evidence = evidence
    try:
        cost.full_clean()
    except ValidationError as exc:
        raise refuse(
            "证明文件无效：" + " ".join(exc.messages), "The evidence is not valid.", field="evidence", code="evidence"
        ) from exc
    cost.save(update_fields=["evidence"])
    user = by if getattr(by, "pk", None) else None
    transition(cost, to=CostStatus.CLAIMED, by=by, claimed_at=timezone.now(), claimed_by=user or cost.claimed_by)
    ledger_post(
        estate_id=cost.estate_id,
        postings=[
            Posting(
                AccountKind.PUBLIC_INCOME,
                AccountKind.CASH,
                cost.amount,
                f"public income cost {cost.pk}: {cost.description}"[:200],
            )
        ],
        by=by,
    )
    return cost


@transaction.atomic
def cost_withdraw(*, cost: PublicIncomeCost, by: Any = None, note: str = "") -> PublicIncomeCost:
    """Withdraw a cost that never got its evidence (it was never charged: nothing to reverse)."""
    transition(cost, to=CostStatus.WITHDRAWN, by=by, note=note)
    return cost


@transaction.atomic
def cost_claim(*, estate: Estate, incurred_on: datetime.date, description: str, amount: Decimal, evidence: Any, by: Any = None):
    """Record a cost charged to the owners' public income, with its evidence (a PDF). Refused without one."""
    if not evidence:
        raise _no_evidence()
    cost = cost_propose(estate=estate, incurred_on=incurred_on, description=description, amount=amount, by=by)
    return cost_evidence_attach(cost=cost, evidence=evidence, by=by)


def costs_awaiting_evidence(*, estate: Estate) -> QuerySet[PublicIncomeCost]:
    """The estate's costs recorded without their document, oldest first (for the estate dashboard):
    none of them is charged to the owners until its evidence is attached. A queryset: ``.count()``,
    ``.aggregate(Sum("amount"))`` or iterate."""
    return PublicIncomeCost.objects.filter(estate=estate, status=CostStatus.AWAITING_EVIDENCE).order_by("incurred_on", "pk")


@dataclass
class Statement:
    estate: Estate
    starts_on: datetime.date
    ends_on: datetime.date  # the last day
    opening: Decimal = ZERO
    income: dict[str, Decimal] = field(default_factory=dict)  # by source (charge kind label)
    costs: list[PublicIncomeCost] = field(default_factory=list)
    allocation: PublicIncomeAllocation | None = None  # of this period's statement, once recorded

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

    @property
    def allocated(self) -> Decimal:
        return self.allocation.amount if self.allocation is not None else ZERO

    @property
    def balance(self) -> Decimal:
        """The closing balance less what was allocated of it: what the account carries forward."""
        return self.closing - self.allocated


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


def public_income_uncollected(*, estate: Estate) -> Decimal:
    """What the estate's public-income bills (parking, leases, …: charge kinds whose account is the owners'
    public income) still owe: counted in the account, not yet in hand. One query."""
    from billing.charges import charge_kinds
    from billing.models import Invoice, InvoiceStatus

    kinds = [spec.code for spec in charge_kinds() if spec.account == AccountKind.PUBLIC_INCOME]
    owed = (
        Invoice.objects.filter(estate=estate, charge_kind__in=kinds)
        .exclude(status__in=(InvoiceStatus.PAID, InvoiceStatus.VOID))
        .aggregate(t=Sum(F("total") - F("paid_amount")))["t"]
    )
    return Decimal(owed or ZERO)


def _allocated_later(*, estate: Estate, before: datetime.datetime, starts_on: datetime.date) -> Decimal:
    """Allocations of statements of periods ending before ``starts_on`` that were posted at or after
    ``before``: they belong to the balance those periods carried forward, not to a later period."""
    return (
        PublicIncomeAllocation.objects.filter(estate=estate, created_at__gte=before, statement__ends_on__lt=starts_on).aggregate(
            t=Sum("amount")
        )["t"]
        or ZERO
    )


def statement_compute(*, estate: Estate, starts_on: datetime.date, ends_on: datetime.date) -> Statement:
    """The period's statement: opening balance, income by source, costs with evidence, net, closing balance,
    and (once recorded) the allocation of the period's statement and the balance after it.

    An allocation counts in the statement it allocates, whenever it was posted: the opening balance is
    the account's balance at the start less the allocations of earlier periods posted since, so that
    a period's balance after allocation is the next period's opening balance, and the last statement's
    balance after allocation is the account's balance."""
    if ends_on < starts_on:
        raise refuse("结束日期早于开始日期", "The period ends before it starts.", code="period")
    start, end = _bounds(starts_on, ends_on)
    statement = Statement(estate=estate, starts_on=starts_on, ends_on=ends_on)
    statement.opening = public_income_balance(estate=estate, before=start) - _allocated_later(
        estate=estate, before=start, starts_on=starts_on
    )
    in_period = LedgerEntry.objects.filter(estate=estate, created_at__gte=start, created_at__lt=end, invoice__isnull=False)
    income: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for kind, amount in in_period.filter(credit__kind=AccountKind.PUBLIC_INCOME).values_list("invoice__charge_kind", "amount"):
        income[kind] += amount
    for kind, amount in in_period.filter(debit__kind=AccountKind.PUBLIC_INCOME).values_list("invoice__charge_kind", "amount"):
        income[kind] -= amount  # a void or write-off of such a bill
    statement.income = {charge_kind_label(kind): amount for kind, amount in sorted(income.items())}
    statement.costs = list(
        PublicIncomeCost.objects.filter(estate=estate, status=CostStatus.CLAIMED)
        .filter(Q(claimed_at__gte=start) & Q(claimed_at__lt=end))
        .order_by("incurred_on", "pk")
    )
    statement.allocation = PublicIncomeAllocation.objects.filter(
        estate=estate, statement__starts_on=starts_on, statement__ends_on=ends_on
    ).first()
    return statement


# --- disclosure periods ------------------------------------------------------------------------------

#: A period's statement is due this many days after the period ends. Chongqing's own rule on disclosing
#: public income was not found (DOMAIN.md); this is the platform's rule, the same for every estate: the
#: statement of a quarter (half-year, year) is published within 15 days of its end.
STATEMENT_DUE_DAYS = 15
#: A published statement stays on display at least this long (Hangzhou: no fewer than 15 days; DOMAIN.md).
STATEMENT_MIN_DISPLAY_DAYS = 15


def _period_containing(day: datetime.date, months: int) -> tuple[datetime.date, datetime.date]:
    first_month = (day.month - 1) // months * months + 1
    starts_on = datetime.date(day.year, first_month, 1)
    next_month = first_month + months
    next_start = datetime.date(day.year + (next_month - 1) // 12, (next_month - 1) % 12 + 1, 1)
    return starts_on, next_start - datetime.timedelta(days=1)


def statement_period_of(*, estate: Estate, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """(first day, last day) of the estate's disclosure period that contains ``day``: the calendar quarter
    by default, or the half-year (Jan-Jun, Jul-Dec) or the year, as the estate set it (DOMAIN.md: the
    frequency is a per-estate setting, quarterly by default)."""
    return _period_containing(day, PERIOD_MONTHS[EstateSettings.for_estate(estate).statement_period])


@transaction.atomic
def estate_settings_save(*, estate: Estate, statement_period: str, by: Any = None) -> EstateSettings:
    """Set how often the estate discloses its public income (quarterly, half-yearly or yearly)."""
    if statement_period not in PERIOD_MONTHS:
        raise refuse("未知的公示周期", "Unknown disclosure period.", field="statement_period", code="period")
    settings, _created = EstateSettings.objects.update_or_create(estate=estate, defaults={"statement_period": statement_period})
    return settings


def statement_periods(*, estate: Estate, since: datetime.date, until: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    """The estate's periods from the one containing ``since`` to the one containing ``until``, oldest first."""
    months = PERIOD_MONTHS[EstateSettings.for_estate(estate).statement_period]
    periods = []
    starts_on, ends_on = _period_containing(since, months)
    while starts_on <= until:
        periods.append((starts_on, ends_on))
        starts_on, ends_on = _period_containing(ends_on + datetime.timedelta(days=1), months)
    return periods


def statement_periods_offered(*, estate: Estate, today: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    """The periods a statement is drafted for (the back office's choice): the estate's periods, newest
    (the current one) first, back to the first day its public income had anything in it, three years
    at most."""
    since = first_activity(estate) or today
    since = max(since, today.replace(year=today.year - 3, day=1))
    statements = list(
        PublicIncomeStatement.objects.filter(estate=estate).order_by("starts_on").values_list("starts_on", "ends_on", "status")
    )
    exact = {(starts_on, ends_on) for starts_on, ends_on, _status in statements}
    disclosed = [(s, e) for s, e, status in statements if status in (StatementStatus.APPROVED, StatementStatus.PUBLISHED)]
    offered = []
    for period in statement_periods(estate=estate, since=since, until=today):
        # A period partly disclosed already (the estate's setting changed): only its undisclosed days.
        offered += [period] if period in exact else _uncovered(period, disclosed)
    return list(reversed(offered))


@dataclass(frozen=True)
class StatementDue:
    """The period whose statement is due next, when, and how far its statement has come."""

    starts_on: datetime.date
    ends_on: datetime.date
    due_on: datetime.date
    overdue: bool
    statement: PublicIncomeStatement | None  # this exact period's statement, if one was drafted


def first_activity(estate: Estate) -> datetime.date | None:
    """The first day the estate's public income had anything in it (a posting, a cost, a statement)."""
    first_entry = (
        LedgerEntry.objects.filter(estate=estate)
        .filter(Q(credit__kind=AccountKind.PUBLIC_INCOME) | Q(debit__kind=AccountKind.PUBLIC_INCOME))
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    first_statement = (
        PublicIncomeStatement.objects.filter(estate=estate).order_by("starts_on").values_list("starts_on", flat=True).first()
    )
    days = [d for d in (first_entry and timezone.localdate(first_entry), first_statement) if d is not None]
    return min(days) if days else None


def _uncovered(
    period: tuple[datetime.date, datetime.date], taken: list[tuple[datetime.date, datetime.date]]
) -> list[tuple[datetime.date, datetime.date]]:
    """The runs of days of ``period`` that no interval of ``taken`` (sorted by start) covers, in order."""
    pieces, day = [], period[0]
    for starts_on, ends_on in taken:
        if ends_on < day:
            continue
        if starts_on > period[1]:
            break
        if starts_on > day:
            pieces.append((day, starts_on - datetime.timedelta(days=1)))
        day = max(day, ends_on + datetime.timedelta(days=1))
        if day > period[1]:
            return pieces
    pieces.append((day, period[1]))
    return pieces


def _covered(period: tuple[datetime.date, datetime.date], published: list[tuple[datetime.date, datetime.date]]) -> bool:
    """Whether published statements together cover every day of the period."""
    day = period[0]
    for starts_on, ends_on in published:  # sorted by start
        if starts_on > day:
            break
        if ends_on >= day:
            day = ends_on + datetime.timedelta(days=1)
        if day > period[1]:
            return True
    return day > period[1]


def statement_next_due(*, estate: Estate, today: datetime.date) -> StatementDue:
    """The period whose statement is due next: the earliest period that has ended without a published
    statement covering it (counting from the first day the estate's public income had anything in it),
    else the current period. Its statement is due ``STATEMENT_DUE_DAYS`` (15) days after the period
    ends (the platform's rule: DOMAIN.md found no Chongqing rule; periods are the estate's setting,
    quarterly by default); ``overdue`` once that day has passed. A few queries, whatever the history."""
    months = PERIOD_MONTHS[EstateSettings.for_estate(estate).statement_period]
    current = _period_containing(today, months)
    due = current
    first = first_activity(estate)
    if first is not None and first < current[0]:
        published = list(
            PublicIncomeStatement.objects.filter(estate=estate, status=StatementStatus.PUBLISHED)
            .order_by("starts_on", "ends_on")
            .values_list("starts_on", "ends_on")
        )
        period = _period_containing(first, months)
        while period[1] < today:
            if not _covered(period, published):
                # The period's first undisclosed run of days (all of it, unless the setting changed).
                due = _uncovered(period, published)[0]
                break
            period = _period_containing(period[1] + datetime.timedelta(days=1), months)
    due_on = due[1] + datetime.timedelta(days=STATEMENT_DUE_DAYS)
    statement = PublicIncomeStatement.objects.filter(estate=estate, starts_on=due[0], ends_on=due[1]).first()
    return StatementDue(starts_on=due[0], ends_on=due[1], due_on=due_on, overdue=today > due_on, statement=statement)


__all__ = [
    "AllocationPart",
    "Statement",
    "StatementDue",
    "allocation_record",
    "cost_claim",
    "cost_evidence_attach",
    "cost_propose",
    "cost_withdraw",
    "costs_awaiting_evidence",
    "estate_settings_save",
    "public_income_balance",
    "statement_approve",
    "statement_compute",
    "statement_draft",
    "statement_next_due",
    "statement_period_of",
    "statement_periods",
    "statement_periods_offered",
    "statement_publish",
]


# --- the statement's disclosure (公示): drafted, approved, published ---------------------------------

#: A statement stays on display this long (the estate's notice period for financial disclosures): more
#: than the STATEMENT_MIN_DISPLAY_DAYS a disclosure must be shown.
STATEMENT_DISPLAY_DAYS = DISCLOSURE_DISPLAY_DAYS


def _overlap_check(*, estate: Estate, starts_on: datetime.date, ends_on: datetime.date) -> None:
    """Each day's income is disclosed once (Civil Code Art. 282; 物业管理条例 Art. 54): no statement for a period
    that overlaps another period's approved or published statement of the estate (after a change of the
    estate's disclosure period, the new periods start where the disclosed ones ended)."""
    overlapping = PublicIncomeStatement.objects.filter(
        estate=estate,
        starts_on__lte=ends_on,
        ends_on__gte=starts_on,
        status__in=(StatementStatus.APPROVED, StatementStatus.PUBLISHED),
    ).exclude(starts_on=starts_on, ends_on=ends_on)
    other = overlapping.order_by("starts_on").first()
    if other is not None:
        raise refuse(
            f"该期间与已审核的 {other.starts_on:%Y-%m-%d} 至 {other.ends_on:%Y-%m-%d} 公示重叠",
            f"This period overlaps the approved statement of {other.starts_on:%Y-%m-%d} to {other.ends_on:%Y-%m-%d}.",
            code="overlap",
        )


@transaction.atomic
def statement_draft(*, estate: Estate, starts_on: datetime.date, ends_on: datetime.date) -> PublicIncomeStatement:
    """Freeze the period's figures (``statement_compute``) as a draft; drafting again refreshes a draft,
    never an approved or published statement. A period overlapping another period's approved or published
    statement is refused (``_overlap_check``)."""
    _overlap_check(estate=estate, starts_on=starts_on, ends_on=ends_on)
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
    # Two overlapping drafts: only the first approved stands (each day's income is disclosed once).
    _overlap_check(estate=statement.estate, starts_on=statement.starts_on, ends_on=statement.ends_on)
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
            f"期末余额 ¥{statement.closing:.2f}"
            + (f"；按业主决定分配 ¥{statement.allocated:.2f}，分配后余额 ¥{statement.balance:.2f}" if statement.allocated else "")
            + "。明细见附件。"
        ),
        render_pdf=lambda: public_income_statement_pdf(statement=statement),
        by=by,
        then=lambda: transition(statement, to=StatementStatus.PUBLISHED, by=by),
    )


# --- the allocation of the balance as the owners decided -----------------------------------------------

#: The Art. 278 items under which a passed resolution decides each kind of part. Using or sharing the
#: owners' common income is a matter of their common ownership and joint management: item (9) (more than
#: half of the participating area and owners). Into the fund is 物业管理条例 Art. 54 para. 3's rule and
#: needs no vote; if the owners voted on it anyway, item (6) (raising the fund) or (9) is cited.
ALLOCATION_MATTERS: dict[str, frozenset[Matter]] = {
    AllocationKind.MAINTENANCE_FUND: frozenset({Matter.RAISE_MAINTENANCE_FUND, Matter.OTHER_MAJOR}),
    AllocationKind.NAMED_USE: frozenset({Matter.OTHER_MAJOR}),
    AllocationKind.SHARED_TO_OWNERS: frozenset({Matter.OTHER_MAJOR}),
}
#: Where each kind of part goes in the ledger (from the owners' public-income account).
ALLOCATION_ACCOUNTS: dict[str, str] = {
    AllocationKind.MAINTENANCE_FUND: AccountKind.MAINTENANCE_FUND,
    AllocationKind.NAMED_USE: AccountKind.PUBLIC_INCOME_USES,
    AllocationKind.SHARED_TO_OWNERS: AccountKind.OWNERS_PAYABLE,
}
#: Parts credited unit by unit, by exclusive area (Art. 283).
UNIT_BY_UNIT = frozenset({AllocationKind.MAINTENANCE_FUND, AllocationKind.SHARED_TO_OWNERS})


@dataclass(frozen=True)
class AllocationPart:
    """One part of an allocation as staff record it: where it goes, how much, and what decided it."""

    kind: str  # AllocationKind
    amount: Decimal
    description: str = ""  # what the named use is
    resolution: AssemblyMatter | None = None


def _in_fen(amount: Any) -> bool:
    return amount is not None and amount > 0 and amount == Decimal(amount).quantize(Decimal("0.01"))


def _part_check(part: AllocationPart, estate: Estate) -> None:
    if part.kind not in ALLOCATION_ACCOUNTS:
        raise refuse("未知的分配方式", f"Unknown allocation {part.kind!r}.", code="kind")
    if not _in_fen(part.amount):
        raise refuse(
            "每一部分的金额必须大于零、最多两位小数", "Each part must be more than zero, in fen.", field="amount", code="amount"
        )
    if part.kind == AllocationKind.NAMED_USE and not (part.description or "").strip():
        raise refuse("请写明用途", "Name the use.", field="description", code="description")
    resolution = part.resolution
    if resolution is None:
        if part.kind == AllocationKind.MAINTENANCE_FUND:
            return  # 物业管理条例 Art. 54 para. 3: the rule, no vote needed
        raise refuse(
            "公共收益用于维修资金以外的用途或分给业主，须有本小区业主大会依民法典第278条第一款第（九）项通过的决定"
            "（《物业管理条例》第五十四条）",
            "Public income used otherwise than for the maintenance fund, or shared to the owners, needs a passed "
            "resolution of this estate's owners under Civil Code Art. 278 item (9) (物业管理条例 Art. 54).",
            field="resolution",
            code="no_resolution",
        )
    decided = (
        resolution.assembly.estate_id == estate.pk
        and resolution.passed is True
        and resolution.matter in ALLOCATION_MATTERS[part.kind]
    )
    if not decided:
        raise refuse(
            "所引用的决定不是本小区业主大会就该事项通过的决定（民法典第278条第一款第（九）项；存入维修资金也可为第（六）项）",
            "The resolution cited is not a passed resolution of this estate's owners on this matter (Civil Code "
            "Art. 278 item (9); into the fund also item (6)).",
            field="resolution",
            code="not_decided",
        )


@transaction.atomic
def allocation_record(
    *, statement: PublicIncomeStatement, amount: Decimal, parts: list[AllocationPart], by: Any = None
) -> PublicIncomeAllocation:
    """Allocate ``amount`` of an approved statement's closing balance as the owners decided, in ``parts``:
    into the maintenance fund (credited to every unit's fund account by exclusive area, so
    ``fund.fund_balances`` includes it), a named use, and/or shared to the owners (each unit's share by
    exclusive area, payable to its owners). Shares are computed to the fen with
    ``sharing.share_by_weight`` and sum exactly to their part. Posted to the ledger from the owners'
    public-income account (to the maintenance fund, to public income set aside for uses, to public
    income payable to owners), so the statement's balance after allocation is the account's balance.

    The law: income from common parts, after reasonable costs, is the owners' (Civil Code Art. 282);
    its distribution follows their agreement, else their exclusive areas (Art. 283: the platform shares
    by area only). 物业管理条例 Art. 54 para. 3: the owners' income "should mainly supplement the
    maintenance fund, and may also be used as the owners' assembly decides" — so a part into the fund
    needs no resolution (it is the regulation's rule; a resolution may be cited, Art. 278 item (6) or
    (9)), while a named use or a sharing needs a passed resolution of the estate under Art. 278 item (9)
    (a major matter of the owners' common ownership and joint management; more than half of the
    participating area and owners).

    Refused, with nothing written: a statement not approved (a draft may still change; a published one
    was disclosed without it), one already allocated, one followed by an approved or published
    statement (whose opening balance is frozen); parts that do not sum exactly to ``amount``; an amount
    above what is available (the statement's closing balance, and what the account holds now); a part
    without the resolution it needs."""
    statement = PublicIncomeStatement.objects.select_for_update().select_related("estate").get(pk=statement.pk)
    estate = statement.estate
    if statement.status != StatementStatus.APPROVED:
        raise refuse(
            "只有已审核、尚未发布的公示才能记录分配",
            "Only an approved statement that is not yet published is allocated.",
            code="not_approved",
        )
    if PublicIncomeAllocation.objects.filter(statement=statement).exists():
        raise refuse("该期公示已记录分配", "This statement is allocated already.", code="allocated")
    later = PublicIncomeStatement.objects.filter(estate=estate, starts_on__gt=statement.ends_on).exclude(
        status=StatementStatus.DRAFT
    )
    if later.exists():
        raise refuse(
            "之后一期的公示已审核，本期不能再分配",
            "A later period's statement is approved already: this one is no longer allocated.",
            code="later_statement",
        )
    if not _in_fen(amount):
        raise refuse(
            "分配金额必须大于零、最多两位小数", "The amount must be more than zero, in fen.", field="amount", code="amount"
        )
    parts = list(parts)
    if not parts:
        raise refuse("请至少填写一项分配", "Give at least one part.", code="no_parts")
    for part in parts:
        _part_check(part, estate)
    total = sum((part.amount for part in parts), ZERO)
    if total != amount:
        raise refuse(
            f"各项分配合计 ¥{total:.2f}，与分配金额 ¥{amount:.2f} 不符",
            f"The parts sum to ¥{total:.2f}, not to the amount allocated, ¥{amount:.2f}.",
            field="amount",
            code="not_summing",
        )
    held = public_income_balance(estate=estate, before=timezone.now() + datetime.timedelta(days=1))
    # Income billed but not yet paid is in the account but not in hand: it is not allocated until collected.
    uncollected = public_income_uncollected(estate=estate)
    available = min(statement.closing, held - uncollected)
    if amount > available:
        raise refuse(
            f"可分配余额 ¥{max(available, ZERO):.2f}（期末余额 ¥{statement.closing:.2f}，账户现有 ¥{held:.2f}，"
            f"其中尚未收到 ¥{uncollected:.2f}），本次分配 ¥{amount:.2f}",
            f"Only ¥{max(available, ZERO):.2f} is available (closing balance ¥{statement.closing:.2f}, the account "
            f"holds ¥{held:.2f} of which ¥{uncollected:.2f} is billed but not yet paid); the allocation is ¥{amount:.2f}.",
            field="amount",
            code="exceeds_balance",
        )
    areas = dict(Unit.objects.filter(building__estate=estate).values_list("pk", "exclusive_area"))
    if not areas and any(part.kind in UNIT_BY_UNIT for part in parts):
        raise refuse("本小区没有登记房屋，无法按面积分摊", "The estate has no units to share by area.", code="no_units")
    allocation = PublicIncomeAllocation.objects.create(
        estate=estate, statement=statement, amount=amount, recorded_by=by if getattr(by, "pk", None) else None
    )
    shares: list[PublicIncomeAllocationShare] = []
    postings: list[Posting] = []
    for part in parts:
        row = PublicIncomeAllocationPart.objects.create(
            allocation=allocation,
            kind=part.kind,
            amount=part.amount,
            description=(part.description or "").strip()[:200],
            resolution=part.resolution,
        )
        if part.kind in UNIT_BY_UNIT:
            shares += [
                PublicIncomeAllocationShare(part=row, unit_id=unit_id, amount=share)
                for unit_id, share in share_by_weight(part.amount, areas).items()
            ]
        memo = f"public income allocation {allocation.pk} ({statement.starts_on}–{statement.ends_on}): {part.kind}"
        postings.append(Posting(AccountKind.PUBLIC_INCOME, ALLOCATION_ACCOUNTS[part.kind], part.amount, memo[:200]))
    PublicIncomeAllocationShare.objects.bulk_create(shares)
    ledger_post(estate_id=estate.pk, postings=postings, by=by)
    return allocation
