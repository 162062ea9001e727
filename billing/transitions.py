"""The one place where a bill's status changes: a transition table and the function that applies it.

Every status change (payment, refund, overdue marking, void, write-off) goes through
``invoice_transition``, which refuses a move the table does not list and writes a history row
(InvoiceStatusChange: who, when, from, to, why).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from .models import Invoice, InvoiceStatus, InvoiceStatusChange

S = InvoiceStatus

# from → the statuses it may move to.
#  - paid → partially_paid/open/overdue: a refund gives money back, so the bill is owed again.
#  - partially_paid/overdue → void: only a write-off does this (invoice_void refuses bills with
#    payments, see services.invoice_void); void is final.
INVOICE_TRANSITIONS: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.PARTIALLY_PAID, S.PAID, S.OVERDUE, S.VOID}),
    S.PARTIALLY_PAID: frozenset({S.PAID, S.OPEN, S.OVERDUE, S.VOID}),
    S.OVERDUE: frozenset({S.PAID, S.PARTIALLY_PAID, S.OPEN, S.VOID}),
    S.PAID: frozenset({S.PARTIALLY_PAID, S.OPEN, S.OVERDUE}),
    S.VOID: frozenset(),
}


class IllegalTransitionError(ValidationError):
    """A status change the transition table does not allow."""


def transition_allowed(from_status: str, to_status: str) -> bool:
    return to_status in INVOICE_TRANSITIONS.get(from_status, frozenset())


def invoice_transition(*, invoice: Invoice, to: str, by=None, note: str = "") -> InvoiceStatusChange:
    """Move ``invoice`` to status ``to``, save it and record the change.

    The caller holds the invoice row (select_for_update) when other workers may race. Raises
    IllegalTransitionError for a move the table does not list, including a move to the same status.
    """
    from_status = invoice.status
    if not transition_allowed(from_status, to):
        raise IllegalTransitionError(
            f"账单 {invoice.number} 的状态不能从 {S(from_status).label} 改为 {S(to).label} / "
            f"Bill {invoice.number} cannot move from {from_status} to {to}.",
            code="illegal_transition",
        )
    invoice.status = to
    invoice.save(update_fields=["status", "paid_amount"])
    return InvoiceStatusChange.objects.create(
        invoice=invoice, from_status=from_status, to_status=to, by=by if getattr(by, "pk", None) else None, note=note[:200]
    )


def invoice_transition_many(*, invoices: list[Invoice], to: str, by=None, note: str = "") -> int:
    """The same move for many bills at once (e.g. the nightly overdue marking), checked row by row
    against the same table, with one history row each. The caller holds the rows locked."""
    if not invoices:
        return 0
    for invoice in invoices:
        if not transition_allowed(invoice.status, to):
            raise IllegalTransitionError(
                f"账单 {invoice.number} 的状态不能从 {S(invoice.status).label} 改为 {S(to).label} / "
                f"Bill {invoice.number} cannot move from {invoice.status} to {to}.",
                code="illegal_transition",
            )
    changes = [
        InvoiceStatusChange(
            invoice=invoice, from_status=invoice.status, to_status=to, by=by if getattr(by, "pk", None) else None, note=note[:200]
        )
        for invoice in invoices
    ]
    Invoice.objects.filter(pk__in=[invoice.pk for invoice in invoices]).update(status=to)
    for invoice in invoices:
        invoice.status = to
    InvoiceStatusChange.objects.bulk_create(changes)
    return len(invoices)
