"""The transition tables of billing's statuses: bills, payment attempts and billing runs.

Every status write in billing goes through ``estates.status.transition`` (or ``transition_many``),
which refuses a move not listed here (including a move to the same status), updates the row only if
it still has the status the caller saw, and writes the history row. Registered by
``BillingConfig.ready``.
"""

from __future__ import annotations

from estates.status import StatusFlow, register_flow

from .models import (
    AttemptStatus,
    BillingRun,
    BillingRunStatus,
    BillingRunStatusChange,
    Invoice,
    InvoiceStatus,
    InvoiceStatusChange,
    PaymentAttempt,
    PaymentAttemptStatusChange,
)

S = InvoiceStatus
# A bill that still owes money.
UNPAID = (S.OPEN, S.PARTIALLY_PAID, S.OVERDUE)

# from → the statuses a bill may move to.
#  - paid → partially_paid/open/overdue: a refund gives money back, so the bill is owed again.
#  - partially_paid/overdue → void: only a write-off does this (invoice_void refuses bills with
#    payments); void is final.
INVOICE_TRANSITIONS: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.PARTIALLY_PAID, S.PAID, S.OVERDUE, S.VOID}),
    S.PARTIALLY_PAID: frozenset({S.PAID, S.OPEN, S.OVERDUE, S.VOID}),
    S.OVERDUE: frozenset({S.PAID, S.PARTIALLY_PAID, S.OPEN, S.VOID}),
    S.PAID: frozenset({S.PARTIALLY_PAID, S.OPEN, S.OVERDUE}),
    S.VOID: frozenset(),
}

A = AttemptStatus
# An attempt opens a page at the provider; the provider's answer closes it.
#  - open → failed: the page could not be opened, the provider reports the payment failed, or the
#    money paid could not be applied to any bill (all of it is refunded).
#  - open → expired: the owner cancelled, or the page expired unpaid.
#  - open → flagged: amount, currency or session do not match the attempt (staff look at it).
#  - expired/failed → paid/failed/flagged: the provider confirms money on a page we had already
#    given up on (paid moments before it closed): money the provider took is never ignored.
#  - paid and flagged are final.
ATTEMPT_TRANSITIONS: dict[str, frozenset[str]] = {
    A.OPEN: frozenset({A.PAID, A.FAILED, A.EXPIRED, A.FLAGGED}),
    A.EXPIRED: frozenset({A.PAID, A.FAILED, A.FLAGGED}),
    A.FAILED: frozenset({A.PAID, A.FLAGGED}),
    A.PAID: frozenset(),
    A.FLAGGED: frozenset(),
}

R = BillingRunStatus
#  - queued → done: a run with no units to bill is done as soon as it is planned.
#  - failed → running: a worker finishes a chunk of a failed run (a resumed run, or a chunk
#    delivered again); the run then completes like any other.
#  - done is final: a period billed again gets a new run.
RUN_TRANSITIONS: dict[str, frozenset[str]] = {
    R.QUEUED: frozenset({R.RUNNING, R.DONE, R.FAILED}),
    R.RUNNING: frozenset({R.DONE, R.FAILED}),
    R.FAILED: frozenset({R.RUNNING}),
    R.DONE: frozenset(),
}

INVOICE_FLOW = StatusFlow(
    model=Invoice,
    history=InvoiceStatusChange,
    subject="invoice",
    transitions=INVOICE_TRANSITIONS,
    noun_zh="账单",
    noun_en="bill",
    choices=InvoiceStatus,
)
ATTEMPT_FLOW = StatusFlow(
    model=PaymentAttempt,
    history=PaymentAttemptStatusChange,
    subject="attempt",
    transitions=ATTEMPT_TRANSITIONS,
    noun_zh="支付请求",
    noun_en="payment attempt",
    choices=AttemptStatus,
)
RUN_FLOW = StatusFlow(
    model=BillingRun,
    history=BillingRunStatusChange,
    subject="run",
    transitions=RUN_TRANSITIONS,
    noun_zh="计费批次",
    noun_en="billing run",
    choices=BillingRunStatus,
)


def register_billing_flows() -> None:
    for flow in (INVOICE_FLOW, ATTEMPT_FLOW, RUN_FLOW):
        register_flow(flow)
