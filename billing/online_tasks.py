"""django-q tasks for online payments and receipts. They take ids, load fresh rows and call
services; running one twice does no harm (django-q's ORM broker delivers at least once)."""

from __future__ import annotations

import logging

from .models import Receipt

logger = logging.getLogger(__name__)


def provider_event_process(event_pk: int) -> bool:
    """Handle a stored provider notification, with a batch of other waiting ones (services.event_batches)."""
    from .services.event_batches import events_process

    return events_process(event_pk)


def provider_events_sweep() -> int:
    """Queue again the provider events whose task was lost (scheduled; services.event_batches.events_sweep)."""
    from .services.event_batches import events_sweep

    return events_sweep()


def receipt_render(receipt_id: int) -> bool:
    """Render a receipt's PDF (slow: outside any transaction) and store it once."""
    from .pdf import receipt_pdf
    from .services.payments import receipt_pdf_attach

    receipt = Receipt.objects.filter(pk=receipt_id).first()
    if receipt is None:
        return False
    if receipt.pdf:
        return True
    receipt_pdf_attach(receipt=receipt, content=receipt_pdf(receipt))
    return True


def receipts_render(receipt_ids: list[int]) -> int:
    """Render the PDFs of a batch's receipts in one layout pass (billing.services.payment_batches queues
    it after the batch commits); each stored once. Returns how many were rendered."""
    from .pdf import receipt_pdfs
    from .services.payments import receipt_pdf_attach

    receipts = list(Receipt.objects.filter(pk__in=receipt_ids, pdf="").order_by("pk"))
    for receipt, content in receipt_pdfs(receipts).items():
        receipt_pdf_attach(receipt=receipt, content=content)
    return len(receipts)


def receipts_render_pending(limit: int = 200) -> int:
    """Render every receipt still without a PDF in one batch (one layout pass): catch-up after an outage."""
    from .pdf import receipt_pdfs
    from .services.payments import receipt_pdf_attach

    receipts = list(Receipt.objects.filter(pdf="").order_by("pk")[:limit])
    for receipt, content in receipt_pdfs(receipts).items():
        receipt_pdf_attach(receipt=receipt, content=content)
    return len(receipts)
