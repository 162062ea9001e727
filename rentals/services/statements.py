"""Owners' monthly statements and the sublet mode's payouts (the arithmetic is ``rentals.statements``).

``owner_statement_make`` writes one month of one agreement once (a second call returns the first statement):

- agency — the tenants' rent went straight to the owner's payee (住房租赁条例 Arts. 25, 36: Anju never holds the
  owner's rent); the statement lists those payments, and the commission and the renovation instalment are billed to
  the owner (a ``rental_service`` bill to the operator's payee, or the estate's payee for fees);
- sublet (包租) — the guaranteed rent becomes an ``OwnerPayout`` to the owner's payee, due no later than the
  tenant's rent that funds it (2021 national opinion on rental companies, 建房规〔2021〕2号).

``payout_record_paid`` records the payout's payment; ``owner_statements_make`` is the monthly task's work.
"""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.errors import refuse
from accounts.formats import PEOPLE_TIME_ZONE
from billing.audit import money_audit
from billing.models import Invoice, LedgerEntry, PaymentAllocation
from billing.services.invoices import invoice_create_for_source
from estates.selectors import estates_visible_to
from estates.status import transition

from ..cycles import cycle_covering
from ..models import (
    AgreementMode,
    AgreementStatus,
    EntrustmentAgreement,
    Lease,
    LeaseStatus,
    OwnerPayout,
    OwnerStatement,
    PayoutStatus,
)
from ..statements import RentLine, in_term, month_figures, month_start, next_month

logger = logging.getLogger(__name__)

RENT_CHARGE = "flat_rent"
SERVICE_CHARGE = "rental_service"
#: Leases that were signed (their rent bills are real), whatever became of them since.
SIGNED_LEASE_STATUSES = (LeaseStatus.ACTIVE, LeaseStatus.NOTICE, LeaseStatus.ENDED, LeaseStatus.TERMINATED)
#: Agreements that were in force at some time (a statement is made for a month of their term).
CONCLUDED = (AgreementStatus.ACTIVE, AgreementStatus.ENDED, AgreementStatus.RETURNED_EARLY)


def payout_day() -> int:
    """The day of the month on which a sublet's owner is paid (``settings.ANJU_RENTAL_PAYOUT_DAY``, default 10)."""
    return int(getattr(settings, "ANJU_RENTAL_PAYOUT_DAY", 10))


def _instant(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=PEOPLE_TIME_ZONE)


def _rent_bills(agreement_ids) -> Q:
    lease_type = ContentType.objects.get_for_model(Lease)
    return Q(
        invoice__charge_kind=RENT_CHARGE,
        invoice__source_type=lease_type,
        invoice__source_id__in=Lease.objects.filter(agreement_id__in=agreement_ids).values("pk"),
    )


def rent_lines(*, agreement: EntrustmentAgreement, period: datetime.date) -> list[RentLine]:
    """The agency's rent in the month, cash basis: each payment received in the month for a rent bill of the
    agreement's leases, and each refund of such a bill made in the month (negative). Two queries."""
    start, end = _instant(month_start(period)), _instant(next_month(period))
    bills = _rent_bills([agreement.pk])
    payments = PaymentAllocation.objects.filter(bills, payment__received_at__gte=start, payment__received_at__lt=end).values_list(
        "payment__received_at", "amount", "invoice__number", "payment__reference"
    )
    refunds = LedgerEntry.objects.filter(
        bills, refund__isnull=False, refund__created_at__gte=start, refund__created_at__lt=end
    ).values_list("refund__created_at", "amount", "invoice__number", "refund__reason")
    lines = [
        RentLine(on=timezone.localtime(at, PEOPLE_TIME_ZONE).date(), amount=a, bill=n, reference=r) for at, a, n, r in payments
    ]
    lines += [
        RentLine(on=timezone.localtime(at, PEOPLE_TIME_ZONE).date(), amount=-a, bill=n, reference=r) for at, a, n, r in refunds
    ]
    return lines


def payout_due_on(*, agreement: EntrustmentAgreement, period: datetime.date) -> datetime.date:
    """The earlier of the month's payout day and the due date of the tenant's rent that pays for the month (the
    bill of the rent cycle covering the month's first day the flat is let): the owner's payout is never due later
    than the rent that funds it (2021 national opinion on rental companies, 建房规〔2021〕2号)."""
    first, after = month_start(period), next_month(period)
    due = first.replace(day=min(payout_day(), 28))
    leases = Lease.objects.filter(
        agreement=agreement, status__in=SIGNED_LEASE_STATUSES, start_on__lt=after, end_on__gte=first
    ).order_by("start_on", "pk")
    for lease in leases:
        if lease.last_day < first:
            continue
        cycle = cycle_covering(lease, max(first, lease.start_on))
        if cycle is not None:
            due = min(due, cycle.due_on)
    return due


def _check_month(agreement: EntrustmentAgreement, period: datetime.date, today: datetime.date) -> None:
    if period.day != 1:
        raise refuse("报表月份须为当月第一天", "The month is given by its first day.", field="period", code="period")
    if agreement.status not in CONCLUDED:
        raise refuse("该协议未生效", "This agreement was never in force.", code="not_in_force")
    if next_month(period) > today:
        raise refuse(f"{period:%Y年%m月}尚未结束", f"{period:%Y-%m} has not ended yet.", field="period", code="month_not_ended")
    if not in_term(agreement, period):
        raise refuse(
            f"{period:%Y年%m月}不在协议期限内",
            f"{period:%Y-%m} is outside the agreement's term.",
            field="period",
            code="outside_term",
        )


def _owner_bill(statement: OwnerStatement, agreement: EntrustmentAgreement, figures) -> Invoice:
    lines: list[tuple[str, Decimal, Decimal]] = []
    if figures.commission >= 0:
        if figures.commission > 0:
            lines.append(
                (f"{figures.period:%Y年%m月} 出租佣金（{agreement.commission_percent}%）", Decimal(1), figures.commission)
            )
        if figures.recovery > 0:
            lines.append(
                (f"{figures.period:%Y年%m月} 装修费用分期回收（第{figures.month_index}月）", Decimal(1), figures.recovery)
            )
    else:  # a refund made the commission negative: one line for what is owed on balance
        lines.append((f"{figures.period:%Y年%m月} 出租佣金及装修费用分期回收", Decimal(1), figures.owner_bill))
    today = timezone.localdate()
    due_on = max(today, next_month(figures.period).replace(day=min(payout_day(), 28)))
    owner = agreement.owner
    return invoice_create_for_source(
        source=statement,
        estate=agreement.estate,
        unit=agreement.unit,
        charge_kind=SERVICE_CHARGE,
        period=figures.period,
        payer_owner=owner,
        payer_user=owner.user,
        payer_name=owner.name,
        lines=lines,
        due_on=due_on,
        payee=agreement.operator_payee,  # None: the estate's payee for fees (billing.services.payees)
    )


@transaction.atomic
def owner_statement_make(
    *, agreement: EntrustmentAgreement, period: datetime.date, by: Any = None, today: datetime.date | None = None
) -> OwnerStatement:
    """The owner's statement of ``period`` (a month that has ended, within the term), made once: a second call
    returns the first statement and changes nothing. Agency: bills the owner the commission and the renovation
    instalment when above zero; the rent itself went to the owner's payee (住房租赁条例 Arts. 25, 36). Sublet:
    the guaranteed rent becomes a payout to the owner's payee (required), due no later than the tenant's rent that
    funds it (建房规〔2021〕2号)."""
    today = today or timezone.localdate()
    if by is not None and not estates_visible_to(user=by).filter(pk=agreement.estate_id).exists():
        raise refuse("您无权处理该小区的存房", "You do not handle flat pooling for this estate.", code="forbidden")
    # One maker per agreement at a time: the second waits here, then finds the first's statement.
    agreement = (
        EntrustmentAgreement.objects.select_for_update(of=("self",))
        .select_related("estate", "unit", "owner", "owner_payee", "operator_payee")
        .get(pk=agreement.pk)
    )
    found = OwnerStatement.objects.filter(agreement=agreement, period=period).first()
    if found is not None:
        return found
    _check_month(agreement, period, today)
    if agreement.mode == AgreementMode.SUBLET and agreement.owner_payee_id is None:
        raise refuse(
            "包租协议未指定业主的收款方，无法安排保底租金的支付",
            "The agreement names no payee for the owner: the guaranteed rent cannot be paid out.",
            field="owner_payee",
            code="owner_payee",
        )
    lines = rent_lines(agreement=agreement, period=period) if agreement.mode == AgreementMode.AGENCY else []
    figures = month_figures(agreement, period, lines)
    try:
        with transaction.atomic():
            statement = OwnerStatement.objects.create(
                estate_id=agreement.estate_id,
                agreement=agreement,
                period=period,
                mode=agreement.mode,
                rent_collected=figures.rent_collected,
                commission=figures.commission,
                recovery=figures.recovery,
                guaranteed_rent=figures.guaranteed_rent,
                payout=figures.payout,
                unrecovered_after=figures.unrecovered_after,
            )
    except IntegrityError:
        return OwnerStatement.objects.get(agreement=agreement, period=period)
    if figures.owner_bill > 0:
        statement.owner_invoice = _owner_bill(statement, agreement, figures)
        statement.save(update_fields=["owner_invoice"])
    if agreement.mode == AgreementMode.SUBLET:
        _payout_settle(agreement, statement, figures.payout)
    return statement


def _payout_settle(agreement: EntrustmentAgreement, statement: OwnerStatement, amount) -> None:
    """The month's payout, made at the month's start (``sublet_payouts_make``) so that it is due in time, joins its
    statement; its amount follows the statement (e.g. pro-rated in the month of an early return) while it is still
    due. A payout already paid keeps its amount; a month without one (made late) gets it now."""
    payout = OwnerPayout.objects.select_for_update().filter(agreement=agreement, period=statement.period).first()
    if payout is None:
        if amount > 0:
            OwnerPayout.objects.create(
                estate_id=agreement.estate_id,
                agreement=agreement,
                statement=statement,
                period=statement.period,
                amount=amount,
                payee=agreement.owner_payee,
                due_on=payout_due_on(agreement=agreement, period=statement.period),
            )
        return
    payout.statement = statement
    if payout.status == PayoutStatus.DUE and amount > 0:
        payout.amount = amount
    elif payout.status == PayoutStatus.DUE:
        payout.delete()
        return
    payout.save(update_fields=["statement", "amount"])


def sublet_payouts_make(*, period: datetime.date) -> int:
    """At the start of ``period``: the guaranteed rent of every sublet agreement in force for that month becomes a
    payout to the owner's payee, due on the month's payout day or earlier, when the tenant's rent that funds the month
    is due earlier — never later than that rent (建房规〔2021〕2号). Made before the month's statement so that it is
    never overdue when it first appears; idempotent (one per agreement and month). Returns the number made."""
    from .. import statements as arithmetic

    first = month_start(period)
    agreements = (
        agreements_for_month(first)
        .filter(mode=AgreementMode.SUBLET, status=AgreementStatus.ACTIVE, owner_payee__isnull=False)
        .exclude(payouts__period=first)
    )
    made = 0
    for agreement in agreements:
        amount = arithmetic.guaranteed_of(agreement, first)
        if amount <= 0:
            continue
        try:
            with transaction.atomic():
                OwnerPayout.objects.create(
                    estate_id=agreement.estate_id,
                    agreement=agreement,
                    period=first,
                    amount=amount,
                    payee_id=agreement.owner_payee_id,
                    due_on=payout_due_on(agreement=agreement, period=first),
                )
        except IntegrityError:
            continue
        made += 1
    return made


@transaction.atomic
def payout_record_paid(*, payout: OwnerPayout, paid_on: datetime.date, reference: str, by: Any) -> OwnerPayout:
    """Record that the payout was paid to the owner's payee (the bank transfer's reference). Once: a payout already
    recorded as paid is refused."""
    if not estates_visible_to(user=by).filter(pk=payout.estate_id).exists():
        raise refuse("您无权处理该小区的存房", "You do not handle flat pooling for this estate.", code="forbidden")
    reference = (reference or "").strip()
    if not reference:
        raise refuse("请填写付款凭证号", "Give the transfer's reference.", field="reference", code="reference")
    if paid_on > timezone.localdate():
        raise refuse("付款日期不能晚于今天", "The payment date cannot be in the future.", field="paid_on", code="paid_on")
    payout = OwnerPayout.objects.select_for_update().get(pk=payout.pk)
    if payout.status != PayoutStatus.DUE:
        raise refuse("该笔款项已记录为已支付", "This payout is already recorded as paid.", code="already_paid")
    transition(payout, to=PayoutStatus.PAID, by=by, paid_on=paid_on, reference=reference[:100], paid_by=by)
    payout.refresh_from_db()
    money_audit(
        action="owner_payout_paid",
        obj=payout,
        estate_id=payout.estate_id,
        user=by,
        data={"amount": payout.amount, "period": f"{payout.period:%Y-%m}", "paid_on": paid_on, "reference": reference},
    )
    return payout


def agreements_for_month(period: datetime.date):
    """The agreements with a statement to make for ``period``: in force, or ended (at term or early) on or after
    the month's first day, and whose term overlaps the month."""
    first, after = month_start(period), next_month(period)
    return (
        EntrustmentAgreement.objects.filter(start_on__lt=after, end_on__gt=first)
        .filter(Q(status=AgreementStatus.ACTIVE) | Q(status__in=CONCLUDED[1:], ended_on__gt=first))
        .exclude(statements__period=first)
        .order_by("pk")
    )


def owner_statements_make(*, period: datetime.date, agreement_ids: list[int] | None = None) -> dict[str, int]:
    """Make the statements of ``period`` for the given agreements (default: every agreement with one due). Each in
    its own transaction; a refusal (e.g. a sublet without the owner's payee) is logged and the others go on."""
    ids = agreement_ids if agreement_ids is not None else list(agreements_for_month(period).values_list("pk", flat=True))
    made = refused = 0
    for agreement in EntrustmentAgreement.objects.filter(pk__in=ids).order_by("pk"):
        try:
            owner_statement_make(agreement=agreement, period=period)
        except ValidationError as exc:
            refused += 1
            logger.warning("owner statement %s %s refused: %s", agreement.pk, f"{period:%Y-%m}", exc.messages)
        else:
            made += 1
    return {"made": made, "refused": refused}
