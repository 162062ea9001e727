"""Provider notifications handled in batches (issue 16: webhook handling at 200 events/s, exactly once).

A burst of stored events is handled by the first task that runs, in one batch; a worker that dies
half-way leaves its events claimed until the lease runs out, then they are handled once; one bad
event does not stop the others; an event whose task was lost is queued again by the sweep.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import AttemptStatus, InvoiceStatus, LedgerEntry, Payment, PaymentAttempt, ProviderEvent, Receipt, Transfer
from billing.online_tasks import provider_event_process, provider_events_sweep
from billing.services import attempt_create
from billing.services.event_batches import claim_for, events_claim
from billing.tasks import EVENTS_SWEEP_SCHEDULE, schedules_ensure
from tests.billing.fake_stripe import fake_fixture, owner_with_bills  # noqa: F401

pytestmark = pytest.mark.django_db


def paid_sessions(fake, count: int, *, duplicates: bool = True, first: int = 0):
    """``count`` owners who each paid one bill online, their notifications stored (as the webhook does)
    but not handled yet: a burst waiting for the workers."""
    attempts, events = [], []
    for i in range(first, first + count):
        user, _owner, _unit, bills = owner_with_bills(mobile=f"1380000{i:04d}", name=f"业主{i}", amounts=("100.00",))
        attempt = attempt_create(user=user, invoices=bills)
        fake.pay(attempt.provider_session_id, method="alipay")
        attempts.append(attempt)
        kinds = ["checkout.session.completed"] + (["checkout.session.async_payment_succeeded"] if duplicates and i % 2 else [])
        for kind in kinds:
            payload = fake.session_event(kind, attempt.provider_session_id)
            events.append(
                ProviderEvent.objects.create(provider="stripe", event_id=payload["id"], type=payload["type"], payload=payload)
            )
    return attempts, events


def assert_each_paid_once(attempts):
    for attempt in attempts:
        payments = Payment.objects.filter(attempt=attempt)
        assert payments.count() == 1
        assert PaymentAttempt.objects.get(pk=attempt.pk).status == AttemptStatus.PAID
        assert attempt.invoices.get().status == InvoiceStatus.PAID
        assert Transfer.objects.filter(payment=payments.get(), provider_transfer_id__isnull=False).count() == 1
    assert Receipt.objects.filter(payment__attempt__in=attempts).count() == len(attempts)


def test_the_first_task_of_a_burst_handles_the_whole_batch_once_and_the_others_find_it_done(fake, settings):
    settings.ANJU_PROVIDER_EVENT_BATCH = 50
    attempts, events = paid_sessions(fake, 8)

    assert provider_event_process(events[0].pk) is True

    assert ProviderEvent.objects.filter(processed_at__isnull=True).count() == 0
    assert ProviderEvent.objects.exclude(claimed_until=None).count() == 0
    assert_each_paid_once(attempts)
    assert len(fake.transfers_of()) == len(attempts)  # one transfer per payment at the provider, none twice
    with CaptureQueriesContext(connection) as later:
        assert all(provider_event_process(e.pk) for e in events[1:])  # the queued tasks of the others
    assert Payment.objects.count() == len(attempts) and len(fake.transfers_of()) == len(attempts)
    assert len(later) <= 5 * (len(events) - 1)  # each finds its event done: a claim that takes nothing


def test_a_batch_costs_fewer_queries_per_event_than_one_event_at_a_time(fake, settings):
    settings.ANJU_PROVIDER_EVENT_BATCH = 1
    _attempts, events = paid_sessions(fake, 4, duplicates=False)
    with CaptureQueriesContext(connection) as single:
        for event in events:
            provider_event_process(event.pk)
    settings.ANJU_PROVIDER_EVENT_BATCH = 50
    _attempts, events = paid_sessions(fake, 4, duplicates=False, first=100)
    with CaptureQueriesContext(connection) as batch:
        provider_event_process(events[0].pk)
    assert ProviderEvent.objects.filter(processed_at__isnull=True).count() == 0
    assert len(batch) < 0.8 * len(single), (len(batch), len(single))


def test_a_worker_killed_mid_batch_leaves_its_events_claimed_then_they_are_handled_once(fake, settings):
    settings.ANJU_PROVIDER_EVENT_BATCH = 50
    attempts, events = paid_sessions(fake, 3)
    # Worker A claims the batch and dies before handling it.
    assert sorted(events_claim(events[0].pk, size=50)) == sorted(e.pk for e in events)

    # Worker B's task for another event of the batch: held by A, so B leaves it (no double work).
    assert provider_event_process(events[1].pk) is False
    assert Payment.objects.count() == 0
    # Nor does the sweep take events under a live claim.
    assert provider_events_sweep() == 0

    # The lease runs out: the sweep queues them again (sync in tests: handled at once), exactly once.
    ProviderEvent.objects.update(claimed_until=timezone.now() - datetime.timedelta(seconds=1))
    ProviderEvent.objects.update(received_at=timezone.now() - claim_for() - datetime.timedelta(minutes=1))
    assert provider_events_sweep() == len(events)
    assert ProviderEvent.objects.filter(processed_at__isnull=True).count() == 0
    assert_each_paid_once(attempts)
    assert provider_events_sweep() == 0


def test_a_worker_killed_after_the_payments_before_the_transfers_sends_each_transfer_once(fake, settings, monkeypatch):
    settings.ANJU_PROVIDER_EVENT_BATCH = 50
    attempts, events = paid_sessions(fake, 3, duplicates=False)
    from billing.services import provider_events

    def dies(**kwargs):
        raise SystemExit("worker killed")  # not an Exception: nothing in the batch catches it, as with a kill

    # The payments commit; the worker dies before it sends any transfer.
    real_send = provider_events.transfers_send
    monkeypatch.setattr(provider_events, "transfers_send", dies)
    with pytest.raises(SystemExit):
        provider_event_process(events[0].pk)
    monkeypatch.setattr(provider_events, "transfers_send", real_send)
    assert Payment.objects.count() == 3 and Transfer.objects.filter(provider_transfer_id__isnull=False).count() == 0
    assert ProviderEvent.objects.filter(processed_at__isnull=True).count() == 3  # not marked handled

    ProviderEvent.objects.update(claimed_until=timezone.now() - datetime.timedelta(seconds=1))
    assert provider_event_process(events[2].pk) is True
    assert_each_paid_once(attempts)
    assert len(fake.transfers_of()) == 3
    # Books: each payment's money in once, each payee's share out once.
    assert LedgerEntry.objects.filter(payment__in=Payment.objects.all(), memo__startswith="payment").count() == 3
    assert LedgerEntry.objects.filter(memo__startswith="transfer").count() == 3


def test_one_bad_event_in_a_batch_keeps_its_error_and_the_others_are_handled(fake, settings):
    settings.ANJU_PROVIDER_EVENT_BATCH = 50
    attempts, events = paid_sessions(fake, 3, duplicates=False)
    # A paid session Anju has no attempt for (e.g. made by hand at the provider's dashboard).
    stray = fake.session_event("checkout.session.completed", attempts[0].provider_session_id)
    stray["id"] = "evt_stray"
    stray["data"]["object"]["id"] = "cs_test_unknown"
    stray["data"]["object"]["metadata"] = {}
    bad = ProviderEvent.objects.create(provider="stripe", event_id="evt_stray", type=stray["type"], payload=stray)

    assert provider_event_process(events[0].pk) is True  # the task of a good event succeeds

    assert_each_paid_once(attempts)
    bad.refresh_from_db()
    assert bad.processed_at is None and "no payment attempt" in bad.error and bad.claimed_until is None
    with pytest.raises(LookupError):  # its own task fails, as one event alone did
        provider_event_process(bad.pk)


def test_the_sweep_is_scheduled_every_five_minutes():
    from django_q.models import Schedule

    schedules_ensure()
    schedule = Schedule.objects.get(name=EVENTS_SWEEP_SCHEDULE)
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "billing.online_tasks.provider_events_sweep",
        Schedule.MINUTES,
        5,
    )


def test_amounts_are_not_changed_by_batching(fake, settings):
    settings.ANJU_PROVIDER_EVENT_BATCH = 50
    attempts, events = paid_sessions(fake, 2, duplicates=False)
    provider_event_process(events[0].pk)
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [Decimal("100.00"), Decimal("100.00")]
