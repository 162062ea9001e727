"""Read queries of resident surveys (共谋/共评): who is asked, who may answer for which unit, and the results.

Every function runs a fixed number of queries whatever the number of units, answers or items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from estates.models import Unit
from estates.selectors import scope_queryset

from ..models import Survey, SurveyItem, SurveyQuestion, SurveyResponse, SurveyStatus
from .work_orders import resident_units

HUNDRED = Decimal("100")


def survey_units(*, survey: Survey) -> QuerySet[Unit]:
    """The households asked: every unit of the survey's estate, or of its building."""
    units = Unit.objects.filter(building__estate_id=survey.estate_id)
    if survey.building_id:
        units = units.filter(building_id=survey.building_id)
    return units


def surveys_for_staff(*, user: Any) -> QuerySet[Survey]:
    return scope_queryset(Survey.objects.all(), user=user).select_related("estate", "building", "project")


def surveys_of_resident(*, user: Any) -> QuerySet[Survey]:
    """The open and closed surveys put to a household the person owns or lives in (never drafts)."""
    units = resident_units(user=user)
    return (
        Survey.objects.exclude(status=SurveyStatus.DRAFT)
        .filter(
            Q(building__isnull=True, estate__in=units.values("building__estate_id")) | Q(building__in=units.values("building_id"))
        )
        .select_related("estate", "building", "project")
        .order_by("-opened_at", "-pk")
    )


@dataclass(frozen=True)
class HouseholdAnswer:
    """One of the person's units in the survey's scope, and whether (and when) the household answered."""

    unit: Unit
    answered_at: Any = None

    @property
    def answered(self) -> bool:
        return self.answered_at is not None


def households_of_resident(*, survey: Survey, user: Any) -> list[HouseholdAnswer]:
    """The units in the survey's scope that the person answers for, each with its household's answer time."""
    units = list(resident_units(user=user).filter(pk__in=survey_units(survey=survey).values("pk")))
    answered = dict(
        SurveyResponse.objects.filter(survey=survey, unit__in=[u.pk for u in units]).values_list("unit_id", "answered_at")
    )
    return [HouseholdAnswer(unit=u, answered_at=answered.get(u.pk)) for u in units]


def _percent(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal("0.0")
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ItemResult:
    item: SurveyItem
    count: int
    percent: Decimal  # of the households that answered


@dataclass(frozen=True)
class QuestionResult:
    question: SurveyQuestion
    count: int
    average: Decimal | None  # two places; None without any rating
    distribution: tuple[int, ...]  # households that gave 1, 2, 3, 4, 5


@dataclass(frozen=True)
class SurveyResults:
    survey: Survey
    answered: int
    households: int
    items: list[ItemResult] = field(default_factory=list)
    questions: list[QuestionResult] = field(default_factory=list)

    @property
    def response_rate(self) -> Decimal:
        """Households that answered / households asked, in per cent to one place."""
        return _percent(self.answered, self.households)


def survey_results(*, survey: Survey) -> SurveyResults:
    """Counts per item, the average and spread per question, and the response rate.

    The households asked are those counted when the survey opened (units added later do not change the rate);
    a draft counts the units in scope now. Four queries whatever the size.
    """
    answered = SurveyResponse.objects.filter(survey=survey).count()
    households = survey.households if survey.households is not None else survey_units(survey=survey).count()
    items: list[ItemResult] = []
    questions: list[QuestionResult] = []
    if survey.is_choice:
        for item in SurveyItem.objects.filter(survey=survey).annotate(chosen=Count("choices")).order_by("sort_order", "pk"):
            items.append(ItemResult(item=item, count=item.chosen, percent=_percent(item.chosen, answered)))
    else:
        spread = {f"r{i}": Count("ratings", filter=Q(ratings__rating=i)) for i in range(1, 6)}
        rows = SurveyQuestion.objects.filter(survey=survey).annotate(
            rated=Count("ratings"), total=Sum("ratings__rating"), **spread
        )
        for q in rows.order_by("sort_order", "pk"):
            average = (Decimal(q.total) / Decimal(q.rated)).quantize(Decimal("0.01"), ROUND_HALF_UP) if q.rated else None
            questions.append(
                QuestionResult(
                    question=q, count=q.rated, average=average, distribution=tuple(getattr(q, f"r{i}") for i in range(1, 6))
                )
            )
    return SurveyResults(survey=survey, answered=answered, households=households, items=items, questions=questions)


def survey_comments(*, survey: Survey, limit: int = 200) -> list[str]:
    """The households' latest comments, newest first, without who wrote them (for the estate's staff)."""
    rows = SurveyResponse.objects.filter(survey=survey).exclude(comment="").order_by("-answered_at", "-pk")
    return list(rows.values_list("comment", flat=True)[:limit])


__all__ = [
    "HouseholdAnswer",
    "SurveyResults",
    "households_of_resident",
    "survey_comments",
    "survey_results",
    "survey_units",
    "surveys_for_staff",
    "surveys_of_resident",
]
