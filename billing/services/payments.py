"""Money received: recording a payment (offline by staff, online by the provider code) and its receipt."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.errors import refuse
from estates.models import Estate

from ..audit import money_audit
from ..ledger import Posting, ledger_post, money_account_for
from ..models import (
    AccountKind,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentAttempt,
    PaymentMethod,
    Receipt,
    ReceiptCounter,
)
from ..money import format_rmb
from .common import ZERO, actor, money_amount
from .invoices import call_paid_handlers, invoice_status_settle

RECEIPT_RENDER_TASK = "billing.online_tasks.receipt_render"


def _existing_payment(*, method: str, reference: str, attempt: PaymentAttempt | None) -> Payment | None:
    """The payment already recorded for this attempt, else for this (method, reference); one query."""
    same = Q(attempt=attempt) if attempt is not None else Q(pk__in=[])
    if reference:
        same |= Q(method=method, reference=reference)
    if attempt is None and not reference:
        return None
    # The attempt's own payment first, as before: it is the one a retry must find.
    found = sorted(Payment.objects.filter(same)[:2], key=lambda p: p.attempt_id != getattr(attempt, "pk", None))
    return found[0] if found else None


def _same_payment(existing: Payment, *, estate: Estate, amount: Decimal) -> Payment:
    if existing.estate_id != estate.pk or existing.amount != amount:
        raise refuse(
            f"参考号 {existing.reference} 已用于另一笔付款（{format_rmb(existing.amount)}）",
            f"Reference {existing.reference} was already used for another payment ({format_rmb(existing.amount)}).",
            code="reference_used",
        )
    return existing


def _receipt_issue(payment: Payment, estate: Estate) -> Receipt:
    """Number the receipt: the estate's counter for the year, taken under its row lock (held to the end
    of the payment's transaction), so numbers never skip or repeat. Two queries once the counter exists."""
    year = timezone.localtime(payment.received_at).year
    counter = ReceiptCounter.objects.filter(estate_id=estate.pk, year=year)
    while not counter.update(last=F("last") + 1):  # the year's first receipt: make the counter, then take
        ReceiptCounter.objects.bulk_create([ReceiptCounter(estate_id=estate.pk, year=year)], ignore_conflicts=True)
    sequence = counter.values_list("last", flat=True).get()
    return Receipt.objects.create(
        payment=payment,
        estate_id=estate.pk,
        year=year,
        sequence=sequence,
        number=f"{estate.code}-{year}-{sequence:06d}",
    )


def _queue_receipt_render(receipt_id: int) -> None:
    """Render the receipt's PDF in a task, outside the payment's transaction."""
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task(RECEIPT_RENDER_TASK, receipt_id))


def payment_allocate(payment: Payment, invoices: Iterable[Invoice]) -> tuple[list[PaymentAllocation], list[Posting]]:
    """Settle ``payment`` against ``invoices``, oldest bill first (period, due date, then id), each up to what it
    still owes: adds each part to its bill's ``paid_amount`` (in memory) and returns the allocations and the
    ledger postings (receivable settled into the method's money account), none of them saved. Used by
    ``payment_record`` and by the batch path (``payment_batches``), so that both settle bills alike."""
    remaining = payment.amount
    allocations: list[PaymentAllocation] = []
    postings: list[Posting] = []
    account = money_account_for(payment.method)
    for invoice in sorted(invoices, key=lambda i: (i.period, i.due_on, i.pk)):
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
    return allocations, postings


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
    payer_user: Any = None,
    recorded_by: Any = None,
    attempt: PaymentAttempt | None = None,
    provider_payment_id: str = "",
    provider_charge_id: str = "",
) -> Payment:
    """Record money received for one or more bills of one estate; returns the payment.

    Exactly once: a second call with the same non-empty reference (per method), or for the same
    payment attempt, returns the first payment and changes nothing. The amount settles the bills
    oldest first; it may be less than what they owe (a partial payment) but never more.
    """
    amount = money_amount(amount)
    reference = (reference or "").strip()
    if method not in PaymentMethod.values:
        raise refuse("不支持的付款方式", f"Unknown payment method {method!r}.", code="method")
    existing = _existing_payment(method=method, reference=reference, attempt=attempt)
    if existing:
        return _same_payment(existing, estate=estate, amount=amount)
    if amount <= 0:
        raise refuse("付款金额必须大于零", "The amount paid must be more than zero.", code="amount")
    if not invoices:
        raise refuse("请选择要支付的账单", "Choose at least one bill to pay.", code="no_invoices")
    if not (payer_name or "").strip():
        raise refuse("请填写付款人", "Give the payer's name.", code="payer_name")

    ids = sorted({invoice.pk for invoice in invoices})
    locked = list(Invoice.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    # A concurrent call with the same reference held these rows; now it has committed.
    existing = _existing_payment(method=method, reference=reference, attempt=attempt)
    if existing:
        return _same_payment(existing, estate=estate, amount=amount)
    if len(locked) != len(ids):
        raise refuse("账单不存在", "A bill does not exist.", code="missing_invoice")
    for invoice in locked:
        if invoice.estate_id != estate.pk:
            raise refuse(
                f"账单 {invoice.number} 不属于小区 {estate.name}",
                f"Bill {invoice.number} belongs to another estate than {estate.code}.",
                code="other_estate",
            )
        if invoice.status == InvoiceStatus.VOID:
            raise refuse(
                f"账单 {invoice.number} 已作废，不能付款", f"Bill {invoice.number} is void and cannot be paid.", code="void"
            )
        if invoice.status == InvoiceStatus.PAID or invoice.outstanding <= 0:
            raise refuse(f"账单 {invoice.number} 已付清", f"Bill {invoice.number} is already paid.", code="paid")
    outstanding = sum((invoice.outstanding for invoice in locked), ZERO)
    if amount > outstanding:
        raise refuse(
            f"付款金额 {format_rmb(amount)} 超过所选账单的欠款 {format_rmb(outstanding)}",
            f"The amount {format_rmb(amount)} is more than the {format_rmb(outstanding)} the bills still owe.",
            code="overpayment",
        )

    payment = Payment(
        estate=estate,
        payer_name=payer_name.strip()[:100],
        payer_user=actor(payer_user),
        method=method,
        amount=amount,
        received_at=received_at,
        reference=reference,
        attempt=attempt,
        provider_payment_id=provider_payment_id or "",
        provider_charge_id=provider_charge_id or "",
        recorded_by=actor(recorded_by),
    )
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        existing = _existing_payment(method=method, reference=reference, attempt=attempt)
        if existing:
            return _same_payment(existing, estate=estate, amount=amount)
        raise

    allocations, postings = payment_allocate(payment, locked)
    newly_paid = []
    for allocation in allocations:
        invoice_status_settle(allocation.invoice, by=recorded_by, note=f"payment {payment.pk}")
        if allocation.invoice.status == InvoiceStatus.PAID:
            newly_paid.append(allocation.invoice)
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
        call_paid_handlers(invoice)
    _queue_receipt_render(receipt.pk)
    return payment


def receipt_pdf_attach(*, receipt: Receipt, content: bytes) -> Receipt:
    """Store a rendered receipt PDF once; a second render (two workers) keeps the first file."""
    if receipt.pdf:
        return receipt
    name = default_storage.save(f"receipts/{receipt.year}/{receipt.number}.pdf", ContentFile(content))
    if Receipt.objects.filter(pk=receipt.pk, pdf="").update(pdf=name, rendered_at=timezone.now()) == 0:
        default_storage.delete(name)
    receipt.refresh_from_db(fields=["pdf", "rendered_at"])
    return receipt
