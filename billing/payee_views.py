"""Back office of payees: who receives each kind of an estate's money, their accounts at the payment
provider (onboarding, status), the transfers to them, and the reconciliation per payee.

Every screen is scoped by estate (estates.admin_scoping): staff see and name payees of their own
estates only; another estate's payee is not found (404), and a payee of another estate cannot be
chosen for this estate's money (the form's choices are narrowed and the service refuses it too).
"""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column

from accounts.errors import refuse
from estates.admin_scoping import ScopedAdminModelForm, ScopedModelViewSet, ScopedReadOnlyViewSet, estate_filterset
from estates.selectors import scope_queryset

from .admin_views import BillingPage, _estate_choice, error_text, require
from .models import Payee, PayeeAssignment, PayeeMoney, Transfer
from .money import format_rmb
from .providers import get_provider
from .services.payees import payee_assign, payee_onboarding_url, payee_save, payee_status_refresh
from .services.reconcile import payees_reconcile

PayeeFilterSet = estate_filterset(Payee)
PayeeAssignmentFilterSet = estate_filterset(
    PayeeAssignment, money=django_filters.ChoiceFilter(choices=PayeeMoney.choices, label=_("Kind of money"))
)
TransferFilterSet = estate_filterset(Transfer)


def _onboard_link(payee: Payee) -> str:
    label = _("Complete the account") if payee.account_id else _("Open an account")
    if payee.takes_online_payments:
        label = _("Account details")
    return format_html('<a href="{}">{}</a>', reverse("billing_payee:onboard", args=[payee.pk]), label)


def _payee_or_404(request, pk: int) -> Payee:
    payee = scope_queryset(Payee.objects.select_related("estate"), user=request.user).filter(pk=pk).first()
    if payee is None:
        raise Http404
    return payee


class PayeeViewSet(ScopedModelViewSet):
    """Payees of the user's estates; their provider status comes from the provider, never from the form."""

    model = Payee
    icon = "user"
    menu_label = _("Payees")
    list_select_related = ("estate",)
    list_display = [
        "legal_name",
        "estate",
        "account_id",
        BooleanColumn("charges_enabled", label=_("can take payments")),
        BooleanColumn("payouts_enabled", label=_("can be paid out")),
        BooleanColumn("supervised", label=_("supervised account")),
        "status_checked_at",
        Column("onboard", label=_("Payment account"), accessor=lambda payee: _onboard_link(payee)),
    ]
    filterset_class = PayeeFilterSet
    search_fields = ["legal_name", "account_id"]
    inspect_view_fields = [
        "estate",
        "legal_name",
        "provider",
        "account_id",
        "supervised",
        "supervising_bank",
        "charges_enabled",
        "payouts_enabled",
        "details_submitted",
        "status_checked_at",
    ]
    edit_handler = ObjectList(
        [
            FieldPanel("estate"),
            FieldPanel("legal_name"),
            FieldPanel("account_id"),
            FieldPanel("supervised"),
            FieldPanel("supervising_bank"),
        ],
        base_form_class=ScopedAdminModelForm,
    )

    def save_object(self, *, form, request, created):
        data = form.cleaned_data
        payee = payee_save(
            estate=data["estate"],
            legal_name=data["legal_name"],
            account_id=data.get("account_id", ""),
            payee=None if created else form.instance,
            by=request.user,
            supervised=data.get("supervised", False),
            supervising_bank=data.get("supervising_bank", ""),
        )
        if payee.account_id:
            try:
                payee_status_refresh(payee=payee)
            except ValidationError as exc:
                messages.warning(request, error_text(exc))
        return payee

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("onboard/<int:pk>/", onboarding_start, name="onboard"),
            path("onboarded/<int:pk>/", onboarding_return, name="onboarded"),
        ]


class OnboardingPage(BillingPage):
    page_title = _("Payment account of a payee")
    template_name = "billing/admin/payee_onboard.html"
    header_icon = "user"


def onboarding_start(request, pk: int):
    """GET: what opening the account means, with the button. POST: open (or complete) the payee's
    account at the provider and go there."""
    payee = _payee_or_404(request, pk)
    require(request, "billing.change_payee")
    if request.method != "POST":
        return OnboardingPage.as_view(extra_context={"payee": payee})(request)
    back = request.build_absolute_uri(reverse("billing_payee:onboarded", args=[payee.pk]))
    try:
        url = payee_onboarding_url(payee=payee, refresh_url=back, return_url=back)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("billing_payee:inspect", payee.pk)
    return HttpResponseRedirect(url)


def onboarding_return(request, pk: int):
    """Where the provider sends the payee's representative back: read the account's status now."""
    payee = _payee_or_404(request, pk)
    require(request, "billing.view_payee")
    try:
        payee = payee_status_refresh(payee=payee)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        if payee.takes_online_payments:
            messages.success(request, _("%(payee)s can now take online payments.") % {"payee": payee.legal_name})
        else:
            messages.warning(
                request,
                _("%(payee)s cannot take online payments yet: the provider still needs details.") % {"payee": payee.legal_name},
            )
    return redirect("billing_payee:inspect", payee.pk)


class PayeeAssignmentForm(ScopedAdminModelForm):
    class Meta:
        model = PayeeAssignment
        fields = ["estate", "money", "payee", "valid_from", "note"]
        widgets = {"valid_from": forms.DateInput(attrs={"type": "date"})}


class PayeeAssignmentViewSet(ScopedModelViewSet):
    """Which payee receives which kind of money from which date. Rows are never edited: a change (a new
    manager) is a new row from its date, so bills issued before keep their payee."""

    model = PayeeAssignment
    icon = "date"
    menu_label = _("Payees of money")
    list_select_related = ("estate", "payee")
    list_display = ["estate", "money", "payee", "valid_from", "note", "created_at"]
    filterset_class = PayeeAssignmentFilterSet
    inspect_view_fields = ["estate", "money", "payee", "valid_from", "note", "created_by", "created_at"]
    edit_handler = ObjectList(
        [FieldPanel("estate"), FieldPanel("money"), FieldPanel("payee"), FieldPanel("valid_from"), FieldPanel("note")],
        base_form_class=PayeeAssignmentForm,
    )

    def save_object(self, *, form, request, created):
        if not created:
            raise refuse(
                "收款方指定不能修改：请从新的日期起另行指定",
                "A payee's period is not edited: name the new payee from its own date.",
                code="immutable",
            )
        data = form.cleaned_data
        return payee_assign(
            estate=data["estate"],
            money=data["money"],
            payee=data["payee"],
            valid_from=data["valid_from"],
            note=data.get("note", ""),
            by=request.user,
        )


class TransferViewSet(ScopedReadOnlyViewSet):
    model = Transfer
    icon = "resubmit"
    menu_label = _("Transfers to payees")
    list_select_related = ("estate", "payee", "payment")
    list_display = [
        "payee",
        "payment",
        Column("gross", label=_("bills paid (CNY)"), accessor=lambda t: format_rmb(t.gross)),
        Column("platform_fee", label=_("platform fee (CNY)"), accessor=lambda t: format_rmb(t.platform_fee)),
        Column("amount", label=_("transferred (CNY)"), accessor=lambda t: format_rmb(t.amount)),
        Column("reversed_amount", label=_("reversed (CNY)"), accessor=lambda t: format_rmb(t.reversed_amount)),
        "provider_transfer_id",
        "last_error",
        "created_at",
    ]
    filterset_class = TransferFilterSet


class ReconcileForm(forms.Form):
    since = forms.DateField(label=_("Since"), widget=forms.DateInput(attrs={"type": "date"}))


class PayeeReconciliationView(BillingPage):
    """The estate's payees against the provider: charges, transfers, reversals, refunds, and every difference."""

    page_title = _("Reconciliation with the payment provider")
    template_name = "billing/admin/reconcile.html"
    header_icon = "tasks"

    def get(self, request):
        require(request, "billing.view_transfer")
        form, estate = _estate_choice(request, required=False)
        since_form = ReconcileForm(request.GET or None, initial={"since": timezone.localdate() - datetime.timedelta(days=30)})
        since = timezone.localdate() - datetime.timedelta(days=30)
        if since_form.is_bound and since_form.is_valid():
            since = since_form.cleaned_data["since"]
        context = {"form": form, "since_form": since_form, "estate": estate, "since": since}
        if estate is not None:
            start = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
            context["report"] = payees_reconcile(estate_ids=[estate.pk], since=start, provider=get_provider("stripe"))
        return self.render_to_response(self.get_context_data(**context))
