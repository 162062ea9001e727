"""The owners' portal side of billing: what the "My bills" pages read, and the portal-home section.

Every query here starts from the signed-in person, so another owner's bills, payments and
receipts are simply not found (404), and each page runs a fixed number of queries however many
bills there are.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, F, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.portal import PortalSection

from .models import AttemptStatus, Invoice, Payment, PaymentAllocation, PaymentAttempt, Receipt
from .money import quantize
from .selectors import ATTEMPT_BLOCKS_FOR, invoice_ids_of_user, invoices_of_user
from .statuses import UNPAID


def bills_open(*, user) -> QuerySet[Invoice]:
    return (
        invoices_of_user(user=user)
        .filter(status__in=UNPAID)
        .select_related("estate", "unit__building", "payee")
        .order_by("due_on", "period", "pk")
    )


def bills_history(*, user) -> QuerySet[Invoice]:
    return (
        invoices_of_user(user=user)
        .exclude(status__in=UNPAID)
        .select_related("estate", "unit__building")
        .order_by("-period", "-pk")
    )


def payments_of_user(*, user) -> QuerySet[Payment]:
    """Payments the person made, or that paid their bills (e.g. cash recorded by staff)."""
    # A UNION of two index lookups, not an OR (which reads every payment: see invoice_ids_of_user).
    paid_by_them = Payment.objects.filter(payer_user=user).order_by().values("pk")
    paid_their_bills = (
        PaymentAllocation.objects.filter(invoice__in=invoice_ids_of_user(user=user)).order_by().values("payment_id")
    )
    return (
        Payment.objects.filter(pk__in=paid_by_them.union(paid_their_bills))
        .select_related("estate", "receipt")
        .order_by("-received_at", "-pk")
    )


def receipts_of_user(*, user) -> QuerySet[Receipt]:
    return Receipt.objects.filter(payment__in=payments_of_user(user=user).values("pk")).select_related("payment")


def attempts_open(*, user) -> QuerySet[PaymentAttempt]:
    return PaymentAttempt.objects.filter(
        user=user, status=AttemptStatus.OPEN, created_at__gt=timezone.now() - ATTEMPT_BLOCKS_FOR
    ).order_by("-created_at")


def bills_summary(*, user) -> dict:
    """Open bills: how many and how much is owed (one query)."""
    summary = bills_open(user=user).aggregate(count=Count("pk"), owed=Sum(F("total") - F("paid_amount")))
    # SQLite's arithmetic drops trailing zeros (208.5): put the fen back.
    return {"count": summary["count"] or 0, "owed": quantize(summary["owed"] or Decimal("0"))}


def my_bills_section(request):
    """Portal home: "My bills" with what is owed and a link to pay. Nothing for people without bills."""
    user = request.user
    summary = bills_summary(user=user)
    if not summary["count"] and not invoices_of_user(user=user).exists():
        return None
    return PortalSection(template="billing/portal/section.html", context={"title": _("My bills"), **summary})
