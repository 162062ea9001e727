"""Back-office screens of the common parts: the car park (visitor tariff, stays the gates recorded, the
gates' key, spaces, permits, waiting list) and the leases of shops, advertising spots and sites.

The key is shown only to whoever may rotate it, and only on its own page; rotating it stops the old
one at once (the gates must be given the new one).
"""

import datetime
from decimal import Decimal

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from accounts.errors import refuse
from estates.admin_scoping import ScopedAdminModelForm, ScopedModelViewSet, ScopedReadOnlyViewSet, estate_filterset
from estates.selectors import estates_visible_to

from ..models import (
    CommonPartLease,
    CostStatus,
    EstateSettings,
    GateKey,
    MaintenanceFundUse,
    ParkingPermit,
    ParkingRate,
    ParkingSpace,
    ParkingStay,
    ParkingWaitlistEntry,
    PublicIncomeCost,
    PublicIncomeStatement,
)
from ..services.leases import lease_sign
from ..services.parking import gate_key_rotate, permit_issue
from ..services.public_income import (
    cost_claim,
    statement_compute,
    statement_next_due,
    statement_periods_offered,
)
from ..voting import Matter
from .fund import FundAccountsView, FundUseIndexView, FundUseInspectView, FundUsePublishView
from .public_income import (
    AllocationRecordView,
    CostEvidenceView,
    CostIndexView,
    CostInspectView,
    CostProposeView,
    CostWithdrawView,
    StatementDetailView,
    cost_evidence_file,
)


def _gate_key_link(estate_id: int) -> str:
    return format_html('<a href="{}">{}</a>', reverse("property_services_parkingrate:gate_key", args=[estate_id]), _("Gate key"))


class ParkingRateViewSet(ScopedModelViewSet):
    model = ParkingRate
    icon = "time"
    menu_label = _("Visitor parking tariffs")
    list_display = [
        "estate",
        "valid_from",
        "free_minutes",
        "first_fee",
        "interval_fee",
        "cap",
        "cap_window",
        "night_fee",
        Column("gate_key", label=_("Gate key"), accessor=lambda rate: _gate_key_link(rate.estate_id)),
    ]
    list_select_related = ("estate",)
    filterset_class = estate_filterset(ParkingRate)
    inspect_view_fields = [
        "estate",
        "valid_from",
        "free_minutes",
        "free_per",
        "first_minutes",
        "first_fee",
        "interval_minutes",
        "interval_fee",
        "cap",
        "cap_window",
        "night_start",
        "night_end",
        "night_fee",
        "grace_minutes",
    ]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("estate"), FieldPanel("valid_from")]),
            FieldRowPanel([FieldPanel("free_minutes"), FieldPanel("free_per")]),
            FieldRowPanel([FieldPanel("first_minutes"), FieldPanel("first_fee")]),
            FieldRowPanel([FieldPanel("interval_minutes"), FieldPanel("interval_fee")]),
            FieldRowPanel([FieldPanel("cap"), FieldPanel("cap_window")]),
            FieldRowPanel(
                [FieldPanel("night_start"), FieldPanel("night_end"), FieldPanel("night_fee")],
                heading=_("Night rate (optional)"),
            ),
            FieldPanel("grace_minutes"),
        ],
        base_form_class=ScopedAdminModelForm,
    )

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [path("gate-key/<int:estate_pk>/", GateKeyView.as_view(), name="gate_key")]


class ParkingStayViewSet(ScopedReadOnlyViewSet):
    model = ParkingStay
    icon = "list-ul"
    menu_label = _("Parking stays")
    list_display = ["plate", "estate", "entered_at", "left_at", "amount", "enter_gate", "leave_gate"]
    list_select_related = ("estate",)
    filterset_class = estate_filterset(ParkingStay)
    search_fields = ["plate"]


class GateKeyView(WagtailAdminTemplateMixin, TemplateView):
    """The estate's gate key, and the button that rotates it (POST)."""

    page_title = _("Gate key")
    template_name = "property_services/admin/gate_key.html"
    header_icon = "key"

    def _estate(self, request, estate_pk):
        estate = estates_visible_to(user=request.user).filter(pk=estate_pk).first()
        if estate is None:
            raise Http404
        if not request.user.has_perm("property_services.change_gatekey"):
            raise PermissionDenied
        return estate

    def get(self, request, estate_pk):
        estate = self._estate(request, estate_pk)
        key = GateKey.objects.filter(estate=estate).first()
        records_url = request.build_absolute_uri(reverse("property_services:gate_records", args=[estate.code]))
        return self.render_to_response(self.get_context_data(estate=estate, key=key, records_url=records_url))

    def post(self, request, estate_pk):
        estate = self._estate(request, estate_pk)
        gate_key_rotate(estate=estate)
        messages.success(request, _("A new gate key is in force; give it to the gates now (the old one no longer works)."))
        return redirect(reverse("property_services_parkingrate:gate_key", args=[estate.pk]))


class ParkingSpaceViewSet(ScopedModelViewSet):
    """The space register: planned spaces and spaces on common ground (the owners' common property, Art. 275)."""

    model = ParkingSpace
    icon = "table"
    menu_label = _("Parking spaces")
    list_display = ["code", "estate", "kind", "month_fee", "in_service"]
    list_select_related = ("estate",)
    filterset_class = estate_filterset(ParkingSpace)
    search_fields = ["code"]
    inspect_view_fields = ["estate", "code", "kind", "month_fee", "in_service"]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("estate"), FieldPanel("code")]),
            FieldPanel("kind"),
            FieldPanel("month_fee"),
            FieldPanel("in_service"),
        ],
        base_form_class=ScopedAdminModelForm,
    )


class PermitForm(ScopedAdminModelForm):
    class Meta:
        model = ParkingPermit
        fields = ["estate", "space", "plate", "owner", "holder_name", "period", "valid_from"]


class ParkingPermitViewSet(ScopedModelViewSet):
    """Permits are issued through ``permit_issue`` (owners first, no overlap, billed); never edited."""

    model = ParkingPermit
    icon = "tag"
    menu_label = _("Parking permits")
    list_display = ["plate", "space", "holder_name", "period", "valid_from", "valid_to"]
    list_select_related = ("space", "estate")
    filterset_class = estate_filterset(ParkingPermit)
    search_fields = ["plate", "holder_name"]
    inspect_view_fields = ["estate", "space", "plate", "holder_name", "period", "valid_from", "valid_to", "invoice_id"]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("estate"), FieldPanel("space")]),
            FieldRowPanel([FieldPanel("plate"), FieldPanel("period"), FieldPanel("valid_from")]),
            FieldRowPanel([FieldPanel("owner"), FieldPanel("holder_name")]),
        ],
        base_form_class=PermitForm,
    )

    def save_object(self, *, form, request, created):
        if not created:
            raise refuse("车卡发放后不能修改", "A permit is not edited once issued.", code="immutable")
        data = form.cleaned_data
        if data["space"].estate_id != data["estate"].pk:
            raise refuse("车位不属于该小区", "The space belongs to another estate.", code="other_estate")
        return permit_issue(
            space=data["space"],
            plate=data["plate"],
            period=data["period"],
            valid_from=data["valid_from"],
            owner=data.get("owner"),
            holder_name=data.get("holder_name", ""),
        )


class ParkingWaitlistViewSet(ScopedReadOnlyViewSet):
    model = ParkingWaitlistEntry
    icon = "order"
    menu_label = _("Parking waiting list")
    list_display = ["plate", "owner", "estate", "asked_at", "served_at", "withdrawn_at"]
    list_select_related = ("owner", "estate")
    filterset_class = estate_filterset(ParkingWaitlistEntry)


class LeaseForm(ScopedAdminModelForm):
    class Meta:
        model = CommonPartLease
        fields = [
            "estate",
            "asset",
            "lessee",
            "lessee_credit_code",
            "starts_on",
            "ends_on",
            "rent",
            "cycle",
            "deposit",
            "deposit_terms",
            "resolution",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "resolution" in self.fields:  # only what can approve a lease: passed Art. 278 item (8) resolutions
            field = self.fields["resolution"]
            field.queryset = field.queryset.filter(passed=True, matter=Matter.CHANGE_USE_OR_OPERATE_COMMON_PARTS)


class CommonPartLeaseViewSet(ScopedModelViewSet):
    """Leases are signed through ``leases.lease_sign`` (Art. 278 item (8) resolution, no overlap); never edited."""

    model = CommonPartLease
    icon = "doc-full-inverse"
    menu_label = _("Leases of common parts")
    list_display = ["asset", "lessee", "estate", "starts_on", "ends_on", "rent", "cycle", "resolution"]
    list_select_related = ("asset", "estate", "resolution__assembly")
    filterset_class = estate_filterset(CommonPartLease)
    search_fields = ["lessee"]
    inspect_view_fields = [
        "estate",
        "asset",
        "lessee",
        "lessee_credit_code",
        "starts_on",
        "ends_on",
        "rent",
        "cycle",
        "deposit",
        "deposit_terms",
        "resolution",
        "signed_at",
    ]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("estate"), FieldPanel("asset")]),
            FieldRowPanel([FieldPanel("lessee"), FieldPanel("lessee_credit_code")]),
            FieldRowPanel([FieldPanel("starts_on"), FieldPanel("ends_on")]),
            FieldRowPanel([FieldPanel("rent"), FieldPanel("cycle")]),
            FieldRowPanel([FieldPanel("deposit"), FieldPanel("deposit_terms")]),
            FieldPanel("resolution"),
        ],
        base_form_class=LeaseForm,
    )

    def save_object(self, *, form, request, created):
        if not created:
            raise refuse("租约签订后不能修改", "A lease is not edited once signed.", code="immutable")
        data = form.cleaned_data
        if data["asset"].estate_id != data["estate"].pk:
            raise refuse("该共有部分属于另一个小区", "The common part belongs to another estate.", code="other_estate")
        return lease_sign(
            asset=data["asset"],
            lessee=data["lessee"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            rent=data["rent"],
            cycle=data["cycle"],
            resolution=data["resolution"],
            deposit=data.get("deposit") or Decimal("0.00"),
            deposit_terms=data.get("deposit_terms", ""),
            lessee_credit_code=data.get("lessee_credit_code", ""),
        )


class PublicIncomeCostViewSet(ScopedModelViewSet):
    """Costs charged to the owners' public income: claimed only with their evidence (a PDF); never edited.
    A cost recorded without it (``propose/``) awaits it and is charged to nothing until it is attached."""

    model = PublicIncomeCost
    icon = "doc-empty"
    menu_label = _("Public income costs")
    index_view_class = CostIndexView
    inspect_view_class = CostInspectView
    list_display = ["incurred_on", "description", "amount", "estate", "status", "claimed_by"]
    list_select_related = ("estate", "claimed_by")
    filterset_class = estate_filterset(
        PublicIncomeCost, status=django_filters.ChoiceFilter(choices=CostStatus.choices, label=_("Status"))
    )
    inspect_view_fields = [
        "estate",
        "incurred_on",
        "description",
        "amount",
        "status",
        "evidence",
        "claimed_by",
        "claimed_at",
        "created_at",
    ]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("estate"), FieldPanel("incurred_on")]),
            FieldRowPanel([FieldPanel("description"), FieldPanel("amount")]),
            FieldPanel("evidence"),
        ],
        base_form_class=ScopedAdminModelForm,
    )

    def save_object(self, *, form, request, created):
        if not created:
            raise refuse("已记录的费用不能修改", "A recorded cost is not edited.", code="immutable")
        data = form.cleaned_data
        return cost_claim(
            estate=data["estate"],
            incurred_on=data["incurred_on"],
            description=data["description"],
            amount=data["amount"],
            evidence=data.get("evidence"),
            by=request.user,
        )

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("statement/", PublicIncomeStatementView.as_view(), name="statement"),
            path("propose/", CostProposeView.as_view(), name="propose"),
            path("evidence/<int:pk>/", CostEvidenceView.as_view(), name="evidence"),
            path("withdraw/<int:pk>/", CostWithdrawView.as_view(), name="withdraw"),
            path("evidence-file/<int:pk>/", cost_evidence_file, name="evidence_file"),
        ]


def _period_value(period: tuple[datetime.date, datetime.date]) -> str:
    return f"{period[0]:%Y-%m-%d}/{period[1]:%Y-%m-%d}"


class StatementForm(forms.Form):
    """One of the estate's disclosure periods (its setting: quarterly, half-yearly or yearly)."""

    period = forms.ChoiceField(label=_("Period"))

    def __init__(self, *args, periods: list[tuple[datetime.date, datetime.date]], **kwargs):
        super().__init__(*args, **kwargs)
        self.periods = {_period_value(p): p for p in periods}
        self.fields["period"].choices = [
            (value, f"{starts_on:%Y-%m-%d} – {ends_on:%Y-%m-%d}") for value, (starts_on, ends_on) in self.periods.items()
        ]

    @property
    def chosen(self) -> tuple[datetime.date, datetime.date]:
        return self.periods[self.cleaned_data["period"]]


class PublicIncomeStatementView(WagtailAdminTemplateMixin, TemplateView):
    """A period's statement of an estate's public income: opening balance, income by source, costs, net,
    closing, and its allocation and the balance after it. The periods offered are the estate's (its
    setting); the page opens on the period whose statement is due next. POST: freeze it as a draft for
    the committee to approve."""

    def post(self, request):
        from ..services.public_income import statement_draft

        if not request.user.has_perm("property_services.add_publicincomestatement"):
            raise PermissionDenied
        estate = estates_visible_to(user=request.user).filter(pk=request.POST.get("estate") or 0).first()
        if estate is None:
            raise Http404
        form = StatementForm(request.POST, periods=statement_periods_offered(estate=estate, today=timezone.localdate()))
        if not form.is_valid():
            messages.error(request, _("Choose one of the estate's periods."))
            return redirect(reverse("property_services_publicincomecost:statement") + f"?estate={estate.pk}")
        starts_on, ends_on = form.chosen
        try:
            statement = statement_draft(estate=estate, starts_on=starts_on, ends_on=ends_on)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(reverse("property_services_publicincomecost:statement") + f"?estate={estate.pk}")
        messages.success(request, _("Drafted: the committee approves it, then it is published."))
        return redirect("property_services_publicincomestatement:inspect", statement.pk)

    page_title = _("Public income statement")
    template_name = "property_services/admin/public_income_statement.html"
    header_icon = "tasks"

    def get(self, request):
        if not request.user.has_perm("property_services.view_publicincomecost"):
            raise PermissionDenied
        estates = estates_visible_to(user=request.user)
        estate = None
        if request.GET.get("estate"):
            estate = estates.filter(pk=request.GET["estate"]).first() if request.GET["estate"].isdigit() else None
            if estate is None:
                raise Http404
        form, statement, due, drafted = None, None, None, None
        if estate is not None:
            today = timezone.localdate()
            due = statement_next_due(estate=estate, today=today)
            periods = statement_periods_offered(estate=estate, today=today)
            if (due.starts_on, due.ends_on) not in periods:
                periods.append((due.starts_on, due.ends_on))
            form = StatementForm(
                request.GET if "period" in request.GET else None,
                periods=periods,
                initial={"period": _period_value((due.starts_on, due.ends_on))},
            )
            starts_on, ends_on = form.chosen if form.is_bound and form.is_valid() else (due.starts_on, due.ends_on)
            statement = statement_compute(estate=estate, starts_on=starts_on, ends_on=ends_on)
            drafted = PublicIncomeStatement.objects.filter(estate=estate, starts_on=starts_on, ends_on=ends_on).first()
        return self.render_to_response(
            self.get_context_data(
                estates=estates,
                estate=estate,
                form=form,
                statement=statement,
                due=due,
                drafted=drafted,
                setting=EstateSettings.for_estate(estate) if estate else None,
            )
        )


class PublicIncomeStatementViewSet(ScopedReadOnlyViewSet):
    """Statements of public income: drafted by staff from the statement page, approved by the committee
    (or the sub-district office without one), allocated as the owners decided and published as a notice
    with its PDF, each by a button on the statement's page."""

    model = PublicIncomeStatement
    icon = "clipboard-list"
    menu_label = _("Public income statements")
    list_display = ["estate", "starts_on", "ends_on", "income_total", "costs_total", "closing", "status"]
    list_select_related = ("estate",)
    filterset_class = estate_filterset(PublicIncomeStatement)
    detail_view = staticmethod(StatementDetailView.as_view())

    def extra_urls(self) -> list:
        return [
            path("act/<int:pk>/", statement_act, name="act"),
            path("allocate/<int:pk>/", AllocationRecordView.as_view(), name="allocate"),
        ]


def statement_act(request, pk: int):
    """POST action=approve|publish on one statement of the user's estates."""
    from ..services.public_income import statement_approve, statement_publish

    statement = (
        PublicIncomeStatement.objects.filter(estate__in=estates_visible_to(user=request.user))
        .select_related("estate")
        .filter(pk=pk)
        .first()
    )
    if statement is None:
        raise Http404
    if request.method != "POST":
        return redirect("property_services_publicincomestatement:inspect", statement.pk)
    if not request.user.has_perm("property_services.change_publicincomestatement"):
        raise PermissionDenied
    try:
        if request.POST.get("action") == "approve":
            statement_approve(statement=statement, by=request.user)
            messages.success(request, _("The statement is approved."))
        elif request.POST.get("action") == "publish":
            statement_publish(statement=statement, by=request.user)
            messages.success(request, _("The statement is published as a notice of the estate, with its PDF."))
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("property_services_publicincomestatement:inspect", statement.pk)


class FundUseForm(ScopedAdminModelForm):
    class Meta:
        model = MaintenanceFundUse
        fields = ["estate", "title", "amount", "used_on", "building", "resolution", "emergency_reason"]
        widgets = {"used_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "resolution" in self.fields:  # only what can approve a use: passed Art. 278 item (5) resolutions
            field = self.fields["resolution"]
            field.queryset = field.queryset.filter(passed=True, matter=Matter.USE_MAINTENANCE_FUND)


class MaintenanceFundUseViewSet(ScopedModelViewSet):
    """Uses of the maintenance fund, recorded through ``fund.fund_use_record``; never edited."""

    model = MaintenanceFundUse
    icon = "cogs"
    menu_label = _("Maintenance fund uses")
    index_view_class = FundUseIndexView
    inspect_view_class = FundUseInspectView
    list_display = [
        "used_on",
        "title",
        "amount",
        "estate",
        "building",
        "resolution",
        "emergency_reason",
        BooleanColumn("is_published", label=_("Published")),
    ]
    list_select_related = ("estate", "building", "resolution__assembly")
    filterset_class = estate_filterset(MaintenanceFundUse)
    inspect_view_fields = ["estate", "title", "amount", "used_on", "building", "resolution", "emergency_reason", "recorded_by"]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("estate"), FieldPanel("used_on")]),
            FieldRowPanel([FieldPanel("title"), FieldPanel("amount")]),
            FieldPanel("building"),
            FieldPanel("resolution"),
            FieldPanel("emergency_reason"),
        ],
        base_form_class=FundUseForm,
    )

    def save_object(self, *, form, request, created):
        from ..services.fund import fund_use_record

        if not created:
            raise refuse("已记录的使用不能修改", "A recorded use is not edited.", code="immutable")
        data = form.cleaned_data
        return fund_use_record(
            estate=data["estate"],
            title=data["title"],
            amount=data["amount"],
            used_on=data["used_on"],
            resolution=data.get("resolution"),
            emergency_reason=data.get("emergency_reason", ""),
            building=data.get("building"),
            by=request.user,
        )

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("accounts/", FundAccountsView.as_view(), name="accounts"),
            path("publish/<int:pk>/", FundUsePublishView.as_view(), name="publish"),
        ]
