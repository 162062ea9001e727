"""The ledger balances after every business event, and its balances say what the bills say."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from billing.ledger import accounts_for, ledger_balances
from billing.models import AccountKind, ChargeKind, Invoice, InvoiceStatus, LedgerEntry, Payment, PaymentMethod, Refund
from billing.services import (
    billing_run_execute,
    billing_run_start,
    invoice_void,
    invoice_write_off,
    payment_record,
    refund_record,
)

from .factories import bill, billed_estate

pytestmark = pytest.mark.django_db
ZERO = Decimal("0.00")


def books_of(estate) -> dict[str, Decimal]:
    """What the ledger must show, computed from bills, payments and refunds instead of entries."""
    live = Invoice.objects.filter(estate=estate).exclude(status=InvoiceStatus.VOID)
    outstanding = sum((i.total - i.paid_amount for i in live), ZERO)
    received = {
        m: Payment.objects.filter(estate=estate, method__in=ms).aggregate(s=Sum("amount"))["s"] or ZERO for m, ms in MONEY.items()
    }
    refunded = {
        m: Refund.objects.filter(payment__estate=estate, payment__method__in=ms).aggregate(s=Sum("amount"))["s"] or ZERO
        for m, ms in MONEY.items()
    }
    return {
        "receivable": outstanding,
        "cash": received["cash"] - refunded["cash"],
        "provider_clearing": received["provider_clearing"] - refunded["provider_clearing"],
    }


MONEY = {
    "cash": [PaymentMethod.CASH, PaymentMethod.BANK_TRANSFER],
    "provider_clearing": [PaymentMethod.CARD, PaymentMethod.ALIPAY, PaymentMethod.WECHAT_PAY],
}


def assert_balanced(estate):
    balances = ledger_balances(estate_id=estate.pk)
    debits = LedgerEntry.objects.filter(estate=estate).aggregate(s=Sum("amount"))["s"] or ZERO
    # Each row moves one amount from one account to another: debits and credits are the same rows.
    assert sum(balances.values(), ZERO) == ZERO
    assert sum((b for b in balances.values() if b > 0), ZERO) <= debits
    expected = books_of(estate)
    for account, amount in expected.items():
        assert balances.get(account, ZERO) == amount, account
    return balances


def test_every_business_event_leaves_the_books_balanced():
    estate, units = billed_estate(units=3)
    other, other_units = billed_estate(units=1)
    period = timezone.localdate().replace(day=1)

    billing_run_execute(run=billing_run_start(period=period, estate=estate))
    assert_balanced(estate)
    invoices = list(Invoice.objects.filter(estate=estate).order_by("pk"))
    parking = bill(units[0], Decimal("150.00"), kind="parking_permit")
    balances = assert_balanced(estate)
    assert balances["public_income"] == Decimal("-150.00")

    now = timezone.now()
    cash = payment_record(
        estate=estate, invoices=invoices[:2], amount=Decimal("150.00"), method="cash", received_at=now, payer_name="甲"
    )
    assert_balanced(estate)
    online = payment_record(
        estate=estate,
        invoices=[parking],
        amount=Decimal("150.00"),
        method="wechat_pay",
        received_at=now,
        payer_name="乙",
        reference="cs_1",
    )
    assert_balanced(estate)
    refund_record(payment=cash, amount=Decimal("25.50"), reason="多收")
    assert_balanced(estate)
    refund_record(payment=online, amount=Decimal("150.00"), reason="退租", provider_refund_id="re_9")
    assert_balanced(estate)
    invoice_write_off(invoice=Invoice.objects.get(pk=invoices[1].pk), reason="无法收回")
    balances = assert_balanced(estate)
    assert balances["write_off"] > 0
    invoice_void(invoice=invoices[2], reason="开错")
    balances = assert_balanced(estate)
    # Voided fee income is reversed; what remains is the income of bills still standing.
    fee_bills = Invoice.objects.filter(estate=estate, charge_kind=ChargeKind.PROPERTY_FEE).exclude(pk=invoices[2].pk)
    assert -balances["fee_income"] == fee_bills.aggregate(s=Sum("total"))["s"]

    # The other estate's books are its own.
    assert ledger_balances(estate_id=other.pk) == {}
    assert other_units  # untouched


def test_database_refuses_unbalanced_or_self_entries():
    estate, _units = billed_estate(units=1)
    accounts = accounts_for([estate.pk], {AccountKind.CASH, AccountKind.RECEIVABLE})
    cash, receivable = accounts[(estate.pk, "cash")], accounts[(estate.pk, "receivable")]
    for debit, amount in ((receivable, Decimal("0.00")), (receivable, Decimal("-1.00")), (cash, Decimal("5.00"))):
        with pytest.raises(IntegrityError), transaction.atomic():
            LedgerEntry.objects.create(estate=estate, debit_id=debit, credit_id=cash, amount=amount, memo="bad")


def test_a_refund_adds_entries_and_leaves_the_payment_entries_as_they_were():
    estate, units = billed_estate(units=1)
    invoice = bill(units[0], Decimal("80.00"), period=datetime.date(2026, 9, 1))
    payment = payment_record(
        estate=estate, invoices=[invoice], amount=Decimal("80.00"), method="cash", received_at=timezone.now(), payer_name="甲"
    )
    before = list(LedgerEntry.objects.filter(payment=payment).values("pk", "amount", "debit_id", "credit_id"))
    refund_record(payment=payment, amount=Decimal("30.00"), reason="x")
    after = list(LedgerEntry.objects.filter(payment=payment, refund__isnull=True).values("pk", "amount", "debit_id", "credit_id"))
    assert before == after
    assert LedgerEntry.objects.filter(refund__payment=payment).aggregate(s=Sum("amount"))["s"] == Decimal("30.00")
