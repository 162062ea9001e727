"""Back-office pages of billing that are more than a list: start a run and watch it, a bill and a
payment with their actions (record an offline payment, refund, void, write off), arrears with an
Excel export, the per-estate ledger.

Every page that loads one object looks it up through the user's scope first, so an object of
another estate is "not found" (404) before any permission is checked; then the permission decides
(403). Views parse a form, call one service and redirect or render.
"""

from __future__ import annotations

from io import BytesIO

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from estates.selectors import estates_visible_to, user_sees_everything
from estates.spreadsheets import Heading, append_header, xlsx_cell, xlsx_row

from . import selectors
from .forms import BillingRunStartForm, BillLookupForm, EstateChoiceForm, PaymentRecordForm, ReasonForm, RefundForm
from .ledger import ONLINE_METHODS
from .models import BillingRunStatus, InvoiceStatus
from .money import EXCEL_RMB_FORMAT
from .services import billing_runs_start_for, invoice_void, invoice_write_off, payment_record
from .services.refunds import payment_refund

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNPAID = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.OVERDUE)


def require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


class BillingPage(WagtailAdminTemplateMixin, TemplateView):
    header_icon = "doc-full"
    breadcrumbs_items: list[dict[str, str]] = []  # a plain header; these pages are reached from the billing lists


# --- billing runs -----------------------------------------------------------------------------


class BillingRunStartView(BillingPage):
    page_title = gettext_lazy("Start a billing run")
    template_name = "billing/admin/run_start.html"

    def dispatch(self, request, *args, **kwargs):
        require(request, "billing.add_billingrun")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        form = BillingRunStartForm(estates=estates_visible_to(user=request.user))
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request):
        visible = estates_visible_to(user=request.user)
        form = BillingRunStartForm(request.POST, estates=visible)
        if form.is_valid():
            estate = form.cleaned_data["estate"]
            if estate is not None:
                targets = [estate]
            elif user_sees_everything(request.user):
                targets = None  # one run over every estate
            else:
                targets = list(visible)
            try:
                runs = billing_runs_start_for(period=form.cleaned_data["period"], estates=targets, started_by=request.user)
            except ValidationError as exc:
                form.add_error("period", error_text(exc))
            else:
                messages.success(request, _("Billing started for %(count)d run(s).") % {"count": len(runs)})
                if len(runs) == 1:
                    return redirect("billing_billingrun:inspect", runs[0].pk)
                return redirect("billing_billingrun:index")
        return self.render_to_response(self.get_context_data(form=form))


def _run_or_404(request, pk):
    run = selectors.billing_runs_for_staff(user=request.user).filter(pk=pk).first()
    if run is None:
        raise Http404
    return run


class BillingRunDetailView(BillingPage):
    page_title = gettext_lazy("Billing run")
    template_name = "billing/admin/run_detail.html"

    def get(self, request, pk):
        run = _run_or_404(request, pk)
        require(request, "billing.view_billingrun")
        return self.render_to_response(
            self.get_context_data(
                run=run,
                progress=selectors.billing_run_progress(run=run),
                progress_url=reverse("billing_billingrun:progress", args=[run.pk]),
                running=run.status in (BillingRunStatus.QUEUED, BillingRunStatus.RUNNING),
            )
        )


def billing_run_progress_json(request, pk):
    """Polled by the run page: units done / total and the counts."""
    run = _run_or_404(request, pk)
    require(request, "billing.view_billingrun")
    return JsonResponse(selectors.billing_run_progress(run=run))


# --- bills ------------------------------------------------------------------------------------


def _invoice_or_404(request, pk):
    invoice = selectors.invoice_detail(user=request.user, pk=pk)
    if invoice is None:
        raise Http404
    return invoice


class InvoiceDetailView(BillingPage):
    page_title = gettext_lazy("Bill")
    template_name = "billing/admin/invoice_detail.html"

    def get(self, request, pk):
        invoice = _invoice_or_404(request, pk)
        require(request, "billing.view_invoice")
        user = request.user
        unpaid = invoice.status in UNPAID
        return self.render_to_response(
            self.get_context_data(
                invoice=invoice,
                can_pay=unpaid and user.has_perm("billing.add_payment"),
                can_void=unpaid and invoice.paid_amount == 0 and user.has_perm("billing.change_invoice"),
                can_write_off=unpaid and invoice.outstanding > 0 and user.has_perm("billing.change_invoice"),
            )
        )


class InvoiceReasonActionView(BillingPage):
    """Void or write off a bill: a reason, then the service."""

    template_name = "billing/admin/invoice_action.html"
    action = "void"

    def get_page_title(self):
        return _("Void bill") if self.action == "void" else _("Write off bill")

    def _load(self, request, pk):
        invoice = _invoice_or_404(request, pk)
        require(request, "billing.change_invoice")
        return invoice

    def get(self, request, pk):
        return self.render_to_response(
            self.get_context_data(invoice=self._load(request, pk), form=ReasonForm(), action=self.action)
        )

    def post(self, request, pk):
        invoice = self._load(request, pk)
        form = ReasonForm(request.POST)
        if form.is_valid():
            service = invoice_void if self.action == "void" else invoice_write_off
            try:
                service(invoice=invoice, reason=form.cleaned_data["reason"], by=request.user)
            except ValidationError as exc:
                form.add_error(None, error_text(exc))
            else:
                messages.success(request, _("Bill %(number)s updated.") % {"number": invoice.number})
                return redirect("billing_invoice:inspect", invoice.pk)
        return self.render_to_response(self.get_context_data(invoice=invoice, form=form, action=self.action))


# --- payments and refunds ---------------------------------------------------------------------


class PaymentRecordView(BillingPage):
    """Record cash or a bank transfer for one or more bills of one payer."""

    page_title = gettext_lazy("Record an offline payment")
    template_name = "billing/admin/payment_record.html"

    def dispatch(self, request, *args, **kwargs):
        require(request, "billing.add_payment")
        return super().dispatch(request, *args, **kwargs)

    def _anchor(self, request):
        raw = request.GET.get("invoice", "")
        if not raw:
            return None
        if not raw.isdigit():
            raise Http404
        return _invoice_or_404(request, int(raw))

    def get(self, request):
        if "number" in request.GET:
            lookup = BillLookupForm(request.GET)
            if lookup.is_valid():
                found = (
                    selectors.invoices_for_staff(user=request.user).filter(number=lookup.cleaned_data["number"].strip()).first()
                )
                if found:
                    return redirect(f"{reverse('billing_payment:add')}?invoice={found.pk}")
                lookup.add_error("number", _("No bill with this number in your estates."))
            return self.render_to_response(self.get_context_data(lookup=lookup))
        anchor = self._anchor(request)
        if anchor is None:
            return self.render_to_response(self.get_context_data(lookup=BillLookupForm()))
        choices = selectors.unpaid_invoices_like(user=request.user, invoice=anchor)
        form = PaymentRecordForm(
            invoices=choices, initial={"invoices": [anchor.pk], "payer_name": anchor.payer_name, "amount": anchor.outstanding}
        )
        return self.render_to_response(self.get_context_data(form=form, anchor=anchor))

    def post(self, request):
        anchor = self._anchor(request)
        if anchor is None:
            raise Http404
        form = PaymentRecordForm(request.POST, invoices=selectors.unpaid_invoices_like(user=request.user, invoice=anchor))
        if form.is_valid():
            data = form.cleaned_data
            try:
                payment = payment_record(
                    estate=anchor.estate,
                    invoices=list(data["invoices"]),
                    amount=data["amount"],
                    method=data["method"],
                    received_at=data["received_at"],
                    reference=data["reference"],
                    payer_name=data["payer_name"],
                    payer_user=anchor.payer_user,
                    recorded_by=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, error_text(exc))
            else:
                messages.success(request, _("Payment recorded, receipt %(number)s.") % {"number": payment.receipt.number})
                return redirect("billing_payment:inspect", payment.pk)
        return self.render_to_response(self.get_context_data(form=form, anchor=anchor))


def _payment_or_404(request, pk):
    payment = selectors.payment_detail(user=request.user, pk=pk)
    if payment is None:
        raise Http404
    return payment


class PaymentDetailView(BillingPage):
    page_title = gettext_lazy("Payment")
    template_name = "billing/admin/payment_detail.html"

    def get(self, request, pk):
        payment = _payment_or_404(request, pk)
        require(request, "billing.view_payment")
        refundable = payment.amount - payment.refunded_amount
        return self.render_to_response(
            self.get_context_data(
                payment=payment,
                receipt=getattr(payment, "receipt", None),
                refundable=refundable,
                can_refund=refundable > 0 and request.user.has_perm("billing.add_refund"),
            )
        )


class RefundView(BillingPage):
    page_title = gettext_lazy("Refund")
    template_name = "billing/admin/refund.html"

    def _load(self, request, pk):
        payment = _payment_or_404(request, pk)
        require(request, "billing.add_refund")
        return payment

    @staticmethod
    def _bills(payment):
        return [a.invoice for a in payment.allocations.select_related("invoice__payee").order_by("invoice__period", "invoice_id")]

    def _page(self, payment, form=None):
        refundable = payment.amount - payment.refunded_amount
        form = form or RefundForm(initial={"amount": refundable}, bills=self._bills(payment))
        online = payment.method in ONLINE_METHODS
        return self.render_to_response(self.get_context_data(payment=payment, refundable=refundable, form=form, online=online))

    def get(self, request, pk):
        return self._page(self._load(request, pk))

    def post(self, request, pk):
        payment = self._load(request, pk)
        bills = self._bills(payment)
        form = RefundForm(request.POST, bills=bills)
        if form.is_valid():
            data = form.cleaned_data
            try:
                # Not inside a transaction: an online refund calls the provider first (slow I/O).
                refund = payment_refund(
                    payment=payment,
                    amount=data["amount"],
                    reason=data["reason"],
                    by=request.user,
                    request_key=data["request_key"],
                    invoice=next((bill for bill in bills if bill.pk == data["bill"]), None),
                )
            except ValidationError as exc:
                form.add_error(None if exc.code == "provider" else "amount", error_text(exc))
            else:
                if refund.provider_refund_id:
                    messages.success(
                        request, _("Refunded through the payment provider (refund %(id)s).") % {"id": refund.provider_refund_id}
                    )
                else:
                    messages.success(request, _("Refund recorded."))
                return redirect("billing_payment:inspect", payment.pk)
        return self._page(payment, form)


# --- arrears ----------------------------------------------------------------------------------


def _estate_choice(request, *, required=False):
    visible = estates_visible_to(user=request.user)
    form = EstateChoiceForm(request.GET or None, estates=visible, required=required)
    if request.GET.get("estate") and not form.is_valid():
        raise Http404  # an estate outside the scope (or no estate at all)
    return form, (form.cleaned_data.get("estate") if form.is_bound and form.is_valid() else None)


class ArrearsView(BillingPage):
    page_title = gettext_lazy("Arrears")
    template_name = "billing/admin/arrears.html"
    header_icon = "warning"

    def get(self, request):
        require(request, "billing.view_invoice")
        form, estate = _estate_choice(request)
        rows = selectors.arrears_by_building(user=request.user, estate=estate)
        export_url = reverse("billing_arrears:export") + (f"?estate={estate.pk}" if estate else "")
        return self.render_to_response(
            self.get_context_data(form=form, rows=rows, totals=selectors.arrears_totals(rows), export_url=export_url)
        )


def arrears_export(request):
    """Arrears as an Excel workbook: one sheet per building summary, one with every unpaid bill."""
    from openpyxl import Workbook

    require(request, "billing.view_invoice")
    _form, estate = _estate_choice(request)
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet("按楼栋 By building")
    append_header(
        summary,
        [
            Heading("小区编号", gettext_lazy("Estate code")),
            Heading("小区", gettext_lazy("Estate")),
            Heading("楼栋", gettext_lazy("Building")),
            Heading("欠费户数", gettext_lazy("Units in arrears")),
            Heading("账单数", gettext_lazy("Bills")),
            Heading("逾期账单数", gettext_lazy("Overdue bills")),
            Heading("欠费金额（元）", gettext_lazy("Outstanding (CNY)")),
            Heading("最早应缴日期", gettext_lazy("Oldest due date")),
        ],
    )
    for row in selectors.arrears_by_building(user=request.user, estate=estate):
        summary.append(
            xlsx_row(
                summary,
                [
                    row["estate__code"],
                    row["estate__name"],
                    row["unit__building__number"] or "",
                    row["units"],
                    row["bills"],
                    row["overdue"],
                    xlsx_cell(summary, row["outstanding"], number_format=EXCEL_RMB_FORMAT),
                    row["oldest_due"],
                ],
            )
        )
    bills = workbook.create_sheet("账单 Bills")
    append_header(
        bills,
        [
            Heading("账单编号", gettext_lazy("Bill number")),
            Heading("小区", gettext_lazy("Estate")),
            Heading("楼栋", gettext_lazy("Building")),
            Heading("单元-房号", gettext_lazy("Entrance-unit")),
            Heading("缴费人", gettext_lazy("Payer")),
            Heading("账期", gettext_lazy("Period")),
            Heading("收费项目", gettext_lazy("Charge")),
            Heading("应缴金额（元）", gettext_lazy("Total (CNY)")),
            Heading("已缴金额（元）", gettext_lazy("Paid (CNY)")),
            Heading("欠费金额（元）", gettext_lazy("Outstanding (CNY)")),
            Heading("应缴日期", gettext_lazy("Due date")),
            Heading("状态", gettext_lazy("Status")),
        ],
    )
    for invoice in selectors.arrears_bills(user=request.user, estate=estate).iterator(chunk_size=2000):
        unit = invoice.unit
        bills.append(
            xlsx_row(
                bills,
                [
                    invoice.number,
                    invoice.estate.name,
                    unit.building.number if unit else "",
                    f"{unit.entrance}-{unit.number}" if unit else "",
                    invoice.payer_name,
                    f"{invoice.period:%Y-%m}",
                    str(invoice.get_charge_kind_display()),
                    xlsx_cell(bills, invoice.total, number_format=EXCEL_RMB_FORMAT),
                    xlsx_cell(bills, invoice.paid_amount, number_format=EXCEL_RMB_FORMAT),
                    xlsx_cell(bills, invoice.outstanding, number_format=EXCEL_RMB_FORMAT),
                    invoice.due_on,
                    str(invoice.get_status_display()),
                ],
            )
        )
    buffer = BytesIO()
    workbook.save(buffer)
    code = estate.code if estate else "all"
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="arrears-{code}-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


# --- ledger -----------------------------------------------------------------------------------


class LedgerView(BillingPage):
    page_title = gettext_lazy("Ledger")
    template_name = "billing/admin/ledger.html"
    header_icon = "list-ul"

    def get(self, request):
        require(request, "billing.view_ledgerentry")
        form, estate = _estate_choice(request)
        context = {"form": form, "estate": estate}
        if estate is not None:
            page = Paginator(selectors.ledger_entries(estate=estate), 50).get_page(request.GET.get("p"))
            fund = Paginator(selectors.maintenance_fund_by_unit(estate=estate), 50).get_page(request.GET.get("fp"))
            context.update(selectors.ledger_for_estate(estate=estate), page=page, fund=fund)
        return self.render_to_response(self.get_context_data(**context))
