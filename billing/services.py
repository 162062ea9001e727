"""Every change to bills, payments, refunds, tariffs and the ledger goes through here.

Other apps use four entry points and nothing else:

* ``tariff_schedule_set``: a management arrangement's fee standard becomes tariffs.
* ``invoice_create_for_source``: charge a payer for a generic source (a parking permit, a lease…).
* ``register_paid_handler``: be called when such a bill becomes paid.
* ``payment_record`` / ``refund_record``: money in and out (offline by staff, online by the provider code).

Money is Decimal to the fen, rounded only by ``billing.money.quantize``. Errors that a person reads
are ``ValidationError`` with Chinese first, then English.
"""

from __future__ import annotations

import datetime
import importlib.util
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from estates.models import Estate, Ownership, Unit

from .ledger import Posting, accounts_for, income_account_for, ledger_post, money_account_for, write_off_account_for
from .models import (
    AccountKind,
    BillingRun,
    BillingRunChunk,
    BillingRunStatus,
    ChargeKind,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LedgerEntry,
    MoneyAudit,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    Receipt,
    ReceiptCounter,
    Refund,
    Tariff,
    TariffBasis,
)
from .money import format_rmb, quantize
from .transitions import invoice_transition, invoice_transition_many

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
CHUNK_UNITS = 2000
DEFAULT_PAYMENT_TERM_DAYS = 30
RECEIPT_RENDER_TASK = "billing.online_tasks.receipt_render"

KIND_CODES = {
    ChargeKind.PROPERTY_FEE: "PF",
    ChargeKind.PARKING_PERMIT: "PP",
    ChargeKind.PARKING_SESSION: "PS",
    ChargeKind.SHOP_RENT: "SR",
    ChargeKind.AD_RENT: "AR",
    ChargeKind.FLAT_RENT: "FR",
    ChargeKind.MAINTENANCE_FUND: "MF",
    ChargeKind.OTHER: "OT",
}
UNPAID = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.OVERDUE)


def bilingual(zh: str, en: str) -> str:
    """The house format for errors people read: Chinese first, then English."""
    return f"{zh} / {en}"


def _refuse(zh: str, en: str, code: str = "invalid") -> ValidationError:
    return ValidationError(bilingual(zh, en), code=code)


def money_amount(value, *, field: str = "amount") -> Decimal:
    """A Decimal amount with at most two decimals; floats and fractions of a fen are refused."""
    try:
        rounded = quantize(value)
    except TypeError as exc:
        raise _refuse("金额必须是十进制数", f"The {field} must be a decimal number, not {type(value).__name__}.") from exc
    except ValueError as exc:
        raise _refuse("金额格式不正确", f"The {field} is not a valid amount.") from exc
    if rounded != Decimal(value):
        raise _refuse("金额最多两位小数（分）", f"The {field} {value} has more than two decimal places.")
    return rounded


def _user(user):
    return user if getattr(user, "pk", None) else None


def _json(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    return value


def money_audit(*, action: str, obj, estate_id: int | None, user=None, data: dict | None = None) -> MoneyAudit:
    """Record who changed a money record and how. Every money service calls this."""
    return MoneyAudit.objects.create(
        action=action,
        object_type=ContentType.objects.get_for_model(type(obj)),
        object_id=obj.pk,
        estate_id=estate_id,
        user=_user(user),
        data=_json(data or {}),
    )


# --- paid handlers ----------------------------------------------------------------------------

PaidHandler = Callable[[Invoice], None]
_paid_handlers: dict[str, list[PaidHandler]] = defaultdict(list)


def register_paid_handler(content_type_label: str, fn: PaidHandler) -> None:
    """Call ``fn(invoice)`` whenever a bill whose source is of this type becomes paid.

    ``content_type_label`` is "app_label.modelname", e.g. "property_services.parkingpermit".
    The handler runs inside the payment's transaction (so it happens exactly when the payment
    does); keep it to database changes and queue slow work with transaction.on_commit.
    Registering the same function twice has no effect.
    """
    label = content_type_label.lower()
    if fn not in _paid_handlers[label]:
        _paid_handlers[label].append(fn)


def unregister_paid_handler(content_type_label: str, fn: PaidHandler) -> None:
    handlers = _paid_handlers.get(content_type_label.lower(), [])
    if fn in handlers:
        handlers.remove(fn)


def _call_paid_handlers(invoice: Invoice) -> None:
    source_type = ContentType.objects.get_for_id(invoice.source_type_id)
    for fn in _paid_handlers.get(f"{source_type.app_label}.{source_type.model}", []):
        fn(invoice)


# --- invoice status ---------------------------------------------------------------------------


def invoice_status_due(invoice: Invoice, *, today: datetime.date | None = None) -> str:
    """The status a bill should have given what is paid and the date (void stays void)."""
    if invoice.status == InvoiceStatus.VOID:
        return InvoiceStatus.VOID
    if invoice.paid_amount >= invoice.total:
        return InvoiceStatus.PAID
    if invoice.due_on < (today or timezone.localdate()):
        return InvoiceStatus.OVERDUE
    return InvoiceStatus.PARTIALLY_PAID if invoice.paid_amount > 0 else InvoiceStatus.OPEN


def _settle_status(invoice: Invoice, *, by=None, note: str = "") -> None:
    """Save the paid amount and move the status where it should be now (through the table)."""
    target = invoice_status_due(invoice)
    if target != invoice.status:
        invoice_transition(invoice=invoice, to=target, by=by, note=note)
    else:
        invoice.save(update_fields=["paid_amount"])


@transaction.atomic
def invoice_void(*, invoice: Invoice, reason: str, by=None) -> Invoice:
    """Cancel a bill nobody has paid anything on (e.g. issued in error). The income is reversed."""
    reason = (reason or "").strip()
    if not reason:
        raise _refuse("请填写作废原因", "Give a reason for voiding the bill.", "reason_required")
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status == InvoiceStatus.VOID:
        raise _refuse(f"账单 {invoice.number} 已作废", f"Bill {invoice.number} is already void.", "void")
    if invoice.paid_amount > 0:
        raise _refuse(
            f"账单 {invoice.number} 已有付款，不能作废；请先退款",
            f"Bill {invoice.number} has payments and cannot be voided; refund them first.",
            "has_payments",
        )
    invoice_transition(invoice=invoice, to=InvoiceStatus.VOID, by=by, note=reason)
    ledger_post(
        estate_id=invoice.estate_id,
        postings=[
            Posting(
                debit=income_account_for(invoice.charge_kind),
                credit=AccountKind.RECEIVABLE,
                amount=invoice.total,
                memo=f"void {invoice.number}: {reason}",
                invoice_id=invoice.pk,
            )
        ],
        by=by,
    )
    money_audit(
        action="invoice_void", obj=invoice, estate_id=invoice.estate_id, user=by, data={"reason": reason, "total": invoice.total}
    )
    return invoice


@transaction.atomic
def invoice_write_off(*, invoice: Invoice, reason: str, by=None) -> Invoice:
    """Give up on what is still owed on a bill (e.g. after a court ruling). The bill becomes void."""
    reason = (reason or "").strip()
    if not reason:
        raise _refuse("请填写核销原因", "Give a reason for the write-off.", "reason_required")
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status not in UNPAID or invoice.outstanding <= 0:
        raise _refuse(
            f"账单 {invoice.number} 没有可核销的欠款",
            f"Bill {invoice.number} has nothing outstanding to write off.",
            "nothing_outstanding",
        )
    amount = invoice.outstanding
    invoice_transition(invoice=invoice, to=InvoiceStatus.VOID, by=by, note=f"write-off {format_rmb(amount)}: {reason}")
    ledger_post(
        estate_id=invoice.estate_id,
        postings=[
            Posting(
                debit=write_off_account_for(invoice.charge_kind),
                credit=AccountKind.RECEIVABLE,
                amount=amount,
                memo=f"write-off {invoice.number}: {reason}",
                invoice_id=invoice.pk,
            )
        ],
        by=by,
    )
    money_audit(
        action="invoice_write_off", obj=invoice, estate_id=invoice.estate_id, user=by, data={"reason": reason, "amount": amount}
    )
    return invoice


def invoices_mark_overdue(*, today: datetime.date | None = None, batch: int = 1000) -> int:
    """Mark open and partly paid bills past their due date as overdue. Safe to run any number of times."""
    today = today or timezone.localdate()
    marked = 0
    while True:
        with transaction.atomic():
            candidates = (
                Invoice.objects.select_for_update(skip_locked=True)
                .filter(
                    status__in=[InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID], due_on__lt=today, paid_amount__lt=F("total")
                )
                .order_by("pk")[:batch]
            )
            invoices = list(candidates)
            if not invoices:
                return marked
            invoice_transition_many(invoices=invoices, to=InvoiceStatus.OVERDUE, note=f"due {today:%Y-%m-%d}")
            marked += len(invoices)


# --- payments ---------------------------------------------------------------------------------


def _existing_payment(*, method: str, reference: str, attempt) -> Payment | None:
    if attempt is not None:
        found = Payment.objects.filter(attempt=attempt).first()
        if found:
            return found
    if reference:
        return Payment.objects.filter(method=method, reference=reference).first()
    return None


def _same_payment(existing: Payment, *, estate, amount: Decimal) -> Payment:
    if existing.estate_id != estate.pk or existing.amount != amount:
        raise _refuse(
            f"参考号 {existing.reference} 已用于另一笔付款（{format_rmb(existing.amount)}）",
            f"Reference {existing.reference} was already used for another payment ({format_rmb(existing.amount)}).",
            "reference_used",
        )
    return existing


def _receipt_issue(payment: Payment, estate: Estate) -> Receipt:
    """Number the receipt: the estate's counter for the year, locked, so numbers never skip or repeat."""
    year = timezone.localtime(payment.received_at).year
    counter, _created = ReceiptCounter.objects.get_or_create(estate_id=estate.pk, year=year)
    counter = ReceiptCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return Receipt.objects.create(
        payment=payment,
        estate_id=estate.pk,
        year=year,
        sequence=counter.last,
        number=f"{estate.code}-{year}-{counter.last:06d}",
    )


def _queue_receipt_render(receipt_id: int) -> None:
    # The online helper's task renders the PDF outside any transaction; until that module
    # exists, receipts are numbered and stored without a PDF.
    if importlib.util.find_spec("billing.online_tasks") is None:
        return
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task(RECEIPT_RENDER_TASK, receipt_id))


@transaction.atomic
def payment_record(
    *,
    estate: Estate,
    invoices: list[Invoice],
    amount: Decimal,
    method: str,
    received_at: datetime.datetime,
    reference: str = "",
    payer_name: str,
    payer_user=None,
    recorded_by=None,
    attempt=None,
    provider_payment_id: str = "",
) -> Payment:
    """Record money received for one or more bills of one estate; returns the payment.

    Exactly once: a second call with the same non-empty reference (per method), or for the same
    payment attempt, returns the first payment and changes nothing. The amount settles the bills
    oldest first; it may be less than what they owe (a partial payment) but never more.
    """
    amount = money_amount(amount)
    reference = (reference or "").strip()
    if method not in PaymentMethod.values:
        raise _refuse("不支持的付款方式", f"Unknown payment method {method!r}.", "method")
    existing = _existing_payment(method=method, reference=reference, attempt=attempt)
    if existing:
        return _same_payment(existing, estate=estate, amount=amount)
    if amount <= 0:
        raise _refuse("付款金额必须大于零", "The amount paid must be more than zero.", "amount")
    if not invoices:
        raise _refuse("请选择要支付的账单", "Choose at least one bill to pay.", "no_invoices")
    if not (payer_name or "").strip():
        raise _refuse("请填写付款人", "Give the payer's name.", "payer_name")

    ids = sorted({invoice.pk for invoice in invoices})
    locked = list(Invoice.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    # A concurrent call with the same reference held these rows; now it has committed.
    existing = _existing_payment(method=method, reference=reference, attempt=attempt)
    if existing:
        return _same_payment(existing, estate=estate, amount=amount)
    if len(locked) != len(ids):
        raise _refuse("账单不存在", "A bill does not exist.", "missing_invoice")
    for invoice in locked:
        if invoice.estate_id != estate.pk:
            raise _refuse(
                f"账单 {invoice.number} 不属于小区 {estate.name}",
                f"Bill {invoice.number} belongs to another estate than {estate.code}.",
                "other_estate",
            )
        if invoice.status == InvoiceStatus.VOID:
            raise _refuse(f"账单 {invoice.number} 已作废，不能付款", f"Bill {invoice.number} is void and cannot be paid.", "void")
        if invoice.status == InvoiceStatus.PAID or invoice.outstanding <= 0:
            raise _refuse(f"账单 {invoice.number} 已付清", f"Bill {invoice.number} is already paid.", "paid")
    outstanding = sum((invoice.outstanding for invoice in locked), ZERO)
    if amount > outstanding:
        raise _refuse(
            f"付款金额 {format_rmb(amount)} 超过所选账单的欠款 {format_rmb(outstanding)}",
            f"The amount {format_rmb(amount)} is more than the {format_rmb(outstanding)} the bills still owe.",
            "overpayment",
        )

    payment = Payment(
        estate=estate,
        payer_name=payer_name.strip()[:100],
        payer_user=_user(payer_user),
        method=method,
        amount=amount,
        received_at=received_at,
        reference=reference,
        attempt=attempt,
        provider_payment_id=provider_payment_id or "",
        recorded_by=_user(recorded_by),
    )
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        existing = _existing_payment(method=method, reference=reference, attempt=attempt)
        if existing:
            return _same_payment(existing, estate=estate, amount=amount)
        raise

    remaining = amount
    allocations, postings, newly_paid = [], [], []
    account = money_account_for(method)
    for invoice in sorted(locked, key=lambda i: (i.period, i.due_on, i.pk)):
        if remaining <= 0:
            break
        part = min(remaining, invoice.outstanding)
        remaining -= part
        invoice.paid_amount += part
        allocations.append(PaymentAllocation(payment=payment, invoice=invoice, amount=part))
        postings.append(
            Posting(
                debit=account,
                credit=AccountKind.RECEIVABLE,
                amount=part,
                memo=f"payment {payment.pk} for {invoice.number}",
                invoice_id=invoice.pk,
                payment_id=payment.pk,
            )
        )
        _settle_status(invoice, by=recorded_by, note=f"payment {payment.pk}")
        if invoice.status == InvoiceStatus.PAID:
            newly_paid.append(invoice)
    PaymentAllocation.objects.bulk_create(allocations)
    ledger_post(estate_id=estate.pk, postings=postings, by=recorded_by)
    receipt = _receipt_issue(payment, estate)
    money_audit(
        action="payment_record",
        obj=payment,
        estate_id=estate.pk,
        user=recorded_by or payer_user,
        data={
            "amount": amount,
            "method": method,
            "reference": reference,
            "receipt": receipt.number,
            "allocations": {a.invoice.number: a.amount for a in allocations},
        },
    )
    for invoice in newly_paid:
        _call_paid_handlers(invoice)
    _queue_receipt_render(receipt.pk)
    return payment


def _refund_split(*, payment: Payment, amount: Decimal, invoices: dict[int, Invoice]) -> list[tuple[Invoice, Decimal]]:
    """Which bills a refund of ``amount`` gives back money for, newest first: (bill, part) pairs.

    Refuses a refund that would reach a voided (written-off) bill.
    """
    allocations = list(payment.allocations.all())
    refunded_before = dict(
        LedgerEntry.objects.filter(refund__payment=payment, invoice__isnull=False)
        .values_list("invoice_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    remaining, parts = amount, []
    newest_first = sorted(
        allocations, key=lambda a: (invoices[a.invoice_id].period, invoices[a.invoice_id].due_on, a.invoice_id), reverse=True
    )
    for allocation in newest_first:
        if remaining <= 0:
            break
        invoice = invoices[allocation.invoice_id]
        part = min(remaining, allocation.amount - refunded_before.get(invoice.pk, ZERO))
        if part <= 0:
            continue
        if invoice.status == InvoiceStatus.VOID:
            raise _refuse(
                f"账单 {invoice.number} 已作废（核销），不能对其退款",
                f"Bill {invoice.number} is void (written off); its payment cannot be refunded.",
                "void",
            )
        remaining -= part
        parts.append((invoice, part))
    if remaining:  # the allocations always add up to the payment; this is a guard, not a path
        raise _refuse("退款无法分配到账单", "The refund could not be allocated to the bills.", "allocation")
    return parts


def refund_check(*, payment: Payment, amount: Decimal, reason: str) -> Decimal:
    """Refuse, before anything happens anywhere, a refund that refund_record would refuse; returns the amount.

    Online refunds call this before asking the provider, so that money is not returned at the
    provider for a refund the books would then refuse. Reads only.
    """
    amount = money_amount(amount)
    if not (reason or "").strip():
        raise _refuse("请填写退款原因", "Give a reason for the refund.", "reason_required")
    if amount <= 0:
        raise _refuse("退款金额必须大于零", "The refund must be more than zero.", "amount")
    payment = Payment.objects.get(pk=payment.pk)
    refundable = payment.amount - payment.refunded_amount
    if amount > refundable:
        raise _refuse(
            f"退款金额 {format_rmb(amount)} 超过可退金额 {format_rmb(refundable)}",
            f"The refund {format_rmb(amount)} is more than the {format_rmb(refundable)} that can still be refunded.",
            "over_refund",
        )
    invoices = Invoice.objects.filter(pk__in=payment.allocations.values("invoice_id")).in_bulk()
    _refund_split(payment=payment, amount=amount, invoices=invoices)
    return amount


def _existing_refund(*, provider_refund_id: str | None, request_key: str | None) -> Refund | None:
    if provider_refund_id and (found := Refund.objects.filter(provider_refund_id=provider_refund_id).first()):
        return found
    if request_key and (found := Refund.objects.filter(request_key=request_key).first()):
        return found
    return None


@transaction.atomic
def refund_record(
    *,
    payment: Payment,
    amount: Decimal,
    reason: str,
    by=None,
    provider_refund_id: str | None = None,
    request_key: str | None = None,
) -> Refund:
    """Give back part or all of a payment; the bills it paid owe that money again, newest first.

    Idempotent per ``provider_refund_id`` (the same provider refund is recorded once) and per
    ``request_key`` (the same refund form posted twice is recorded once).
    """
    amount = money_amount(amount)
    provider_refund_id = provider_refund_id or None
    request_key = request_key or None
    if found := _existing_refund(provider_refund_id=provider_refund_id, request_key=request_key):
        return found
    reason = (reason or "").strip()
    if not reason:
        raise _refuse("请填写退款原因", "Give a reason for the refund.", "reason_required")
    if amount <= 0:
        raise _refuse("退款金额必须大于零", "The refund must be more than zero.", "amount")
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if found := _existing_refund(provider_refund_id=provider_refund_id, request_key=request_key):
        return found
    refundable = payment.amount - payment.refunded_amount
    if amount > refundable:
        raise _refuse(
            f"退款金额 {format_rmb(amount)} 超过可退金额 {format_rmb(refundable)}",
            f"The refund {format_rmb(amount)} is more than the {format_rmb(refundable)} that can still be refunded.",
            "over_refund",
        )
    refund = Refund(
        payment=payment,
        amount=amount,
        reason=reason[:200],
        provider_refund_id=provider_refund_id,
        request_key=request_key,
        created_by=_user(by),
    )
    try:
        with transaction.atomic():
            refund.save()
    except IntegrityError:
        if found := _existing_refund(provider_refund_id=provider_refund_id, request_key=request_key):
            return found
        raise

    invoices = {
        i.pk: i
        for i in Invoice.objects.select_for_update().filter(pk__in=payment.allocations.values("invoice_id")).order_by("pk")
    }
    postings = []
    account = money_account_for(payment.method)
    for invoice, part in _refund_split(payment=payment, amount=amount, invoices=invoices):
        invoice.paid_amount -= part
        _settle_status(invoice, by=by, note=f"refund {refund.pk}")
        postings.append(
            Posting(
                debit=AccountKind.RECEIVABLE,
                credit=account,
                amount=part,
                memo=f"refund {refund.pk} of payment {payment.pk} for {invoice.number}",
                invoice_id=invoice.pk,
                payment_id=payment.pk,
                refund_id=refund.pk,
            )
        )
    Payment.objects.filter(pk=payment.pk).update(refunded_amount=F("refunded_amount") + amount)
    ledger_post(estate_id=payment.estate_id, postings=postings, by=by)
    money_audit(
        action="refund_record",
        obj=refund,
        estate_id=payment.estate_id,
        user=by,
        data={
            "payment": payment.pk,
            "amount": amount,
            "reason": reason,
            "provider_refund_id": provider_refund_id,
            "request_key": request_key,
        },
    )
    return refund


# --- tariffs ----------------------------------------------------------------------------------


def _basis_for(charge_kind: str) -> str:
    per_m2 = {ChargeKind.PROPERTY_FEE, ChargeKind.MAINTENANCE_FUND}
    return TariffBasis.PER_M2_MONTH if charge_kind in per_m2 else TariffBasis.FIXED_MONTH


@transaction.atomic
def tariff_schedule_set(
    *,
    estate: Estate,
    charge_kind: str,
    rates: dict[str, Decimal],
    valid_from: datetime.date,
    valid_to: datetime.date | None = None,
    source_label: str = "",
    basis: str | None = None,
    by=None,
) -> list[Tariff]:
    """Set the rates of one charge for an estate from a date, one per unit use ("" = every use).

    The open-ended tariff in force before ``valid_from`` is closed the day before. A tariff that
    would overlap another is refused. Calling again with the same inputs changes nothing.
    """
    from estates.models import UnitUse

    if charge_kind not in ChargeKind.values:
        raise _refuse("未知的收费项目", f"Unknown charge {charge_kind!r}.", "charge_kind")
    if valid_to is not None and valid_to < valid_from:
        raise _refuse("收费标准的结束日期早于开始日期", "The tariff ends before it starts.", "period")
    if not rates:
        raise _refuse("请至少填写一项收费标准", "Give at least one rate.", "rates")
    basis = basis or _basis_for(charge_kind)
    clean: dict[str, Decimal] = {}
    for use, rate in rates.items():
        use = use or ""
        if use and use not in UnitUse.values:
            raise _refuse("未知的房屋用途", f"Unknown unit use {use!r}.", "unit_use")
        if not isinstance(rate, (Decimal, int, str)) or isinstance(rate, bool):
            raise _refuse("费率必须是十进制数", f"The rate for {use or 'all uses'} must be a decimal number.", "rate")
        rate = Decimal(rate)
        if rate < 0 or rate != rate.quantize(Decimal("0.0001")):
            raise _refuse("费率不能为负，最多四位小数", f"The rate {rate} must be ≥ 0 with at most four decimals.", "rate")
        clean[use] = rate

    # Lock the estate's tariffs of this charge so two arrangements cannot interleave.
    existing = list(Tariff.objects.select_for_update().filter(estate=estate, charge_kind=charge_kind).order_by("pk"))
    result: list[Tariff] = []
    for use, rate in clean.items():
        same_use = [t for t in existing if t.unit_use == use]
        identical = next(
            (
                t
                for t in same_use
                if t.valid_from == valid_from and t.valid_to == valid_to and t.rate == rate and t.basis == basis
            ),
            None,
        )
        if identical:
            result.append(identical)
            continue
        to_close = [t for t in same_use if t.valid_to is None and t.valid_from < valid_from]
        for t in same_use:
            t_end = valid_from - datetime.timedelta(days=1) if t in to_close else t.valid_to
            overlaps = (valid_to is None or t.valid_from <= valid_to) and (t_end is None or t_end >= valid_from)
            if overlaps:
                raise _refuse(
                    f"{estate.name} 已有 {t.valid_from:%Y-%m-%d} 起的收费标准与此重叠",
                    f"A tariff from {t.valid_from:%Y-%m-%d} ({t.rate}) already covers part of this period for "
                    f"{use or 'all uses'} in {estate.code}.",
                    "overlap",
                )
        for t in to_close:
            old_to = t.valid_to
            t.valid_to = valid_from - datetime.timedelta(days=1)
            t.save(update_fields=["valid_to"])
            money_audit(action="tariff_close", obj=t, estate_id=estate.pk, user=by, data={"valid_to": t.valid_to, "was": old_to})
        tariff = Tariff.objects.create(
            estate=estate,
            charge_kind=charge_kind,
            unit_use=use,
            basis=basis,
            rate=rate,
            valid_from=valid_from,
            valid_to=valid_to,
            source_label=source_label[:200],
        )
        money_audit(
            action="tariff_set",
            obj=tariff,
            estate_id=estate.pk,
            user=by,
            data={
                "charge_kind": charge_kind,
                "unit_use": use,
                "rate": rate,
                "valid_from": valid_from,
                "valid_to": valid_to,
                "source": source_label,
            },
        )
        result.append(tariff)
    return result


# --- generic charges --------------------------------------------------------------------------


def invoice_number_prefix(*, charge_kind: str, period: datetime.date, source_type_id: int) -> str:
    return f"{KIND_CODES.get(charge_kind, 'OT')}{period:%Y%m}-{source_type_id}-"


def invoice_number(*, charge_kind: str, period: datetime.date, source_type_id: int, source_id: int) -> str:
    """PF202611-12-4711: charge, period, source type and source id; unique like the bill itself."""
    return f"{invoice_number_prefix(charge_kind=charge_kind, period=period, source_type_id=source_type_id)}{source_id}"


@transaction.atomic
def invoice_create_for_source(
    *,
    source,
    estate: Estate,
    unit: Unit | None = None,
    charge_kind: str,
    period: datetime.date,
    payer_owner=None,
    payer_user=None,
    payer_name: str,
    lines: list[tuple[str, Decimal, Decimal]],
    due_on: datetime.date,
) -> Invoice:
    """Charge a payer for any source (parking permit, lease…) for one period; returns the bill.

    Once per (source, period, charge): a second call returns the existing bill unchanged. Each
    line is (description, quantity, unit price); its amount is quantize(quantity × unit price).
    """
    if charge_kind not in ChargeKind.values:
        raise _refuse("未知的收费项目", f"Unknown charge {charge_kind!r}.", "charge_kind")
    if source is None or source.pk is None:
        raise _refuse("收费对象必须先保存", "The source must be saved before it is billed.", "source")
    period = period.replace(day=1)
    source_type = ContentType.objects.get_for_model(type(source))
    key = {"source_type": source_type, "source_id": source.pk, "period": period, "charge_kind": charge_kind}
    found = Invoice.objects.filter(**key).first()
    if found:
        return found
    if not lines:
        raise _refuse("账单至少要有一行", "A bill needs at least one line.", "lines")
    if not (payer_name or "").strip():
        raise _refuse("请填写付款人", "Give the payer's name.", "payer_name")
    built = []
    for description, quantity, unit_price in lines:
        quantity, unit_price = Decimal(quantity), Decimal(unit_price)
        line_amount = quantize(quantity * unit_price)
        if line_amount < 0:
            raise _refuse("账单行金额不能为负", f"The line {description!r} would be negative.", "line")
        built.append(InvoiceLine(description=description[:200], quantity=quantity, unit_price=unit_price, amount=line_amount))
    total = sum((line.amount for line in built), ZERO)
    today = timezone.localdate()
    invoice = Invoice(
        estate=estate,
        unit=unit,
        payer_owner=payer_owner,
        payer_user=_user(payer_user),
        payer_name=payer_name.strip()[:100],
        number=invoice_number(charge_kind=charge_kind, period=period, source_type_id=source_type.pk, source_id=source.pk),
        issued_on=min(today, due_on),
        due_on=due_on,
        total=total,
        status=InvoiceStatus.PAID if total == 0 else InvoiceStatus.OPEN,
        **key,
    )
    try:
        with transaction.atomic():
            invoice.save()
    except IntegrityError:
        found = Invoice.objects.filter(**key).first()
        if found:
            return found
        raise
    for line in built:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(built)
    if invoice.status == InvoiceStatus.PAID:  # nothing to pay: the source is settled at once
        _call_paid_handlers(invoice)
    ledger_post(
        estate_id=estate.pk,
        postings=[
            Posting(
                debit=AccountKind.RECEIVABLE,
                credit=income_account_for(charge_kind),
                amount=total,
                memo=f"bill {invoice.number}",
                invoice_id=invoice.pk,
            )
        ],
    )
    return invoice


# --- billing runs -----------------------------------------------------------------------------

PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def billing_period_parse(value, *, today: datetime.date | None = None) -> datetime.date:
    """ "2026-11" (or a date) → 2026-11-01. Refuses a malformed period or one more than a month ahead."""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        period = value.replace(day=1)
    else:
        match = PERIOD_RE.match(str(value or "").strip())
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
            raise _refuse(
                f"账期“{value}”格式不对，应为 YYYY-MM，例如 2026-11",
                f"The period {value!r} is malformed; write it as YYYY-MM, e.g. 2026-11.",
                "period_malformed",
            )
        period = datetime.date(int(match.group(1)), int(match.group(2)), 1)
    latest = _add_months((today or timezone.localdate()).replace(day=1), 1)
    if period > latest:
        raise _refuse(
            f"账期 {period:%Y-%m} 超过下个月（{latest:%Y-%m}），不能提前开账",
            f"The period {period:%Y-%m} is more than a month ahead; the latest that can be billed now is {latest:%Y-%m}.",
            "period_future",
        )
    return period


UNFINISHED = (BillingRunStatus.QUEUED, BillingRunStatus.RUNNING, BillingRunStatus.FAILED)


@transaction.atomic
def billing_run_start(*, period, estate: Estate | None = None, started_by=None, chunk_units: int = CHUNK_UNITS) -> BillingRun:
    """Plan the property-fee run of a period for one estate (or all estates): a run and its chunks.

    The run also bills the maintenance-fund contribution of the units whose estate has a tariff for
    it (to the owners' maintenance fund, Civil Code Art. 281).

    An unfinished run of the same period and estate is resumed instead of planned again, so a run
    killed half-way and started again completes the chunks it had not done. A finished period can
    be run again: it creates no bill twice.
    """
    period = billing_period_parse(period)
    runs = BillingRun.objects.select_for_update().filter(period=period, estate=estate, status__in=UNFINISHED)
    resumed = runs.order_by("created_at").first()
    if resumed:
        return resumed
    run = BillingRun.objects.create(period=period, estate=estate, started_by=_user(started_by))
    units = Unit.objects.order_by("pk")
    if estate is not None:
        units = units.filter(building__estate=estate)
    chunks, ids, total = [], [], 0
    for unit_id in units.values_list("pk", flat=True).iterator(chunk_size=20_000):
        ids.append(unit_id)
        if len(ids) == chunk_units:
            chunks.append(
                BillingRunChunk(run=run, index=len(chunks), first_unit_id=ids[0], last_unit_id=ids[-1], unit_count=len(ids))
            )
            total += len(ids)
            ids = []
    if ids:
        chunks.append(
            BillingRunChunk(run=run, index=len(chunks), first_unit_id=ids[0], last_unit_id=ids[-1], unit_count=len(ids))
        )
        total += len(ids)
    BillingRunChunk.objects.bulk_create(chunks, batch_size=1000)
    run.total_units = total
    if not chunks:
        run.status = BillingRunStatus.DONE
        run.finished_at = timezone.now()
    run.save(update_fields=["total_units", "status", "finished_at"])
    return run


def billing_run_queue(*, run: BillingRun) -> int:
    """Hand the run's pending chunks to the workers (after commit). Returns how many were queued."""
    from django_q.tasks import async_task

    pending = list(run.chunks.filter(done=False).values_list("pk", flat=True))

    def enqueue():
        for chunk_id in pending:
            async_task("billing.tasks.billing_chunk_process", chunk_id, task_name=f"billing-run-{run.pk}-chunk-{chunk_id}")

    transaction.on_commit(enqueue)
    return len(pending)


def billing_run_execute(*, run: BillingRun, progress: Callable[[BillingRun], None] | None = None) -> BillingRun:
    """Process the run's pending chunks here, one after another (the foreground command)."""
    for chunk_id in list(run.chunks.filter(done=False).order_by("index").values_list("pk", flat=True)):
        billing_chunk_process(chunk_id=chunk_id)
        run.refresh_from_db()
        if progress:
            progress(run)
    run.refresh_from_db()
    return run


def _payers(unit_ids: list[int] | tuple[int, int], *, by_range: bool) -> dict[int, tuple[int, str, int | None]]:
    """Unit id → (owner id, name, user id) of the current owner with the largest share."""
    from estates.models import Owner

    ownerships = Ownership.objects.filter(until__isnull=True)
    ownerships = ownerships.filter(unit__pk__range=unit_ids) if by_range else ownerships.filter(unit_id__in=unit_ids)
    best: dict[int, tuple] = {}
    for unit_id, share, since, owner_id in ownerships.values_list("unit_id", "share", "since", "owner_id").order_by():
        rank = (-share, since, owner_id)
        if unit_id not in best or rank < best[unit_id]:
            best[unit_id] = rank
    # Owners in a second query: joined in the first, PostgreSQL scans the whole owner table. Owner
    # ids mostly follow unit ids (registers are entered estate by estate), so a dense id range is
    # cheaper to send than a list of thousands of ids.
    ids = sorted({rank[2] for rank in best.values()})
    if not ids:
        return {}
    owners_qs = (
        Owner.objects.filter(pk__range=(ids[0], ids[-1])) if ids[-1] - ids[0] < 4 * len(ids) else Owner.objects.filter(pk__in=ids)
    )
    owners = {pk: (name, user_id) for pk, name, user_id in owners_qs.values_list("pk", "name", "user_id")}
    return {unit_id: (rank[2], *owners[rank[2]]) for unit_id, rank in best.items()}


def _tariffs(estate_ids: Iterable[int], charge_kind: str, period: datetime.date) -> dict[tuple[int, str], tuple[Decimal, str]]:
    """(estate id, unit use or "") → (rate, basis) of the tariffs in force on the period's first day."""
    found = {}
    for estate_id, use, rate, basis in (
        Tariff.objects.filter(estate_id__in=set(estate_ids), charge_kind=charge_kind, valid_from__lte=period)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=period))
        .order_by("valid_from")
        .values_list("estate_id", "unit_use", "rate", "basis")
    ):
        found[(estate_id, use)] = (rate, basis)
    return found


def property_fee_terms(*, period: datetime.date, today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """Issue and due dates of a run's bills: issued on the run day (or the period start, if later), due 30 days on."""
    from django.conf import settings

    issued = max(today or timezone.localdate(), period)
    return issued, issued + datetime.timedelta(days=getattr(settings, "BILLING_PAYMENT_TERM_DAYS", DEFAULT_PAYMENT_TERM_DAYS))


def property_fee_description(period: datetime.date) -> str:
    from django.conf import settings

    with override(settings.LANGUAGE_CODE):
        return _("Property service fee %(period)s") % {"period": f"{period:%Y-%m}"}


def billing_chunk_process(*, chunk_id: int) -> int:
    """Bill the units of one chunk; returns the number of bills created.

    One transaction per chunk, started by locking the chunk row: a worker that receives the same
    chunk again (at-least-once delivery) waits, then finds it done and does nothing; a worker
    killed half-way leaves nothing behind, and the next one does the whole chunk.
    """
    try:
        return _billing_chunk_process(chunk_id)
    except Exception as exc:
        run_id = BillingRunChunk.objects.filter(pk=chunk_id).values_list("run_id", flat=True).first()
        if run_id:
            BillingRun.objects.filter(pk=run_id).exclude(status=BillingRunStatus.DONE).update(
                status=BillingRunStatus.FAILED, error=f"chunk {chunk_id}: {exc}"[:2000]
            )
        raise


@transaction.atomic
def _billing_chunk_process(chunk_id: int) -> int:
    chunk = BillingRunChunk.objects.select_for_update().select_related("run").filter(pk=chunk_id).first()
    if chunk is None or chunk.done:
        return 0
    run = chunk.run
    period, kind = run.period, ChargeKind.PROPERTY_FEE
    unit_type = ContentType.objects.get_for_model(Unit)

    units = Unit.objects.filter(pk__range=(chunk.first_unit_id, chunk.last_unit_id))
    if run.estate_id:
        units = units.filter(building__estate_id=run.estate_id)
    rows = all_rows = list(units.order_by("pk").values_list("pk", "building__estate_id", "exclusive_area", "use"))
    billed = set(
        Invoice.objects.filter(
            source_type=unit_type,
            source_id__range=(chunk.first_unit_id, chunk.last_unit_id),
            period=period,
            charge_kind=kind,
        ).values_list("source_id", flat=True)
    )
    rows = [row for row in rows if row[0] not in billed]
    tariffs = _tariffs({row[1] for row in rows}, kind, period)
    # A run over all estates bills every unit of its id range; an estate's units may be scattered.
    if run.estate_id:
        payers = _payers([row[0] for row in rows], by_range=False)
    else:
        payers = _payers((chunk.first_unit_id, chunk.last_unit_id), by_range=True)
    issued_on, due_on = property_fee_terms(period=period)
    description = property_fee_description(period)

    bills, no_tariff, no_owner = [], 0, 0
    now = timezone.now()
    unit_type_id, run_id, status, one = unit_type.pk, run.pk, InvoiceStatus.OPEN.value, Decimal("1.00")
    number_prefix = invoice_number_prefix(charge_kind=kind, period=period, source_type_id=unit_type_id)
    for unit_id, estate_id, area, use in rows:
        tariff = tariffs.get((estate_id, use)) or tariffs.get((estate_id, ""))
        if tariff is None or not tariff[0]:
            no_tariff += 1
            continue
        payer = payers.get(unit_id)
        if payer is None:
            no_owner += 1
            continue
        rate, basis = tariff
        quantity = area if basis == TariffBasis.PER_M2_MONTH else one
        amount = quantize(quantity * rate)
        # Columns of BILL_COLUMNS, then the line's quantity and unit price.
        bills.append(
            (
                estate_id,
                unit_id,
                unit_type_id,
                unit_id,
                kind,
                period,
                payer[0],
                payer[2],
                payer[1][:100],
                f"{number_prefix}{unit_id}",
                issued_on,
                due_on,
                amount,
                ZERO,
                status,
                run_id,
                now,
                quantity,
                rate,
            )
        )

    created = 0
    if bills:
        ours = _bills_write(bills, description=description)
        totals_by_estate: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for bill in bills:
            if bill[3] in ours:
                totals_by_estate[bill[0]] += bill[12]
        created = len(ours)
        _post_issuance(run, chunk, totals_by_estate, kind)
    created += _maintenance_fund_bills(run=run, chunk=chunk, rows=all_rows, issued_on=issued_on, due_on=due_on, now=now)

    if not BillingRunChunk.objects.filter(pk=chunk.pk, done=False).update(done=True, done_at=now):
        transaction.set_rollback(True)
        return 0
    BillingRun.objects.filter(pk=run.pk).update(
        status=BillingRunStatus.RUNNING,
        error="",
        done_units=F("done_units") + chunk.unit_count,
        invoices_created=F("invoices_created") + created,
        units_already_billed=F("units_already_billed") + len(billed),
        units_without_tariff=F("units_without_tariff") + no_tariff,
        units_without_owner=F("units_without_owner") + no_owner,
    )
    # The update above locked the run row, so a chunk finishing at the same moment waits here
    # and then sees this chunk done: exactly one of them closes the run.
    if not BillingRunChunk.objects.filter(run_id=run.pk, done=False).exists():
        BillingRun.objects.filter(pk=run.pk).update(status=BillingRunStatus.DONE, finished_at=now)
    return created


def _maintenance_fund_bills(
    *, run: BillingRun, chunk: BillingRunChunk, rows: list[tuple], issued_on: datetime.date, due_on: datetime.date, now
) -> int:
    """Bill the maintenance-fund contribution of the chunk's units whose estate has a tariff for it.

    The contributions are the owners' money (Civil Code Art. 281): they go to the estate's
    maintenance-fund account, one entry per bill so that each unit's balance can be derived. An
    estate without a maintenance-fund tariff costs one query here and gets no bill.
    """
    kind, period = ChargeKind.MAINTENANCE_FUND, run.period
    tariffs = _tariffs({row[1] for row in rows}, kind, period)
    if not tariffs:
        return 0
    unit_type_id = ContentType.objects.get_for_model(Unit).pk
    billed = set(
        Invoice.objects.filter(
            source_type_id=unit_type_id,
            source_id__range=(chunk.first_unit_id, chunk.last_unit_id),
            period=period,
            charge_kind=kind,
        ).values_list("source_id", flat=True)
    )
    with_tariff = {estate_id for estate_id, _use in tariffs}
    rows = [row for row in rows if row[0] not in billed and row[1] in with_tariff]
    payers = _payers([row[0] for row in rows], by_range=False) if rows else {}
    prefix = invoice_number_prefix(charge_kind=kind, period=period, source_type_id=unit_type_id)
    bills = []
    for unit_id, estate_id, area, use in rows:
        tariff = tariffs.get((estate_id, use)) or tariffs.get((estate_id, ""))
        payer = payers.get(unit_id)
        if tariff is None or not tariff[0] or payer is None:
            continue
        rate, basis = tariff
        quantity = area if basis == TariffBasis.PER_M2_MONTH else Decimal("1.00")
        amount = quantize(quantity * rate)
        bills.append(
            (
                estate_id,
                unit_id,
                unit_type_id,
                unit_id,
                kind,
                period,
                payer[0],
                payer[2],
                payer[1][:100],
                f"{prefix}{unit_id}",
                issued_on,
                due_on,
                amount,
                ZERO,
                InvoiceStatus.OPEN.value,
                run.pk,
                now,
                quantity,
                rate,
            )
        )
    if not bills:
        return 0
    from django.conf import settings

    with override(settings.LANGUAGE_CODE):
        description = _("Maintenance fund contribution %(period)s") % {"period": f"{period:%Y-%m}"}
    ours = _bills_write(bills, description=description)
    accounts = accounts_for({bill[0] for bill in bills}, {AccountKind.RECEIVABLE, AccountKind.MAINTENANCE_FUND})
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                estate_id=bill[0],
                debit_id=accounts[(bill[0], AccountKind.RECEIVABLE)],
                credit_id=accounts[(bill[0], AccountKind.MAINTENANCE_FUND)],
                amount=bill[12],
                memo=f"bill {bill[9]} (run {run.pk})",
                invoice_id=ours[bill[3]],
            )
            for bill in bills
            if bill[3] in ours and bill[12] > 0
        ],
        batch_size=1000,
    )
    return len(ours)


BILL_COLUMNS = (
    "estate_id",
    "unit_id",
    "source_type_id",
    "source_id",
    "charge_kind",
    "period",
    "payer_owner_id",
    "payer_user_id",
    "payer_name",
    "number",
    "issued_on",
    "due_on",
    "total",
    "paid_amount",
    "status",
    "billing_run_id",
    "created_at",
)


def _bills_write(bills: list[tuple], *, description: str) -> dict[int, int]:
    """Insert the bills (skipping any that exist) and their lines; return {source id: bill id} of
    the bills inserted here. Each tuple holds BILL_COLUMNS, then the line's quantity and unit price.

    On PostgreSQL the rows go through COPY into a temporary table and one INSERT … ON CONFLICT DO
    NOTHING RETURNING, which costs about what a hand-written INSERT … SELECT does; elsewhere through
    the ORM's bulk_create.
    """
    if connection.vendor == "postgresql":
        return _bills_write_copy(bills, description=description)
    width = len(BILL_COLUMNS)
    Invoice.objects.bulk_create(
        [Invoice(**dict(zip(BILL_COLUMNS, bill[:width], strict=True))) for bill in bills], ignore_conflicts=True, batch_size=1000
    )
    # ignore_conflicts leaves the pks unset. The rows of this run among these sources are ours:
    # an earlier attempt at this chunk rolled back, and another run's rows carry its own id.
    first = bills[0]
    source_ids = [bill[3] for bill in bills]
    ours = dict(
        Invoice.objects.filter(
            billing_run_id=first[15],
            source_type_id=first[2],
            source_id__range=(min(source_ids), max(source_ids)),
            period=first[5],
            charge_kind=first[4],
        ).values_list("source_id", "pk")
    )
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice_id=ours[bill[3]],
                description=description,
                quantity=bill[width],
                unit_price=bill[width + 1],
                amount=bill[12],
            )
            for bill in bills
            if bill[3] in ours
        ],
        batch_size=1000,
    )
    return ours


def _bills_write_copy(bills: list[tuple], *, description: str) -> dict[int, int]:
    invoice_table, line_table = Invoice._meta.db_table, InvoiceLine._meta.db_table
    columns = ", ".join(BILL_COLUMNS)  # identifiers from the model, no input: the f-strings below are safe
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor: COPY is not part of the DB-API
        raw.execute(
            f"CREATE TEMP TABLE billing_bill_stage ON COMMIT DROP AS SELECT {columns}, "  # noqa: S608
            f"quantity AS line_quantity, unit_price AS line_unit_price FROM {invoice_table}, {line_table} WITH NO DATA"
        )
        with raw.copy(f"COPY billing_bill_stage ({columns}, line_quantity, line_unit_price) FROM STDIN") as copy:
            for bill in bills:
                copy.write_row(bill)
        # One statement: the bills that do not exist yet, their lines, and their ids back.
        raw.execute(
            f"WITH new AS (INSERT INTO {invoice_table} ({columns}) SELECT {columns} FROM billing_bill_stage "  # noqa: S608
            "ON CONFLICT DO NOTHING RETURNING id, source_id), "
            f"lines AS (INSERT INTO {line_table} (invoice_id, description, quantity, unit_price, amount) "
            "SELECT new.id, %s, s.line_quantity, s.line_unit_price, s.total FROM new JOIN billing_bill_stage s USING (source_id)) "
            "SELECT source_id, id FROM new",
            [description],
        )
        ours = dict(raw.fetchall())
        raw.execute("DROP TABLE billing_bill_stage")
    return ours


def _post_issuance(run: BillingRun, chunk: BillingRunChunk, totals: dict[int, Decimal], kind: str) -> None:
    """One receivable ← income entry per estate for the bills a chunk created (not one per bill)."""
    totals = {estate_id: total for estate_id, total in totals.items() if total > 0}
    if not totals:
        return
    income = income_account_for(kind)
    accounts = accounts_for(totals, {AccountKind.RECEIVABLE, income})
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                estate_id=estate_id,
                debit_id=accounts[(estate_id, AccountKind.RECEIVABLE)],
                credit_id=accounts[(estate_id, income)],
                amount=total,
                memo=f"bills of run {run.pk} ({run.period:%Y-%m}) chunk {chunk.index}",
            )
            for estate_id, total in totals.items()
        ]
    )


def billing_runs_start_for(*, period, estates: Iterable[Estate] | None, started_by=None, queue: bool = True) -> list[BillingRun]:
    """Start runs for the back office or the schedule: one per estate given, or one for all (None)."""
    period = billing_period_parse(period)
    targets = [None] if estates is None else list(estates)
    runs = []
    for estate in targets:
        with transaction.atomic():
            run = billing_run_start(period=period, estate=estate, started_by=started_by)
            if queue and run.status != BillingRunStatus.DONE:
                billing_run_queue(run=run)
        runs.append(run)
    return runs
