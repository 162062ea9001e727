"""Pages of the owners' statements and payouts.

Portal: ``/portal/rentals/<agreement id>/statements/`` (the agreement's owner only; anyone else 404) and
``/portal/rentals/statements/<id>.pdf``. Back office (*Rentals (存房)*): *Owners' statements* and *Payouts to owners*,
scoped lists (staff of another estate 404), the statement's page and PDF, and *Record payout paid*.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from estates.admin_scoping import ScopedReadOnlyViewSet, estate_filterset

from .models import OwnerPayout, OwnerStatement, PayoutStatus
from .selectors.statements import agreements_of_owner, payouts_for_staff, statements_for_staff, statements_of_owner
from .services.statements import payout_record_paid
from .statement_pdf import statement_context, statement_pdf
from .viewsets import ActionView, RentalsViewSetGroup

# --- Portal -------------------------------------------------------------------------------------------------


@login_required
@require_GET
def portal_statements(request, pk: int):
    agreement = get_object_or_404(agreements_of_owner(user=request.user), pk=pk)
    statements = list(statements_of_owner(user=request.user).filter(agreement=agreement).order_by("-period")[:120])
    return render(request, "rentals/portal/statements.html", {"agreement": agreement, "statements": statements})


def _pdf_response(statement: OwnerStatement) -> HttpResponse:
    response = HttpResponse(statement_pdf(statement=statement), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{statement.agreement.number}-{statement.period:%Y%m}.pdf"'
    return response


@login_required
@require_GET
def portal_statement_pdf(request, pk: int):
    return _pdf_response(get_object_or_404(statements_of_owner(user=request.user), pk=pk))


# --- Back office --------------------------------------------------------------------------------------------


class StatementDetailView(WagtailAdminTemplateMixin, TemplateView):
    page_title = gettext_lazy("Owner's statement")
    template_name = "rentals/admin/statement.html"
    header_icon = "doc-full"

    def get(self, request, pk):
        statement = get_object_or_404(statements_for_staff(user=request.user), pk=pk)
        if not request.user.has_perm("rentals.view_ownerstatement"):
            raise PermissionDenied
        context = statement_context(statement)
        payout = context["payout"]
        context["record_paid_url"] = (
            reverse("rentals_payout:record_paid", args=[payout.pk])
            if payout is not None and payout.status == PayoutStatus.DUE and request.user.has_perm("rentals.change_ownerpayout")
            else ""
        )
        return self.render_to_response(self.get_context_data(**context))


def statement_download(request, pk):
    statement = get_object_or_404(statements_for_staff(user=request.user), pk=pk)
    if not request.user.has_perm("rentals.view_ownerstatement"):
        raise PermissionDenied
    return _pdf_response(statement)


class OwnerStatementViewSet(ScopedReadOnlyViewSet):
    """Owners' monthly statements of the agreements of the user's estates."""

    model = OwnerStatement
    icon = "doc-full"
    menu_label = gettext_lazy("Owners' statements")
    detail_view = staticmethod(StatementDetailView.as_view())
    list_display = ["agreement", "estate", "period", "mode", "rent_collected", "commission", "recovery", "payout"]
    list_select_related = ("estate", "agreement__unit__building")
    filterset_class = estate_filterset(OwnerStatement, model_fields=("mode",))
    ordering = ["-period", "agreement"]

    def extra_urls(self) -> list:
        return [path("pdf/<int:pk>/", statement_download, name="pdf")]


class PayoutPaidForm(forms.Form):
    paid_on = forms.DateField(label=gettext_lazy("Paid on"), widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label=gettext_lazy("Transfer reference"), max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["paid_on"].initial = timezone.localdate()


class PayoutPaidView(ActionView):
    model = OwnerPayout
    page_title = gettext_lazy("Record payout paid")
    permission = "rentals.change_ownerpayout"
    form_class = PayoutPaidForm
    header_icon = "doc-full"

    def act(self, form):
        payout_record_paid(payout=self.object, by=self.request.user, **form.cleaned_data)

    def success_url(self):
        return reverse("rentals_payout:index")


class PayoutDetailView(WagtailAdminTemplateMixin, TemplateView):
    page_title = gettext_lazy("Payout to an owner")
    template_name = "rentals/admin/payout.html"
    header_icon = "doc-full"

    def get(self, request, pk):
        payout = get_object_or_404(payouts_for_staff(user=request.user), pk=pk)
        if not request.user.has_perm("rentals.view_ownerpayout"):
            raise PermissionDenied
        may_record = payout.status == PayoutStatus.DUE and request.user.has_perm("rentals.change_ownerpayout")
        return self.render_to_response(
            self.get_context_data(
                payout=payout,
                overdue=payout.status == PayoutStatus.DUE and payout.due_on < timezone.localdate(),
                record_paid_url=reverse("rentals_payout:record_paid", args=[pk]) if may_record else "",
                statement_url=reverse("rentals_statement:inspect", args=[payout.statement_id]) if payout.statement_id else "",
            )
        )


class OwnerPayoutViewSet(ScopedReadOnlyViewSet):
    """The sublet mode's payouts of guaranteed rent to owners in the user's estates: due, then paid."""

    model = OwnerPayout
    icon = "doc-full"
    menu_label = gettext_lazy("Payouts to owners")
    detail_view = staticmethod(PayoutDetailView.as_view())
    list_display = ["agreement", "estate", "period", "amount", "payee", "due_on", "status", "paid_on"]
    list_select_related = ("estate", "agreement__unit__building", "payee")
    filterset_class = estate_filterset(OwnerPayout, model_fields=("status",))
    ordering = ["status", "due_on", "pk"]

    def extra_urls(self) -> list:
        return [path("paid/<int:pk>/", PayoutPaidView.as_view(), name="record_paid")]


RentalsViewSetGroup.items = (
    *RentalsViewSetGroup.items,
    OwnerStatementViewSet("rentals_statement", url_prefix="rentals/statement"),
    OwnerPayoutViewSet("rentals_payout", url_prefix="rentals/payout"),
)
