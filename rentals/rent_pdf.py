"""The deposit settlement as a PDF (WeasyPrint, Noto CJK), in Chinese and Beijing time whoever renders it."""

from __future__ import annotations

from django.utils import timezone

from .models import DepositSettlement
from .pdf import render_pdf


def deposit_settlement_pdf(*, settlement: DepositSettlement) -> bytes:
    """The settlement: the lease and flat, the deposit paid, each deduction with its case from the lease (住房租赁条例
    Art. 10), the total deducted, what is returned and by when (and when it was, once recorded)."""
    lease = settlement.lease
    context = {
        "settlement": settlement,
        "lease": lease,
        "estate": lease.estate,
        "unit": lease.unit,
        "hand_back": lease.hand_back,
        "deductions": list(settlement.deductions.all()),
        "generated_at": timezone.localtime(),
    }
    return render_pdf("rentals/pdf/deposit_settlement.html", context)
