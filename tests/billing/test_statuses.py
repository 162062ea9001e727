"""billing's status tables, walked: bills, payment attempts and billing runs change status only through
``estates.status.transition``, which allows exactly the listed moves and records each one."""

import datetime
import re
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing.models import (
    AttemptStatus,
    BillingRun,
    BillingRunStatus,
    Invoice,
    InvoiceStatus,
    PaymentAttempt,
    PaymentMethod,
)
from billing.services import (
    attempt_cancel,
    billing_chunk_process,
    billing_run_execute,
    billing_run_start,
    payment_record,
    refund_record,
)
from billing.statuses import ATTEMPT_FLOW, INVOICE_FLOW, RUN_FLOW
from estates.status import IllegalTransitionError, StatusChangedError, flow_for, transition, transition_many
from tests.estates.factories import UserFactory

from .factories import bill, billed_estate

pytestmark = pytest.mark.django_db

FLOWS = {"invoice": INVOICE_FLOW, "attempt": ATTEMPT_FLOW, "run": RUN_FLOW}


def _pairs(name):
    flow = FLOWS[name]
    statuses = [choice.value for choice in flow.choices]
    return [(name, a, b) for a in statuses for b in statuses]


ALL_PAIRS = _pairs("invoice") + _pairs("attempt") + _pairs("run")


@pytest.fixture
def make():
    """A fresh object of each kind with the given status (set directly: this is the test's set-up)."""
    estate, units = billed_estate(units=1)
    user = UserFactory()

    def build(name, status):
        if name == "invoice":
            obj = bill(units[0], Decimal("50.00"), period=datetime.date(2026, 1 + len(made), 1))
        elif name == "attempt":
            obj = PaymentAttempt.objects.create(estate=estate, user=user, amount=Decimal("50.00"))
        else:
            obj = BillingRun.objects.create(period=datetime.date(2026, 10, 1), estate=estate)
        type(obj).objects.filter(pk=obj.pk).update(status=status)
        obj.refresh_from_db()
        made.append(obj)
        return obj

    made: list = []
    build.user = user
    return build


def test_the_flows_are_registered_for_the_models():
    assert flow_for(Invoice) is INVOICE_FLOW
    assert flow_for(PaymentAttempt) is ATTEMPT_FLOW
    assert flow_for(BillingRun) is RUN_FLOW


@pytest.mark.parametrize(("name", "from_status", "to_status"), ALL_PAIRS)
def test_every_move_of_every_table(make, name, from_status, to_status):
    flow = FLOWS[name]
    obj = make(name, from_status)
    history = obj.status_changes
    if flow.allowed(from_status, to_status):
        change = transition(obj, to=to_status, by=make.user, note="walk")
        obj.refresh_from_db()
        assert obj.status == to_status
        assert (change.from_status, change.to_status, change.by, change.note) == (from_status, to_status, make.user, "walk")
        assert list(history.values_list("from_status", "to_status")) == [(from_status, to_status)]
    else:
        with pytest.raises(IllegalTransitionError) as refused:
            transition(obj, to=to_status, by=make.user)
        assert refused.value.code == "illegal_transition"
        assert " / " in refused.value.messages[0]  # Chinese, then English
        obj.refresh_from_db()
        assert obj.status == from_status
        assert not history.exists()


def test_a_move_to_the_same_status_is_refused_in_every_table():
    for flow in FLOWS.values():
        for status in flow.choices:
            assert not flow.allowed(status.value, status.value), (flow.model.__name__, status)


def test_final_statuses_have_no_way_out():
    assert INVOICE_FLOW.transitions[InvoiceStatus.VOID] == frozenset()
    assert ATTEMPT_FLOW.transitions[AttemptStatus.PAID] == frozenset()
    assert ATTEMPT_FLOW.transitions[AttemptStatus.FLAGGED] == frozenset()
    assert RUN_FLOW.transitions[BillingRunStatus.DONE] == frozenset()


@pytest.mark.parametrize(
    ("name", "seen", "meanwhile", "to"),
    [
        ("invoice", InvoiceStatus.OPEN, InvoiceStatus.PAID, InvoiceStatus.VOID),
        ("attempt", AttemptStatus.OPEN, AttemptStatus.PAID, AttemptStatus.EXPIRED),
        ("run", BillingRunStatus.RUNNING, BillingRunStatus.DONE, BillingRunStatus.FAILED),
    ],
)
def test_a_stale_object_is_refused_and_nothing_is_written(make, name, seen, meanwhile, to):
    obj = make(name, seen)
    other = type(obj).objects.get(pk=obj.pk)
    transition(other, to=meanwhile)  # another worker got there first
    with pytest.raises(StatusChangedError) as raced:
        transition(obj, to=to)
    assert raced.value.code == "status_changed"
    obj.refresh_from_db()
    assert obj.status == meanwhile
    assert list(obj.status_changes.values_list("to_status", flat=True)) == [meanwhile]


def test_many_bills_at_once_all_or_nothing(make):
    first, second = make("invoice", InvoiceStatus.OPEN), make("invoice", InvoiceStatus.VOID)
    with pytest.raises(ValidationError):
        transition_many([first, second], to=InvoiceStatus.OVERDUE)
    assert not Invoice.objects.filter(status=InvoiceStatus.OVERDUE).exists()
    assert not first.status_changes.exists()
    third = make("invoice", InvoiceStatus.PARTIALLY_PAID)
    assert transition_many([first, third], to=InvoiceStatus.OVERDUE, note="due") == 2
    assert set(Invoice.objects.filter(status=InvoiceStatus.OVERDUE).values_list("pk", flat=True)) == {first.pk, third.pk}
    assert third.status_changes.get().from_status == InvoiceStatus.PARTIALLY_PAID


BILLING = Path(__file__).resolve().parents[2] / "billing"
# A status written outside estates.status: an assignment, or an update()/create with a new status.
STATUS_WRITE = re.compile(r"\.status\s*=[^=]|\.update\([^)]*\bstatus=")


def test_billing_writes_no_status_outside_the_status_module():
    offenders = [
        f"{path.relative_to(BILLING.parent)}:{number}: {line.strip()}"
        for path in BILLING.rglob("*.py")
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if STATUS_WRITE.search(line)
    ]
    assert offenders == []


# --- the services write their moves through the tables ------------------------------------------

THIS_MONTH = timezone.localdate().replace(day=1)


def _moves(obj):
    return list(obj.status_changes.order_by("at", "pk").values_list("from_status", "to_status"))


def test_a_run_records_queued_running_failed_running_done():
    billed_estate(units=4)
    run = billing_run_start(period=THIS_MONTH, chunk_units=2)
    first, _second = run.chunks.order_by("index").values_list("pk", flat=True)
    with mock.patch("billing.services.runs._post_issuance", side_effect=RuntimeError("worker killed")):
        with pytest.raises(RuntimeError):
            billing_chunk_process(chunk_id=first)
    run.refresh_from_db()
    assert (run.status, run.error) == (BillingRunStatus.FAILED, f"chunk {first}: worker killed")
    billing_chunk_process(chunk_id=first)
    billing_run_execute(run=run)
    run.refresh_from_db()
    assert run.status == BillingRunStatus.DONE and run.finished_at is not None and run.error == ""
    assert _moves(run) == [("queued", "failed"), ("failed", "running"), ("running", "done")]


def test_a_run_with_nothing_to_bill_is_done_at_once():
    estate, _units = billed_estate(units=0)
    run = billing_run_start(period=THIS_MONTH, estate=estate)
    assert run.status == BillingRunStatus.DONE
    assert _moves(run) == [("queued", "done")]


def test_payment_and_refund_move_the_bill_through_the_table():
    estate, units = billed_estate(units=1)
    invoice = bill(units[0], Decimal("100.00"))
    staff = UserFactory()
    payment = payment_record(
        estate=estate,
        invoices=[invoice],
        amount=Decimal("40.00"),
        method=PaymentMethod.CASH,
        received_at=timezone.now(),
        payer_name="陈建华",
        recorded_by=staff,
    )
    payment_record(
        estate=estate,
        invoices=[invoice],
        amount=Decimal("60.00"),
        method=PaymentMethod.CASH,
        received_at=timezone.now(),
        payer_name="陈建华",
        reference="slip-2",
    )
    refund_record(payment=payment, amount=Decimal("10.00"), reason="多收", by=staff)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_amount) == (InvoiceStatus.PARTIALLY_PAID, Decimal("90.00"))
    assert _moves(invoice) == [("open", "partially_paid"), ("partially_paid", "paid"), ("paid", "partially_paid")]
    assert invoice.status_changes.first().by == staff


def test_an_owner_cancelling_an_attempt_expires_it_with_a_history_row():
    estate, _units = billed_estate(units=1)
    attempt = PaymentAttempt.objects.create(estate=estate, user=UserFactory(), amount=Decimal("50.00"))
    attempt = attempt_cancel(attempt=attempt)  # no page was opened at the provider: nothing to close there
    assert attempt.status == AttemptStatus.EXPIRED
    assert _moves(attempt) == [("open", "expired")]
    assert attempt_cancel(attempt=attempt).status == AttemptStatus.EXPIRED  # a second cancel changes nothing
    assert _moves(attempt) == [("open", "expired")]
