"""Money given back: at the counter (``refund_record``) or through the provider (``online_refund``).

``payment_refund`` is the back office's one entry point and picks the way by the payment's method.
"""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum

from accounts.errors import refuse

from ..audit import money_audit
from ..ledger import ONLINE_METHODS, Posting, ledger_post, money_account_for
from ..models import AccountKind, Invoice, InvoiceStatus, LedgerEntry, Payment, Refund
from ..money import format_rmb
from ..providers import PaymentProvider, ProviderError, get_provider
from .common import ZERO, actor, money_amount
from .invoices import invoice_status_settle
from .transfers import reversals_check, reversals_plan, reversals_send

logger = logging.getLogger(__name__)


def _refund_split(
    *, payment: Payment, amount: Decimal, invoices: dict[int, Invoice], only: Invoice | None = None
) -> list[tuple[Invoice, Decimal]]:
    """Which bills a refund of ``amount`` gives back money for, newest first: (bill, part) pairs.

    ``only``: the refund is of that one bill (and may not be more than the payment paid for it).
    Refuses a refund that would reach a voided (written-off) bill.
    """
    allocations = list(payment.allocations.all())
    if only is not None:
        allocations = [a for a in allocations if a.invoice_id == only.pk]
        if not allocations:
            raise refuse(
                f"这笔付款没有支付账单 {only.number}", f"This payment did not pay bill {only.number}.", code="not_this_payment"
            )
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
            raise refuse(
                f"账单 {invoice.number} 已作废（核销），不能对其退款",
                f"Bill {invoice.number} is void (written off); its payment cannot be refunded.",
                code="void",
            )
        remaining -= part
        parts.append((invoice, part))
    if remaining and only is not None:
        left = amount - remaining
        raise refuse(
            f"退款金额 {format_rmb(amount)} 超过这笔付款为账单 {only.number} 支付且尚未退回的 {format_rmb(left)}",
            f"The refund {format_rmb(amount)} is more than the {format_rmb(left)} this payment paid for bill "
            f"{only.number} and has not given back.",
            code="over_bill",
        )
    if remaining:  # the allocations always add up to the payment; this is a guard, not a path
        raise refuse("退款无法分配到账单", "The refund could not be allocated to the bills.", code="allocation")
    return parts


def _refuse_unreasoned(*, amount: Decimal, reason: str) -> None:
    if not (reason or "").strip():
        raise refuse("请填写退款原因", "Give a reason for the refund.", code="reason_required")
    if amount <= 0:
        raise refuse("退款金额必须大于零", "The refund must be more than zero.", code="amount")


def _refuse_over_refund(payment: Payment, amount: Decimal) -> None:
    refundable = payment.amount - payment.refunded_amount
    if amount > refundable:
        raise refuse(
            f"退款金额 {format_rmb(amount)} 超过可退金额 {format_rmb(refundable)}",
            f"The refund {format_rmb(amount)} is more than the {format_rmb(refundable)} that can still be refunded.",
            code="over_refund",
        )


def refund_check(*, payment: Payment, amount: Decimal, reason: str, invoice: Invoice | None = None) -> Decimal:
    """Refuse, before anything happens anywhere, a refund that refund_record would refuse; returns the amount.

    Online refunds call this before asking the provider, so that money is not returned at the
    provider for a refund the books would then refuse. Reads only.
    """
    amount = money_amount(amount)
    _refuse_unreasoned(amount=amount, reason=reason)
    payment = Payment.objects.get(pk=payment.pk)
    _refuse_over_refund(payment, amount)
    invoices = Invoice.objects.filter(pk__in=payment.allocations.values("invoice_id")).in_bulk()
    parts = _refund_split(payment=payment, amount=amount, invoices=invoices, only=invoice)
    reversals_check(payment=payment, parts=parts)
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
    by: Any = None,
    provider_refund_id: str | None = None,
    request_key: str | None = None,
    invoice: Invoice | None = None,
) -> Refund:
    """Give back part or all of a payment; the bills it paid owe that money again, newest first
    (or only ``invoice``'s part). An online payment's payees give their share back (reversals_plan).

    Idempotent per ``provider_refund_id`` (the same provider refund is recorded once) and per
    ``request_key`` (the same refund form posted twice is recorded once).
    """
    amount = money_amount(amount)
    provider_refund_id = provider_refund_id or None
    request_key = request_key or None
    if found := _existing_refund(provider_refund_id=provider_refund_id, request_key=request_key):
        return found
    reason = (reason or "").strip()
    _refuse_unreasoned(amount=amount, reason=reason)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if found := _existing_refund(provider_refund_id=provider_refund_id, request_key=request_key):
        return found
    _refuse_over_refund(payment, amount)
    refund = Refund(
        payment=payment,
        amount=amount,
        reason=reason[:200],
        provider_refund_id=provider_refund_id,
        request_key=request_key,
        created_by=actor(by),
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
    parts = _refund_split(payment=payment, amount=amount, invoices=invoices, only=invoice)
    reversals_plan(refund=refund, parts=parts)
    for bill, part in parts:
        bill.paid_amount -= part
        invoice_status_settle(bill, by=by, note=f"refund {refund.pk}")
        postings.append(
            Posting(
                debit=AccountKind.RECEIVABLE,
                credit=account,
                amount=part,
                memo=f"refund {refund.pk} of payment {payment.pk} for {bill.number}",
                invoice_id=bill.pk,
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
            "bill": invoice.number if invoice is not None else None,
        },
    )
    return refund


def _refund_key(payment: Payment, request_key: str) -> str:
    """The form's key, tied to the payment (a key sent with another payment's form is another refund)."""
    return f"{payment.pk}-{(request_key or '').strip()[:40] or uuid.uuid4().hex}"


def online_refund(
    *,
    payment: Payment,
    amount: Decimal,
    reason: str,
    by: Any = None,
    request_key: str = "",
    provider: PaymentProvider | None = None,
    invoice: Invoice | None = None,
) -> Refund:
    """Refund (part of) an online payment: at the provider first, then in the books (refund_record),
    then the payees' transfers are reversed for what they received of it (transfers.reversals_send).

    The refund is checked first (refund_check), then the provider is asked, outside any database
    transaction, with an idempotency key made from ``request_key`` (the staff member's refund form):
    the same form posted twice makes one refund at the provider and one in the books. The
    provider's refund id is stored on the Refund, so the charge.refunded notification that follows
    finds it already recorded. If the provider fails or refuses, nothing is booked and the
    ValidationError (Chinese, then English) says so.
    """
    request_key = _refund_key(payment, request_key)
    if found := Refund.objects.filter(request_key=request_key).first():
        return found  # the same form, posted again
    if payment.method not in ONLINE_METHODS or not payment.provider_payment_id:
        raise refuse(
            "这笔付款不是在线支付的，请按线下（柜台）退款处理",
            "This payment was not made online; record the refund at the counter instead.",
            code="not_online",
        )
    amount = refund_check(payment=payment, amount=amount, reason=reason, invoice=invoice)
    provider = provider or get_provider(payment.attempt.provider if payment.attempt is not None else "stripe")
    try:
        provider_refund = provider.refund_create(
            provider_payment_id=payment.provider_payment_id,
            amount=amount,
            reason="requested_by_customer",
            idempotency_key=f"anju-refund-{request_key}",
            metadata={"anju_kind": "staff", "payment_id": payment.pk},
        )
    except ProviderError as exc:
        logger.warning("refund of payment %s at the provider failed: %s", payment.pk, exc)
        raise refuse(
            f"支付服务没有确认这笔退款（{exc}），本系统没有记录任何退款。请稍后再次提交同一表单重试（不会重复退款），"
            "或在支付服务后台核对。",
            f"The payment provider did not confirm the refund ({exc}). Nothing was booked here. Submit the same form "
            "again later to retry (it will not refund twice), or check the payment at the provider.",
            code="provider",
        ) from exc
    refund = refund_record(
        payment=payment,
        amount=amount,
        reason=reason,
        by=by,
        provider_refund_id=provider_refund.id,
        request_key=request_key,
        invoice=invoice,
    )
    reversals_send(refund=refund, provider=provider)
    return refund


def payment_refund(
    *, payment: Payment, amount: Decimal, reason: str, by: Any = None, request_key: str = "", invoice: Invoice | None = None
) -> Refund:
    """A staff refund from the back office: through the provider for a card, Alipay or WeChat Pay
    payment (online_refund), at the counter (refund_record) for cash or a bank transfer.

    Posting the same refund form twice (the same ``request_key``) refunds once.
    """
    if payment.method in ONLINE_METHODS:
        return online_refund(payment=payment, amount=amount, reason=reason, by=by, request_key=request_key, invoice=invoice)
    return refund_record(
        payment=payment,
        amount=amount,
        reason=reason,
        by=by,
        request_key=_refund_key(payment, request_key) if request_key else None,
        invoice=invoice,
    )
