"""/portal/surveys/: residents answer the surveys put to their household (共谋/共评) and, once a survey is closed,
read its results.

An owner holding a unit today, or a tenant or household member registered in one, sees the open and closed
surveys of their estate (or of their building); drafts are never shown, nor another estate's surveys. They
answer once per unit they own or live in (choosing the unit when they have several); a unit another member of
the household has answered for is refused. Results are shown only once the survey is closed, so that early
figures do not sway later answers.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.portal import PortalSection
from estates.admin_scoping import add_service_errors
from estates.models import Unit

from .models import SurveyItem, SurveyQuestion, SurveyStatus
from .selectors.surveys import households_of_resident, survey_results, surveys_of_resident
from .services.surveys import survey_answer
from .survey_charts import survey_chart

RATINGS = [(i, str(i)) for i in range(5, 0, -1)]


class AnswerForm(forms.Form):
    """The household's answer. The unit, the items and the ratings are checked by the service (its refusals are
    bilingual and name the rule), so the fields take any number and the page offers only the valid ones."""

    unit = forms.IntegerField(label=gettext_lazy("Answering for"), widget=forms.Select)
    comment = forms.CharField(
        label=gettext_lazy("Comment (optional)"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, survey, units: list[Unit], items: list[SurveyItem], questions: list[SurveyQuestion], **kwargs):
        super().__init__(*args, **kwargs)
        self.survey = survey
        self.fields["unit"].widget.choices = [(u.pk, u.key) for u in units]
        if len(units) == 1:
            self.fields["unit"].initial = units[0].pk
        self.questions = questions
        if survey.is_choice:
            self.fields["items"] = forms.TypedMultipleChoiceField(
                label=gettext_lazy("Items"),
                coerce=int,
                required=False,
                choices=[(i.pk, f"{i.title}（¥{i.estimated_cost:,.2f}）") for i in items],
                widget=forms.CheckboxSelectMultiple,
            )
            del self.fields["comment"]
        else:
            for q in questions:
                self.fields[f"q_{q.pk}"] = forms.IntegerField(
                    label=q.text, required=False, widget=forms.RadioSelect(choices=RATINGS)
                )
            self.fields["comment"] = self.fields.pop("comment")  # after the questions

    def answer(self) -> dict:
        data = self.cleaned_data
        if self.survey.is_choice:
            return {"item_ids": data.get("items") or []}
        ratings = {q.pk: data[f"q_{q.pk}"] for q in self.questions if data.get(f"q_{q.pk}") is not None}
        return {"ratings": ratings, "comment": data.get("comment", "")}


@login_required
def surveys_page(request):
    surveys = list(surveys_of_resident(user=request.user)[:100])
    return render(
        request,
        "property_services/portal/surveys.html",
        {
            "open": [s for s in surveys if s.status == SurveyStatus.OPEN],
            "closed": [s for s in surveys if s.status == SurveyStatus.CLOSED],
        },
    )


@login_required
def survey_page(request, pk: int):
    survey = get_object_or_404(surveys_of_resident(user=request.user), pk=pk)
    households = households_of_resident(survey=survey, user=request.user)
    pending = [h.unit for h in households if not h.answered]
    taking = survey.status == SurveyStatus.OPEN and timezone.localdate() <= survey.closes_on
    form, status = None, 200
    if taking or request.method == "POST":
        items = list(survey.items.all()) if survey.is_choice else []
        questions = [] if survey.is_choice else list(survey.questions.all())
        form = AnswerForm(
            request.POST if request.method == "POST" else None,
            survey=survey,
            units=pending,
            items=items,
            questions=questions,
        )
    if request.method == "POST":
        if form.is_valid():
            unit = Unit.objects.filter(pk=form.cleaned_data["unit"]).select_related("building").first()
            try:
                if unit is None:
                    raise ValidationError({"unit": _("Choose the unit you answer for.")})
                survey_answer(survey=survey, unit=unit, by=request.user, **form.answer())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Thank you: the answer for %(unit)s is recorded.") % {"unit": unit.key})
                return redirect("surveys_portal:survey", pk=survey.pk)
        status = 400
    results = survey_results(survey=survey) if survey.status == SurveyStatus.CLOSED else None
    return render(
        request,
        "property_services/portal/survey.html",
        {
            "survey": survey,
            "households": households,
            "form": form if taking and pending else (form if status == 400 else None),
            "taking": taking,
            "results": results,
            "chart": survey_chart(results, title=survey.title) if results else "",
        },
        status=status,
    )


def surveys_section(request):
    """Portal home: the surveys put to the person's household that are open now."""
    open_surveys = list(surveys_of_resident(user=request.user).filter(status=SurveyStatus.OPEN)[:5])
    if not open_surveys:
        return None
    return PortalSection(
        template="property_services/portal/surveys_section.html",
        context={"title": gettext_lazy("Resident surveys"), "surveys": open_surveys},
    )


app_name = "surveys_portal"
urlpatterns = [
    path("", surveys_page, name="page"),
    path("<int:pk>/", survey_page, name="survey"),
]
