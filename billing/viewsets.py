"""Back-office lists of billing (Wagtail ViewSets), all scoped by estate.

Money records are never edited through a generic form: the lists are read-only, and every change
goes through a page that calls a service (start a run, record a payment, refund, void, write off).
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.urls import path
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSetGroup

from estates.admin_scoping import ScopedIndexView, ScopedInspectView, ScopedReadOnlyViewSet, estate_filterset
from estates.models import UnitUse
from estates.spreadsheets import Heading
from estates.unit_record import UnitRecordColumn, UnitRecordListColumn

from . import admin_views, audit, selectors
from .charges import charge_kind_choices
from .models import (
    BillingRun,
    BillingRunStatus,
    Invoice,
    InvoiceStatus,
    MoneyAudit,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    Receipt,
    Refund,
    Tariff,
)
from .money import EXCEL_RMB_FORMAT, format_rmb
from .payee_views import PayeeAssignmentViewSet, PayeeReconciliationView, PayeeViewSet, TransferViewSet
from .services import PERIOD_RE


class PeriodFilter(django_filters.CharFilter):
    """YYYY-MM → the bills of that month; anything else filters nothing out (and shows nothing)."""

    def filter(self, qs, value):
        if not value:
            return qs
        match = PERIOD_RE.match(value.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            return qs.none()
        return qs.filter(period__year=int(match.group(1)), period__month=int(match.group(2)))


InvoiceFilterSet = estate_filterset(
    Invoice,
    period=PeriodFilter(label=_("Period (YYYY-MM)")),
    status=django_filters.ChoiceFilter(choices=InvoiceStatus.choices, label=_("Status")),
    charge_kind=django_filters.ChoiceFilter(choices=charge_kind_choices, label=_("Charge")),
)


PaymentFilterSet = estate_filterset(Payment, method=django_filters.ChoiceFilter(choices=PaymentMethod.choices, label=_("Method")))


RefundFilterSet = estate_filterset(Refund, "payment__estate")


BillingRunFilterSet = estate_filterset(
    BillingRun, status=django_filters.ChoiceFilter(choices=BillingRunStatus.choices, label=_("Status"))
)


TariffFilterSet = estate_filterset(
    Tariff,
    charge_kind=django_filters.ChoiceFilter(choices=charge_kind_choices, label=_("Charge")),
    unit_use=django_filters.ChoiceFilter(choices=UnitUse.choices, label=_("Unit use")),
)


MoneyAuditFilterSet = estate_filterset(MoneyAudit, action=django_filters.CharFilter(label=_("Action")))


def _progress(run: BillingRun) -> str:
    """The same words as the run's own page: "3 of 10 units processed (30%)"."""
    return selectors.billing_run_progress(run=run)["texts"]["progress"]


class BillingRunViewSet(ScopedReadOnlyViewSet):
    model = BillingRun
    icon = "calendar-alt"
    menu_label = _("Billing runs")
    list_select_related = ("estate", "started_by")
    add_view = staticmethod(admin_views.BillingRunStartView.as_view())
    detail_view = staticmethod(admin_views.BillingRunDetailView.as_view())
    list_display = [
        "__str__",
        "status",
        Column("progress", label=_("Progress"), accessor=_progress),
        "invoices_created",
        "units_without_tariff",
        "units_without_owner",
        "created_at",
    ]
    filterset_class = BillingRunFilterSet

    @property
    def add_item_label(self):
        return _("Start a billing run")

    def extra_urls(self):
        return [path("progress/<int:pk>/", admin_views.billing_run_progress_json, name="progress")]


class InvoiceIndexView(ScopedIndexView):
    """Bills newest month first, and by number in the numbers' natural order (…-9 before …-10)."""

    def order_queryset(self, queryset):
        if self.ordering in ("number", "-number"):
            return selectors.invoices_in_number_order(queryset, descending=self.ordering == "-number")
        if not self.ordering:
            return selectors.invoices_in_number_order(queryset, period_first=True)
        return super().order_queryset(queryset)

    def generate_xlsx_row(self, worksheet, row_dict, date_format=None):
        """Amounts stay numbers (sums work, an import reads them back unchanged), shown as ¥1,234.50."""
        cells = super().generate_xlsx_row(worksheet, row_dict, date_format=date_format)
        for field, cell in zip(row_dict, cells, strict=True):
            if field in ("total", "paid_amount"):
                cell.number_format = EXCEL_RMB_FORMAT
            yield cell


def money_column(model, field_name: str) -> Column:
    """A list column writing an amount as ¥14,514.13 (billing.money.format_rmb), still sortable by the field."""
    label = model._meta.get_field(field_name).verbose_name
    return Column(field_name, label=label, sort_key=field_name, accessor=lambda obj: format_rmb(getattr(obj, field_name)))


class InvoiceViewSet(ScopedReadOnlyViewSet):
    model = Invoice
    icon = "doc-full"
    menu_label = _("Bills")
    index_view_class = InvoiceIndexView
    detail_view = staticmethod(admin_views.InvoiceDetailView.as_view())
    list_display = [
        "number",
        "estate",
        UnitRecordColumn("unit"),
        "payer_name",
        "period",
        "charge_kind",
        money_column(Invoice, "total"),
        money_column(Invoice, "paid_amount"),
        "status",
        "due_on",
    ]
    list_select_related = ("estate", "unit__building__estate")
    filterset_class = InvoiceFilterSet
    search_fields = ["number", "payer_name"]
    list_export = ["number", "estate", "unit", "payer_name", "period", "charge_kind", "total", "paid_amount", "status", "due_on"]
    export_headings = {
        "number": Heading("账单编号", _("Bill number")),
        "estate": Heading("小区", _("Estate")),
        "unit": Heading("房屋", _("Unit")),
        "payer_name": Heading("缴费人", _("Payer")),
        "period": Heading("账期", _("Period")),
        "charge_kind": Heading("收费项目", _("Charge")),
        "total": Heading("应缴金额（元）", _("Total (CNY)")),
        "paid_amount": Heading("已缴金额（元）", _("Paid (CNY)")),
        "status": Heading("状态", _("Status")),
        "due_on": Heading("应缴日期", _("Due date")),
    }

    def extra_urls(self):
        return [
            path("void/<int:pk>/", admin_views.InvoiceReasonActionView.as_view(action="void"), name="void"),
            path("write-off/<int:pk>/", admin_views.InvoiceReasonActionView.as_view(action="write_off"), name="write_off"),
        ]


def _receipt_number(payment: Payment) -> str:
    try:
        return payment.receipt.number
    except Receipt.DoesNotExist:
        return ""


class PaymentIndexView(ScopedIndexView):
    """Payments with the units whose bills each one paid: one query more, however many rows."""

    def get_base_queryset(self):
        allocations = PaymentAllocation.objects.select_related("invoice__unit__building").order_by("invoice__unit_id", "pk")
        return (
            super()
            .get_base_queryset()
            .prefetch_related(Prefetch("allocations", queryset=allocations, to_attr="list_allocations"))
        )


class PaymentViewSet(ScopedReadOnlyViewSet):
    model = Payment
    icon = "tick-inverse"
    menu_label = _("Payments")
    index_view_class = PaymentIndexView
    add_view = staticmethod(admin_views.PaymentRecordView.as_view())
    detail_view = staticmethod(admin_views.PaymentDetailView.as_view())
    list_display = [
        "__str__",
        "estate",
        "payer_name",
        UnitRecordListColumn("units", units=lambda payment: [a.invoice.unit for a in payment.list_allocations]),
        "received_at",
        Column("receipt", label=_("Receipt"), accessor=_receipt_number),
        "reference",
        money_column(Payment, "refunded_amount"),
    ]
    list_select_related = ("estate", "receipt")
    filterset_class = PaymentFilterSet
    search_fields = ["payer_name", "reference"]

    @property
    def add_item_label(self):
        return _("Record an offline payment")

    def extra_urls(self):
        return [path("refund/<int:pk>/", admin_views.RefundView.as_view(), name="refund")]


class RefundInspectView(ScopedInspectView):
    def get_amount_display_value(self):
        return format_rmb(self.object.amount)


class RefundViewSet(ScopedReadOnlyViewSet):
    model = Refund
    icon = "undo"
    menu_label = _("Refunds")
    list_display = ["__str__", "payment", "reason", "provider_refund_id", "created_by", "created_at"]
    list_select_related = ("payment__estate", "created_by")
    filterset_class = RefundFilterSet
    inspect_view_class = RefundInspectView
    inspect_view_fields = ["payment", "amount", "reason", "provider_refund_id", "created_by", "created_at"]


class TariffViewSet(ScopedReadOnlyViewSet):
    model = Tariff
    icon = "tag"
    menu_label = _("Tariffs")
    list_display = ["__str__", "unit_use", "basis", "rate", "valid_from", "valid_to", "source_label"]
    list_select_related = ("estate",)
    filterset_class = TariffFilterSet


def _audit_record(audit: MoneyAudit) -> str:
    model = audit.object_type.model_class() if audit.object_type_id else None
    return f"{model._meta.verbose_name} #{audit.object_id}" if model is not None else "—"


class MoneyAuditInspectView(ScopedInspectView):
    """One audit row as staff read it: what happened, to which record, each change as label and value."""

    def get_field_label(self, field_name, field):
        labels = {"action": _("What happened"), "object_id": _("Record"), "data": _("Changes")}
        return labels.get(field_name) or super().get_field_label(field_name, field)

    def get_action_display_value(self):
        return audit.action_label(self.object.action)

    def get_object_id_display_value(self):
        return _audit_record(self.object)

    def get_data_display_value(self):
        changes = audit.audit_changes(self.object.data)
        return format_html_join(mark_safe("<br>"), "{}: {}", changes) or "—"


class MoneyAuditViewSet(ScopedReadOnlyViewSet):
    model = MoneyAudit
    icon = "history"
    menu_label = _("Money audit")
    list_display = [
        Column("action", label=_("What happened"), accessor=lambda a: audit.action_label(a.action)),
        "estate",
        "user",
        Column("object_id", label=_("Record"), accessor=_audit_record),
        "at",
        Column("data", label=_("Changes"), accessor=lambda a: audit.audit_summary(a.data)),
    ]
    list_select_related = ("estate", "user", "object_type")
    filterset_class = MoneyAuditFilterSet
    inspect_view_class = MoneyAuditInspectView
    inspect_view_fields = ["at", "estate", "user", "action", "object_id", "data"]


class PermissionMenuViewSet(ViewSet):
    """A plain page in the billing menu, shown only to those holding `permission`."""

    permission = ""

    @property
    def menu_item_class(self):
        permission = self.permission
        return type(
            f"{self.__class__.__name__}MenuItem",
            (MenuItem,),
            {"is_shown": lambda item, request: request.user.has_perm(permission)},
        )


class ArrearsViewSet(PermissionMenuViewSet):
    icon = "warning"
    menu_label = _("Arrears")
    permission = "billing.view_invoice"

    def get_urlpatterns(self):
        return [
            path("", admin_views.ArrearsView.as_view(), name="index"),
            path("export/", admin_views.arrears_export, name="export"),
        ]


class LedgerViewSet(PermissionMenuViewSet):
    icon = "list-ul"
    menu_label = _("Ledger")
    permission = "billing.view_ledgerentry"

    def get_urlpatterns(self):
        return [path("", admin_views.LedgerView.as_view(), name="index")]


class ReconciliationViewSet(PermissionMenuViewSet):
    icon = "tasks"
    menu_label = _("Reconciliation")
    permission = "billing.view_transfer"

    def get_urlpatterns(self):
        return [path("", PayeeReconciliationView.as_view(), name="index")]


class BillingViewSetGroup(ModelViewSetGroup):
    menu_label = _("Billing")
    menu_icon = "doc-full"
    menu_order = 160
    items = (
        BillingRunViewSet("billing_billingrun", url_prefix="billing/billingrun"),
        InvoiceViewSet("billing_invoice", url_prefix="billing/invoice"),
        PaymentViewSet("billing_payment", url_prefix="billing/payment"),
        RefundViewSet("billing_refund", url_prefix="billing/refund"),
        ArrearsViewSet("billing_arrears", url_prefix="billing/arrears"),
        LedgerViewSet("billing_ledger", url_prefix="billing/ledger"),
        TariffViewSet("billing_tariff", url_prefix="billing/tariff"),
        PayeeViewSet("billing_payee", url_prefix="billing/payee"),
        PayeeAssignmentViewSet("billing_payeeassignment", url_prefix="billing/payeeassignment"),
        TransferViewSet("billing_transfer", url_prefix="billing/transfer"),
        ReconciliationViewSet("billing_reconcile", url_prefix="billing/reconcile"),
        MoneyAuditViewSet("billing_moneyaudit", url_prefix="billing/moneyaudit"),
    )
