"""Back-office forms of billing. They parse input; the services decide and change state."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from estates.models import Estate

from .models import Invoice, PaymentMethod
from .money import format_rmb

OFFLINE_METHODS = [
    (PaymentMethod.CASH.value, PaymentMethod.CASH.label),
    (PaymentMethod.BANK_TRANSFER.value, PaymentMethod.BANK_TRANSFER.label),
]


class BillingRunStartForm(forms.Form):
    period = forms.RegexField(
        label=_("Period"),
        regex=r"^\d{4}-\d{2}$",
        max_length=7,
        help_text=_("The month to bill, YYYY-MM. At most next month."),
        error_messages={"invalid": _("Write the period as YYYY-MM, e.g. 2026-11.")},
    )
    estate = forms.ModelChoiceField(
        label=_("Estate"),
        queryset=Estate.objects.none(),
        required=False,
        empty_label=_("All estates I look after"),
    )

    def __init__(self, *args, estates=None, **kwargs):
        super().__init__(*args, **kwargs)
        if estates is not None:
            cast(forms.ModelChoiceField, self.fields["estate"]).queryset = estates
        if not self.is_bound:
            self.initial.setdefault("period", f"{timezone.localdate():%Y-%m}")


class BillsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Invoice) -> str:
        return f"{obj.number} · {obj.period:%Y-%m} {obj.get_charge_kind_display()} · {format_rmb(obj.outstanding)}"


class PaymentRecordForm(forms.Form):
    invoices = BillsField(
        label=_("Bills"),
        queryset=Invoice.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The payment settles the oldest bill first."),
    )
    amount = forms.DecimalField(label=_("Amount (CNY)"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    method = forms.ChoiceField(label=_("Method"), choices=OFFLINE_METHODS)
    received_at = forms.DateTimeField(label=_("Received at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    reference = forms.CharField(
        label=_("Reference"),
        max_length=255,
        required=False,
        help_text=_("Bank transfer number or cash slip number. The same reference is never recorded twice."),
    )
    payer_name = forms.CharField(label=_("Payer name"), max_length=100)

    def __init__(self, *args, invoices, **kwargs):
        super().__init__(*args, **kwargs)
        cast(BillsField, self.fields["invoices"]).queryset = invoices
        if not self.is_bound:
            self.initial.setdefault("received_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))

    def clean_received_at(self):
        value = self.cleaned_data["received_at"]
        if value > timezone.now() + datetime.timedelta(minutes=5):
            raise forms.ValidationError(_("The payment cannot be received in the future."))
        return value


class BillLookupForm(forms.Form):
    number = forms.CharField(label=_("Bill number"), max_length=40)


class RefundForm(forms.Form):
    bill = forms.TypedChoiceField(
        label=_("Bill"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Refund one bill only; its payee gives back what it received for it."),
    )
    amount = forms.DecimalField(label=_("Amount (CNY)"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    reason = forms.CharField(label=_("Reason"), max_length=200)
    # One key per form shown: posting the same form twice (a double click, a resend) refunds once.
    request_key = forms.RegexField(label=_("request key"), regex=r"^[0-9a-f]{32}$", required=False, widget=forms.HiddenInput)

    def __init__(self, *args, bills=(), **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("request_key", uuid.uuid4().hex)
        field = cast(forms.TypedChoiceField, self.fields["bill"])
        field.choices = [("", _("All bills of the payment, newest first"))] + [
            (bill.pk, f"{bill.number} · {bill.get_charge_kind_display()}" + (f" · {bill.payee.legal_name}" if bill.payee else ""))
            for bill in bills
        ]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, help_text=_("Recorded in the bill's history and the audit log."))


class EstateChoiceForm(forms.Form):
    estate = forms.ModelChoiceField(
        label=_("Estate"), queryset=Estate.objects.none(), required=False, empty_label=_("All my estates")
    )

    def __init__(self, *args, estates=None, required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["estate"])
        field.queryset = estates if estates is not None else Estate.objects.none()
        field.required = required
        if required:
            field.empty_label = None
