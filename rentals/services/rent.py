"""Rent and deposit money of a lease: the bills, overdue reminders with a cure period, the hand-back checklist and
the deposit's settlement.

- ``rent_bills_issue``: the deposit bill (``flat_deposit``) once, and each rent cycle's bill (``flat_rent``) once
  its issue day has come, all to the lease's ``rent_payee`` through billing (idempotent: billing's key per source,
  period and charge). ``rent_bills_issue_due`` runs it daily over every lease in force.
- ``rent_reminder_send`` / ``rent_reminders_send``: a reminder of an overdue rent bill with a cure period (Civil Code
  Art. 722), by SMS; ``arrears_curable_until`` / ``arrears_may_terminate`` tell the lease's termination whether the
  cure period is over.
- ``hand_back_record``: the checklist when the tenant leaves.
- ``deposit_settle`` / ``deposit_return_record``: itemised deductions (only the lease's cases, never above the
  deposit paid) and the return.

Settings (with their defaults): ``ANJU_RENTAL_BILL_DAYS_AHEAD`` (7: a cycle's bill is issued that many days before
it is due), ``ANJU_RENTAL_REMINDER_AFTER_DAYS`` (3: days past due before the reminder), ``ANJU_RENTAL_CURE_DAYS``
(15: the cure period the reminder gives).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import refuse
from accounts.sms import sms_backend
from billing.models import Invoice
from billing.money import format_rmb, quantize
from billing.services.invoices import invoice_create_for_source
from billing.statuses import UNPAID

from ..cycles import RentCycle, lease_cycles
from ..models import (
    MAX_RENT_CYCLE_MONTHS,
    AgreementMode,
    DepositCase,
    DepositDeduction,
    DepositSettlement,
    HandBack,
    Lease,
    LeaseStatus,
    RentReminder,
)
from ..recovery import add_months
from .entrustments import _money, _staff_check

logger = logging.getLogger(__name__)

RENT_KIND = "flat_rent"
DEPOSIT_KIND = "flat_deposit"
#: Leases whose rent is billed: in force, or under notice until their last day.
BILLED_STATUSES = (LeaseStatus.ACTIVE, LeaseStatus.NOTICE)
#: A hand-back is recorded once the tenancy is ending or over (or its last day has come).
HAND_BACK_STATUSES = (LeaseStatus.NOTICE, LeaseStatus.ENDED, LeaseStatus.TERMINATED)


def _days(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def bill_days_ahead() -> int:
    return _days("ANJU_RENTAL_BILL_DAYS_AHEAD", 7)


def reminder_after_days() -> int:
    return _days("ANJU_RENTAL_REMINDER_AFTER_DAYS", 3)


def cure_days() -> int:
    return _days("ANJU_RENTAL_CURE_DAYS", 15)


def lease_content_type() -> ContentType:
    return ContentType.objects.get_for_model(Lease)


def lease_bills(lease: Lease):
    """Every bill of the lease (rent and deposit), oldest period first."""
    return Invoice.objects.filter(source_type=lease_content_type(), source_id=lease.pk).order_by("period", "charge_kind", "pk")


# --- Bills --------------------------------------------------------------------------------------------------


def _issue_day(cycle: RentCycle) -> datetime.date:
    """The first cycle's bill is issued at once; each later one ``ANJU_RENTAL_BILL_DAYS_AHEAD`` days before it is due."""
    if cycle.index == 0:
        return datetime.date.min
    return cycle.due_on - datetime.timedelta(days=bill_days_ahead())


def _rent_rules_check(lease: Lease, cycles: Sequence[RentCycle] = ()) -> None:
    """Refuse before anything is written.

    - Rent is collected at most three months at a time (2021 national opinion on rental companies,
      建房规〔2021〕2号): no bill carries more than three months' rent, even for a lease made otherwise.
    - In the sublet mode all rental money (rent and deposit) goes to a supervised account (住房租赁条例 Art. 19);
      in any mode a deposit above one month's rent goes only to a supervised account (2021 opinion).
    - In the agency mode the money is the owner's and goes to the owner's payee: the operator never holds rent or
      deposits for others (住房租赁条例 Arts. 25, 36).
    """
    if lease.cycle_months > MAX_RENT_CYCLE_MONTHS or any(c.months > MAX_RENT_CYCLE_MONTHS for c in cycles):
        raise refuse(
            "一次收取的租金不得超过3个月（建房规〔2021〕2号）",
            "Rent may not be collected for more than three months at a time (2021 national opinion on rental companies).",
            code="over_three_months",
        )
    payee = lease.rent_payee
    if payee.estate_id != lease.estate_id:
        raise refuse("收款方属于另一个小区", "The payee belongs to another estate.", code="other_estate")
    agreement = lease.agreement
    if agreement.mode == AgreementMode.SUBLET and not payee.supervised:
        raise refuse(
            "转租经营的租金和押金只能进入资金监管账户（《住房租赁条例》第十九条）",
            "In the sublet mode rent and deposits go only to a supervised account (Housing Rental Regulations Art. 19).",
            code="not_supervised",
        )
    if lease.deposit > lease.monthly_rent and not payee.supervised:
        raise refuse(
            "超过一个月租金的押金只能进入资金监管账户（《住房租赁条例》第十九条）",
            "A deposit above one month's rent goes only to a supervised account (Housing Rental Regulations Art. 19).",
            code="deposit_not_supervised",
        )
    if agreement.mode == AgreementMode.AGENCY and payee.pk != agreement.owner_payee_id:
        raise refuse(
            "代理模式下租金和押金只能付给业主的收款方（《住房租赁条例》第二十五、三十六条）",
            "In the agency mode rent and deposits go only to the owner's payee (Housing Rental Regulations Arts. 25, 36).",
            code="not_owner_payee",
        )


def _month_line(first_day: datetime.date, lease: Lease) -> tuple[str, Decimal, Decimal]:
    last_day = add_months(first_day, 1) - datetime.timedelta(days=1)
    return (f"租金 {lease.number} {first_day:%Y-%m-%d}至{last_day:%Y-%m-%d}", Decimal(1), lease.monthly_rent)


@transaction.atomic
def rent_bills_issue(
    *, lease: Lease, today: datetime.date | None = None, existing: set[tuple[str, datetime.date]] | None = None
) -> list[Invoice]:
    """Issue the lease's bills that are due to be issued by ``today``; returns the bills written now.

    The deposit bill once (``flat_deposit``, period the lease's first month, due on its first day); each rent cycle's
    bill (``flat_rent``, period = the cycle's, one line per month of rent, due on the cycle's due day) from its issue
    day on (the first at once). No bill for a cycle after the lease's last day (a notice cuts them). All to the
    lease's payee, paid by the tenant's account. Idempotent: billing keeps one bill per (lease, period, charge);
    ``existing`` (the (charge, period) pairs already billed, from a batch) saves the look-ups.

    Refused, with nothing written: a lease not in force or under notice; more than three months' rent at a time
    (建房规〔2021〕2号); sublet money, or a deposit above one month's rent, to an unsupervised payee (住房租赁条例
    Art. 19); agency money to anyone but the owner's payee (Arts. 25, 36).
    """
    today = today or timezone.localdate()
    if lease.status not in BILLED_STATUSES:
        raise refuse(
            "只有履行中或通知期内的租赁合同才开具租金账单",
            "Rent is billed only for a lease in force or under notice.",
            code="not_in_force",
        )
    _rent_rules_check(lease)
    cycles = [c for c in lease_cycles(lease) if c.first_day <= lease.last_day]
    _rent_rules_check(lease, cycles)
    if existing is None:
        existing = set(lease_bills(lease).values_list("charge_kind", "period"))
    common: dict[str, Any] = {
        "source": lease,
        "estate": lease.estate,
        "unit": lease.unit,
        "payer_user": lease.tenant_user,
        "payer_name": lease.tenant_name,
        "payee": lease.rent_payee,
    }
    written = []
    for _kind, cycle in _pending(lease, cycles, today=today, existing=existing):
        if cycle is None:
            written.append(
                invoice_create_for_source(
                    charge_kind=DEPOSIT_KIND,
                    period=lease.start_on.replace(day=1),
                    lines=[(f"押金 {lease.number}", Decimal(1), lease.deposit)],
                    due_on=lease.start_on,
                    **common,
                )
            )
        else:
            written.append(
                invoice_create_for_source(
                    charge_kind=RENT_KIND,
                    period=cycle.period,
                    lines=[_month_line(month, lease) for month in cycle.month_starts()],
                    due_on=cycle.due_on,
                    **common,
                )
            )
    return written


def _pending(
    lease: Lease, cycles: Sequence[RentCycle], *, today: datetime.date, existing: set[tuple[str, datetime.date]]
) -> list[tuple[str, RentCycle | None]]:
    """The bills not issued yet whose issue day has come: the deposit (cycle None) and the rent cycles."""
    pending: list[tuple[str, RentCycle | None]] = []
    if lease.deposit > 0 and (DEPOSIT_KIND, lease.start_on.replace(day=1)) not in existing:
        pending.append((DEPOSIT_KIND, None))
    for cycle in cycles:
        if (RENT_KIND, cycle.period) not in existing and today >= _issue_day(cycle):
            pending.append((RENT_KIND, cycle))
    return pending


def rent_bills_issue_due(*, today: datetime.date | None = None, batch: int = 500) -> dict[str, int]:
    """Daily: issue the bills due to be issued for every lease in force or under notice. Safe to run any number of
    times (a bill already issued is left as it is). Leases are read in batches by id with their payee and agreement,
    and the bills already issued for a batch in one query, so a lease with nothing new costs no query and one with
    new bills a fixed number per bill. A lease
    refused by a rule is logged and skipped; the others go on."""
    today = today or timezone.localdate()
    content_type = lease_content_type()
    counts = {"bills": 0, "refused": 0}
    after = 0
    while True:
        leases = list(
            Lease.objects.filter(status__in=BILLED_STATUSES, pk__gt=after)
            .select_related("rent_payee", "agreement", "estate", "unit")
            .order_by("pk")[:batch]
        )
        if not leases:
            return counts
        after = leases[-1].pk
        billed: dict[int, set[tuple[str, datetime.date]]] = {lease.pk: set() for lease in leases}
        for source_id, kind, period in Invoice.objects.filter(source_type=content_type, source_id__in=list(billed)).values_list(
            "source_id", "charge_kind", "period"
        ):
            billed[source_id].add((kind, period))
        for lease in leases:
            try:
                cycles = [c for c in lease_cycles(lease) if c.first_day <= lease.last_day]
                if not _pending(lease, cycles, today=today, existing=billed[lease.pk]):
                    continue  # nothing new: no query for this lease
                counts["bills"] += len(rent_bills_issue(lease=lease, today=today, existing=billed[lease.pk]))
            except Exception:  # one lease's refusal or error never stops the others' bills
                counts["refused"] += 1
                logger.exception("rent bills of lease %s not issued", lease.pk)


# --- Arrears and reminders ----------------------------------------------------------------------------------


def unpaid_rent(lease: Lease) -> Decimal:
    """What the tenant still owes on the lease's rent bills (open, partly paid or overdue)."""
    totals = (
        lease_bills(lease).filter(charge_kind=RENT_KIND, status__in=UNPAID).aggregate(total=Sum("total"), paid=Sum("paid_amount"))
    )
    return quantize((totals["total"] or Decimal(0)) - (totals["paid"] or Decimal(0)))


def arrears_curable_until(lease: Lease) -> datetime.date | None:
    """The last day of the cure period for the lease's arrears, or None when no unpaid rent bill has had a reminder.

    For the lease's termination (Civil Code Art. 722): the lessor may end a lease for unpaid rent only after a
    reminder's cure period has passed with that bill still unpaid. This returns the earliest ``cure_until`` among the
    lease's unpaid rent bills that have a reminder; use ``arrears_may_terminate`` for the yes/no.
    """
    unpaid = lease_bills(lease).filter(charge_kind=RENT_KIND, status__in=UNPAID)
    reminder = (
        RentReminder.objects.filter(lease=lease, invoice__in=unpaid)
        .order_by("cure_until")
        .values_list("cure_until", flat=True)
        .first()
    )
    return reminder


def arrears_may_terminate(lease: Lease, *, today: datetime.date | None = None) -> bool:
    """True only when a rent bill of the lease is unpaid after the cure period its reminder gave (Civil Code Art.
    722). Termination is then a dated notice, never cutting utilities or locking out (住房租赁条例 Art. 12)."""
    until = arrears_curable_until(lease)
    return until is not None and (today or timezone.localdate()) > until


def reminder_text(*, lease: Lease, invoice: Invoice, cure_until: datetime.date) -> str:
    """The SMS: the bill, what is owed, the date to pay by; that nothing is cut off or locked (住房租赁条例 Art. 12)."""
    return (
        f"【安居】{lease.tenant_name}您好：您租住的{lease.unit.key}的租金账单 {invoice.number}（{format_rmb(invoice.outstanding)}）"
        f"已于{invoice.due_on:%Y年%m月%d日}到期未付。请于{cure_until:%Y年%m月%d日}前支付，可在“安居”门户“我的账单”在线支付。"
        f"在此期间及之后，我们不会停水停电，也不会更换门锁或强行清退。如有困难请联系小区物业。"
    )


@transaction.atomic
def rent_reminder_send(*, invoice: Invoice, by=None, today: datetime.date | None = None) -> RentReminder:
    """Remind the tenant of an overdue rent bill, giving ``ANJU_RENTAL_CURE_DAYS`` days to pay (Civil Code Art. 722),
    by SMS to the lease's mobile. Once per bill. The text says nothing is cut off or locked (住房租赁条例 Art. 12).

    Refused: a bill that is not a lease's rent, paid or void, not yet past due, or already reminded. The SMS is sent
    inside the transaction: if it cannot be sent, no reminder is recorded (no cure period runs unannounced).
    """
    today = today or timezone.localdate()
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.source_type_id != lease_content_type().pk or invoice.charge_kind != RENT_KIND:
        raise refuse("这不是租金账单", "This is not a rent bill.", code="not_rent")
    if invoice.status not in UNPAID or invoice.outstanding <= 0:
        raise refuse("该账单已付清或已作废", "This bill is paid or void.", code="not_unpaid")
    if invoice.due_on >= today:
        raise refuse("该账单尚未逾期", "This bill is not overdue yet.", code="not_overdue")
    lease = Lease.objects.select_related("unit", "estate").get(pk=invoice.source_id)
    if by is not None:
        _staff_check(by, lease.estate_id)
    if RentReminder.objects.filter(invoice=invoice).exists():
        raise refuse("该账单已发送过催缴提醒", "A reminder was already sent for this bill.", code="already_reminded")
    cure_until = today + datetime.timedelta(days=cure_days())
    try:
        with transaction.atomic():
            reminder = RentReminder.objects.create(lease=lease, invoice=invoice, sent_on=today, cure_until=cure_until, sent_by=by)
    except IntegrityError:
        raise refuse("该账单已发送过催缴提醒", "A reminder was already sent for this bill.", code="already_reminded") from None
    sms_backend().send(
        phone=lease.get_tenant_mobile(), message=reminder_text(lease=lease, invoice=invoice, cure_until=cure_until)
    )
    return reminder


def rent_reminders_send(*, today: datetime.date | None = None, batch: int = 500) -> int:
    """Daily: remind every tenant whose rent bill is unpaid ``ANJU_RENTAL_REMINDER_AFTER_DAYS`` days after it was due
    and has no reminder yet (leases in force or under notice). Safe to run twice; returns the reminders sent."""
    today = today or timezone.localdate()
    cutoff = today - datetime.timedelta(days=reminder_after_days())
    reminded = RentReminder.objects.values("invoice_id")
    live = Lease.objects.filter(status__in=BILLED_STATUSES).values("pk")
    sent = 0
    after = 0
    while True:
        invoices = list(
            Invoice.objects.filter(
                source_type=lease_content_type(),
                charge_kind=RENT_KIND,
                status__in=UNPAID,
                due_on__lte=cutoff,
                pk__gt=after,
                source_id__in=live,
            )
            .exclude(pk__in=reminded)
            .order_by("pk")[:batch]
        )
        if not invoices:
            return sent
        after = invoices[-1].pk
        for invoice in invoices:
            try:
                rent_reminder_send(invoice=invoice, today=today)
            except Exception:  # one tenant's failed SMS never stops the others' reminders; retried tomorrow
                logger.exception("rent reminder for bill %s not sent", invoice.pk)
            else:
                sent += 1


# --- Hand-back ----------------------------------------------------------------------------------------------

#: The standard hand-back checklist, in the order it is walked through.
HAND_BACK_ITEMS: tuple[tuple[str, Any], ...] = (
    ("keys", _("Keys and access cards")),
    ("doors_windows", _("Doors and windows")),
    ("walls_floors", _("Walls, ceilings and floors")),
    ("kitchen", _("Kitchen")),
    ("bathroom", _("Bathroom")),
    ("appliances", _("Appliances")),
    ("furniture", _("Furniture as in the inventory")),
)
HAND_BACK_LABELS = dict(HAND_BACK_ITEMS)


def _reading(value: Any, name: str, zh: str) -> Decimal | None:
    if value in (None, ""):
        return None
    return _money(value, field=name, zh=zh, en=f"The {name.replace('_', ' ')}")


@transaction.atomic
def hand_back_record(
    *,
    lease: Lease,
    handed_back_on: datetime.date,
    items: dict[str, tuple[bool, str]],
    keys_returned: int,
    water_reading: Any = None,
    electricity_reading: Any = None,
    gas_reading: Any = None,
    note: str = "",
    by,
    today: datetime.date | None = None,
) -> HandBack:
    """The hand-back checklist when the tenant leaves: every standard item (``HAND_BACK_ITEMS``) ok, or not with a
    note saying what is wrong; keys and cards returned; meter readings. Once per lease, only for a lease under
    notice, ended or terminated, or whose last day has come; never dated in the future or before the lease.

    ``items``: {item key: (ok, note)} for every standard item.
    """
    today = today or timezone.localdate()
    lease = Lease.objects.select_for_update().get(pk=lease.pk)
    _staff_check(by, lease.estate_id)
    if lease.status not in HAND_BACK_STATUSES and not (lease.status == LeaseStatus.ACTIVE and lease.last_day <= today):
        raise refuse(
            "租期未结束且未通知解约，不能办理退房交接",
            "The lease is neither ending nor over: the flat cannot be handed back yet.",
            code="lease_running",
        )
    if HandBack.objects.filter(lease=lease).exists():
        raise refuse("该租约已办理退房交接", "The flat of this lease has already been handed back.", code="already")
    if handed_back_on > today or handed_back_on < lease.start_on:
        raise refuse(
            "交接日期须在租期开始之后且不晚于今天",
            "The hand-back date must be after the lease began and not in the future.",
            field="handed_back_on",
            code="date",
        )
    unknown = set(items) - set(HAND_BACK_LABELS)
    missing = [key for key in HAND_BACK_LABELS if key not in items]
    if unknown or missing:
        raise refuse(
            "交接清单须逐项填写标准项目",
            "The checklist must answer each standard item, and only those.",
            field="items",
            code="items",
        )
    rows = []
    for key in HAND_BACK_LABELS:
        ok, item_note = items[key]
        item_note = (item_note or "").strip()[:500]
        if not ok and not item_note:
            raise refuse(
                "有问题的项目须写明情况",
                "Say what is wrong with each item that is not in order.",
                field="items",
                code="item_note",
            )
        rows.append({"item": key, "ok": bool(ok), "note": item_note})
    if not isinstance(keys_returned, int) or keys_returned < 0:
        raise refuse("交回钥匙数不正确", "The number of keys returned is not valid.", field="keys_returned", code="keys")
    return HandBack.objects.create(
        lease=lease,
        handed_back_on=handed_back_on,
        items=rows,
        keys_returned=keys_returned,
        water_reading=_reading(water_reading, "water_reading", "水表读数"),
        electricity_reading=_reading(electricity_reading, "electricity_reading", "电表读数"),
        gas_reading=_reading(gas_reading, "gas_reading", "燃气表读数"),
        note=(note or "").strip()[:2000],
        recorded_by=by,
    )


# --- Deposit ------------------------------------------------------------------------------------------------


def deposit_paid(lease: Lease) -> Decimal:
    """The deposit actually paid: what was paid on the lease's deposit bill (0 without one)."""
    paid = lease_bills(lease).filter(charge_kind=DEPOSIT_KIND).aggregate(paid=Sum("paid_amount"))["paid"]
    return quantize(paid or Decimal(0))


@transaction.atomic
def deposit_settle(
    *, lease: Lease, deductions: Sequence[tuple[str, str, Any]], by, today: datetime.date | None = None
) -> DepositSettlement:
    """Settle the deposit after the hand-back: each deduction (case, description, amount) itemised; the rest is
    returned by ``handed_back_on + lease.deposit_return_days``.

    Refused, with nothing written (住房租赁条例 Art. 10): no hand-back yet; settled already; a case the lease does not
    name; an amount not above zero or not to the fen; a deduction without a description; deductions above the deposit
    actually paid (the deposit bill's paid amount); "unpaid rent" deductions above the rent still unpaid.
    """
    lease = Lease.objects.select_for_update().get(pk=lease.pk)
    _staff_check(by, lease.estate_id)
    hand_back = HandBack.objects.filter(lease=lease).first()
    if hand_back is None:
        raise refuse("请先办理退房交接", "Record the hand-back first.", code="no_hand_back")
    if DepositSettlement.objects.filter(lease=lease).exists():
        raise refuse("该租约的押金已结算", "The deposit of this lease is already settled.", code="already")
    allowed = set(lease.deposit_cases or [])
    rows = []
    for case, description, amount in deductions:
        if case not in allowed:
            label = DepositCase(case).label if case in DepositCase.values else case
            raise refuse(
                f"合同未约定可因“{label}”扣减押金（《住房租赁条例》第十条）",
                f"The lease names no such case for a deduction: {case} (Housing Rental Regulations Art. 10).",
                field="deductions",
                code="case_not_in_lease",
            )
        description = (description or "").strip()
        if not description:
            raise refuse("每项扣款须写明事由", "Describe each deduction.", field="deductions", code="description")
        rows.append(
            (case, description[:200], _money(amount, field="deductions", zh="扣款金额", en="A deduction", allow_zero=False))
        )
    paid = deposit_paid(lease)
    deducted = quantize(sum((amount for _case, _d, amount in rows), Decimal(0)))
    if deducted > paid:
        raise refuse(
            f"扣款合计{format_rmb(deducted)}超过实收押金{format_rmb(paid)}（《住房租赁条例》第十条）",
            f"The deductions ({format_rmb(deducted)}) exceed the deposit paid ({format_rmb(paid)}) "
            "(Housing Rental Regulations Art. 10).",
            field="deductions",
            code="over_deposit",
        )
    for_rent = sum((amount for case, _d, amount in rows if case == DepositCase.UNPAID_RENT), Decimal(0))
    owed = unpaid_rent(lease)
    if for_rent > owed:
        raise refuse(
            f"欠租扣款{format_rmb(for_rent)}超过未付租金{format_rmb(owed)}",
            f"The deduction for unpaid rent ({format_rmb(for_rent)}) exceeds the rent unpaid ({format_rmb(owed)}).",
            field="deductions",
            code="over_unpaid_rent",
        )
    settlement = DepositSettlement.objects.create(
        lease=lease,
        deposit=paid,
        deducted=deducted,
        returned=paid - deducted,
        return_due_on=hand_back.handed_back_on + datetime.timedelta(days=lease.deposit_return_days),
        settled_by=by,
    )
    DepositDeduction.objects.bulk_create(
        DepositDeduction(settlement=settlement, case=case, description=description, amount=amount)
        for case, description, amount in rows
    )
    return settlement


@transaction.atomic
def deposit_return_record(
    *, settlement: DepositSettlement, returned_on: datetime.date, reference: str, by, today: datetime.date | None = None
) -> DepositSettlement:
    """Record that the rest of the deposit was returned to the tenant (a bank transfer's reference). Once; not
    before the hand-back nor in the future; refused when nothing is to be returned."""
    today = today or timezone.localdate()
    settlement = (
        DepositSettlement.objects.select_for_update(of=("self",)).select_related("lease__hand_back").get(pk=settlement.pk)
    )
    _staff_check(by, settlement.lease.estate_id)
    if settlement.returned_on is not None:
        raise refuse("押金退还已登记", "The return of the deposit is already recorded.", code="already")
    if settlement.returned <= 0:
        raise refuse("没有需要退还的押金", "Nothing of the deposit is to be returned.", code="nothing_to_return")
    reference = (reference or "").strip()
    if not reference:
        raise refuse(
            "请填写退款凭证号", "Give the reference of the return (e.g. the bank transfer).", field="reference", code="reference"
        )
    if returned_on > today or returned_on < settlement.lease.hand_back.handed_back_on:
        raise refuse(
            "退还日期须在交接之后且不晚于今天",
            "The return date must be after the hand-back and not in the future.",
            field="returned_on",
            code="date",
        )
    settlement.returned_on = returned_on
    settlement.return_reference = reference[:100]
    settlement.save(update_fields=["returned_on", "return_reference"])
    return settlement
