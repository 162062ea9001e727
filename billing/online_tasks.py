"""django-q tasks for online payments and receipts. They take ids, load fresh rows and call
services; running one twice does no harm (django-q's ORM broker delivers at least once)."""

from __future__ import annotations

import datetime
import logging

from django.utils import timezone

from .models import Receipt

logger = logging.getLogger(__name__)

RECEIPTS_SWEEP_AFTER = datetime.timedelta(minutes=2)


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
    return _receipts_render(Receipt.objects.filter(pk__in=receipt_ids, pdf=""))


def receipts_render_pending(limit: int = 200, *, older_than: datetime.timedelta | None = None) -> int:
    """Render every receipt still without a PDF in one batch (one layout pass): catch-up after an outage.
    With ``older_than``, only receipts issued longer ago than that (their own task had its chance)."""
    waiting = Receipt.objects.filter(pdf="")
    if older_than is not None:
        waiting = waiting.filter(created_at__lt=timezone.now() - older_than)
    return _receipts_render(waiting, limit=limit)


def _receipts_render(receipts, *, limit: int | None = None) -> int:
    """Render ``receipts`` (a queryset, oldest first, at most ``limit``) in one layout pass; each PDF stored once."""
    from .pdf import receipt_pdfs
    from .services.payments import receipt_pdf_attach

    chosen = list(receipts.order_by("pk")[:limit])
    for receipt, content in receipt_pdfs(chosen).items():
        receipt_pdf_attach(receipt=receipt, content=content)
    return len(chosen)


def receipts_render_sweep() -> int:
    """Render the receipts whose render task was lost (scheduled every few minutes, billing.tasks): a worker
    killed after its payments' transaction committed but before the task was queued leaves their receipts
    without a PDF. Those issued in the last ``RECEIPTS_SWEEP_AFTER`` are left to their own task."""
    rendered = receipts_render_pending(older_than=RECEIPTS_SWEEP_AFTER)
    if rendered:
        logger.warning("receipt PDFs rendered after a lost task: %d", rendered)
    return rendered
