"""Paying bills online: attempts, two tabs, money that arrives for bills paid meanwhile, concurrency,
cancelling, provider outages, staff refunds and reconciliation with Stripe."""

import datetime
import re
import threading
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.ledger import ledger_balances
from billing.models import (
    AccountKind,
    AttemptStatus,
    ChargeKind,
    Invoice,
    InvoiceStatus,
    LedgerEntry,
    Payment,
    PaymentAttempt,
    PaymentMethod,
    ProviderEvent,
    Refund,
    Transfer,
)
from billing.online_tasks import provider_event_process
from billing.providers import get_provider
from billing.services import PaymentInProgressError, attempt_cancel, attempt_create, invoice_void, online_refund, payment_record
from tests.billing.factories import bill
from tests.billing.fake_stripe import (  # noqa: F401
    SITE_URL,
    deliver_fixture,
    fake_fixture,
    owner_with_bills,
)

pytestmark = pytest.mark.django_db


def statuses(bills):
    return [Invoice.objects.get(pk=b.pk).status for b in bills]


def test_an_attempt_opens_a_cny_checkout_for_the_outstanding_amount_of_each_bill(fake):
    user, owner, unit, bills = owner_with_bills(amounts=("120.50", "88.00"))
    payment_record(  # ¥20.50 of the first bill was paid in cash already
        estate=unit.building.estate,
        invoices=[bills[0]],
        amount=Decimal("20.50"),
        method=PaymentMethod.CASH,
        received_at=timezone.now(),
        reference="CASH-1",
        payer_name=owner.name,
    )

    attempt = attempt_create(user=user, invoices=bills)

    assert attempt.amount == Decimal("188.00")
    assert attempt.status == AttemptStatus.OPEN
    method, path, params = fake.requests[-1]
    assert (method, path) == ("POST", "/v1/checkout/sessions")
    assert params["currency"] == "cny" and params["mode"] == "payment"
    assert params["allowed_payment_method_types"] == ["card", "alipay", "wechat_pay"]
    assert "payment_method_types" not in params  # gone in API 2026-10-28.endive
    assert params["payment_method_options"] == {"wechat_pay": {"client": "web"}}
    assert [item["price_data"]["unit_amount"] for item in params["line_items"]] == ["10000", "8800"]
    assert all(item["price_data"]["currency"] == "cny" and item["quantity"] == "1" for item in params["line_items"])
    assert bills[0].number in params["line_items"][0]["price_data"]["product_data"]["name"]
    assert params["metadata"] == {"attempt_id": str(attempt.pk)}
    assert params["client_reference_id"] == f"attempt-{attempt.pk}"
    assert params["success_url"] == f"{SITE_URL}/portal/payments/{attempt.pk}/"
    assert params["cancel_url"].startswith(f"{SITE_URL}/portal/payments/{attempt.pk}/")
    expires = int(params["expires_at"]) - timezone.now().timestamp()
    assert 30 * 60 < expires <= 31 * 60  # Stripe refuses less than 30 minutes
    assert attempt.checkout_url == fake.sessions[attempt.provider_session_id]["url"]
    assert fake.sessions[attempt.provider_session_id]["amount_total"] == 18800


def test_every_request_sent_to_stripe_is_valid_for_the_pinned_api(fake, deliver, settings):
    """Create, pay, retrieve, refund, expire, list: each request checked against stripe.params."""
    user, owner, unit, bills = owner_with_bills(amounts=("10.00", "20.00", "30.00"))
    first = attempt_create(user=user, invoices=bills[:1])
    attempt_cancel(attempt=first)
    second = attempt_create(user=user, invoices=bills[1:])
    fake.pay(second.provider_session_id)
    deliver(fake.session_event("checkout.session.completed", second.provider_session_id))
    online_refund(payment=Payment.objects.get(), amount=Decimal("5.00"), reason="goodwill")
    call_command("stripe_reconcile", "--since", str(timezone.localdate()), stdout=StringIO())

    sent = {(m, p.split("/cs_")[0].split("/pi_")[0]) for m, p, _ in fake.requests}
    assert sent >= {
        ("POST", "/v1/checkout/sessions"),
        ("GET", "/v1/checkout/sessions"),
        ("GET", "/v1/payment_intents"),
        ("POST", "/v1/refunds"),
    }
    assert any(p.endswith("/expire") for _, p, _ in fake.requests)
    assert fake.errors == []


def test_the_fake_refuses_what_the_pinned_api_refuses(fake):
    """The parameter check can fail: the old payment_method_types and a bad wechat client are refused."""
    import stripe

    client = get_provider().client
    with pytest.raises(stripe.InvalidRequestError, match="payment_method_types"):
        client.v1.checkout.sessions.create(
            params={"mode": "payment", "payment_method_types": ["card"], "success_url": "https://x/"}
        )
    with pytest.raises(stripe.InvalidRequestError, match="client"):
        client.v1.checkout.sessions.create(
            params={"mode": "payment", "payment_method_options": {"wechat_pay": {"client": "desktop"}}}
        )
    assert len(fake.errors) == 2
    fake.errors.clear()


def test_paid_and_void_bills_are_refused_with_a_clear_message(fake):
    user, owner, unit, bills = owner_with_bills(amounts=("50.00", "60.00"))
    payment_record(
        estate=unit.building.estate,
        invoices=[bills[0]],
        amount=Decimal("50.00"),
        method=PaymentMethod.CASH,
        received_at=timezone.now(),
        reference="CASH-2",
        payer_name=owner.name,
    )
    invoice_void(invoice=bills[1], reason="issued in error")

    with pytest.raises(ValidationError, match=re.escape(_("Bill %(number)s is already paid.") % {"number": bills[0].number})):
        attempt_create(user=user, invoices=[bills[0]])
    cancelled = _("Bill %(number)s has been cancelled and cannot be paid.") % {"number": bills[1].number}
    with pytest.raises(ValidationError, match=re.escape(cancelled)):
        attempt_create(user=user, invoices=[Invoice.objects.get(pk=bills[1].pk)])
    assert PaymentAttempt.objects.count() == 0
    assert fake.requests == []


def test_another_owners_bill_cannot_be_put_in_an_attempt(fake):
    user, *_ = owner_with_bills()
    _, _, _, their_bills = owner_with_bills(mobile="13800000002", name="李四")

    with pytest.raises(Invoice.DoesNotExist):
        attempt_create(user=user, invoices=their_bills)
    assert PaymentAttempt.objects.count() == 0


def test_a_second_tab_is_refused_while_the_first_payment_is_open(fake):
    user, owner, unit, bills = owner_with_bills()
    first = attempt_create(user=user, invoices=bills)

    with pytest.raises(PaymentInProgressError) as refused:
        attempt_create(user=user, invoices=[bills[1]])

    assert refused.value.attempt == first
    assert refused.value.messages[0] == _(
        "A payment for some of these bills is already in progress (perhaps in another window). Finish or cancel it first."
    )
    assert PaymentAttempt.objects.count() == 1
    # Cancelling the first closes its page at Stripe and frees the bills.
    attempt_cancel(attempt=first)
    assert fake.sessions[first.provider_session_id]["status"] == "expired"
    assert PaymentAttempt.objects.get(pk=first.pk).status == AttemptStatus.EXPIRED
    assert attempt_create(user=user, invoices=[bills[1]]).status == AttemptStatus.OPEN


def test_cancelling_a_page_that_was_paid_meanwhile_applies_the_payment(fake):
    user, owner, unit, bills = owner_with_bills()
    attempt = attempt_create(user=user, invoices=bills)
    fake.pay(attempt.provider_session_id)

    attempt = attempt_cancel(attempt=attempt)

    assert attempt.status == AttemptStatus.PAID
    assert Payment.objects.get().reference == attempt.provider_session_id
    assert statuses(bills) == [InvoiceStatus.PAID, InvoiceStatus.PAID]


def test_when_stripe_cannot_be_reached_nothing_is_charged_and_the_bills_stay_free(fake):
    user, owner, unit, bills = owner_with_bills()
    fake.fail_next("POST", "/v1/checkout/sessions", status=500)
    fake.fail_next("POST", "/v1/checkout/sessions", status=500)
    fake.fail_next("POST", "/v1/checkout/sessions", status=500)  # the client retries twice

    unreachable = _("The payment service cannot be reached right now. Nothing was charged; please try again later.")
    with pytest.raises(ValidationError, match=re.escape(unreachable)):
        attempt_create(user=user, invoices=bills)

    assert PaymentAttempt.objects.get().status == AttemptStatus.FAILED
    assert attempt_create(user=user, invoices=bills).status == AttemptStatus.OPEN


def test_two_tabs_both_paid_the_second_is_refunded_through_stripe_never_double_credited(fake, deliver):
    """Tab 1's page outlived the local block (clock skew, a very slow payer): both pages got paid."""
    user, owner, unit, bills = owner_with_bills(amounts=("120.50", "88.00"))
    first = attempt_create(user=user, invoices=bills)
    PaymentAttempt.objects.filter(pk=first.pk).update(created_at=timezone.now() - datetime.timedelta(hours=1))
    second = attempt_create(user=user, invoices=bills)
    fake.pay(first.provider_session_id, method="card")
    fake.pay(second.provider_session_id, method="alipay")

    deliver(fake.session_event("checkout.session.completed", first.provider_session_id))
    deliver(fake.session_event("checkout.session.completed", second.provider_session_id))
    deliver(fake.session_event("checkout.session.completed", second.provider_session_id))

    assert [i.paid_amount for i in Invoice.objects.filter(pk__in=[b.pk for b in bills]).order_by("pk")] == [
        Decimal("120.50"),
        Decimal("88.00"),
    ]
    assert Payment.objects.count() == 1 and Payment.objects.get().attempt_id == first.pk
    second.refresh_from_db()
    assert second.status == AttemptStatus.FAILED and "refunded" in second.flag_reason
    charge = fake.charge_of(second.provider_session_id)
    assert charge["amount_refunded"] == 20850  # all of it, once, although delivered twice
    assert [r["metadata"] for r in fake.refunds.values()] == [{"anju_kind": "excess", "attempt_id": str(second.pk)}]
    # Stripe then reports the refund: it is ours, not a refund of the first payment.
    deliver(fake.event("charge.refunded", charge))
    assert Refund.objects.count() == 0
    assert Payment.objects.get().refunded_amount == 0


def test_cash_taken_while_the_owner_paid_online_keeps_the_rest_and_refunds_the_overlap(fake, deliver):
    user, owner, unit, bills = owner_with_bills(amounts=("120.50", "88.00"))
    attempt = attempt_create(user=user, invoices=bills)
    payment_record(  # at the estate office, the same morning
        estate=unit.building.estate,
        invoices=[bills[0]],
        amount=Decimal("120.50"),
        method=PaymentMethod.CASH,
        received_at=timezone.now(),
        reference="CASH-3",
        payer_name=owner.name,
    )
    fake.pay(attempt.provider_session_id)

    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))

    online = Payment.objects.get(attempt=attempt)
    assert online.amount == Decimal("88.00")
    assert statuses(bills) == [InvoiceStatus.PAID, InvoiceStatus.PAID]
    assert fake.charge_of(attempt.provider_session_id)["amount_refunded"] == 12050
    assert PaymentAttempt.objects.get(pk=attempt.pk).status == AttemptStatus.PAID
    assert Invoice.objects.get(pk=bills[0].pk).paid_amount == Decimal("120.50")  # not 241.00


def test_a_staff_refund_of_an_online_payment_goes_through_stripe_and_is_booked_once(fake, deliver):
    user, owner, unit, bills = owner_with_bills(amounts=("120.50", "88.00"))
    attempt = attempt_create(user=user, invoices=bills)
    fake.pay(attempt.provider_session_id)
    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))
    payment = Payment.objects.get()

    refund = online_refund(payment=payment, amount=Decimal("88.00"), reason="moved out")
    deliver(fake.event("charge.refunded", fake.charge_of(attempt.provider_session_id)))

    assert Refund.objects.get() == refund
    assert fake.charge_of(attempt.provider_session_id)["amount_refunded"] == 8800
    assert statuses(bills) == [InvoiceStatus.PAID, InvoiceStatus.OPEN]
    with pytest.raises(ValidationError):
        online_refund(payment=Payment.objects.get(), amount=Decimal("200.00"), reason="too much")


def test_books_stay_balanced_through_payment_and_refunds(fake, deliver):
    user, owner, unit, bills = owner_with_bills(amounts=("120.50", "88.00"))
    attempt = attempt_create(user=user, invoices=bills)
    fake.pay(attempt.provider_session_id)
    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))
    deliver(fake.event("charge.refunded", fake.refund_in_dashboard(attempt.provider_session_id, amount=1000)))

    entries = LedgerEntry.objects.filter(estate=unit.building.estate)
    receivable = sum(e.amount for e in entries if e.debit.kind == "receivable") - sum(
        e.amount for e in entries if e.credit.kind == "receivable"
    )
    still_owed = sum(i.total - i.paid_amount for i in Invoice.objects.filter(estate=unit.building.estate))
    assert receivable == still_owed == Decimal("10.00")


# --- reconciliation ---------------------------------------------------------------------------


def test_reconcile_lists_sessions_paid_at_stripe_but_missing_here_and_applies_them_once(fake):
    user, owner, unit, bills = owner_with_bills()
    attempt = attempt_create(user=user, invoices=bills)
    fake.pay(attempt.provider_session_id)  # the webhook never arrived

    report = StringIO()
    call_command("stripe_reconcile", "--since", str(timezone.localdate()), stdout=report)
    assert f"PAID AT STRIPE, MISSING HERE: {attempt.provider_session_id}" in report.getvalue()
    assert Payment.objects.count() == 0

    applied = StringIO()
    call_command("stripe_reconcile", "--since", str(timezone.localdate()), "--apply", stdout=applied)
    call_command("stripe_reconcile", "--since", str(timezone.localdate()), "--apply", stdout=StringIO())

    payment = Payment.objects.get()
    assert payment.reference == attempt.provider_session_id
    assert f"applied: payment {payment.pk}" in applied.getvalue()
    assert statuses(bills) == [InvoiceStatus.PAID, InvoiceStatus.PAID]
    again = StringIO()
    call_command("stripe_reconcile", "--since", str(timezone.localdate()), stdout=again)
    assert "missing here: 0" in again.getvalue()


def test_reconcile_lists_payments_recorded_here_that_stripe_does_not_report_paid(fake, deliver):
    user, owner, unit, bills = owner_with_bills()
    attempt = attempt_create(user=user, invoices=bills)
    fake.pay(attempt.provider_session_id)
    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))
    fake.sessions[attempt.provider_session_id]["payment_status"] = "unpaid"  # Stripe disagrees

    report = StringIO()
    call_command("stripe_reconcile", "--since", str(timezone.localdate()), stdout=report)

    assert f"RECORDED HERE, NOT PAID AT STRIPE: {attempt.provider_session_id}" in report.getvalue()


def test_reconcile_refuses_a_malformed_date(fake):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--since"):
        call_command("stripe_reconcile", "--since", "last week", stdout=StringIO())


# --- two handlers at once, on PostgreSQL ---------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_handling_events_of_the_same_session_at_once_make_one_payment(fake):
    """…and one transfer to each of the two payees (issue 12: exactly once under concurrent events)."""
    user, owner, unit, bills = owner_with_bills()
    bills.append(bill(unit, Decimal("30.00"), kind=ChargeKind.MAINTENANCE_FUND, period=datetime.date(2026, 6, 1)))
    attempt = attempt_create(user=user, invoices=bills)
    fake.pay(attempt.provider_session_id)
    assert connection.vendor == "postgresql"
    # Stored as the webhook stores them, but not handled yet: the workers below race to do it.
    events = [
        ProviderEvent.objects.create(provider="stripe", event_id=payload["id"], type=payload["type"], payload=payload)
        for payload in (
            fake.session_event(kind, attempt.provider_session_id)
            for kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded", "checkout.session.completed")
        )
    ]

    barrier = threading.Barrier(len(events))
    errors = []

    def work(event_pk):
        try:
            barrier.wait(timeout=10)
            provider_event_process(event_pk)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(e.pk,)) for e in events]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    assert Payment.objects.filter(reference=attempt.provider_session_id).count() == 1
    assert ProviderEvent.objects.filter(processed_at__isnull=False).count() == 3
    assert statuses(bills) == [InvoiceStatus.PAID, InvoiceStatus.PAID, InvoiceStatus.PAID]
    made = fake.transfers_of(transfer_group=f"attempt-{attempt.pk}")
    assert sorted(t["amount"] for t in made) == [3000, 20850]  # the owners' fund; the manager's two bills
    assert Transfer.objects.filter(provider_transfer_id__isnull=False).count() == 2
    assert ledger_balances(estate_id=attempt.estate_id)[AccountKind.TRANSFERRED] == Decimal("238.50")


def test_cancelling_while_stripe_is_down_keeps_the_bills_blocked_and_says_so(fake):
    user, owner, unit, bills = owner_with_bills()
    attempt = attempt_create(user=user, invoices=bills)
    for _attempt in range(3):  # the client retries twice
        fake.fail_next("POST", f"/v1/checkout/sessions/{attempt.provider_session_id}/expire", status=500)

    with pytest.raises(ValidationError, match=re.escape(_("The payment could not be cancelled. Please try again."))):
        attempt_cancel(attempt=attempt)

    assert PaymentAttempt.objects.get(pk=attempt.pk).status == AttemptStatus.OPEN
    with pytest.raises(PaymentInProgressError):
        attempt_create(user=user, invoices=bills)
