"""Resident surveys (共谋/共评): drafting, opening, answering (one answer per household), closing, publishing.

Who publishes: the estate's staff, or the officers of its sub-district or district — anyone holding
``change_survey`` who sees the estate in the back office (``estates_visible_to``). ``by=None`` is the
platform itself (the daily task that closes surveys past their date).

Who answers: an owner holding a unit today, or a tenant or household member registered in it
(``selectors.work_orders.resident_units``), for a unit in the survey's scope. A household (a unit) answers
once, whoever of its people answers (co-owners may each act for the unit, Civil Code Art. 300, but it still
counts once): a second answer for the unit is refused, and the database holds the rule
(``survey_one_answer_per_household``). Answers are never edited.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.errors import refuse
from estates.models import Unit
from estates.selectors import estates_visible_to
from estates.status import transition

from ..models import (
    Notice,
    NoticeKind,
    Survey,
    SurveyChoice,
    SurveyItem,
    SurveyKind,
    SurveyQuestion,
    SurveyRating,
    SurveyResponse,
    SurveyStatus,
)
from ..selectors.surveys import survey_results, survey_units
from ..selectors.work_orders import resident_units

CHANGE = "property_services.change_survey"

logger = logging.getLogger(__name__)


def survey_publisher_check(*, survey: Survey, by: Any) -> None:
    """The estate's staff or its sub-district's or district's officers; ``by=None`` is the platform."""
    if by is None:
        return
    if by.has_perm(CHANGE) and estates_visible_to(user=by).filter(pk=survey.estate_id).exists():
        return
    raise refuse(
        "只有本小区的物业服务人员或所在街道、区县的工作人员可以发布问卷",
        "Only the estate's staff or the officers of its sub-district or district publish its surveys.",
        code="not_publisher",
    )


def _check_contents(survey: Survey, items: list[SurveyItem], questions: list[SurveyQuestion]) -> None:
    if survey.building_id and survey.building.estate_id != survey.estate_id:
        raise refuse("该楼栋不属于本小区", "The building belongs to another estate.", field="building", code="other_estate")
    if survey.project_id:
        if survey.kind != SurveyKind.PROJECT_SATISFACTION:
            raise refuse(
                "只有改造项目满意度问卷关联改造项目",
                "Only a satisfaction survey about a renovation project names a project.",
                field="project",
                code="project",
            )
        if survey.project.estate_id != survey.estate_id:
            raise refuse("该改造项目不属于本小区", "The renovation project belongs to another estate.", field="project")
    if survey.kind == SurveyKind.PROJECT_SATISFACTION and not survey.project_id:
        raise refuse("请选择要评价的改造项目", "Choose the renovation project to rate.", field="project", code="project")
    if survey.is_choice:
        if not items:
            raise refuse("请至少列出一个改造项目选项", "List at least one item to choose from.", field="items", code="no_items")
        for item in items:
            if not (item.title or "").strip():
                raise refuse("请填写选项名称", "Name every item.", field="items", code="item_title")
            cost = item.estimated_cost
            if cost is None or cost < 0 or cost != Decimal(cost).quantize(Decimal("0.01")):
                raise refuse(
                    "估算费用须为不小于零的金额，最多两位小数",
                    "An estimated cost is an amount of at least zero, in fen.",
                    field="items",
                    code="cost",
                )
        if not survey.max_choices or survey.max_choices < 1 or survey.max_choices > len(items):
            raise refuse(
                f"每户可选项数须在 1 到 {len(items)} 之间",
                f"The choices per household must be between 1 and {len(items)}.",
                field="max_choices",
                code="max_choices",
            )
    else:
        if not questions:
            raise refuse("请至少列出一个评价问题", "List at least one question to rate.", field="questions", code="no_questions")
        if any(not (q.text or "").strip() for q in questions):
            raise refuse("请填写问题", "Write every question.", field="questions", code="question_text")


@transaction.atomic
def survey_save(*, survey: Survey, by: Any = None) -> Survey:
    """Store a draft survey with its items or questions (from the back-office form or code).

    Only a draft changes: an open survey's questions are being answered as they stand."""
    if survey.pk is not None:
        stored = Survey.objects.select_for_update().get(pk=survey.pk)
        if stored.status != SurveyStatus.DRAFT:
            raise refuse("问卷已发布，不能再修改", "The survey is published and can no longer be changed.", code="not_draft")
    survey_publisher_check(survey=survey, by=by)
    survey.title = (survey.title or "").strip()
    if not survey.title:
        raise refuse("请填写标题", "Give the survey a title.", field="title")
    items, questions = list(survey.items.all()), list(survey.questions.all())
    _check_contents(survey, items, questions)
    if not survey.is_choice:
        survey.max_choices = 1
    for position, child in enumerate(items if survey.is_choice else questions):
        child.sort_order = position
    if survey.pk is None and getattr(by, "pk", None):
        survey.created_by = by
    survey.save()
    # A survey of one kind keeps no rows of the other (a draft whose kind was changed).
    if survey.is_choice:
        SurveyQuestion.objects.filter(survey=survey).delete()
    else:
        SurveyItem.objects.filter(survey=survey).delete()
    return survey


@transaction.atomic
def survey_open(*, survey: Survey, closes_on: datetime.date, by: Any = None, today: datetime.date | None = None) -> Survey:
    """Put a draft to the households in its scope until ``closes_on`` (the last day for answers)."""
    today = today or timezone.localdate()
    survey = Survey.objects.select_for_update(of=("self",)).select_related("estate", "building", "project").get(pk=survey.pk)
    survey_publisher_check(survey=survey, by=by)
    if closes_on is None or closes_on < today:
        raise refuse(
            "截止日期不能早于今天", "The last day for answers cannot be before today.", field="closes_on", code="closes_on"
        )
    _check_contents(survey, list(survey.items.all()), list(survey.questions.all()))
    households = survey_units(survey=survey).count()
    if not households:
        raise refuse("问卷范围内没有房屋", "No unit is in the survey's scope.", code="no_units")
    transition(survey, to=SurveyStatus.OPEN, by=by, closes_on=closes_on, households=households, opened_at=timezone.now())
    return survey


def _refuse_closed() -> Exception:
    return refuse("问卷已截止，不能再作答", "The survey is closed: answers are no longer taken.", code="closed")


@transaction.atomic
def survey_answer(
    *,
    survey: Survey,
    unit: Unit,
    by: Any,
    item_ids: Iterable[int] = (),
    ratings: Mapping[int, int] | None = None,
    comment: str = "",
    today: datetime.date | None = None,
) -> SurveyResponse:
    """A household's answer, given by one of its owners or registered residents; never edited afterwards.

    What to renovate next: one to ``max_choices`` items of the survey. Satisfaction: every question rated
    1 to 5, and a comment if they wish. Refused, with nothing written: a survey not open or past its last
    day, a unit the person neither owns nor lives in or outside the survey's scope, a household that has
    answered already (whoever answered for it), a choice or rating outside the rules."""
    today = today or timezone.localdate()
    # The survey's row is locked: answers and the closing queue behind one another.
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.status != SurveyStatus.OPEN or (survey.closes_on and today > survey.closes_on):
        raise _refuse_closed()
    if not resident_units(user=by).filter(pk=unit.pk).exists():
        raise refuse("您不是该房屋的业主或登记住户", "You neither own nor live in this unit.", field="unit", code="not_household")
    if not survey_units(survey=survey).filter(pk=unit.pk).exists():
        raise refuse(
            "该房屋不在本问卷的范围内", "This unit is not among the households asked.", field="unit", code="out_of_scope"
        )
    if SurveyResponse.objects.filter(survey=survey, unit=unit).exists():
        raise _refuse_twice()
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise refuse("意见最多1000字", "A comment has at most 1000 characters.", field="comment", code="comment")
    chosen: list[SurveyItem] = []
    rated: list[tuple[SurveyQuestion, int]] = []
    if survey.is_choice:
        ids = {int(i) for i in item_ids}
        chosen = list(SurveyItem.objects.filter(survey=survey, pk__in=ids))
        if not ids:
            raise refuse("请至少选择一项", "Choose at least one item.", field="items", code="no_choice")
        if len(chosen) != len(ids):
            raise refuse("所选项目不属于本问卷", "An item chosen is not on this survey.", field="items", code="unknown_item")
        if len(ids) > survey.max_choices:
            raise refuse(
                f"每户最多选择 {survey.max_choices} 项",
                f"A household picks at most {survey.max_choices} items.",
                field="items",
                code="too_many",
            )
    else:
        ratings = dict(ratings or {})
        questions = list(SurveyQuestion.objects.filter(survey=survey).order_by("sort_order", "pk"))
        if set(ratings) - {q.pk for q in questions}:
            raise refuse(
                "所评问题不属于本问卷", "A question rated is not on this survey.", field="ratings", code="unknown_question"
            )
        for question in questions:
            value = ratings.get(question.pk)
            if value is None:
                raise refuse(f"请为“{question.text}”打分", f"Rate “{question.text}”.", field="ratings", code="unrated")
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                raise refuse("评分须为 1 到 5 分", "A rating is from 1 to 5.", field="ratings", code="rating_range")
            rated.append((question, value))
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(survey=survey, unit=unit, answered_by=by, comment=comment)
    except IntegrityError:
        raise _refuse_twice() from None
    SurveyChoice.objects.bulk_create(SurveyChoice(response=response, item=item) for item in chosen)
    SurveyRating.objects.bulk_create(SurveyRating(response=response, question=q, rating=v) for q, v in rated)
    return response


def _refuse_twice() -> Exception:
    return refuse(
        "该户已经答过此问卷：每户只答一次，答卷提交后不能修改",
        "This household has already answered: one answer per household, and answers cannot be changed.",
        field="unit",
        code="answered",
    )


def survey_close(*, survey: Survey, by: Any = None, note: str = "") -> Notice:
    """Close an open survey (by hand, or by the daily task once its last day has passed) and publish its
    results as a notice of the estate with a PDF.

    The survey closes first, in its own transaction, so that the published figures count every answer taken;
    then ``survey_results_publish`` renders and publishes (the daily task publishes again for a closed survey
    whose notice is missing, should that step have failed)."""
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=survey.pk)
        survey_publisher_check(survey=survey, by=by)
        transition(survey, to=SurveyStatus.CLOSED, by=by, note=note, closed_at=timezone.now())
    return survey_results_publish(survey=survey, by=by)


def _results_body(survey: Survey) -> str:
    results = survey_results(survey=survey)
    lines = [
        f"问卷范围：{survey.scope_label}；应答 {results.households} 户，实答 {results.answered} 户，参与率 {results.response_rate}%。"
    ]
    if survey.is_choice:
        lines += [f"{r.item.title}（估算 ¥{r.item.estimated_cost:.2f}）：{r.count} 户（{r.percent}%）" for r in results.items]
    else:
        lines += [
            f"{r.question.text}：平均 {r.average:.2f} 分（{r.count} 户评分）"
            if r.average is not None
            else f"{r.question.text}：无评分"
            for r in results.questions
        ]
    return "\n".join(lines) + "\n详见附件。"


def survey_results_publish(*, survey: Survey, by: Any = None) -> Notice:
    """Publish a closed survey's results (公示): a notice of the estate with a PDF of the figures and charts,
    which the estate's residents read among its notices. Publishing again refreshes the notice."""
    from ..pdf import survey_results_pdf
    from .notices import disclosure_publish

    survey = Survey.objects.select_related("estate", "building", "project").get(pk=survey.pk)
    if survey.status != SurveyStatus.CLOSED:
        raise refuse("问卷截止后才公布结果", "Results are published once the survey is closed.", code="not_closed")
    survey_publisher_check(survey=survey, by=by)
    return disclosure_publish(
        kind=NoticeKind.SURVEY_RESULT,
        source=survey,
        estate=survey.estate,
        title=f"{survey.estate.name}居民问卷结果公示：{survey.title}",
        body=_results_body(survey),
        render_pdf=lambda: survey_results_pdf(survey=survey),
        by=by,
    )


def surveys_close_due(*, today: datetime.date | None = None) -> int:
    """Close the open surveys whose last day has passed and publish their results; publish again the results
    of closed surveys that have no notice. Safe to run twice. Returns how many surveys it closed."""
    from django.contrib.contenttypes.models import ContentType

    today = today or timezone.localdate()
    closed = 0
    failures: list[Exception] = []
    for survey in Survey.objects.filter(status=SurveyStatus.OPEN, closes_on__lt=today).order_by("pk"):
        try:
            survey_close(survey=survey, note="截止日期已过，自动截止")
        except Exception as exc:  # one survey's failure (e.g. its PDF) does not hold back the others
            logger.exception("closing survey %s failed", survey.pk)
            failures.append(exc)
        else:
            closed += 1
    published = Notice.objects.filter(
        source_type=ContentType.objects.get_for_model(Survey), kind=NoticeKind.SURVEY_RESULT
    ).values("source_id")
    for survey in Survey.objects.filter(status=SurveyStatus.CLOSED).exclude(pk__in=published).order_by("pk"):
        try:
            survey_results_publish(survey=survey)
        except Exception as exc:
            logger.exception("publishing the results of survey %s failed", survey.pk)
            failures.append(exc)
    if failures:
        raise failures[0]  # the task is recorded as failed; the next run tries again
    return closed


__all__ = [
    "survey_answer",
    "survey_close",
    "survey_open",
    "survey_publisher_check",
    "survey_results_publish",
    "survey_save",
    "surveys_close_due",
]
