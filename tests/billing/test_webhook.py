"""The Stripe webhook: signed events replayed with duplicates, reordering and tampering.

Every case ends with the books as a person would check them: how many payments the session made,
what the bills say, what the attempt page would show.
"""

import json
import time
from decimal import Decimal

import pytest

from billing.models import (
    AttemptStatus,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAttempt,
    PaymentMethod,
    ProviderEvent,
    Receipt,
    Refund,
)
from billing.services import attempt_create
from tests.billing.fake_stripe import deliver_fixture, fake_fixture, owner_with_bills  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def paying(fake):
    """An owner with two bills (¥120.50 + ¥88.00) and an open attempt to pay both."""
    user, owner, unit, bills = owner_with_bills()
    attempt = attempt_create(user=user, invoices=bills)
    return attempt, bills


def statuses(bills):
    return [Invoice.objects.get(pk=b.pk).status for b in bills]


def test_a_signed_completed_event_pays_the_bills_once_with_a_receipt(deliver, fake, paying):
    attempt, bills = paying
    fake.pay(attempt.provider_session_id, method="wechat_pay")

    response = deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))

    assert response.status_code == 200
    payment = Payment.objects.get()
    assert payment.reference == attempt.provider_session_id
    assert payment.method == PaymentMethod.WECHAT_PAY
    assert payment.amount == Decimal("208.50")
    assert payment.provider_payment_id.startswith("pi_")
    assert statuses(bills) == [InvoiceStatus.PAID, InvoiceStatus.PAID]
    assert PaymentAttempt.objects.get(pk=attempt.pk).status == AttemptStatus.PAID
    receipt = Receipt.objects.get(payment=payment)
    assert receipt.pdf.name.endswith(f"{receipt.number}.pdf")  # rendered by the task after commit
    event = ProviderEvent.objects.get()
    assert event.processed_at is not None and event.error == ""


def test_the_same_event_delivered_again_answers_200_and_changes_nothing(deliver, fake, paying):
    attempt, bills = paying
    fake.pay(attempt.provider_session_id)
    event = fake.session_event("checkout.session.completed", attempt.provider_session_id)

    responses = [deliver(event) for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert ProviderEvent.objects.count() == 1
    assert Payment.objects.count() == 1
    assert Receipt.objects.count() == 1
    assert Invoice.objects.get(pk=bills[0].pk).paid_amount == Decimal("120.50")


def test_every_event_of_a_paid_session_in_any_order_makes_exactly_one_payment(deliver, fake, paying):
    """An async method: completed (unpaid) → async_payment_succeeded; Stripe may send them in any
    order, retry each, and a later checkout.session.expired must not undo anything."""
    attempt, bills = paying
    session_id = attempt.provider_session_id
    fake.pay(session_id, method="alipay", later=True)
    completed_unpaid = fake.session_event("checkout.session.completed", session_id)
    fake.settle(session_id, succeeded=True)
    succeeded = fake.session_event("checkout.session.async_payment_succeeded", session_id)
    completed_paid = fake.session_event("checkout.session.completed", session_id)
    expired = fake.session_event("checkout.session.expired", session_id)

    for event in [succeeded, completed_unpaid, expired, succeeded, completed_paid, completed_unpaid, expired]:
        assert deliver(event).status_code == 200

    assert Payment.objects.filter(reference=session_id).count() == 1
    assert Payment.objects.count() == 1
    assert PaymentAttempt.objects.get(pk=attempt.pk).status == AttemptStatus.PAID
    assert statuses(bills) == [InvoiceStatus.PAID, InvoiceStatus.PAID]
    assert ProviderEvent.objects.count() == 4
    assert not ProviderEvent.objects.filter(processed_at__isnull=True).exists()


def test_a_completed_but_unpaid_session_waits_for_the_async_result(deliver, fake, paying):
    attempt, bills = paying
    fake.pay(attempt.provider_session_id, later=True)

    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))

    assert Payment.objects.count() == 0
    assert PaymentAttempt.objects.get(pk=attempt.pk).status == AttemptStatus.OPEN
    assert statuses(bills) == [InvoiceStatus.OPEN, InvoiceStatus.OPEN]


def test_an_async_failure_marks_the_attempt_failed_and_leaves_the_bills_open(deliver, fake, paying):
    attempt, bills = paying
    fake.pay(attempt.provider_session_id, later=True)
    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))
    fake.settle(attempt.provider_session_id, succeeded=False)

    deliver(fake.session_event("checkout.session.async_payment_failed", attempt.provider_session_id))

    assert PaymentAttempt.objects.get(pk=attempt.pk).status == AttemptStatus.FAILED
    assert Payment.objects.count() == 0
    assert statuses(bills) == [InvoiceStatus.OPEN, InvoiceStatus.OPEN]


def test_an_expired_session_frees_the_bills(deliver, fake, paying):
    attempt, bills = paying
    fake.expire(attempt.provider_session_id)

    deliver(fake.session_event("checkout.session.expired", attempt.provider_session_id))

    assert PaymentAttempt.objects.get(pk=attempt.pk).status == AttemptStatus.EXPIRED
    # The owner can start again at once.
    again = attempt_create(user=attempt.user, invoices=bills)
    assert again.pk != attempt.pk


def test_a_payment_reported_after_expiry_or_failure_is_still_applied(deliver, fake, paying):
    """Money that reached Stripe is never ignored, whatever arrived before it."""
    attempt, bills = paying
    fake.pay(attempt.provider_session_id)
    deliver(fake.session_event("checkout.session.expired", attempt.provider_session_id))
    deliver(fake.session_event("checkout.session.async_payment_failed", attempt.provider_session_id))

    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))

    assert Payment.objects.count() == 1
    assert PaymentAttempt.objects.get(pk=attempt.pk).status == AttemptStatus.PAID


@pytest.mark.parametrize(
    "tamper",
    ["wrong secret", "no header", "modified body", "stale timestamp", "garbage header", "not an event"],
)
def test_a_tampered_or_replayed_webhook_is_refused_and_nothing_is_stored(deliver, fake, paying, tamper):
    attempt, bills = paying
    fake.pay(attempt.provider_session_id)
    event = fake.session_event("checkout.session.completed", attempt.provider_session_id)
    body, header = fake.signed(event)
    if tamper == "wrong secret":
        response = deliver(event, header=fake.sign(body, secret="whsec_someone_else"))
    elif tamper == "no header":
        response = deliver(event, header="")
    elif tamper == "modified body":
        forged = json.loads(body)
        forged["data"]["object"]["amount_total"] = 1
        response = deliver(event, header=header, body=json.dumps(forged, ensure_ascii=False, indent=2).encode())
    elif tamper == "stale timestamp":  # a captured, correctly signed event replayed ten minutes later
        response = deliver(event, header=fake.sign(body, timestamp=int(time.time()) - 600))
    elif tamper == "garbage header":
        response = deliver(event, header="t=abc,v1=")
    else:
        not_event = b'{"id": "evt_x", "type": "checkout.session.completed"}'
        response = deliver(event, header=fake.sign(not_event), body=not_event)

    assert response.status_code == 400
    assert ProviderEvent.objects.count() == 0
    assert Payment.objects.count() == 0
    assert statuses(bills) == [InvoiceStatus.OPEN, InvoiceStatus.OPEN]


def test_re_serialised_json_fails_the_signature(deliver, fake, paying):
    """The signature covers the raw bytes: the view must not parse and re-dump before checking."""
    attempt, _ = paying
    event = fake.session_event("checkout.session.completed", attempt.provider_session_id)
    body, header = fake.signed(event)

    response = deliver(event, header=header, body=json.dumps(json.loads(body)).encode())

    assert response.status_code == 400


def test_only_post_reaches_the_webhook(client, fake):
    assert client.get("/billing/stripe/webhook/").status_code == 405


def test_without_a_configured_secret_every_event_is_refused(deliver, fake, paying, settings):
    attempt, _ = paying
    event = fake.session_event("checkout.session.completed", attempt.provider_session_id)
    body, header = fake.signed(event)
    settings.STRIPE_WEBHOOK_SECRET = ""

    assert deliver(event, header=header).status_code == 400
    assert ProviderEvent.objects.count() == 0


def test_unknown_event_types_are_stored_and_ignored(deliver, fake):
    event = fake.event("customer.created", {"id": "cus_1", "object": "customer"})

    assert deliver(event).status_code == 200

    stored = ProviderEvent.objects.get()
    assert (stored.event_id, stored.type) == (event["id"], "customer.created")
    assert stored.processed_at is not None
    assert Payment.objects.count() == 0


@pytest.mark.parametrize("mismatch", ["amount", "currency"])
def test_an_amount_or_currency_mismatch_is_flagged_for_staff_and_not_applied(deliver, fake, paying, mismatch):
    attempt, bills = paying
    if mismatch == "amount":
        fake.pay(attempt.provider_session_id, amount=100)  # ¥1.00 instead of ¥208.50
    else:
        fake.pay(attempt.provider_session_id, currency="usd")

    assert deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id)).status_code == 200

    flagged = PaymentAttempt.objects.get(pk=attempt.pk)
    assert flagged.status == AttemptStatus.FLAGGED
    assert mismatch in flagged.flag_reason
    assert Payment.objects.count() == 0
    assert statuses(bills) == [InvoiceStatus.OPEN, InvoiceStatus.OPEN]
    # A later notification for the same session does not apply it either.
    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))
    assert Payment.objects.count() == 0


def test_a_session_nobody_here_started_is_stored_with_an_error_and_changes_nothing(deliver, fake, paying):
    attempt, bills = paying
    stranger = fake.session_event("checkout.session.completed", attempt.provider_session_id)
    stranger["data"]["object"].update(id="cs_test_stranger", metadata={}, client_reference_id=None, payment_status="paid")

    assert deliver(stranger).status_code == 200

    event = ProviderEvent.objects.get()
    assert event.processed_at is None and "cs_test_stranger" in event.error
    assert Payment.objects.count() == 0


def test_a_refund_made_at_stripe_is_booked_once(deliver, fake, paying):
    attempt, bills = paying
    fake.pay(attempt.provider_session_id)
    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))
    charge = fake.refund_in_dashboard(attempt.provider_session_id, amount=8800)  # the second bill, ¥88.00
    refunded = fake.event("charge.refunded", charge)

    deliver(refunded)
    deliver(refunded)
    deliver(fake.event("charge.refunded", charge))  # Stripe's own retry with a new event id

    refund = Refund.objects.get()
    assert refund.amount == Decimal("88.00") and refund.provider_refund_id.startswith("re_")
    payment = Payment.objects.get()
    assert payment.refunded_amount == Decimal("88.00")
    # Refunds give back the newest bill first: it is owed again.
    assert statuses(bills) == [InvoiceStatus.PAID, InvoiceStatus.OPEN]


def test_a_refund_reported_before_its_payment_is_booked_when_the_payment_arrives(deliver, fake, paying):
    attempt, bills = paying
    fake.pay(attempt.provider_session_id)
    charge = fake.refund_in_dashboard(attempt.provider_session_id)

    deliver(fake.event("charge.refunded", charge))
    assert Refund.objects.count() == 0
    assert "waiting" in ProviderEvent.objects.get().error

    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))

    assert Payment.objects.get().refunded_amount == Decimal("208.50")
    assert Refund.objects.count() == 1
    assert not ProviderEvent.objects.filter(processed_at__isnull=True).exists()
    assert statuses(bills) == [InvoiceStatus.OPEN, InvoiceStatus.OPEN]
