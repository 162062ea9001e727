"""Back-office screens of owners' committees: saved through ``services.committee_save`` (filing, terms)."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, ObjectList

from estates.admin_scoping import ScopedAdminModelForm, ScopedModelViewSet, add_service_errors, estate_filterset

from .. import services
from ..models import OwnersCommittee

CommitteeFilterSet = estate_filterset(OwnersCommittee)


class CommitteeForm(ScopedAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "electing_matter" in self.fields:
            self.fields["electing_matter"].queryset = (
                self.fields["electing_matter"].queryset.filter(passed=True, matter="elect_committee").select_related("assembly")
            )

    def clean(self):
        data = super().clean()
        if data.get("elected_on") and data.get("term_ends_on"):
            try:
                services.committee_validate(
                    elected_on=data["elected_on"], term_ends_on=data["term_ends_on"], filed_on=data.get("filed_on")
                )
            except forms.ValidationError as exc:
                add_service_errors(self, exc)
        return data


class CommitteeViewSet(ScopedModelViewSet):
    model = OwnersCommittee
    icon = "group"
    menu_label = _("Owners' committees")
    list_display = ["__str__", "estate", "elected_on", "term_ends_on", "filed_on", "filing_status", "filing_reference"]
    list_select_related = ("estate",)
    filterset_class = CommitteeFilterSet
    search_fields = ["estate__name", "filing_reference"]
    inspect_view_fields = [
        "estate",
        "elected_on",
        "term_ends_on",
        "filed_on",
        "filing_status",
        "filing_reference",
        "electing_matter",
    ]
    edit_handler = ObjectList(
        [
            FieldPanel("estate"),
            FieldRowPanel([FieldPanel("elected_on"), FieldPanel("term_ends_on")]),
            FieldRowPanel([FieldPanel("filed_on"), FieldPanel("filing_reference")]),
            FieldPanel("electing_matter"),
            InlinePanel(
                "members",
                heading=_("Members"),
                label=_("Member"),
                panels=[
                    FieldPanel("owner"),
                    FieldPanel("role"),
                    FieldRowPanel([FieldPanel("term_starts_on"), FieldPanel("term_ends_on"), FieldPanel("left_on")]),
                ],
            ),
        ],
        base_form_class=CommitteeForm,
    )

    def save_object(self, *, form, request, created):
        return services.committee_save(committee=form.save(commit=False))
