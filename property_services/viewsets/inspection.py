"""Back office of owners' requests to inspect records (查阅): the list with overdue requests flagged, each
request's page, and the answers — arrange (a date and place, or a copy), refuse with the reason, done.

SPC interpretation on building ownership Art. 13: owners may inspect the records of the fund's use and of
the income from the common parts; Civil Code Art. 943: the manager discloses them. The answer is due
within ``settings.ANJU_INSPECTION_ANSWER_DAYS`` calendar days of the request.
"""

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from estates.admin_scoping import ScopedReadOnlyViewSet, estate_filterset

from ..admin_views import ScopedActionView
from ..models import InspectionRequest, InspectionStatus, RefusalReason
from ..selectors.inspection import inspection_requests_for_staff
from ..services.inspection import inspection_arrange, inspection_done, inspection_refuse


def _overdue(inspection: InspectionRequest) -> str:
    today = timezone.localdate()
    if not inspection.is_overdue(today):
        return ""
    days = (today - inspection.answer_due_on).days
    return format_html(
        '<strong class="w-text-critical-200" data-testid="overdue">{}</strong>', _("Overdue by %(days)s days") % {"days": days}
    )


def _overdue_filter(queryset, name, value):
    if value:
        return queryset.filter(status=InspectionStatus.REQUESTED, answer_due_on__lt=timezone.localdate())
    return queryset


InspectionRequestFilterSet = estate_filterset(
    InspectionRequest,
    model_fields=("status",),
    overdue=django_filters.BooleanFilter(label=gettext_lazy("Overdue"), method=_overdue_filter),
)


def _record_link(inspection: InspectionRequest) -> str:
    """Where staff find the record itself in the back office."""
    if inspection.statement_id:
        return reverse("property_services_publicincomestatement:inspect", args=[inspection.statement_id])
    if inspection.lease_id:
        return reverse("property_services_commonpartlease:inspect", args=[inspection.lease_id])
    return reverse("property_services_maintenancefunduse:inspect", args=[inspection.fund_use_id])


class InspectionRequestDetailView(WagtailAdminTemplateMixin, TemplateView):
    page_title = gettext_lazy("Request to inspect a record")
    template_name = "property_services/admin/inspection_request.html"
    header_icon = "view"

    def get(self, request, pk):
        inspection = get_object_or_404(
            inspection_requests_for_staff(user=request.user).prefetch_related("status_changes__by"), pk=pk
        )
        if not request.user.has_perm("property_services.view_inspectionrequest"):
            raise PermissionDenied
        user = request.user
        may_answer = user.has_perm("property_services.change_inspectionrequest")
        return self.render_to_response(
            self.get_context_data(
                inspection=inspection,
                record_url=_record_link(inspection),
                overdue=inspection.is_overdue(),
                can_answer=may_answer and inspection.status == InspectionStatus.REQUESTED,
                can_finish=may_answer and inspection.status == InspectionStatus.ARRANGED,
            )
        )


class InspectionRequestViewSet(ScopedReadOnlyViewSet):
    """Owners' requests to inspect records, answered here; the overdue ones flagged on the list."""

    model = InspectionRequest
    icon = "view"
    menu_label = gettext_lazy("Requests to inspect records")
    detail_view = staticmethod(InspectionRequestDetailView.as_view())
    list_display = [
        Column("record", label=gettext_lazy("Record to inspect"), accessor="record_label"),
        "estate",
        "owner",
        "asked_at",
        "preferred_on",
        "answer_due_on",
        "status",
        Column("overdue", label=gettext_lazy("Overdue"), accessor=_overdue),
    ]
    list_select_related = ("estate", "owner", "statement", "lease__asset", "fund_use")
    filterset_class = InspectionRequestFilterSet

    def extra_urls(self) -> list:
        return [
            path("arrange/<int:pk>/", InspectionArrangeView.as_view(), name="arrange"),
            path("refuse/<int:pk>/", InspectionRefuseView.as_view(), name="refuse"),
            path("done/<int:pk>/", InspectionDoneView.as_view(), name="done"),
        ]


class ArrangeForm(forms.Form):
    arranged_on = forms.DateField(
        label=gettext_lazy("Inspection date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    place = forms.CharField(label=gettext_lazy("Place"), required=False, max_length=200)
    copy = forms.FileField(
        label=gettext_lazy("Copy (PDF)"),
        required=False,
        help_text=gettext_lazy(
            "Instead of (or besides) a date and place. Mask other people's personal data (names, ID and phone "
            "numbers) in the copy: it is no reason to refuse."
        ),
    )
    answer = forms.CharField(label=gettext_lazy("Note to the owner"), required=False, max_length=1000, widget=forms.Textarea)


class RefuseForm(forms.Form):
    refusal_reason = forms.ChoiceField(label=gettext_lazy("Reason for refusal"), choices=RefusalReason.choices)
    answer = forms.CharField(
        label=gettext_lazy("The reason, for the owner"),
        max_length=1000,
        widget=forms.Textarea,
        help_text=gettext_lazy("Say who holds the record, or when it was provided."),
    )


class DoneForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=200)


class _InspectionAction(ScopedActionView):
    model = InspectionRequest
    permission = "property_services.change_inspectionrequest"
    header_icon = "view"

    def explanation(self):
        r = self.object
        lines = [f"{r.record_label} · {r.owner} · {r.asked_at:%Y-%m-%d}"]
        if r.message:
            lines.append(r.message)
        if r.preferred_on:
            lines.append(_("Preferred date: %(day)s") % {"day": f"{r.preferred_on:%Y-%m-%d}"})
        return lines

    def success_url(self):
        return reverse("property_services_inspectionrequest:inspect", args=[self.object.pk])


class InspectionArrangeView(_InspectionAction):
    form_class = ArrangeForm
    page_title = gettext_lazy("Arrange the inspection")

    def act(self, form):
        data = form.cleaned_data
        inspection_arrange(
            inspection=self.object,
            by=self.request.user,
            on=data.get("arranged_on"),
            place=data.get("place", ""),
            copy=data.get("copy"),
            answer=data.get("answer", ""),
        )

    def success_message(self):
        return _("The inspection is arranged; the owner sees the answer in the portal.")


class InspectionRefuseView(_InspectionAction):
    form_class = RefuseForm
    page_title = gettext_lazy("Refuse the request")

    def explanation(self):
        return [
            *super().explanation(),
            _(
                "Owners have the right to inspect these records (SPC interpretation on building ownership Art. 13). A "
                "request is refused only when the manager does not hold the record or has already provided it to this "
                "owner; other people's personal data is masked, not a reason to refuse."
            ),
        ]

    def act(self, form):
        data = form.cleaned_data
        inspection_refuse(inspection=self.object, by=self.request.user, reason=data["refusal_reason"], answer=data["answer"])

    def success_message(self):
        return _("The request is refused; the owner sees the reason in the portal.")


class InspectionDoneView(_InspectionAction):
    form_class = DoneForm
    page_title = gettext_lazy("Mark done")

    def act(self, form):
        inspection_done(inspection=self.object, by=self.request.user, note=form.cleaned_data.get("note", ""))

    def success_message(self):
        return _("The inspection is done.")
