"""The entrustment agreement as a PDF (WeasyPrint, Noto CJK), in Chinese and Beijing time whoever renders it."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override

from accounts.formats import PEOPLE_TIME_ZONE

from .models import AgreementMode, EntrustmentAgreement
from .recovery import schedule_rows


def agreement_pdf(*, agreement: EntrustmentAgreement) -> bytes:
    """The agreement's terms: the parties, the flat's facts, the mode and its money terms, the term, the
    rent-free period, the renovation budget with its recovery schedule, and the early-return clause."""
    from weasyprint import HTML

    unit = agreement.unit
    context = {
        "agreement": agreement,
        "unit": unit,
        "building": unit.building,
        "estate": agreement.estate,
        "agency": agreement.mode == AgreementMode.AGENCY,
        "schedule": schedule_rows(agreement.recovery_schedule),
        "generated_at": timezone.localtime(),
    }
    with override("zh-hans"), timezone.override(PEOPLE_TIME_ZONE):
        html = render_to_string("rentals/pdf/agreement.html", context)
    return HTML(string=html).write_pdf()
