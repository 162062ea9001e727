"""PDF rendering (WeasyPrint, Noto CJK): assembly results and joint-meeting minutes.

Rendering is slow I/O: callers run it in tasks, outside database transactions.
"""

from __future__ import annotations

from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override

from accounts.formats import PEOPLE_TIME_ZONE

from .models import Assembly, AssemblyMatter, JointMeeting


def _render(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    # Public documents are issued in Chinese and in Beijing time, whoever renders them (a task, a request).
    with override("zh-hans"), timezone.override(PEOPLE_TIME_ZONE):
        html = render_to_string(template, context)
    return HTML(string=html).write_pdf()


def assembly_result_pdf(*, assembly: Assembly) -> bytes:
    """The published result: each matter passed or not, with the four Art. 278 percentages."""
    matters = list(AssemblyMatter.objects.filter(assembly=assembly).order_by("sort_order", "pk"))
    return _render(
        "property_services/pdf/assembly_result.html",
        {"assembly": assembly, "estate": assembly.estate, "matters": matters, "generated_at": timezone.localtime()},
    )


def joint_meeting_minutes_pdf(*, meeting: JointMeeting) -> bytes:
    """Minutes of a joint meeting: participants, agenda, minutes and decisions with owners and due dates."""
    return _render(
        "property_services/pdf/joint_meeting_minutes.html",
        {
            "meeting": meeting,
            "estate": meeting.estate,
            "participants": list(meeting.participants.all()),
            "decisions": list(meeting.decisions.all()),
            "generated_at": timezone.localtime(),
        },
    )


def public_income_statement_pdf(*, statement) -> bytes:
    """A public income statement as published (Civil Code Arts. 282-283): balances, income by source, costs,
    and the allocation the owners decided (each part with its resolution, each unit's share) with the
    balance after it."""
    from .models import PublicIncomeAllocation
    from .selectors import allocation_view

    allocation = PublicIncomeAllocation.objects.filter(statement=statement).first()
    return _render(
        "property_services/pdf/public_income_statement.html",
        {
            "statement": statement,
            "estate": statement.estate,
            "allocation": allocation_view(allocation=allocation) if allocation else None,
            "generated_at": timezone.localtime(),
        },
    )


def fund_use_pdf(*, use) -> bytes:
    """A use of the maintenance fund as published (Civil Code Art. 281): the repair, what authorised it, the
    amount and each bearing unit's share by its unit key (no owner's name: the notice is public)."""
    from .services.fund import fund_use_authority

    shares = list(
        use.shares.select_related("unit__building").order_by("unit__building__number", "unit__entrance", "unit__number")
    )
    return _render(
        "property_services/pdf/fund_use.html",
        {
            "use": use,
            "estate": use.estate,
            "authority": fund_use_authority(use),
            "shares": [(share.unit.key, share.unit.exclusive_area, share.amount) for share in shares],
            "area_total": sum((share.unit.exclusive_area for share in shares), Decimal("0.00")),
            "generated_at": timezone.localtime(),
        },
    )


def survey_results_pdf(*, survey) -> bytes:
    """A closed survey's results as published: the households asked and answering, the count per item (or the
    average per question) with a bar chart. No household is named: the notice is public."""
    from .selectors.surveys import survey_results
    from .survey_charts import survey_chart

    results = survey_results(survey=survey)
    return _render(
        "property_services/pdf/survey_results.html",
        {
            "survey": survey,
            "estate": survey.estate,
            "results": results,
            "chart": survey_chart(results, title=survey.title),
            "generated_at": timezone.localtime(),
        },
    )
