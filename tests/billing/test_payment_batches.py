"""Paid sessions of a batch recorded together (billing.services.payment_batches; issue 16: webhook handling).

Through the task the queue runs for a stored webhook event: a batch writes exactly what the sessions
handled one at a time write (payments, allocations, bill and attempt statuses with their history,
ledger, receipts, audit rows, payees' transfers); the unusual sessions in a batch (amount mismatch,
bill paid meanwhile, a duplicate) still get their own outcome; a failure in the batch path falls back
to one by one without paying anything twice; a batch's queries do not grow with its size.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing import online_tasks
from billing.models import (
    AttemptStatus,
    Invoice,
    LedgerEntry,
    MoneyAudit,
    Payment,
    PaymentAttempt,
    ProviderEvent,
    Receipt,
    Transfer,
)
from billing.online_tasks import provider_event_process
from billing.services import attempt_create, payment_record
from billing.services import payment_batches as batches
from tests.billing.fake_stripe import fake_fixture, owner_with_bills  # noqa: F401
from tests.billing.test_event_batches import assert_each_paid_once, paid_sessions

pytestmark = pytest.mark.django_db


def _plain(text: str, attempt: PaymentAttempt) -> str:
    """A note or memo without the ids that differ between two runs."""
    text = text.replace(attempt.provider_session_id or "-", "SESSION")
    return re.sub(r"[A-Za-z]*\d[\w-]*", "#", text)


def what_was_written(attempt: PaymentAttempt) -> dict:
    """Everything the payment of one attempt wrote, without ids, names and numbers that differ per owner."""
    attempt = PaymentAttempt.objects.get(pk=attempt.pk)
    payment = Payment.objects.get(attempt=attempt)
    bill = attempt.invoices.get()
    receipt = Receipt.objects.get(payment=payment)
    return {
        "payment": (
            payment.method,
            payment.amount,
            payment.currency,
            payment.reference == attempt.provider_session_id,
            payment.payer_user_id == attempt.user_id,
            payment.payer_name == bill.payer_name,
            payment.provider_payment_id.startswith("pi_"),
            payment.provider_charge_id.startswith("ch_"),
            payment.recorded_by_id,
            payment.refunded_amount,
        ),
        "allocations": [(a.invoice_id == bill.pk, a.amount) for a in payment.allocations.all()],
        "bill": (
            bill.status,
            bill.paid_amount,
            [(h.from_status, h.to_status, _plain(h.note, attempt)) for h in bill.status_changes.order_by("pk")],
        ),
        "attempt": (
            attempt.status,
            attempt.flag_reason,
            [(h.from_status, h.to_status, _plain(h.note, attempt)) for h in attempt.status_changes.order_by("pk")],
        ),
        "ledger": sorted(
            (e.debit.kind, e.credit.kind, e.amount, _plain(e.memo, attempt), e.invoice_id == bill.pk)
            for e in LedgerEntry.objects.filter(payment=payment).select_related("debit", "credit")
        ),
        "receipt": (
            receipt.year,
            receipt.number.startswith(f"{payment.estate.code}-{receipt.year}-"),
            receipt.number.endswith(f"{receipt.sequence:06d}"),
        ),
        "audits": sorted(
            (a.action, a.user_id == attempt.user_id, _plain(repr(sorted(a.data.items())), attempt))
            for a in MoneyAudit.objects.filter(object_id__in=[payment.pk, *payment.transfers.values_list("pk", flat=True)])
            .exclude(action__startswith="online")
            .filter(action__in=["payment_record", "transfer_sent"])
        ),
        "transfers": [
            (
                t.payee.legal_name.replace(payment.estate.name, "E"),
                t.payee.estate_id == payment.estate_id,
                t.gross,
                t.platform_fee,
                t.amount,
                bool(t.provider_transfer_id),
                t.last_error,
            )
            for t in payment.transfers.order_by("pk")
        ],
    }


def handle(events, *, batch: int, settings) -> None:
    settings.ANJU_PROVIDER_EVENT_BATCH = batch
    for event in events:
        provider_event_process(event.pk)  # the queued task of each stored event, in order
    assert ProviderEvent.objects.filter(pk__in=[e.pk for e in events], processed_at__isnull=True).count() == 0


def test_a_batch_writes_exactly_what_the_same_sessions_write_one_at_a_time(fake, settings, monkeypatch):
    settings.ANJU_PLATFORM_FEE_RATE = "0.006"  # a fee on every transfer, so its ledger entry is compared too
    together_calls = []
    real = batches._write
    monkeypatch.setattr(batches, "_write", lambda plain, **kw: together_calls.append(len(plain)) or real(plain, **kw))

    one_by_one, events = paid_sessions(fake, 5)
    handle(events, batch=1, settings=settings)
    assert together_calls == []  # one at a time: never the batch path

    together, events = paid_sessions(fake, 5, first=100)
    handle(events, batch=50, settings=settings)
    assert together_calls == [5]  # all five in one batch write

    assert_each_paid_once(one_by_one + together)
    for single, batched in zip(one_by_one, together, strict=True):
        assert what_was_written(batched) == what_was_written(single)
    # Each estate's receipt numbers for the year: 1, 2, … without a gap.
    for estate_id, year in set(Receipt.objects.values_list("estate_id", "year")):
        sequences = list(
            Receipt.objects.filter(estate_id=estate_id, year=year).order_by("sequence").values_list("sequence", flat=True)
        )
        assert sequences == list(range(1, len(sequences) + 1))
    assert len(fake.transfers_of()) == 10


def test_receipt_numbers_of_a_batch_continue_the_estate_s_sequence_without_gaps(
    fake, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.ANJU_PROVIDER_EVENT_BATCH = 50
    user, _owner, unit, bills = owner_with_bills(mobile="13900000001", amounts=("50.00", "60.00", "70.00", "80.00"))
    estate = unit.building.estate
    # One receipt already numbered by hand in the estate's year (cash at the office).
    first = payment_record(
        estate=estate,
        invoices=[bills[0]],
        amount=Decimal("50.00"),
        method="cash",
        received_at=timezone.now(),
        payer_name="张小三",
    )
    attempts = [attempt_create(user=user, invoices=[b]) for b in bills[1:]]
    events = []
    for attempt in attempts:
        fake.pay(attempt.provider_session_id, method="wechat_pay")
        payload = fake.session_event("checkout.session.completed", attempt.provider_session_id)
        events.append(
            ProviderEvent.objects.create(provider="stripe", event_id=payload["id"], type=payload["type"], payload=payload)
        )
    rendered: list[list[int]] = []
    render = online_tasks.receipts_render
    monkeypatch.setattr(batches, "RECEIPTS_PER_TASK", 2)
    monkeypatch.setattr(online_tasks, "receipts_render", lambda ids: rendered.append(ids) or render(ids))
    with django_capture_on_commit_callbacks(execute=True) as after_commit:
        handle(events, batch=50, settings=settings)
    assert len(after_commit) == 1  # the render tasks are queued once the batch has committed
    # Short tasks of at most RECEIPTS_PER_TASK receipts each, every receipt in one of them.
    assert [len(ids) for ids in rendered] == [2, 1]
    assert sorted(sum(rendered, [])) == sorted(Receipt.objects.filter(payment__attempt__in=attempts).values_list("pk", flat=True))

    online = list(Receipt.objects.filter(payment__attempt__in=attempts).order_by("sequence"))
    assert [(r.year, r.sequence) for r in online] == [(first.receipt.year, n) for n in (2, 3, 4)]
    for receipt in online:
        assert receipt.number == f"{estate.code}-{receipt.year}-{receipt.sequence:06d}"
        assert receipt.pdf  # the batch's PDFs rendered by the tasks queued after the commit


def test_the_unusual_sessions_of_a_batch_get_their_own_outcome(fake, settings):
    settings.ANJU_PROVIDER_EVENT_BATCH = 50
    plain, events = paid_sessions(fake, 3, duplicates=True)

    # Paid a different amount than asked: flagged for staff, no payment.
    user, _o, _u, bills = owner_with_bills(mobile="13900000011", amounts=("100.00",))
    short = attempt_create(user=user, invoices=bills)
    fake.pay(short.provider_session_id, amount=9000)
    # Paid online while the office took the same bill in cash: all given back through the provider.
    user2, _o2, unit2, bills2 = owner_with_bills(mobile="13900000012", amounts=("100.00",))
    late = attempt_create(user=user2, invoices=bills2)
    fake.pay(late.provider_session_id)
    payment_record(
        estate=unit2.building.estate,
        invoices=bills2,
        amount=Decimal("100.00"),
        method="cash",
        received_at=timezone.now(),
        payer_name="张小三",
    )
    for attempt in (short, late):
        payload = fake.session_event("checkout.session.completed", attempt.provider_session_id)
        events.append(
            ProviderEvent.objects.create(provider="stripe", event_id=payload["id"], type=payload["type"], payload=payload)
        )

    handle(events, batch=50, settings=settings)

    assert_each_paid_once(plain)
    short.refresh_from_db()
    assert short.status == AttemptStatus.FLAGGED and "90.00" in short.flag_reason
    assert not Payment.objects.filter(attempt=short).exists()
    late.refresh_from_db()
    assert not Payment.objects.filter(attempt=late).exists()
    assert "already paid" in late.flag_reason
    charge = fake.charge_of(late.provider_session_id)
    assert charge["amount_refunded"] == 10000  # the whole 100.00 back to the owner, once
    assert Invoice.objects.get(pk=bills2[0].pk).paid_amount == Decimal("100.00")  # the cash only


def test_when_the_batch_path_fails_every_session_is_applied_one_by_one_and_once(fake, settings, monkeypatch):
    settings.ANJU_PROVIDER_EVENT_BATCH = 50
    attempts, events = paid_sessions(fake, 4)

    def broken(payments):
        Receipt.objects.create(payment=payments[0], estate_id=payments[0].estate_id, year=2026, sequence=1, number="X")
        raise RuntimeError("the database refused the batch")  # after some rows were written

    monkeypatch.setattr(batches, "_receipts_issue", broken)
    handle(events, batch=50, settings=settings)

    assert_each_paid_once(attempts)  # nothing of the failed batch kept, each paid once the other way
    assert not Receipt.objects.filter(number="X").exists()
    assert Transfer.objects.count() == len(attempts)


def sessions_in_one_estate(fake, estate_units, *, first: int):
    """Owners of units of one estate who each paid one bill online; their completed events stored."""
    from accounts.models import User
    from estates.models import Ownership
    from tests.billing.factories import bill
    from tests.estates.factories import OwnerFactory

    events = []
    for i, unit in enumerate(estate_units):
        user = User.objects.create_user(f"1370000{first + i:04d}", "pw-anju-test", name=f"业主{first + i}")
        owner = OwnerFactory(estate=unit.building.estate, name=f"业主{first + i}", user=user)
        Ownership.objects.create(unit=unit, owner=owner, share=Decimal("1"), since=datetime.date(2015, 1, 1))
        attempt = attempt_create(user=user, invoices=[bill(unit, Decimal("100.00"))])
        fake.pay(attempt.provider_session_id, method="card")
        payload = fake.session_event("checkout.session.completed", attempt.provider_session_id)
        events.append(
            ProviderEvent.objects.create(provider="stripe", event_id=payload["id"], type=payload["type"], payload=payload)
        )
    return events


def test_a_batch_costs_the_same_queries_whatever_its_size(fake, settings):
    from tests.billing.factories import billed_estate

    settings.ANJU_PROVIDER_EVENT_BATCH = 50
    _estate, units = billed_estate(units=2 + 4 + 16, owners=False, rate=None)
    counts = []
    # The estate's first batch also makes its receipt counter and ledger accounts: then 4 and 16 sessions.
    for part, first in ((units[:2], 0), (units[2:6], 100), (units[6:], 200)):
        events = sessions_in_one_estate(fake, part, first=first)
        with CaptureQueriesContext(connection) as ctx:
            provider_event_process(events[0].pk)
        assert ProviderEvent.objects.filter(pk__in=[e.pk for e in events], processed_at__isnull=True).count() == 0
        counts.append(len(ctx))
    assert Payment.objects.count() == 22 and Receipt.objects.count() == 22
    # Four sessions or sixteen of one estate: the same statements, each row kind written in bulk.
    assert counts[2] == counts[1], counts


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_batch_asks_the_provider_several_calls_at_once_up_to_the_setting(fake, settings, monkeypatch, concurrency):
    """Each call to Stripe is a network round trip: a batch of 50 asked one after another would wait 100 of them."""
    import threading
    import time

    from billing.fake_stripe import FakeStripeHTTPClient

    settings.ANJU_PROVIDER_EVENT_BATCH = 50
    settings.ANJU_PROVIDER_CONCURRENCY = concurrency
    attempts, events = paid_sessions(fake, 6, duplicates=False)
    in_flight, most, lock = [0], [0], threading.Lock()
    answer = FakeStripeHTTPClient.request

    def over_the_network(self, *args, **kwargs):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        try:
            time.sleep(0.05)  # a round trip: the calls of a batch overlap only if they are made at once
            return answer(self, *args, **kwargs)
        finally:
            with lock:
                in_flight[0] -= 1

    monkeypatch.setattr(FakeStripeHTTPClient, "request", over_the_network)
    fake.fail_next("POST", "/v1/transfers", status=400)  # one transfer refused: only that one waits for a retry

    handle(events, batch=50, settings=settings)

    assert most[0] == concurrency  # payment details and transfers: as many at once as allowed, never more
    assert Payment.objects.count() == 6 and Receipt.objects.count() == 6
    sent = Transfer.objects.filter(provider_transfer_id__isnull=False).count()
    assert sent == 5 and Transfer.objects.exclude(last_error="").count() == 1
