"""Receipt PDFs rendered by WeasyPrint from HTML templates (billing/templates/billing/pdf/).

Chinese must be real text, not boxes: the templates set ``font-family`` on ``html`` and in the
``@page`` margin boxes (which do not inherit the body font) to Debian's Noto CJK, which WeasyPrint
subsets and embeds. With ``libharfbuzz-subset0`` a receipt takes ~0.1 s (without it ~9 s);
rendering many receipts in one document saves far more than caching (see ``receipt_pdfs``).
Rendering is slow I/O: call these outside database transactions.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import translation

from accounts.formats import format_instant
from estates.models import OwnerKind

from .models import PaymentAllocation, Receipt
from .money import format_rmb, rmb_upper

CJK_FONT = "Noto Sans CJK SC"


def mask_name(name: str) -> str:
    """A person's name as printed on a receipt: 张三 → 张*, 张小三 → 张*三, 欧阳小三 → 欧**三."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _receipts_loaded(receipts: Iterable[Receipt]) -> list[Receipt]:
    ids = [r.pk for r in receipts]
    allocations = PaymentAllocation.objects.select_related(
        "invoice__unit__building", "invoice__payer_owner", "invoice__payee"
    ).order_by("invoice__period", "invoice__number")
    loaded = (
        Receipt.objects.filter(pk__in=ids)
        .select_related("estate", "payment")
        .prefetch_related(Prefetch("payment__allocations", queryset=allocations), "payment__transfers")
    )
    by_id = {r.pk: r for r in loaded}
    return [by_id[pk] for pk in ids if pk in by_id]


def receipt_context(receipt: Receipt) -> dict:
    payment = receipt.payment
    allocations = list(payment.allocations.all())
    organisation = bool(allocations) and all(
        a.invoice.payer_owner is not None and a.invoice.payer_owner.kind == OwnerKind.ORGANISATION for a in allocations
    )
    payees: dict[str, Decimal] = {}
    for a in allocations:
        if a.invoice.payee is not None:
            name = a.invoice.payee.legal_name
            payees[name] = payees.get(name, Decimal("0.00")) + a.amount
    fee = sum((t.platform_fee - t.fee_returned for t in payment.transfers.all()), Decimal("0.00"))
    units = []
    for a in allocations:
        unit = a.invoice.unit
        if unit is not None and unit.key not in units:
            units.append(unit.key)
    return {
        "receipt": receipt,
        "estate": receipt.estate,
        "payer": payment.payer_name if organisation else mask_name(payment.payer_name),
        "units": units,
        "lines": [
            {
                "description": a.invoice.get_charge_kind_display(),
                "period": f"{a.invoice.period:%Y-%m}",
                "unit": a.invoice.unit.key if a.invoice.unit is not None else "",
                "number": a.invoice.number,
                "payee": a.invoice.payee.legal_name if a.invoice.payee is not None else "",
                "amount": format_rmb(a.amount),
            }
            for a in allocations
        ],
        # The legal entities that received the money (each its own part), and the operator's fee kept from it.
        "payees": [{"name": name, "amount": format_rmb(amount)} for name, amount in payees.items()],
        "platform_fee": format_rmb(fee) if fee > 0 else "",
        "amount": format_rmb(payment.amount),
        "amount_upper": rmb_upper(payment.amount),
        "method": payment.get_method_display(),
        "received_at": format_instant(payment.received_at),
        "reference": payment.reference,
        "font": CJK_FONT,
    }


def _render(contexts: list[dict]) -> bytes:
    from weasyprint import HTML  # imported late: loading Pango is slow and only PDF code needs it

    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string("billing/pdf/receipts.html", {"receipts": contexts, "font": CJK_FONT})
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def receipt_pdf(receipt: Receipt) -> bytes:
    """One receipt as a PDF."""
    return _render([receipt_context(r) for r in _receipts_loaded([receipt])])


def receipts_pdf(receipts: Iterable[Receipt]) -> bytes:
    """Many receipts in one PDF (one page each), e.g. for printing a day's receipts: one render."""
    return _render([receipt_context(r) for r in _receipts_loaded(receipts)])


def receipt_pdfs(receipts: Iterable[Receipt]) -> dict[Receipt, bytes]:
    """One PDF per receipt from a single layout pass (fonts loaded and laid out once)."""
    from weasyprint import HTML

    loaded = _receipts_loaded(receipts)
    if not loaded:
        return {}
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string("billing/pdf/receipts.html", {"receipts": [receipt_context(r) for r in loaded], "font": CJK_FONT})
    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render()
    # Each receipt starts a new page and fits on one (the template keeps it to an A5 page).
    pages = document.pages
    if len(pages) != len(loaded):
        return {r: receipt_pdf(r) for r in loaded}
    return {receipt: document.copy([page]).write_pdf() for receipt, page in zip(loaded, pages, strict=True)}
