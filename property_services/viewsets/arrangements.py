"""Back-office screens of providers (firms, community centres, self-governance) and management arrangements.

An arrangement is started (and the previous one closed) by ``services.arrangement_start``; only its
contract details are edited afterwards (``services.arrangement_update_details``).
"""

import django_filters
from django import forms
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.log_actions import log

from estates.admin_scoping import ScopedAdminModelForm, ScopedCreateView, ScopedEditView, ScopedModelViewSet, estate_filterset
from estates.models import ManagementModel

from .. import admin_views, services
from ..models import ManagementArrangement, Provider, ProviderKind

ProviderFilterSet = estate_filterset(
    Provider, None, kind=django_filters.ChoiceFilter(choices=ProviderKind.choices, label=_("Kind"))
)


class ProviderViewSet(ScopedModelViewSet):
    model = Provider
    icon = "group"
    menu_label = _("Providers")
    list_display = ["name", "kind", "credit_code", "service_phone"]
    filterset_class = ProviderFilterSet
    search_fields = ["name", "credit_code"]
    inspect_view_fields = ["kind", "name", "credit_code", "address", "service_phone"]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("kind"), FieldPanel("credit_code")]),
            FieldPanel("name"),
            FieldPanel("address"),
            FieldPanel("service_phone"),
            InlinePanel("contacts", heading=_("Contacts"), label=_("Contact")),
        ],
        base_form_class=ScopedAdminModelForm,
    )

    def save_object(self, *, form, request, created):
        return services.provider_save(provider=form.save(commit=False))


# --- management arrangements ----------------------------------------------------------------------


ArrangementFilterSet = estate_filterset(
    ManagementArrangement,
    model=django_filters.ChoiceFilter(choices=ManagementModel.choices, label=_("Management model")),
    running=django_filters.BooleanFilter(field_name="ended_on", lookup_expr="isnull", label=_("Running")),
)


class ArrangementForm(ScopedAdminModelForm):
    """Starting an arrangement; the one in effect ends the day before (switching keeps the history)."""

    previous_dismissal_notice_on = forms.DateField(
        label=_("Written dismissal notice to the current firm served on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Needed when a property firm is dismissed before its term ends: at least 60 days before the new start."),
    )
    previous_end_reason = forms.CharField(label=_("Why the current arrangement ends"), required=False, max_length=200)

    class Meta:
        model = ManagementArrangement
        fields = [
            "estate",
            "model",
            "provider",
            "starts_on",
            "contract_until",
            "contract_reference",
            "authority_kind",
            "authority_reference",
            "authority_date",
            "authorising_matter",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "authorising_matter" in self.fields:
            self.fields["authorising_matter"].queryset = (
                self.fields["authorising_matter"].queryset.filter(passed=True).select_related("assembly")
            )


class ArrangementDetailsForm(ScopedAdminModelForm):
    class Meta:
        model = ManagementArrangement
        fields = ["contract_reference", "contract_until", "authority_reference"]


class ArrangementCreateView(ScopedCreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        rates = {}
        formset = self.form.formsets["fee_standards"]
        for child in formset.forms:
            if not child.cleaned_data or child.cleaned_data.get("DELETE"):
                continue
            rates[child.cleaned_data["unit_use"]] = child.cleaned_data["rate"]
        arrangement = services.arrangement_start(
            estate=data["estate"],
            model=data["model"],
            provider=data["provider"],
            starts_on=data["starts_on"],
            fee_rates=rates,
            authority_kind=data["authority_kind"],
            authority_reference=data["authority_reference"],
            authority_date=data["authority_date"],
            authorising_matter=data.get("authorising_matter"),
            contract_until=data.get("contract_until"),
            contract_reference=data.get("contract_reference", ""),
            dismissal_notice_on=data.get("previous_dismissal_notice_on"),
            end_reason=data.get("previous_end_reason", ""),
            by=self.request.user,
        )
        log(arrangement, "wagtail.create", user=self.request.user)
        return arrangement


class ArrangementEditView(ScopedEditView):
    def save_instance(self):
        data = self.form.cleaned_data
        arrangement = services.arrangement_update_details(
            arrangement=self.object,
            contract_reference=data.get("contract_reference", ""),
            contract_until=data.get("contract_until"),
            authority_reference=data.get("authority_reference", ""),
        )
        log(arrangement, "wagtail.edit", user=self.request.user)
        return arrangement


class ArrangementViewSet(ScopedModelViewSet):
    model = ManagementArrangement
    icon = "clipboard-list"
    menu_label = _("Management arrangements")
    list_display = [
        "estate",
        "model",
        "provider",
        "starts_on",
        "contract_until",
        "ended_on",
        Column("fee_summary", label=_("Fee standard (CNY/m²/month)")),
        "authority_reference",
    ]
    list_select_related = ("estate", "provider")
    list_prefetch_related = ("fee_standards",)
    filterset_class = ArrangementFilterSet
    search_fields = ["estate__name", "provider__name", "authority_reference"]
    add_view_class = ArrangementCreateView
    edit_view_class = ArrangementEditView
    delete_view_enabled = False
    inspect_view_fields = [
        "estate",
        "model",
        "provider",
        "starts_on",
        "contract_until",
        "ended_on",
        "contract_reference",
        "authority_kind",
        "authority_reference",
        "authority_date",
        "authorising_matter",
        "dismissal_notice_on",
        "end_reason",
        "fee_summary",
    ]
    edit_handler = ObjectList(
        [
            FieldPanel("estate"),
            FieldRowPanel([FieldPanel("model"), FieldPanel("provider")]),
            FieldRowPanel([FieldPanel("starts_on"), FieldPanel("contract_until"), FieldPanel("contract_reference")]),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("authority_kind"), FieldPanel("authority_date")]),
                    FieldPanel("authority_reference"),
                    FieldPanel("authorising_matter"),
                ],
                heading=_("Decision behind it"),
            ),
            InlinePanel("fee_standards", heading=_("Fee standards (CNY per m² per month)"), label=_("Fee standard"), min_num=1),
            MultiFieldPanel(
                [FieldPanel("previous_dismissal_notice_on"), FieldPanel("previous_end_reason")],
                heading=_("The arrangement it replaces"),
            ),
        ],
        base_form_class=ArrangementForm,
    )
    details_handler = ObjectList(
        [FieldPanel("contract_reference"), FieldPanel("contract_until"), FieldPanel("authority_reference")],
        base_form_class=ArrangementDetailsForm,
    )

    def get_edit_view_kwargs(self, **kwargs):
        handler = self.details_handler.bind_to_model(self.model)
        return super().get_edit_view_kwargs(panel=handler, form_class=handler.get_form_class(), **kwargs)

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("overview/", admin_views.ManagementOverviewView.as_view(), name="overview"),
        ]
