"""billing's part of a person's data (PIPL Art. 45): their bills and payments with receipt numbers."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from .charges import charge_kind_label
from .models import Invoice, Payment
from .selectors import invoices_of_user


def export(user):
    records = [
        {
            _("bill number"): invoice.number,
            _("charge"): charge_kind_label(invoice.charge_kind),
            _("period"): invoice.period,
            _("total (CNY)"): invoice.total,
            _("paid (CNY)"): invoice.paid_amount,
            _("status"): invoice.get_status_display(),
            _("due on"): invoice.due_on,
        }
        for invoice in invoices_of_user(user=user).order_by("period", "number")
    ]
    payments = (
        Payment.objects.filter(Q(payer_user=user) | Q(allocations__invoice__in=Invoice.objects.filter(payer_owner__user=user)))
        .distinct()
        .select_related("receipt")
        .order_by("received_at", "pk")
    )
    for payment in payments:
        receipt = getattr(payment, "receipt", None)
        records.append(
            {
                _("payment"): payment.get_method_display(),
                _("amount (CNY)"): payment.amount,
                _("received at"): payment.received_at,
                _("receipt number"): receipt.number if receipt else "",
            }
        )
    return _("Bills and payments"), records
