"""Payments, refunds, voids, write-offs, tariffs and generic charges, as the services do them."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing.ledger import ledger_balances
from billing.models import (
    ChargeKind,
    Invoice,
    InvoiceStatus,
    LedgerEntry,
    MoneyAudit,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    Receipt,
    Refund,
    Tariff,
)
from billing.services import (
    invoice_create_for_source,
    invoice_void,
    invoice_write_off,
    invoices_mark_overdue,
    payment_record,
    refund_record,
    register_paid_handler,
    tariff_schedule_set,
    unregister_paid_handler,
)
from estates.status import IllegalTransitionError, transition
from tests.estates.factories import UserFactory

from .factories import bill, billed_estate

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def pay(estate, invoices, amount, *, reference="", method=PaymentMethod.CASH, **kwargs):
    return payment_record(
        estate=estate,
        invoices=invoices,
        amount=Decimal(amount),
        method=method,
        received_at=NOW,
        reference=reference,
        payer_name="陈建华",
        **kwargs,
    )


@pytest.fixture
def setup():
    estate, units = billed_estate(units=3)
    staff = UserFactory(mobile="13900000301")
    old = bill(units[0], Decimal("100.00"), period=datetime.date(2026, 8, 1))
    mid = bill(units[0], Decimal("50.00"), period=datetime.date(2026, 9, 1))
    new = bill(units[0], Decimal("30.00"), period=datetime.date(2026, 10, 1))
    return {"estate": estate, "units": units, "staff": staff, "bills": [new, old, mid]}


def refreshed(*invoices):
    return [Invoice.objects.get(pk=i.pk) for i in invoices]


def test_one_payment_settles_several_bills_oldest_first(setup):
    new, old, mid = setup["bills"]
    payment = pay(setup["estate"], [new, old, mid], "130.00", recorded_by=setup["staff"])

    new, old, mid = refreshed(new, old, mid)
    assert (old.status, old.paid_amount) == (InvoiceStatus.PAID, Decimal("100.00"))
    assert (mid.status, mid.paid_amount) == (InvoiceStatus.PARTIALLY_PAID, Decimal("30.00"))
    assert (new.status, new.paid_amount) == (InvoiceStatus.OPEN, Decimal("0.00"))
    assert {a.invoice_id: a.amount for a in payment.allocations.all()} == {old.pk: Decimal("100.00"), mid.pk: Decimal("30.00")}
    assert [(c.from_status, c.to_status) for c in old.status_changes.all()] == [("open", "paid")]
    assert payment.receipt.number == f"{setup['estate'].code}-{NOW.astimezone().year}-000001"
    assert MoneyAudit.objects.filter(action="payment_record", object_id=payment.pk, user=setup["staff"]).exists()


def test_partial_payments_then_full(setup):
    _new, old, _mid = setup["bills"]
    pay(setup["estate"], [old], "40.00")
    pay(setup["estate"], [old], "60.00")
    (old,) = refreshed(old)
    assert old.status == InvoiceStatus.PAID
    assert [(c.from_status, c.to_status) for c in old.status_changes.all()] == [
        ("open", "partially_paid"),
        ("partially_paid", "paid"),
    ]
    numbers = list(Receipt.objects.filter(estate=setup["estate"]).order_by("sequence").values_list("sequence", flat=True))
    assert numbers == [1, 2]


def test_overpayment_is_refused_and_nothing_changes(setup):
    _new, old, mid = setup["bills"]
    with pytest.raises(ValidationError) as info:
        pay(setup["estate"], [old, mid], "150.01")
    assert "超过" in str(info.value) and "more than" in str(info.value)
    assert Payment.objects.count() == 0
    assert refreshed(old)[0].paid_amount == 0
    assert not LedgerEntry.objects.filter(payment__isnull=False).exists()


@pytest.mark.parametrize("amount", ["0", "-5.00", "1.005"])
def test_non_positive_or_sub_fen_amounts_are_refused(setup, amount):
    with pytest.raises(ValidationError):
        pay(setup["estate"], [setup["bills"][1]], amount)
    assert Payment.objects.count() == 0


def test_float_amount_is_refused(setup):
    with pytest.raises(ValidationError):
        payment_record(
            estate=setup["estate"], invoices=[setup["bills"][1]], amount=10.5, method="cash", received_at=NOW, payer_name="x"
        )


def test_paying_a_paid_or_void_bill_is_refused(setup):
    new, old, mid = setup["bills"]
    pay(setup["estate"], [old], "100.00")
    with pytest.raises(ValidationError, match="已付清"):
        pay(setup["estate"], [old], "1.00")
    invoice_void(invoice=mid, reason="开错了", by=setup["staff"])
    with pytest.raises(ValidationError, match="已作废"):
        pay(setup["estate"], [mid, new], "10.00")
    assert Payment.objects.count() == 1


def test_bill_of_another_estate_is_refused(setup):
    other_estate, other_units = billed_estate(units=1)
    foreign = bill(other_units[0], Decimal("20.00"))
    with pytest.raises(ValidationError, match="另一|another estate|不属于"):
        pay(setup["estate"], [setup["bills"][1], foreign], "20.00")
    assert Payment.objects.count() == 0


def test_same_reference_twice_gives_one_payment(setup):
    _new, old, _mid = setup["bills"]
    first = pay(setup["estate"], [old], "60.00", reference="BANK-2026-001", method=PaymentMethod.BANK_TRANSFER)
    again = pay(setup["estate"], [old], "60.00", reference="BANK-2026-001", method=PaymentMethod.BANK_TRANSFER)
    assert again.pk == first.pk
    assert Payment.objects.count() == 1
    assert refreshed(old)[0].paid_amount == Decimal("60.00")
    assert PaymentAllocation.objects.count() == 1
    assert Receipt.objects.count() == 1
    assert ledger_balances(estate_id=setup["estate"].pk)["cash"] == Decimal("60.00")


def test_same_reference_with_another_amount_is_refused(setup):
    _new, old, _mid = setup["bills"]
    pay(setup["estate"], [old], "60.00", reference="SLIP-7")
    with pytest.raises(ValidationError, match="SLIP-7"):
        pay(setup["estate"], [old], "30.00", reference="SLIP-7")
    assert Payment.objects.count() == 1


def test_online_payment_posts_to_clearing(setup):
    _new, old, _mid = setup["bills"]
    pay(setup["estate"], [old], "100.00", method=PaymentMethod.ALIPAY, reference="cs_test_1")
    balances = ledger_balances(estate_id=setup["estate"].pk)
    assert balances["provider_clearing"] == Decimal("100.00")
    assert "cash" not in balances


def test_refund_gives_money_back_newest_first(setup):
    new, old, mid = setup["bills"]
    payment = pay(setup["estate"], [new, old, mid], "180.00")
    refund = refund_record(payment=payment, amount=Decimal("40.00"), reason="多收", by=setup["staff"])

    new, old, mid = refreshed(new, old, mid)
    assert (new.paid_amount, new.status) == (Decimal("0.00"), InvoiceStatus.OPEN)
    assert (mid.paid_amount, mid.status) == (Decimal("40.00"), InvoiceStatus.PARTIALLY_PAID)
    assert (old.paid_amount, old.status) == (Decimal("100.00"), InvoiceStatus.PAID)
    assert Payment.objects.get(pk=payment.pk).refunded_amount == Decimal("40.00")
    assert MoneyAudit.objects.filter(action="refund_record", object_id=refund.pk).exists()

    # A second refund continues where the first stopped.
    refund_record(payment=payment, amount=Decimal("20.00"), reason="再退", by=setup["staff"])
    (mid,) = refreshed(mid)
    assert mid.paid_amount == Decimal("20.00")


def test_refund_above_paid_is_refused(setup):
    _new, old, _mid = setup["bills"]
    payment = pay(setup["estate"], [old], "100.00")
    refund_record(payment=payment, amount=Decimal("70.00"), reason="部分退款")
    with pytest.raises(ValidationError) as info:
        refund_record(payment=payment, amount=Decimal("30.01"), reason="超额")
    assert "30.00" in str(info.value)
    assert Refund.objects.count() == 1
    assert refreshed(old)[0].paid_amount == Decimal("30.00")


def test_refund_is_idempotent_per_provider_refund_id(setup):
    _new, old, _mid = setup["bills"]
    payment = pay(setup["estate"], [old], "100.00", method=PaymentMethod.CARD, reference="cs_x")
    first = refund_record(payment=payment, amount=Decimal("100.00"), reason="charge.refunded", provider_refund_id="re_1")
    again = refund_record(payment=payment, amount=Decimal("100.00"), reason="charge.refunded", provider_refund_id="re_1")
    assert first.pk == again.pk
    assert Refund.objects.count() == 1
    assert Payment.objects.get(pk=payment.pk).refunded_amount == Decimal("100.00")
    (old,) = refreshed(old)
    assert (old.paid_amount, old.status) == (Decimal("0.00"), InvoiceStatus.OPEN)


def test_void_only_unpaid_bills(setup):
    new, old, _mid = setup["bills"]
    pay(setup["estate"], [old], "10.00")
    with pytest.raises(ValidationError, match="已有付款"):
        invoice_void(invoice=old, reason="x", by=setup["staff"])
    with pytest.raises(ValidationError):
        invoice_void(invoice=new, reason="   ", by=setup["staff"])
    invoice_void(invoice=new, reason="开错了", by=setup["staff"])
    (new,) = refreshed(new)
    assert new.status == InvoiceStatus.VOID
    assert new.status_changes.get().note == "开错了"
    assert MoneyAudit.objects.filter(action="invoice_void", object_id=new.pk).exists()


def test_write_off_posts_to_write_off_account(setup):
    _new, old, _mid = setup["bills"]
    pay(setup["estate"], [old], "30.00")
    invoice_write_off(invoice=old, reason="法院判决", by=setup["staff"])
    (old,) = refreshed(old)
    assert old.status == InvoiceStatus.VOID
    assert ledger_balances(estate_id=setup["estate"].pk)["write_off"] == Decimal("70.00")
    assert MoneyAudit.objects.filter(action="invoice_write_off", object_id=old.pk).exists()


def test_transition_table_refuses_illegal_moves(setup):
    new, _old, _mid = setup["bills"]
    invoice_void(invoice=new, reason="x")
    with pytest.raises(IllegalTransitionError):
        transition(Invoice.objects.get(pk=new.pk), to=InvoiceStatus.OPEN)


def test_overdue_marking_and_payment_of_overdue_bill(setup):
    unit = setup["units"][1]
    late = bill(
        unit, Decimal("80.00"), period=datetime.date(2026, 7, 1), due_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert invoices_mark_overdue() == 1
    assert invoices_mark_overdue() == 0
    (late,) = refreshed(late)
    assert late.status == InvoiceStatus.OVERDUE
    pay(setup["estate"], [late], "20.00")
    assert refreshed(late)[0].status == InvoiceStatus.OVERDUE  # still late, less owed
    pay(setup["estate"], [late], "60.00")
    assert refreshed(late)[0].status == InvoiceStatus.PAID


def test_paid_handler_runs_when_a_bill_becomes_paid(setup):
    calls = []
    register_paid_handler("estates.Unit", calls.append)
    try:
        _new, old, _mid = setup["bills"]
        pay(setup["estate"], [old], "50.00")
        assert calls == []
        pay(setup["estate"], [old], "50.00")
        assert [i.pk for i in calls] == [old.pk]
    finally:
        unregister_paid_handler("estates.Unit", calls.append)


def test_a_failing_paid_handler_leaves_no_payment(setup):
    def refuse(invoice):
        raise RuntimeError("permit system down")

    register_paid_handler("estates.unit", refuse)
    try:
        _new, old, _mid = setup["bills"]
        with pytest.raises(RuntimeError):
            pay(setup["estate"], [old], "100.00")
    finally:
        unregister_paid_handler("estates.unit", refuse)
    assert Payment.objects.count() == 0 and Receipt.objects.count() == 0
    assert refreshed(old)[0].status == InvoiceStatus.OPEN


def test_generic_charge_is_created_once(setup):
    unit = setup["units"][2]
    first = bill(unit, Decimal("12.34"), kind="parking_permit")
    again = bill(unit, Decimal("99.00"), kind="parking_permit")
    assert first.pk == again.pk and again.total == Decimal("12.34")
    # Parking on common parts is the owners' public income.
    assert ledger_balances(estate_id=setup["estate"].pk)["public_income"] == Decimal("-12.34")


def test_generic_charge_quantizes_lines(setup):
    unit = setup["units"][2]
    invoice = invoice_create_for_source(
        source=unit,
        estate=setup["estate"],
        unit=unit,
        charge_kind=ChargeKind.MAINTENANCE_FUND,
        period=datetime.date(2026, 10, 15),
        payer_name="业主",
        lines=[("维修资金", Decimal("80.00"), Decimal("0.1235")), ("手续费", Decimal("1"), Decimal("0.005"))],
        due_on=timezone.localdate() + datetime.timedelta(days=10),
    )
    assert [line.amount for line in invoice.lines.all()] == [Decimal("9.88"), Decimal("0.01")]
    assert invoice.total == Decimal("9.89")
    assert invoice.period == datetime.date(2026, 10, 1)


class TestTariffSchedule:
    def test_new_schedule_closes_the_open_one(self):
        estate, _units = billed_estate(units=1, rate=Decimal("1.20"))
        tariff_schedule_set(
            estate=estate,
            charge_kind=ChargeKind.PROPERTY_FEE,
            rates={"residential": Decimal("1.50"), "shop": Decimal("3.00")},
            valid_from=datetime.date(2026, 7, 1),
            source_label="新物业合同",
        )
        rows = list(
            Tariff.objects.filter(estate=estate, unit_use="residential")
            .order_by("valid_from")
            .values_list("rate", "valid_from", "valid_to")
        )
        assert rows == [
            (Decimal("1.2000"), datetime.date(2020, 1, 1), datetime.date(2026, 6, 30)),
            (Decimal("1.5000"), datetime.date(2026, 7, 1), None),
        ]
        assert MoneyAudit.objects.filter(action="tariff_set", estate=estate).count() == 3

    def test_same_inputs_twice_change_nothing(self):
        estate, _units = billed_estate(units=1, rate=None)
        args = {
            "estate": estate,
            "charge_kind": ChargeKind.PROPERTY_FEE,
            "rates": {"residential": Decimal("1.50")},
            "valid_from": datetime.date(2026, 1, 1),
        }
        first = tariff_schedule_set(**args)
        again = tariff_schedule_set(**args)
        assert [t.pk for t in first] == [t.pk for t in again]
        assert Tariff.objects.filter(estate=estate).count() == 1

    def test_overlap_is_refused(self):
        estate, _units = billed_estate(units=1, rate=None)
        tariff_schedule_set(
            estate=estate,
            charge_kind=ChargeKind.PROPERTY_FEE,
            rates={"residential": Decimal("1.50")},
            valid_from=datetime.date(2026, 1, 1),
            valid_to=datetime.date(2026, 12, 31),
        )
        with pytest.raises(ValidationError, match="重叠"):
            tariff_schedule_set(
                estate=estate,
                charge_kind=ChargeKind.PROPERTY_FEE,
                rates={"residential": Decimal("2.00")},
                valid_from=datetime.date(2026, 6, 1),
            )
        with pytest.raises(ValidationError):
            tariff_schedule_set(
                estate=estate,
                charge_kind=ChargeKind.PROPERTY_FEE,
                rates={"residential": Decimal("2.00")},
                valid_from=datetime.date(2025, 6, 1),
            )
        assert Tariff.objects.filter(estate=estate).count() == 1

    def test_bad_use_is_refused(self):
        estate, _units = billed_estate(units=1, rate=None)
        with pytest.raises(ValidationError):
            tariff_schedule_set(
                estate=estate,
                charge_kind=ChargeKind.PROPERTY_FEE,
                rates={"palace": Decimal("1")},
                valid_from=datetime.date(2026, 1, 1),
            )
