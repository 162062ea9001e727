"""Resident surveys (共谋/共评): the estate's staff or the officers of its sub-district or district ask the
households of an estate (or of one building of it) what to renovate next, or how satisfied they are with a
finished renovation project or with the manager's service.

One answer per household: a unit answers once, whoever of its owners or registered residents answers for it
(the database holds it: one response per survey and unit). Answers are never edited. A survey moves draft →
open → closed through ``estates.status``; when it closes its results are published as a notice of the estate.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from estates.models import Building, Estate, RenovationProject, Unit
from estates.status import StatusChange, StatusFlow, register_flow


class SurveyKind(models.TextChoices):
    #: 共谋: a menu of items with estimated costs; each household picks up to ``max_choices``.
    RENOVATION_CHOICE = "renovation_choice", _("What to renovate next")
    #: 共评: questions rated 1–5 and an optional comment.
    PROJECT_SATISFACTION = "project_satisfaction", _("Satisfaction with a renovation project")
    SERVICE_SATISFACTION = "service_satisfaction", _("Satisfaction with the manager's service")


RATING_KINDS = (SurveyKind.PROJECT_SATISFACTION, SurveyKind.SERVICE_SATISFACTION)


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open for answers")
    CLOSED = "closed", _("Closed")


#: draft → open (answers taken until the closing date) → closed (results published). Nothing goes back: a
#: closed survey's results were public, and an opened survey's questions were answered as they stood.
SURVEY_TRANSITIONS: dict[str, frozenset[str]] = {
    SurveyStatus.DRAFT: frozenset({SurveyStatus.OPEN}),
    SurveyStatus.OPEN: frozenset({SurveyStatus.CLOSED}),
    SurveyStatus.CLOSED: frozenset(),
}


class Survey(ClusterableModel):
    """A survey put to the households of an estate, or of one building of it."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="surveys", verbose_name=_("estate"))
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="surveys",
        verbose_name=_("building"),
        help_text=_("Leave empty to ask every household of the estate."),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=SurveyKind.choices, default=SurveyKind.RENOVATION_CHOICE)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    project = models.ForeignKey(
        RenovationProject,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="surveys",
        verbose_name=_("renovation project"),
        help_text=_("For a satisfaction survey about a finished renovation project."),
    )
    max_choices = models.PositiveSmallIntegerField(
        _("choices per household"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("What to renovate next: how many items a household may pick."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT, editable=False
    )
    closes_on = models.DateField(_("last day for answers"), null=True, blank=True, editable=False)
    households = models.PositiveIntegerField(
        _("households asked"), null=True, blank=True, editable=False, help_text=_("Units in scope when it opened.")
    )
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("resident survey")
        verbose_name_plural = _("resident surveys")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(max_choices__gte=1), name="survey_max_choices_positive"),
            models.CheckConstraint(
                condition=Q(project__isnull=True) | Q(kind="project_satisfaction"), name="survey_project_only_for_project_kind"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(closes_on__isnull=False, households__isnull=False),
                name="survey_opened_with_closing_date",
            ),
        ]
        indexes = [models.Index(fields=["estate", "status"], name="survey_estate_status")]

    def __str__(self):
        return self.title

    @property
    def is_choice(self) -> bool:
        return self.kind == SurveyKind.RENOVATION_CHOICE

    @property
    def scope_label(self) -> str:
        if self.building_id:
            return f"{self.estate.name} · " + gettext("Building %(number)s") % {"number": self.building.number}
        return self.estate.name


class SurveyItem(models.Model):
    """One item of a "what to renovate next" menu, with its estimated cost in yuan."""

    estate_scope_path = "survey__estate_id"

    survey = ParentalKey(Survey, on_delete=models.CASCADE, related_name="items", verbose_name=_("survey"))
    title = models.CharField(_("item"), max_length=150)
    estimated_cost = models.DecimalField(
        _("estimated cost (CNY)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    sort_order = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("survey item")
        verbose_name_plural = _("survey items")
        ordering = ["survey", "sort_order", "pk"]
        constraints = [models.CheckConstraint(condition=Q(estimated_cost__gte=0), name="survey_item_cost_not_negative")]

    def __str__(self):
        return self.title


class SurveyQuestion(models.Model):
    """One question of a satisfaction survey, rated 1 (very dissatisfied) to 5 (very satisfied)."""

    estate_scope_path = "survey__estate_id"

    survey = ParentalKey(Survey, on_delete=models.CASCADE, related_name="questions", verbose_name=_("survey"))
    text = models.CharField(_("question"), max_length=200)
    sort_order = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["survey", "sort_order", "pk"]

    def __str__(self):
        return self.text


class SurveyResponse(models.Model):
    """A household's answer: one per unit and survey, given by one of its owners or registered residents."""

    estate_scope_path = "survey__estate_id"

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses", verbose_name=_("survey"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="survey_responses", verbose_name=_("unit"))
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="survey_responses", verbose_name=_("answered by")
    )
    answered_at = models.DateTimeField(_("answered at"), auto_now_add=True)
    comment = models.TextField(_("comment"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["survey", "answered_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "unit"],
                name="survey_one_answer_per_household",
                violation_error_message="该户已答过此问卷 / This household has already answered this survey.",
            )
        ]

    def __str__(self):
        return f"{self.survey} · {self.unit}"


class SurveyChoice(models.Model):
    """An item a household picked."""

    estate_scope_path = "response__survey__estate_id"

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="choices")
    item = models.ForeignKey(SurveyItem, on_delete=models.PROTECT, related_name="choices")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "item"], name="survey_choice_once")]

    def __str__(self):
        return f"{self.response_id} · {self.item_id}"


class SurveyRating(models.Model):
    """A household's rating of one question, 1 to 5."""

    estate_scope_path = "response__survey__estate_id"

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="ratings")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.PROTECT, related_name="ratings")
    rating = models.PositiveSmallIntegerField(_("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="survey_rating_once"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="survey_rating_1_to_5"),
        ]

    def __str__(self):
        return f"{self.question_id}: {self.rating}"


class SurveyStatusChange(StatusChange):
    estate_scope_path = "survey__estate_id"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("survey"))
    from_status = models.CharField(_("from status"), max_length=20, choices=SurveyStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=SurveyStatus.choices)

    class Meta:
        ordering = ["survey", "at", "pk"]
        verbose_name = _("survey status change")
        verbose_name_plural = _("survey status changes")


register_flow(
    StatusFlow(
        model=Survey,
        history=SurveyStatusChange,
        subject="survey",
        transitions=SURVEY_TRANSITIONS,
        noun_zh="问卷",
        noun_en="survey",
        choices=SurveyStatus,
    )
)
