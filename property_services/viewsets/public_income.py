"""Back-office screens of the owners' public income beyond the cost list and the statement page
(property_services.viewsets.parking): the estate's disclosure period, costs recorded while their
evidence is awaited (attach it, or withdraw the cost), a statement's own page, and the allocation of
an approved statement as the owners decided.

Every view loads its object within the user's estates first (404 outside them), then checks the
permission (403), then calls one service (property_services.services.public_income).
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import HeaderButton

from accounts.uploads import validate_pdf
from estates.admin_scoping import (
    ScopedAdminModelForm,
    ScopedIndexView,
    ScopedInspectView,
    ScopedModelViewSet,
    estate_filterset,
)
from estates.selectors import estates_visible_to, scope_queryset

from ..admin_views import RowButton, ScopedActionView
from ..models import (
    AllocationKind,
    AssemblyMatter,
    CostStatus,
    EstateSettings,
    PublicIncomeAllocation,
    PublicIncomeCost,
    PublicIncomeStatement,
    StatementStatus,
)
from ..selectors import allocation_view
from ..services import public_income

# --- the estate's disclosure period ------------------------------------------------------------------


class EstateSettingsViewSet(ScopedModelViewSet):
    """An estate's settings for property services: how often its public income is disclosed."""

    model = EstateSettings
    icon = "cog"
    menu_label = gettext_lazy("Estate settings")
    list_display = ["estate", "statement_period", "updated_at"]
    list_select_related = ("estate",)
    filterset_class = estate_filterset(EstateSettings)
    inspect_view_fields = ["estate", "statement_period", "updated_at"]
    edit_handler = ObjectList([FieldPanel("estate"), FieldPanel("statement_period")], base_form_class=ScopedAdminModelForm)

    def save_object(self, *, form, request, created):
        data = form.cleaned_data
        return public_income.estate_settings_save(
            estate=data["estate"], statement_period=data["statement_period"], by=request.user
        )


# --- costs awaiting their evidence -------------------------------------------------------------------


class CostProposeForm(forms.Form):
    estate = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Estate"))
    incurred_on = forms.DateField(label=gettext_lazy("Incurred on"), widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(label=gettext_lazy("What for"), max_length=200)
    amount = forms.DecimalField(label=gettext_lazy("Amount (CNY)"), max_digits=12, decimal_places=2)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["estate"].queryset = estates_visible_to(user=user)


class CostProposeView(WagtailAdminTemplateMixin, TemplateView):
    """Record a cost whose document is still to come: charged to nothing until its evidence is attached."""

    page_title = gettext_lazy("Record a cost awaiting its evidence")
    template_name = "property_services/admin/form_page.html"
    header_icon = "doc-empty"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("property_services.add_publicincomecost"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def _render(self, form, status=200):
        explanation = [
            _(
                "The cost is not charged to the owners' public income, and not in any statement, until its evidence "
                "(invoice, contract or receipt, as a PDF) is attached: whoever claims a cost must prove it."
            )
        ]
        return self.render_to_response(self.get_context_data(form=form, explanation=explanation), status=status)

    def get(self, request):
        return self._render(CostProposeForm(user=request.user))

    def post(self, request):
        form = CostProposeForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                public_income.cost_propose(
                    estate=data["estate"],
                    incurred_on=data["incurred_on"],
                    description=data["description"],
                    amount=data["amount"],
                    by=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
            else:
                messages.success(request, _("Recorded: it waits for its evidence and is charged to nothing until then."))
                return redirect(reverse("property_services_publicincomecost:index") + "?status=" + CostStatus.AWAITING_EVIDENCE)
        return self._render(form, status=400)


class EvidenceForm(forms.Form):
    evidence = forms.FileField(
        label=gettext_lazy("Evidence (PDF)"),
        validators=[validate_pdf],
        help_text=gettext_lazy("The invoice, contract or receipt that proves the cost."),
    )


class CostEvidenceView(ScopedActionView):
    """Attach a cost's document: the cost is claimed (posted to the ledger, counted in the statement)."""

    model = PublicIncomeCost
    permission = "property_services.add_publicincomecost"
    form_class = EvidenceForm
    page_title = gettext_lazy("Attach the evidence")
    header_icon = "doc-empty"

    def get_form(self):
        if self.request.method == "POST":
            return self.form_class(self.request.POST, self.request.FILES)
        return self.form_class()

    def explanation(self):
        cost = self.object
        return [
            f"{cost.estate.name} · {cost.incurred_on:%Y-%m-%d} · {cost.description} · ¥{cost.amount:.2f}",
            _("With its evidence the cost is charged to the owners' public income now and counted in this period's statement."),
        ]

    def act(self, form):
        public_income.cost_evidence_attach(cost=self.object, evidence=form.cleaned_data["evidence"], by=self.request.user)

    def success_message(self):
        return _("The evidence is attached: the cost is charged to the owners' public income.")

    def success_url(self):
        return reverse("property_services_publicincomecost:index")


class CostWithdrawView(ScopedActionView):
    """Withdraw a cost that never got its evidence (it was never charged)."""

    model = PublicIncomeCost
    permission = "property_services.add_publicincomecost"
    page_title = gettext_lazy("Withdraw the cost")
    header_icon = "doc-empty"

    def explanation(self):
        cost = self.object
        return [
            f"{cost.estate.name} · {cost.incurred_on:%Y-%m-%d} · {cost.description} · ¥{cost.amount:.2f}",
            _("A cost withdrawn without its evidence was never charged to the owners."),
        ]

    def act(self, form):
        public_income.cost_withdraw(cost=self.object, by=self.request.user)

    def success_message(self):
        return _("The cost is withdrawn.")

    def success_url(self):
        return reverse("property_services_publicincomecost:index")


def cost_row_buttons(cost: PublicIncomeCost, user) -> list:
    """ "Attach evidence" and "Withdraw" on the row of a cost awaiting its evidence."""
    if cost.status != CostStatus.AWAITING_EVIDENCE or not user.has_perm("property_services.add_publicincomecost"):
        return []
    return [
        RowButton(
            _("Attach evidence"),
            url=reverse("property_services_publicincomecost:evidence", args=[cost.pk]),
            attrs={"data-testid": f"cost-evidence-{cost.pk}"},
            priority=5,
        ),
        RowButton(
            _("Withdraw"),
            url=reverse("property_services_publicincomecost:withdraw", args=[cost.pk]),
            attrs={"data-testid": f"cost-withdraw-{cost.pk}"},
            priority=6,
        ),
    ]


class CostIndexView(ScopedIndexView):
    def get_list_more_buttons(self, instance):
        return super().get_list_more_buttons(instance) + cost_row_buttons(instance, self.request.user)

    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.request.user.has_perm("property_services.add_publicincomecost"):
            buttons.append(
                HeaderButton(
                    _("Record a cost awaiting its evidence"),
                    url=reverse("property_services_publicincomecost:propose"),
                    icon_name="doc-empty",
                )
            )
            buttons.append(
                HeaderButton(_("Statement"), url=reverse("property_services_publicincomecost:statement"), icon_name="tasks")
            )
        return buttons


class CostInspectView(ScopedInspectView):
    """A cost's page: its evidence is a link to the scoped download below, not the file's storage name."""

    def get_evidence_display_value(self):
        if not self.object.evidence:
            return _("Awaiting its evidence")
        url = reverse("property_services_publicincomecost:evidence_file", args=[self.object.pk])
        return format_html('<a href="{}" data-testid="cost-evidence-file">{}</a>', url, _("Download the evidence (PDF)"))


def cost_evidence_file(request, pk: int):
    """A cost's evidence for whoever may see the cost (404 outside the user's estates); never a public path."""
    cost = scope_queryset(PublicIncomeCost.objects.all(), user=request.user).filter(pk=pk).first()
    if cost is None or not cost.evidence:
        raise Http404
    if not request.user.has_perm("property_services.view_publicincomecost"):
        raise PermissionDenied
    return FileResponse(
        cost.evidence.open("rb"), content_type="application/pdf", as_attachment=True, filename=f"cost-{cost.pk}-evidence.pdf"
    )


# --- a statement's page and its allocation -----------------------------------------------------------


def _statement_or_404(request, pk: int) -> PublicIncomeStatement:
    statement = (
        scope_queryset(PublicIncomeStatement.objects.select_related("estate", "approved_by"), user=request.user)
        .filter(pk=pk)
        .first()
    )
    if statement is None:
        raise Http404
    return statement


class StatementDetailView(WagtailAdminTemplateMixin, TemplateView):
    """A statement as frozen: its figures, its allocation with each unit's share, and what can be done next."""

    page_title = gettext_lazy("Public income statement")
    template_name = "property_services/admin/statement_detail.html"
    header_icon = "clipboard-list"

    def get(self, request, pk):
        statement = _statement_or_404(request, pk)
        user = request.user
        if not user.has_perm("property_services.view_publicincomestatement"):
            raise PermissionDenied
        allocation = PublicIncomeAllocation.objects.filter(statement=statement).first()
        can_change = user.has_perm("property_services.change_publicincomestatement")
        return self.render_to_response(
            self.get_context_data(
                statement=statement,
                allocation=allocation_view(allocation=allocation) if allocation else None,
                can_approve=can_change and statement.status == StatementStatus.DRAFT,
                can_publish=can_change and statement.status == StatementStatus.APPROVED,
                can_allocate=allocation is None
                and statement.status == StatementStatus.APPROVED
                and user.has_perm("property_services.add_publicincomeallocation"),
            )
        )


def _resolutions(estate, kind: str):
    return (
        AssemblyMatter.objects.filter(
            assembly__estate=estate, passed=True, matter__in=[str(m) for m in public_income.ALLOCATION_MATTERS[kind]]
        )
        .select_related("assembly")
        .order_by("-assembly__meeting_on", "pk")
    )


class AllocationForm(forms.Form):
    """The amount allocated and its parts: into the fund, a named use, shared to the owners (each optional)."""

    amount = forms.DecimalField(label=gettext_lazy("Amount allocated (CNY)"), max_digits=14, decimal_places=2)
    fund_amount = forms.DecimalField(
        label=gettext_lazy("Into the maintenance fund (CNY)"), max_digits=14, decimal_places=2, required=False
    )
    fund_resolution = forms.ModelChoiceField(
        queryset=AssemblyMatter.objects.none(),
        required=False,
        label=gettext_lazy("Resolution (optional: the regulation's rule)"),
        help_text=gettext_lazy("物业管理条例 Art. 54: the owners' income goes mainly to the maintenance fund."),
    )
    use_amount = forms.DecimalField(label=gettext_lazy("A named use (CNY)"), max_digits=14, decimal_places=2, required=False)
    use_description = forms.CharField(label=gettext_lazy("The use"), max_length=200, required=False)
    use_resolution = forms.ModelChoiceField(
        queryset=AssemblyMatter.objects.none(),
        required=False,
        label=gettext_lazy("Resolution that decided the use (Art. 278 item 9)"),
    )
    owners_amount = forms.DecimalField(
        label=gettext_lazy("Shared to the owners by exclusive area (CNY)"), max_digits=14, decimal_places=2, required=False
    )
    owners_resolution = forms.ModelChoiceField(
        queryset=AssemblyMatter.objects.none(),
        required=False,
        label=gettext_lazy("Resolution that decided the sharing (Art. 278 item 9)"),
    )

    def __init__(self, *args, statement: PublicIncomeStatement, **kwargs):
        super().__init__(*args, **kwargs)
        estate = statement.estate
        self.fields["fund_resolution"].queryset = _resolutions(estate, AllocationKind.MAINTENANCE_FUND)
        self.fields["use_resolution"].queryset = _resolutions(estate, AllocationKind.NAMED_USE)
        self.fields["owners_resolution"].queryset = _resolutions(estate, AllocationKind.SHARED_TO_OWNERS)

    def parts(self) -> list[public_income.AllocationPart]:
        data = self.cleaned_data
        parts = []
        for prefix, kind in (
            ("fund", AllocationKind.MAINTENANCE_FUND),
            ("use", AllocationKind.NAMED_USE),
            ("owners", AllocationKind.SHARED_TO_OWNERS),
        ):
            amount = data.get(f"{prefix}_amount")
            if amount in (None, Decimal("0")):
                continue
            parts.append(
                public_income.AllocationPart(
                    kind=kind,
                    amount=amount,
                    description=data.get(f"{prefix}_description", "") or "",
                    resolution=data.get(f"{prefix}_resolution"),
                )
            )
        return parts


class AllocationRecordView(ScopedActionView):
    """Record how an approved statement's balance was allocated as the owners decided."""

    model = PublicIncomeStatement
    permission = "property_services.add_publicincomeallocation"
    form_class = AllocationForm
    page_title = gettext_lazy("Record the allocation")
    template_name = "property_services/admin/statement_allocate.html"
    header_icon = "clipboard-list"

    def get_form(self):
        data = self.request.POST if self.request.method == "POST" else None
        return self.form_class(data, statement=self.object, initial={"amount": max(self.object.closing, Decimal("0.00"))})

    def explanation(self):
        s = self.object
        return [
            f"{s.estate.name} · {s.starts_on:%Y-%m-%d} – {s.ends_on:%Y-%m-%d} · "
            + _("closing balance ¥%(closing)s") % {"closing": f"{s.closing:.2f}"},
            _(
                "Civil Code Art. 282: the income is the owners'. 物业管理条例 Art. 54: it goes mainly to the maintenance "
                "fund, and otherwise as the owners' assembly decides: a named use or a sharing cites the passed "
                "resolution (Art. 278 item 9). Shares are by exclusive area, to the fen (Art. 283)."
            ),
        ]

    def act(self, form):
        public_income.allocation_record(
            statement=self.object, amount=form.cleaned_data["amount"], parts=form.parts(), by=self.request.user
        )

    def success_message(self):
        return _("The allocation is recorded and posted.")

    def success_url(self):
        return reverse("property_services_publicincomestatement:inspect", args=[self.object.pk])
