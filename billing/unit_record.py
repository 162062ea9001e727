"""Billing's part of the back-office unit record (estates.unit_record): the unit's bills, the
payments that settled them with their receipts, and the receipt PDF for staff.

Three queries whatever the number of bills: the bills, the payments (receipt joined), and the
allocations that say which of this unit's bills each payment paid.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.utils.translation import gettext_lazy as _

from estates.selectors import scope_queryset
from estates.unit_record import UnitRecordSection

from .models import Invoice, Payment, PaymentAllocation, Receipt


def unit_bills(*, unit) -> list[Invoice]:
    return list(Invoice.objects.filter(unit=unit).order_by("-period", "charge_kind", "pk"))


def unit_payments(*, unit) -> list[Payment]:
    """Payments that paid any of the unit's bills, newest first, each with ``unit_allocations``."""
    allocations = PaymentAllocation.objects.filter(invoice__unit=unit).select_related("invoice").order_by("invoice__period")
    return list(
        Payment.objects.filter(pk__in=PaymentAllocation.objects.filter(invoice__unit=unit).values("payment_id"))
        .select_related("receipt")
        .prefetch_related(Prefetch("allocations", queryset=allocations, to_attr="unit_allocations"))
        .order_by("-received_at", "-pk")
    )


class UnitBillsSection(UnitRecordSection):
    name = "unit_bills"
    order = 20
    template_name = "billing/admin/unit_record_section.html"

    def get_context_data(self, parent_context=None):
        show_payments = self.user.has_perm("billing.view_payment")
        return {
            "title": _("Bills and payments"),
            "bills": unit_bills(unit=self.unit),
            "payments": unit_payments(unit=self.unit) if show_payments else None,
        }


def unit_bills_section(unit, request):
    if not request.user.has_perm("billing.view_invoice"):
        return None
    return UnitBillsSection(unit=unit, user=request.user)


def receipt_download_staff(request, pk: int):
    """A receipt PDF for back-office staff of the receipt's estate (404 for anyone else's estate)."""
    from .online_tasks import receipt_render

    receipt = scope_queryset(Receipt.objects.all(), user=request.user).filter(pk=pk).first()
    if receipt is None:
        raise Http404
    if not request.user.has_perm("billing.view_payment"):
        raise PermissionDenied
    if not receipt.pdf:
        receipt_render(receipt.pk)
        receipt.refresh_from_db()
    return FileResponse(
        receipt.pdf.open("rb"), content_type="application/pdf", as_attachment=True, filename=f"{receipt.number}.pdf"
    )
