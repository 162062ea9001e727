"""Back office of resident surveys (共谋/共评): the list, a draft's form with its items (what to renovate next, with
estimated costs) or its questions (rated 1–5), the survey's page with its results as a chart, and the moves
open (with the last day for answers) and close (which publishes the results as a notice)."""

from django import forms
from django.contrib import messages as django_messages
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, ObjectList

from estates.admin_scoping import (
    ScopedAdminModelForm,
    ScopedDeleteView,
    ScopedEditView,
    ScopedInspectView,
    ScopedModelViewSet,
    estate_filterset,
)

from ..admin_views import ScopedActionView
from ..models import Survey, SurveyStatus
from ..selectors.surveys import survey_comments, survey_results
from ..services import surveys as services
from ..survey_charts import survey_chart

VIEW = "property_services.view_survey"
CHANGE = services.CHANGE


class SurveyForm(ScopedAdminModelForm):
    def clean(self):
        data = super().clean()
        if self.instance.pk and self.instance.status != SurveyStatus.DRAFT:
            raise forms.ValidationError(_("The survey is published and can no longer be changed."))
        return data


class SurveyEditView(ScopedEditView):
    """An opened survey is never edited: its questions were answered as they stood (the form refuses too)."""

    def get(self, request, *args, **kwargs):
        survey = self.get_object()
        if survey.status != SurveyStatus.DRAFT:
            return redirect("property_services_survey:inspect", survey.pk)
        return super().get(request, *args, **kwargs)


class SurveyDeleteView(ScopedDeleteView):
    """Only a draft is deleted; an opened survey was answered (its answers are kept with it)."""

    def get(self, request, *args, **kwargs):
        survey = self.get_object()
        if survey.status != SurveyStatus.DRAFT:
            return redirect("property_services_survey:inspect", survey.pk)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        survey = self.get_object()
        if survey.status != SurveyStatus.DRAFT:
            django_messages.error(request, _("The survey is published and can no longer be changed."))
            return redirect("property_services_survey:inspect", survey.pk)
        return super().post(request, *args, **kwargs)


class SurveyInspectView(ScopedInspectView):
    """The survey with its results (a chart, counts and averages, the response rate), comments and history."""

    template_name = "property_services/admin/survey.html"

    def get_context_data(self, **kwargs):
        survey = self.object
        results = survey_results(survey=survey)
        actions = []
        if self.request.user.has_perm(CHANGE):
            if survey.status == SurveyStatus.DRAFT:
                actions.append((_("Open to residents"), reverse("property_services_survey:open", args=[survey.pk]), "open"))
            elif survey.status == SurveyStatus.OPEN:
                actions.append(
                    (_("Close and publish results"), reverse("property_services_survey:close", args=[survey.pk]), "close")
                )
        return super().get_context_data(
            survey=survey,
            results=results,
            chart=survey_chart(results, title=survey.title),
            comments=survey_comments(survey=survey),
            history=survey.status_changes.select_related("by").order_by("at", "pk"),
            actions=actions,
            **kwargs,
        )


class OpenForm(forms.Form):
    closes_on = forms.DateField(
        label=gettext_lazy("Last day for answers"), widget=forms.DateInput(attrs={"type": "date"}), input_formats=["%Y-%m-%d"]
    )


class NoteForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=200)


class _SurveyAction(ScopedActionView):
    model = Survey
    permission = CHANGE
    header_icon = "list-ul"

    def explanation(self):
        s = self.object
        return [f"{s.title} · {s.get_kind_display()} · {s.scope_label}"]

    def success_url(self):
        return reverse("property_services_survey:inspect", args=[self.object.pk])


class SurveyOpenView(_SurveyAction):
    page_title = gettext_lazy("Open to residents")
    form_class = OpenForm

    def explanation(self):
        return [
            *super().explanation(),
            _("Each household (unit) answers once; answers cannot be changed. The survey closes after its last day."),
        ]

    def act(self, form):
        self.object = services.survey_open(survey=self.object, closes_on=form.cleaned_data["closes_on"], by=self.request.user)

    def success_message(self):
        return _("The survey is open until %(date)s.") % {"date": f"{self.object.closes_on:%Y-%m-%d}"}


class SurveyCloseView(_SurveyAction):
    page_title = gettext_lazy("Close and publish results")
    form_class = NoteForm

    def explanation(self):
        return [*super().explanation(), _("Answers stop now; the results are published as a notice of the estate with a PDF.")]

    def act(self, form):
        services.survey_close(survey=self.object, by=self.request.user, note=form.cleaned_data["note"])

    def success_message(self):
        return _("The survey is closed and its results are published.")


class SurveyViewSet(ScopedModelViewSet):
    """Surveys of the user's estates: what to renovate next, satisfaction with a project or the service."""

    model = Survey
    icon = "list-ul"
    menu_label = gettext_lazy("Resident surveys")
    edit_view_class = SurveyEditView
    delete_view_class = SurveyDeleteView
    inspect_view_class = SurveyInspectView
    list_display = ["title", "estate", "building", "kind", "status", "closes_on"]
    list_select_related = ("estate", "building")
    filterset_class = estate_filterset(Survey, model_fields=("kind", "status"))
    search_fields = ["title", "estate__name"]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("estate"), FieldPanel("building")]),
            FieldPanel("kind"),
            FieldPanel("title"),
            FieldPanel("description"),
            FieldPanel("project"),
            FieldPanel("max_choices"),
            InlinePanel(
                "items",
                heading=gettext_lazy("Items to choose from (what to renovate next)"),
                label=gettext_lazy("Item"),
                panels=[FieldPanel("title"), FieldPanel("estimated_cost")],
            ),
            InlinePanel(
                "questions",
                heading=gettext_lazy("Questions rated 1–5 (satisfaction)"),
                label=gettext_lazy("Question"),
                panels=[FieldPanel("text")],
            ),
        ],
        base_form_class=SurveyForm,
    )

    def save_object(self, *, form, request, created):
        return services.survey_save(survey=form.save(commit=False), by=request.user)

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("open/<int:pk>/", SurveyOpenView.as_view(), name="open"),
            path("close/<int:pk>/", SurveyCloseView.as_view(), name="close"),
        ]
