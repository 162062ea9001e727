"""Bills: creating one for any source, the status a bill is due, void, write-off, overdue marking.

Other apps charge a payer through ``invoice_create_for_source`` and register, with
``register_paid_handler``, a function billing calls when such a bill becomes paid.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F, Model
from django.utils import timezone

from accounts.errors import refuse
from estates.models import Estate, Owner, Unit
from estates.status import transition, transition_many

from ..audit import money_audit
from ..charges import charge_kind as registered_kind
from ..ledger import Posting, charge_account, ledger_post, write_off_account_for
from ..models import AccountKind, Invoice, InvoiceLine, InvoiceStatus, Payee
from ..money import format_rmb, quantize
from ..statuses import UNPAID
from .common import ZERO, actor
from .payees import payee_for_bill

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


def call_paid_handlers(invoice: Invoice) -> None:
    """Tell the app that owns the bill's source that it is paid (inside the payment's transaction)."""
    source_type = ContentType.objects.get_for_id(invoice.source_type_id)
    for fn in _paid_handlers.get(f"{source_type.app_label}.{source_type.model}", []):
        fn(invoice)


def invoice_status_due(invoice: Invoice, *, today: datetime.date | None = None) -> str:
    """The status a bill should have given what is paid and the date (void stays void)."""
    if invoice.status == InvoiceStatus.VOID:
        return InvoiceStatus.VOID
    if invoice.paid_amount >= invoice.total:
        return InvoiceStatus.PAID
    if invoice.due_on < (today or timezone.localdate()):
        return InvoiceStatus.OVERDUE
    return InvoiceStatus.PARTIALLY_PAID if invoice.paid_amount > 0 else InvoiceStatus.OPEN


def invoice_status_settle(invoice: Invoice, *, by: Any = None, note: str = "") -> None:
    """Save the bill's new paid amount and move its status where it should be now (through the table).

    The caller holds the bill's row (select_for_update).
    """
    target = invoice_status_due(invoice)
    if target != invoice.status:
        transition(invoice, to=target, by=by, note=note, paid_amount=invoice.paid_amount)
    else:
        invoice.save(update_fields=["paid_amount"])


@transaction.atomic
def invoice_void(*, invoice: Invoice, reason: str, by: Any = None) -> Invoice:
    """Cancel a bill nobody has paid anything on (e.g. issued in error). The income is reversed."""
    reason = (reason or "").strip()
    if not reason:
        raise refuse("请填写作废原因", "Give a reason for voiding the bill.", code="reason_required")
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status == InvoiceStatus.VOID:
        raise refuse(f"账单 {invoice.number} 已作废", f"Bill {invoice.number} is already void.", code="void")
    if invoice.paid_amount > 0:
        raise refuse(
            f"账单 {invoice.number} 已有付款，不能作废；请先退款",
            f"Bill {invoice.number} has payments and cannot be voided; refund them first.",
            code="has_payments",
        )
    transition(invoice, to=InvoiceStatus.VOID, by=by, note=reason)
    ledger_post(
        estate_id=invoice.estate_id,
        postings=[
            Posting(
                debit=charge_account(invoice.charge_kind),
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
def invoice_write_off(*, invoice: Invoice, reason: str, by: Any = None) -> Invoice:
    """Give up on what is still owed on a bill (e.g. after a court ruling). The bill becomes void."""
    reason = (reason or "").strip()
    if not reason:
        raise refuse("请填写核销原因", "Give a reason for the write-off.", code="reason_required")
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status not in UNPAID or invoice.outstanding <= 0:
        raise refuse(
            f"账单 {invoice.number} 没有可核销的欠款",
            f"Bill {invoice.number} has nothing outstanding to write off.",
            code="nothing_outstanding",
        )
    amount = invoice.outstanding
    transition(invoice, to=InvoiceStatus.VOID, by=by, note=f"write-off {format_rmb(amount)}: {reason}")
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
            transition_many(invoices, to=InvoiceStatus.OVERDUE, note=f"due {today:%Y-%m-%d}")
            marked += len(invoices)


def invoice_number_prefix(*, charge_kind: str, period: datetime.date, source_type_id: int) -> str:
    """The bill number up to the source id: the kind's registered prefix, the period, the source type."""
    return f"{registered_kind(charge_kind).number_prefix}{period:%Y%m}-{source_type_id}-"


def invoice_number(*, charge_kind: str, period: datetime.date, source_type_id: int, source_id: int) -> str:
    """PF202611-12-4711: charge, period, source type and source id; unique like the bill itself."""
    return f"{invoice_number_prefix(charge_kind=charge_kind, period=period, source_type_id=source_type_id)}{source_id}"


@transaction.atomic
def invoice_create_for_source(
    *,
    source: Model,
    estate: Estate,
    unit: Unit | None = None,
    charge_kind: str,
    period: datetime.date,
    payer_owner: Owner | None = None,
    payer_user: Any = None,
    payer_name: str,
    lines: list[tuple[str, Decimal, Decimal]],
    due_on: datetime.date,
    payee: Payee | None = None,
) -> Invoice:
    """Charge a payer for any source (parking permit, lease…) for one period; returns the bill.

    The bill carries its payee from the day it is issued: ``payee`` when the source names one (a
    lease's lessor of record), else the estate's payee in force for the charge's kind of money.

    Once per (source, period, charge): a second call returns the existing bill unchanged. Each
    line is (description, quantity, unit price); its amount is quantize(quantity × unit price).
    A charge kind nobody registered (billing.charges) is refused.
    """
    registered_kind(charge_kind)
    if source is None or source.pk is None:
        raise refuse("收费对象必须先保存", "The source must be saved before it is billed.", code="source")
    period = period.replace(day=1)
    source_type = ContentType.objects.get_for_model(type(source))
    key: dict[str, Any] = {"source_type": source_type, "source_id": source.pk, "period": period, "charge_kind": charge_kind}
    found = Invoice.objects.filter(**key).first()
    if found:
        return found
    if not lines:
        raise refuse("账单至少要有一行", "A bill needs at least one line.", code="lines")
    if not (payer_name or "").strip():
        raise refuse("请填写付款人", "Give the payer's name.", code="payer_name")
    built = []
    for description, quantity, unit_price in lines:
        quantity, unit_price = Decimal(quantity), Decimal(unit_price)
        line_amount = quantize(quantity * unit_price)
        if line_amount < 0:
            raise refuse("账单行金额不能为负", f"The line {description!r} would be negative.", code="line")
        built.append(InvoiceLine(description=description[:200], quantity=quantity, unit_price=unit_price, amount=line_amount))
    total = sum((line.amount for line in built), ZERO)
    today = timezone.localdate()
    invoice = Invoice(
        estate=estate,
        unit=unit,
        payer_owner=payer_owner,
        payer_user=actor(payer_user),
        payer_name=payer_name.strip()[:100],
        number=invoice_number(charge_kind=charge_kind, period=period, source_type_id=source_type.pk, source_id=source.pk),
        issued_on=min(today, due_on),
        due_on=due_on,
        total=total,
        status=InvoiceStatus.PAID if total == 0 else InvoiceStatus.OPEN,
        **key,
    )
    if payee is not None and payee.estate_id != estate.pk:
        raise refuse("收款方属于另一个小区", "The payee belongs to another estate.", code="other_estate")
    invoice.payee_id = (
        payee.pk if payee is not None else payee_for_bill(estate_id=estate.pk, code=charge_kind, issued_on=invoice.issued_on)
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
        call_paid_handlers(invoice)
    ledger_post(
        estate_id=estate.pk,
        postings=[
            Posting(
                debit=AccountKind.RECEIVABLE,
                credit=charge_account(charge_kind),
                amount=total,
                memo=f"bill {invoice.number}",
                invoice_id=invoice.pk,
            )
        ],
    )
    return invoice
