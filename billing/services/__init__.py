"""Every change to bills, payments, refunds, tariffs, runs and online payments, by subdomain.

* ``invoices``: bills for any source, their status, void, write-off, overdue marking, paid handlers.
* ``payments``: money received and its receipt.
* ``refunds``: money given back, at the counter or through the provider.
* ``tariffs``: the rates of an estate's charges.
* ``runs``: monthly billing runs in chunks.
* ``checkout``: paying online (a payment attempt at the provider).
* ``provider_events``: what the provider reports, and paid sessions applied.
* ``payees``: who receives each kind of an estate's money, from which date; their provider accounts.
* ``transfers``: each payee's share of an online payment to its account; reversals for refunds.
* ``reconcile``: the provider's transfers and reversals against the books, per payee.

Other apps use these entry points and nothing else: ``tariff_schedule_set`` (a management
arrangement's fee standard becomes tariffs), ``invoice_create_for_source`` (charge a payer for a
source), ``register_paid_handler`` (be called when such a bill is paid), ``payment_record`` /
``refund_record`` (money in and out). Reads are in ``billing.selectors``.

Money is Decimal to the fen, rounded only by ``billing.money.quantize``. Errors that a person reads
are ``ValidationError`` with Chinese first, then English (``accounts.errors.refuse``).
"""

from .checkout import PaymentInProgressError, attempt_cancel, attempt_create, attempt_sync
from .common import money_amount
from .invoices import (
    invoice_create_for_source,
    invoice_number,
    invoice_number_prefix,
    invoice_status_due,
    invoice_void,
    invoice_write_off,
    invoices_mark_overdue,
    register_paid_handler,
    unregister_paid_handler,
)
from .payments import payment_record, receipt_pdf_attach
from .provider_events import event_handle, event_process, event_store, excess_decision, session_paid_apply
from .refunds import online_refund, payment_refund, refund_check, refund_record
from .runs import (
    PERIOD_RE,
    billing_chunk_process,
    billing_period_parse,
    billing_run_execute,
    billing_run_queue,
    billing_run_start,
    billing_runs_start_for,
    property_fee_description,
    property_fee_terms,
)
from .tariffs import tariff_schedule_set

__all__ = [
    "PERIOD_RE",
    "PaymentInProgressError",
    "attempt_cancel",
    "attempt_create",
    "attempt_sync",
    "billing_chunk_process",
    "billing_period_parse",
    "billing_run_execute",
    "billing_run_queue",
    "billing_run_start",
    "billing_runs_start_for",
    "event_handle",
    "event_process",
    "event_store",
    "excess_decision",
    "invoice_create_for_source",
    "invoice_number",
    "invoice_number_prefix",
    "invoice_status_due",
    "invoice_void",
    "invoice_write_off",
    "invoices_mark_overdue",
    "money_amount",
    "online_refund",
    "payment_record",
    "payment_refund",
    "property_fee_description",
    "property_fee_terms",
    "receipt_pdf_attach",
    "refund_check",
    "refund_record",
    "register_paid_handler",
    "session_paid_apply",
    "tariff_schedule_set",
    "unregister_paid_handler",
]
