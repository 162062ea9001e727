"""An owner's monthly statement as a PDF (WeasyPrint, Noto CJK), in Chinese and Beijing time whoever renders it."""

from __future__ import annotations

from django.utils import timezone

from .models import AgreementMode, OwnerPayout, OwnerStatement
from .pdf import render_pdf
from .services.statements import rent_lines
from .statements import month_figures


def statement_context(statement: OwnerStatement) -> dict:
    """What the statement shows: the stored figures, and — recomputed from the same rows — the rent payments of the
    month (agency), what the owner owes, and the repayment due in the month of an early return."""
    agreement = statement.agreement
    agency = statement.mode == AgreementMode.AGENCY
    lines = rent_lines(agreement=agreement, period=statement.period) if agency else []
    figures = month_figures(agreement, statement.period, lines)
    try:
        payout = statement.payout_record
    except OwnerPayout.DoesNotExist:
        payout = None
    return {
        "statement": statement,
        "agreement": agreement,
        "unit": agreement.unit,
        "estate": statement.estate,
        "agency": agency,
        "lines": figures.rent_lines,
        "owed_by_owner": -statement.payout if statement.payout < 0 else None,
        "repayment_due": figures.repayment_due,
        "days_held": figures.days_held,
        "days_in_month": figures.days_in_month,
        "month_index": figures.month_index,
        "payout": payout,
        "invoice": statement.owner_invoice,
    }


def statement_pdf(*, statement: OwnerStatement) -> bytes:
    context = statement_context(statement) | {"generated_at": timezone.localtime()}
    return render_pdf("rentals/pdf/statement.html", context)
