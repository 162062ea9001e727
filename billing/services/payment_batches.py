"""Paid sessions of a batch recorded together: what a burst of webhooks needs to keep up.

``provider_events.sessions_paid_apply`` hands the sessions it is about to apply here first. Those on
the plain path — the attempt still open for exactly this session, amount and currency as asked, every
bill still owing at least its share, no bill shared with another attempt of the batch — become
payments with a fixed number of queries for the whole batch rather than about forty each:

* the attempts locked (one statement, by id), their bills locked (one statement, by id), then the
  receipt counters (one guarded ``UPDATE … last + n`` per estate and year): the same lock order in
  every batch, so two workers' batches wait for each other rather than deadlock;
* payments, allocations, bill statuses with their history, ledger entries, receipts (numbers taken
  from the counter as one gapless range), audit rows, attempt statuses with their history, and the
  payees' transfers, each written with one bulk insert or update;
* the batch's receipt PDFs rendered after the commit by tasks of at most ``RECEIPTS_PER_TASK`` receipts each.

What it writes is what ``payments.payment_record`` + ``transfers_plan`` write for each session one by
one (tests/billing/test_payment_batches.py compares the two paths row by row). Anything off the plain
path — a mismatch to flag, excess money to give back, a payment already there, a bill paid meanwhile —
is left to the one-by-one path, which knows how to say why; and if anything at all fails here, the
savepoint is rolled back and every session goes the one-by-one way.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from estates.status import transition_many

from ..audit import money_audit_row, money_audits
from ..ledger import Posting, ledger_post_many
from ..models import (
    AttemptInvoice,
    AttemptStatus,
    Invoice,
    InvoiceStatus,
    MoneyAudit,
    Payment,
    PaymentAllocation,
    PaymentAttempt,
    PaymentMethod,
    Receipt,
    ReceiptCounter,
)
from ..money import quantize
from ..providers import CheckoutSession, PaymentDetails
from .common import ZERO
from .invoices import call_paid_handlers, invoice_status_due
from .payments import payment_allocate
from .transfers import transfers_plan_many

logger = logging.getLogger(__name__)

RECEIPTS_RENDER_TASK = "billing.online_tasks.receipts_render"
# Receipts one render task takes at most (≈ 0.2–0.5 s each): a batch's PDFs in short tasks that stay far inside the
# task timeout under load and spread over the workers.
RECEIPTS_PER_TASK = 10
#: Fewer sessions than this are applied one by one: nothing to gain.
TOGETHER_FROM = 2


@dataclass
class Recorded:
    attempt: PaymentAttempt
    payment: Payment


def sessions_record_together(
    todo: list[tuple[CheckoutSession, PaymentAttempt, PaymentDetails | None]], *, excess_action: str
) -> dict[int, Recorded]:
    """Record the plain sessions of ``todo`` (those with payment details) together; by attempt id, what
    was recorded. Call inside the batch's transaction; everything else is left to the caller.

    ``excess_action``: the money-audit action that marks an attempt whose excess was already decided.
    """
    candidates = [(s, a, d) for s, a, d in todo if d is not None]
    if len(candidates) < TOGETHER_FROM:
        return {}
    try:
        with transaction.atomic():
            return _record(candidates, excess_action=excess_action)
    except Exception:  # noqa: BLE001 - rolled back; the one-by-one path applies them and reports why
        logger.warning("a batch of %d paid sessions went one by one", len(candidates), exc_info=True)
        return {}


def _record(
    candidates: list[tuple[CheckoutSession, PaymentAttempt, PaymentDetails]], *, excess_action: str
) -> dict[int, Recorded]:
    pks = sorted({a.pk for _, a, _ in candidates})
    locked = {
        a.pk: a
        for a in PaymentAttempt.objects.select_for_update(of=("self",))
        .select_related("estate", "user")
        .filter(pk__in=pks)
        .order_by("pk")
    }
    sessions = [s.id for s, _, _ in candidates]
    taken = set()
    for attempt_id, reference in Payment.objects.filter(Q(attempt_id__in=pks) | Q(reference__in=sessions)).values_list(
        "attempt_id", "reference"
    ):
        taken |= {attempt_id, reference}
    taken |= set(
        MoneyAudit.objects.filter(
            action=excess_action, object_type=ContentType.objects.get_for_model(PaymentAttempt), object_id__in=pks
        ).values_list("object_id", flat=True)
    )

    plain: list[tuple[CheckoutSession, PaymentAttempt, PaymentDetails]] = []
    for session, seen, details in sorted(candidates, key=lambda c: c[1].pk):
        attempt = locked.get(seen.pk)
        if (
            attempt is None
            or attempt.pk in taken
            or session.id in taken
            or attempt.status == AttemptStatus.FLAGGED
            or attempt.provider_session_id != session.id
            or session.amount is None
            or quantize(session.amount) != attempt.amount
            or session.currency.lower() != attempt.currency.lower()
            or details.method not in PaymentMethod.values
        ):
            continue
        plain.append((session, attempt, details))
        taken |= {attempt.pk, session.id}  # the same session twice in a batch: once
    if not plain:
        return {}

    shares: dict[int, list[AttemptInvoice]] = {}
    for share in AttemptInvoice.objects.filter(attempt_id__in=[a.pk for _, a, _ in plain]).order_by("attempt_id", "invoice_id"):
        shares.setdefault(share.attempt_id, []).append(share)
    in_attempts = Counter(share.invoice_id for group in shares.values() for share in group)
    invoices = {i.pk: i for i in Invoice.objects.select_for_update().filter(pk__in=list(in_attempts)).order_by("pk")}

    def is_plain(attempt: PaymentAttempt) -> bool:
        group = shares.get(attempt.pk, [])
        if not group or sum((s.amount for s in group), ZERO) != attempt.amount:
            return False
        for share in group:
            invoice = invoices.get(share.invoice_id)
            if (
                invoice is None
                or in_attempts[share.invoice_id] > 1  # two attempts of this batch for one bill: one may be excess
                or invoice.estate_id != attempt.estate_id
                or invoice.status in (InvoiceStatus.VOID, InvoiceStatus.PAID)
                or not 0 < share.amount <= invoice.outstanding
            ):
                return False
        first = invoices[group[0].invoice_id]
        return bool((first.payer_name or (attempt.user.name or attempt.user.mobile if attempt.user else "")).strip())

    plain = [item for item in plain if is_plain(item[1])]
    if not plain:
        return {}
    return _write(plain, shares=shares, invoices=invoices)


def _write(
    plain: list[tuple[CheckoutSession, PaymentAttempt, PaymentDetails]],
    *,
    shares: dict[int, list[AttemptInvoice]],
    invoices: dict[int, Invoice],
) -> dict[int, Recorded]:
    now = timezone.now()
    payments = []
    for session, attempt, details in plain:
        first = invoices[shares[attempt.pk][0].invoice_id]
        payments.append(
            Payment(
                estate=attempt.estate,
                payer_name=(first.payer_name or (attempt.user.name or attempt.user.mobile if attempt.user else "")).strip()[:100],
                payer_user=attempt.user,
                method=details.method,
                amount=attempt.amount,
                received_at=details.received_at,
                reference=session.id,
                attempt=attempt,
                provider_payment_id=details.provider_payment_id or "",
                provider_charge_id=details.provider_charge_id or "",
            )
        )
    Payment.objects.bulk_create(payments)
    if any(p.pk is None for p in payments):  # a database that cannot return new ids: one by one
        raise RuntimeError("bulk insert returned no ids")

    allocations: list[PaymentAllocation] = []
    by_payment: list[tuple[Payment, list[PaymentAllocation]]] = []
    postings: list[tuple[int, Posting]] = []
    paid_by: dict[int, Payment] = {}
    touched: list[Invoice] = []
    for payment, (_, attempt, _) in zip(payments, plain, strict=True):
        own, posts = payment_allocate(payment, [invoices[s.invoice_id] for s in shares[attempt.pk]])
        postings += [(payment.estate_id, posting) for posting in posts]
        for allocation in own:
            paid_by[allocation.invoice.pk] = payment
            touched.append(allocation.invoice)
        allocations += own
        by_payment.append((payment, own))
    PaymentAllocation.objects.bulk_create(allocations)

    # Bills: the paid amounts, then each status where it should now be (through the table, with history).
    Invoice.objects.bulk_update(touched, ["paid_amount"])
    moves: dict[str, list[Invoice]] = {}
    for invoice in touched:
        target = invoice_status_due(invoice)
        if target != invoice.status:
            moves.setdefault(target, []).append(invoice)
    for target, group in moves.items():
        transition_many(group, to=target, note_for=lambda i: f"payment {paid_by[i.pk].pk}")
    ledger_post_many(postings)

    receipts = _receipts_issue(payments)
    money_audits(
        [
            money_audit_row(
                action="payment_record",
                obj=payment,
                estate_id=payment.estate_id,
                user=payment.payer_user,
                data={
                    "amount": payment.amount,
                    "method": payment.method,
                    "reference": payment.reference,
                    "receipt": receipt.number,
                    "allocations": {a.invoice.number: a.amount for a in own},
                },
            )
            for (payment, own), receipt in zip(by_payment, receipts, strict=True)
        ]
    )
    for invoice in touched:
        if invoice.status == InvoiceStatus.PAID:
            call_paid_handlers(invoice)

    attempts = [attempt for _, attempt, _ in plain]
    sessions = {attempt.pk: session.id for session, attempt, _ in plain}
    moving = [a for a in attempts if a.status != AttemptStatus.PAID]
    transition_many(moving, to=AttemptStatus.PAID, note_for=lambda a: f"session {sessions[a.pk]}", updated_at=now)
    transfers_plan_many(by_payment, invoices=invoices)

    receipt_ids = [r.pk for r in receipts]
    transaction.on_commit(lambda: _queue_receipts_render(receipt_ids))
    return {attempt.pk: Recorded(attempt=attempt, payment=payment) for payment, attempt in zip(payments, attempts, strict=True)}


def _receipts_issue(payments: list[Payment]) -> list[Receipt]:
    """Number the payments' receipts, in order: one range of each estate's counter for the year, taken
    with one guarded update (its row lock held to the end of the batch's transaction)."""
    keys = [(p.estate_id, timezone.localtime(p.received_at).year) for p in payments]
    wanted = Counter(keys)
    last: dict[tuple[int, int], int] = {}
    for estate_id, year in sorted(wanted):  # counters in one order: batches never deadlock on them
        counter = ReceiptCounter.objects.filter(estate_id=estate_id, year=year)
        while not counter.update(last=F("last") + wanted[(estate_id, year)]):
            ReceiptCounter.objects.bulk_create([ReceiptCounter(estate_id=estate_id, year=year)], ignore_conflicts=True)
        last[(estate_id, year)] = counter.values_list("last", flat=True).get()
    taken: Counter[tuple[int, int]] = Counter()
    receipts = []
    for payment, key in zip(payments, keys, strict=True):
        sequence = last[key] - wanted[key] + 1 + taken[key]
        taken[key] += 1
        receipts.append(
            Receipt(
                payment=payment,
                estate_id=key[0],
                year=key[1],
                sequence=sequence,
                number=f"{payment.estate.code}-{key[1]}-{sequence:06d}",
            )
        )
    return Receipt.objects.bulk_create(receipts)


def _queue_receipts_render(receipt_ids: list[int]) -> None:
    """One render task per ``RECEIPTS_PER_TASK`` receipts. A task lost between the commit and here (a killed
    worker) is made up by the scheduled sweep (``online_tasks.receipts_render_sweep``)."""
    from django_q.tasks import async_task

    for start in range(0, len(receipt_ids), RECEIPTS_PER_TASK):
        async_task(RECEIPTS_RENDER_TASK, receipt_ids[start : start + RECEIPTS_PER_TASK])


__all__ = ["RECEIPTS_PER_TASK", "RECEIPTS_RENDER_TASK", "Recorded", "sessions_record_together"]
