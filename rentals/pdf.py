"""The entrustment agreement as a PDF (WeasyPrint, Noto CJK), in Chinese and Beijing time whoever renders it."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override

from accounts.formats import PEOPLE_TIME_ZONE

from .models import AgreementMode, EntrustmentAgreement
from .recovery import schedule_rows


def render_pdf(template: str, context: dict) -> bytes:
    """Render one of the rentals PDFs (templates/rentals/pdf/, on base.html): in Chinese and in Beijing time,
    whoever asks for it, with WeasyPrint and the Noto CJK fonts."""
    from weasyprint import HTML

    with override("zh-hans"), timezone.override(PEOPLE_TIME_ZONE):
        html = render_to_string(template, context)
    return HTML(string=html).write_pdf()


def agreement_pdf(*, agreement: EntrustmentAgreement) -> bytes:
    """The agreement's terms: the parties, the flat's facts, the mode and its money terms, the term, the
    rent-free period, the renovation budget with its recovery schedule, and the early-return clause."""
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
    return render_pdf("rentals/pdf/agreement.html", context)


def lease_pdf(*, lease) -> bytes:
    """The real-name lease (住房租赁条例 Art. 8): the parties (the lessor of record is the owner in the agency mode,
    the operator's payee in the sublet mode; the tenant by name with the ID number masked), the flat's facts, the
    term, rent, rent day and cycle, the deposit with its return and the only cases for deductions (Art. 10), the
    filing, the occupants (Arts. 7, 37), the notice clause, the statement that no termination cuts utilities or
    locks the tenant out (Art. 12), and that no loan is attached to the rent."""
    from .city_rules import city_rules
    from .models import DepositCase

    agreement = lease.agreement
    unit = lease.unit
    agency = agreement.mode == AgreementMode.AGENCY
    context = {
        "lease": lease,
        "agreement": agreement,
        "unit": unit,
        "building": unit.building,
        "estate": lease.estate,
        "agency": agency,
        "lessor": agreement.owner.name if agency else lease.rent_payee.legal_name,
        "cases": [DepositCase(case).label for case in lease.deposit_cases if case in DepositCase.values],
        "rules": city_rules(),
        "bedrooms": lease.listing.bedrooms if lease.listing_id else None,
        "generated_at": timezone.localtime(),
    }
    return render_pdf("rentals/pdf/lease.html", context)
