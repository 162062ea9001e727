"""Back office of a lease's money (*Rentals → Rent & deposits*): the leases of the user's estates, and for each at
``/admin/rentals/leases/<id>/money/`` its bills with their status, the reminders with their cure dates, the
hand-back and the deposit's settlement, with the actions that call ``rentals.services.rent``.

Every page loads the lease in the user's scope first (404 outside it), then checks the permission (403), then calls
a service. Registered in the Rentals menu from this module (``RENT_VIEWSET`` is added to the group's items)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from billing.models import InvoiceStatus
from billing.statuses import UNPAID
from estates.selectors import scope_queryset

from .models import DepositCase, DepositSettlement, HandBack, Lease, LeaseStatus
from .rent_pdf import deposit_settlement_pdf
from .services import rent as rent_services
from .viewsets import ActionView, RentalsViewSetGroup

VIEW_PERMISSION = "rentals.view_depositsettlement"


def leases_for_staff(*, user):
    return scope_queryset(Lease.objects.all(), user=user).select_related("estate", "unit__building", "rent_payee", "agreement")


def _lease_or_404(request, pk: int, permission: str) -> Lease:
    lease = get_object_or_404(leases_for_staff(user=request.user), pk=pk)
    if not request.user.has_perm(permission):
        raise PermissionDenied
    return lease


class LeaseMoneyIndexView(WagtailAdminTemplateMixin, TemplateView):
    """The leases of the user's estates (newest first), each with a link to its money page. 50 a page."""

    page_title = gettext_lazy("Rent & deposits")
    template_name = "rentals/admin/lease_money_index.html"
    header_icon = "table"

    def get(self, request):
        if not request.user.has_perm(VIEW_PERMISSION):
            raise PermissionDenied
        leases = leases_for_staff(user=request.user).exclude(status__in=[LeaseStatus.DRAFT, LeaseStatus.CANCELLED])
        page = Paginator(leases.order_by("-start_on", "-pk"), 50).get_page(request.GET.get("p"))
        return self.render_to_response(self.get_context_data(page=page))


class LeaseMoneyView(WagtailAdminTemplateMixin, TemplateView):
    """One lease's money: bills, reminders with cure dates, hand-back, settlement. A fixed number of queries."""

    page_title = gettext_lazy("Rent & deposits")
    template_name = "rentals/admin/lease_money.html"
    header_icon = "table"

    def get(self, request, pk):
        lease = _lease_or_404(request, pk, VIEW_PERMISSION)
        today = timezone.localdate()
        bills = list(rent_services.lease_bills(lease).select_related("payee"))
        reminders = list(lease.reminders.select_related("invoice").order_by("-sent_on", "-pk"))
        reminded = {r.invoice_id for r in reminders}
        hand_back = HandBack.objects.filter(lease=lease).first()
        settlement = DepositSettlement.objects.filter(lease=lease).prefetch_related("deductions").first()
        user = request.user
        may_remind = user.has_perm("rentals.add_rentreminder")
        for bill in bills:
            bill.may_remind = (
                may_remind
                and bill.charge_kind == rent_services.RENT_KIND
                and bill.status in UNPAID
                and bill.due_on < today
                and bill.pk not in reminded
            )
        actions = []
        if hand_back is None and user.has_perm("rentals.add_handback") and _may_hand_back(lease, today):
            actions.append((_("Record the hand-back"), reverse("rentals_money:hand_back", args=[pk]), "hand-back"))
        if hand_back is not None and settlement is None and user.has_perm("rentals.add_depositsettlement"):
            actions.append((_("Settle the deposit"), reverse("rentals_money:settle", args=[pk]), "settle"))
        if (
            settlement is not None
            and settlement.returned_on is None
            and settlement.returned > 0
            and user.has_perm("rentals.change_depositsettlement")
        ):
            actions.append((_("Record the deposit's return"), reverse("rentals_money:returned", args=[pk]), "returned"))
        return self.render_to_response(
            self.get_context_data(
                lease=lease,
                bills=bills,
                reminders=reminders,
                hand_back=hand_back,
                hand_back_items=_hand_back_rows(hand_back),
                settlement=settlement,
                actions=actions,
                paid=InvoiceStatus.PAID,
            )
        )


def _may_hand_back(lease: Lease, today) -> bool:
    return lease.status in rent_services.HAND_BACK_STATUSES or (lease.status == LeaseStatus.ACTIVE and lease.last_day <= today)


def _hand_back_rows(hand_back: HandBack | None) -> list[tuple]:
    if hand_back is None:
        return []
    return [(rent_services.HAND_BACK_LABELS.get(r["item"], r["item"]), r["ok"], r["note"]) for r in hand_back.items]


class LeaseActionView(ActionView):
    model = Lease

    def dispatch(self, request, *args, **kwargs):
        self.object = _lease_or_404(request, kwargs["pk"], self.permission)
        return super(ActionView, self).dispatch(request, *args, **kwargs)

    def success_url(self):
        return reverse("rentals_money:lease", args=[self.object.pk])


class RemindView(LeaseActionView):
    """Send a reminder of one overdue rent bill of the lease (the bill must be the lease's: 404 otherwise)."""

    page_title = gettext_lazy("Send a reminder")
    permission = "rentals.add_rentreminder"

    def dispatch(self, request, *args, **kwargs):
        self.invoice_pk = kwargs["invoice_pk"]
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["invoice"] = self._invoice()
        return context

    def _invoice(self):
        invoice = rent_services.lease_bills(self.object).filter(pk=self.invoice_pk).first()
        if invoice is None:
            raise Http404
        return invoice

    def act(self, form):
        rent_services.rent_reminder_send(invoice=self._invoice(), by=self.request.user)


def _date_field(label):
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}))


def _reading_field(label):
    return forms.DecimalField(label=label, required=False, min_value=0, max_digits=10, decimal_places=2)


class HandBackForm(forms.Form):
    handed_back_on = _date_field(gettext_lazy("Handed back on"))
    keys_returned = forms.IntegerField(label=gettext_lazy("Keys and cards returned"), min_value=0, initial=0)
    water_reading = _reading_field(gettext_lazy("Water meter"))
    electricity_reading = _reading_field(gettext_lazy("Electricity meter"))
    gas_reading = _reading_field(gettext_lazy("Gas meter"))
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in rent_services.HAND_BACK_ITEMS:
            self.fields[f"{key}_ok"] = forms.BooleanField(
                label=_("%(item)s: in order") % {"item": label}, required=False, initial=True
            )
            self.fields[f"{key}_note"] = forms.CharField(
                label=_("%(item)s: what is wrong") % {"item": label}, required=False, max_length=500
            )

    def items(self) -> dict[str, tuple[bool, str]]:
        d = self.cleaned_data
        return {key: (d[f"{key}_ok"], d[f"{key}_note"]) for key, _label in rent_services.HAND_BACK_ITEMS}


class HandBackView(LeaseActionView):
    page_title = gettext_lazy("Record the hand-back")
    permission = "rentals.add_handback"
    form_class = HandBackForm

    def act(self, form):
        d = form.cleaned_data
        rent_services.hand_back_record(
            lease=self.object,
            handed_back_on=d["handed_back_on"],
            items=form.items(),
            keys_returned=d["keys_returned"],
            water_reading=d["water_reading"],
            electricity_reading=d["electricity_reading"],
            gas_reading=d["gas_reading"],
            note=d["note"],
            by=self.request.user,
        )


class DeductionForm(forms.Form):
    case = forms.ChoiceField(label=gettext_lazy("Case named in the lease"), choices=(), required=False)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)
    amount = forms.DecimalField(label=gettext_lazy("Amount (CNY)"), max_digits=10, decimal_places=2, required=False)

    def __init__(self, *args, cases=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].choices = [("", "—"), *[(c, DepositCase(c).label) for c in cases if c in DepositCase.values]]


class DeductionFormSet(forms.BaseFormSet):
    def rows(self) -> list[tuple[str, str, object]]:
        return [
            (f.cleaned_data["case"], f.cleaned_data["description"], f.cleaned_data["amount"])
            for f in self.forms
            if f.cleaned_data.get("case") or f.cleaned_data.get("description") or f.cleaned_data.get("amount") is not None
        ]


Deductions = forms.formset_factory(DeductionForm, formset=DeductionFormSet, extra=5, max_num=20)


class SettleView(LeaseActionView):
    """Deductions as rows of a formset (case of the lease, description, amount); empty rows are ignored."""

    page_title = gettext_lazy("Settle the deposit")
    permission = "rentals.add_depositsettlement"
    template_name = "rentals/admin/settle.html"

    def get_form(self):
        kwargs = {"prefix": "d", "form_kwargs": {"cases": self.object.deposit_cases or []}}
        return Deductions(self.request.POST, **kwargs) if self.request.method == "POST" else Deductions(**kwargs)

    def post(self, request, *args, **kwargs):
        formset = self.get_form()
        errors: list[str] = []
        if formset.is_valid():
            try:
                rent_services.deposit_settle(lease=self.object, deductions=formset.rows(), by=request.user)
            except ValidationError as exc:
                errors = exc.messages
            else:
                messages.success(request, _("Saved."))
                return redirect(self.success_url())
        return self.render_to_response(self.get_context_data(form=formset, errors=errors), status=400)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["deposit_paid"] = rent_services.deposit_paid(self.object)
        context["unpaid_rent"] = rent_services.unpaid_rent(self.object)
        return context


class ReturnForm(forms.Form):
    returned_on = _date_field(gettext_lazy("Returned on"))
    reference = forms.CharField(label=gettext_lazy("Reference of the return"), max_length=100)


class ReturnView(LeaseActionView):
    page_title = gettext_lazy("Record the deposit's return")
    permission = "rentals.change_depositsettlement"
    form_class = ReturnForm

    def act(self, form):
        settlement = DepositSettlement.objects.filter(lease=self.object).first()
        if settlement is None:
            raise Http404
        rent_services.deposit_return_record(settlement=settlement, by=self.request.user, **form.cleaned_data)


def deposit_pdf(request, pk):
    lease = _lease_or_404(request, pk, VIEW_PERMISSION)
    settlement = DepositSettlement.objects.filter(lease=lease).select_related("lease__hand_back").first()
    if settlement is None:
        raise Http404
    return pdf_response(settlement)


def pdf_response(settlement: DepositSettlement) -> HttpResponse:
    response = HttpResponse(deposit_settlement_pdf(settlement=settlement), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{settlement.lease.number}-deposit.pdf"'
    return response


class PermissionMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(VIEW_PERMISSION)


class RentMoneyViewSet(ViewSet):
    """Rent & deposits: the leases' money pages and their actions."""

    icon = "table"
    menu_label = gettext_lazy("Rent & deposits")

    def get_menu_item(self, order=None):
        return PermissionMenuItem(
            label=self.menu_label, url=self.menu_url, name=self.name, icon_name=self.menu_icon, order=order or 9000
        )

    def get_urlpatterns(self):
        return [
            path("", LeaseMoneyIndexView.as_view(), name="index"),
            path("<int:pk>/money/", LeaseMoneyView.as_view(), name="lease"),
            path("<int:pk>/money/remind/<int:invoice_pk>/", RemindView.as_view(), name="remind"),
            path("<int:pk>/money/hand-back/", HandBackView.as_view(), name="hand_back"),
            path("<int:pk>/money/settle/", SettleView.as_view(), name="settle"),
            path("<int:pk>/money/deposit-returned/", ReturnView.as_view(), name="returned"),
            path("<int:pk>/money/deposit.pdf", deposit_pdf, name="deposit_pdf"),
        ]


RENT_VIEWSET = RentMoneyViewSet("rentals_money", url_prefix="rentals/leases")
RentalsViewSetGroup.items = (*RentalsViewSetGroup.items, RENT_VIEWSET)
