"""The deposit settlement as a PDF (WeasyPrint, Noto CJK), in Chinese and Beijing time whoever renders it."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override

from accounts.formats import PEOPLE_TIME_ZONE

from .models import DepositSettlement


def deposit_settlement_pdf(*, settlement: DepositSettlement) -> bytes:
    """The settlement: the lease and flat, the deposit paid, each deduction with its case from the lease (住房租赁条例
    Art. 10), the total deducted, what is returned and by when (and when it was, once recorded)."""
    from weasyprint import HTML

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
    with override("zh-hans"), timezone.override(PEOPLE_TIME_ZONE):
        html = render_to_string("rentals/pdf/deposit_settlement.html", context)
    return HTML(string=html).write_pdf()
