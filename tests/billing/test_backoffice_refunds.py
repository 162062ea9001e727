"""Staff refunds in the back office (issue 9 item 1): a card, Alipay or WeChat Pay payment is refunded
through the payment provider (here the fake Stripe), a cash or bank-transfer payment at the counter.

Everything goes through the refund page a staff member uses: the form's key makes a double post
refund once, a provider failure books nothing and says so in Chinese and English, and staff of
another estate cannot refund at all.
"""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from billing.models import Invoice, InvoiceStatus, LedgerEntry, MoneyAudit, Payment, PaymentMethod, Refund
from billing.services import attempt_create, payment_record
from estates.models import Unit
from estates.services import role_grant
from tests.billing.fake_stripe import deliver_fixture, fake_fixture, owner_with_bills  # noqa: F401
from tests.estates.factories import UserFactory

from .factories import billed_estate

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_online(fake, deliver, sync_groups):
    """An owner paid two bills (¥120.50 + ¥88.00) by Alipay through Stripe; staff of the estate and of another."""
    user, owner, unit, bills = owner_with_bills(amounts=("120.50", "88.00"))
    attempt = attempt_create(user=user, invoices=bills)
    fake.pay(attempt.provider_session_id, method="alipay")
    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))
    estate = unit.building.estate
    staff = UserFactory(mobile="13900000701")
    role_grant(user=staff, role=Role.ESTATE_STAFF, estate=estate)
    other_estate, _units = billed_estate(units=1, code="OTHER")
    other_staff = UserFactory(mobile="13900000702")
    role_grant(user=other_staff, role=Role.ESTATE_STAFF, estate=other_estate)
    return {
        "user": user,
        "estate": estate,
        "bills": bills,
        "attempt": attempt,
        "payment": Payment.objects.get(attempt=attempt),
        "staff": staff,
        "other_staff": other_staff,
    }


def refund_url(payment) -> str:
    return reverse("billing_payment:refund", args=[payment.pk])


def form_key(client, payment) -> str:
    """The hidden key of the refund form, as the browser would send it back."""
    page = client.get(refund_url(payment)).content.decode()
    match = re.search(r'name="request_key" value="([0-9a-f]{32})"', page)
    assert match, "the refund form carries a one-time key"
    return match.group(1)


def bill_statuses(bills):
    return [Invoice.objects.get(pk=b.pk).status for b in bills]


def nothing_booked(payment):
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("0.00")
    assert not Refund.objects.exists()
    assert not LedgerEntry.objects.filter(refund__isnull=False).exists()
    assert not MoneyAudit.objects.filter(action="refund_record").exists()


def test_a_staff_refund_of_an_alipay_payment_reaches_stripe_and_stores_its_refund_id(client, fake, deliver, paid_online):
    payment, bills = paid_online["payment"], paid_online["bills"]
    client.force_login(paid_online["staff"])
    key = form_key(client, payment)
    assert 'data-route="provider"' in client.get(refund_url(payment)).content.decode()

    response = client.post(refund_url(payment), {"amount": "88.00", "reason": "业主搬走", "request_key": key}, follow=True)

    assert response.status_code == 200
    (stripe_refund,) = fake.refunds.values()
    assert stripe_refund["amount"] == 8800 and stripe_refund["payment_intent"] == payment.provider_payment_id
    assert fake.charge_of(paid_online["attempt"].provider_session_id)["amount_refunded"] == 8800
    refund = Refund.objects.get()
    assert refund.provider_refund_id == stripe_refund["id"]
    assert refund.created_by == paid_online["staff"] and refund.amount == Decimal("88.00")
    assert bill_statuses(bills) == [InvoiceStatus.PAID, InvoiceStatus.OPEN]
    shown = [str(m) for m in response.context["messages"]]
    assert _("Refunded through the payment provider (refund %(id)s).") % {"id": stripe_refund["id"]} in shown
    # Stripe then reports the refund: it is the one already booked.
    deliver(fake.event("charge.refunded", fake.charge_of(paid_online["attempt"].provider_session_id)))
    assert Refund.objects.count() == 1 and Payment.objects.get(pk=payment.pk).refunded_amount == Decimal("88.00")


def test_the_same_refund_form_posted_twice_refunds_once_at_stripe_and_in_the_books(client, fake, paid_online):
    payment = paid_online["payment"]
    client.force_login(paid_online["staff"])
    key = form_key(client, payment)
    data = {"amount": "50.00", "reason": "多收", "request_key": key}

    first = client.post(refund_url(payment), data)
    second = client.post(refund_url(payment), data)  # a double click, or the browser resending

    assert first.status_code == second.status_code == 302
    assert len(fake.refunds) == 1
    assert fake.charge_of(paid_online["attempt"].provider_session_id)["amount_refunded"] == 5000
    assert Refund.objects.count() == 1
    assert Payment.objects.get(pk=payment.pk).refunded_amount == Decimal("50.00")
    # A new form is a new refund.
    assert client.post(refund_url(payment), {**data, "request_key": form_key(client, payment)}).status_code == 302
    assert Refund.objects.count() == 2 and len(fake.refunds) == 2


def test_the_stripe_call_happens_outside_any_database_transaction(client, fake, paid_online, monkeypatch):
    """Slow I/O stays outside transactions: no atomic block of the view is open while Stripe is called."""
    payment = paid_online["payment"]
    client.force_login(paid_online["staff"])
    key = form_key(client, payment)
    outer = len(connection.atomic_blocks)  # the test's own transaction
    seen = []
    original = fake.refund_create

    def watching(params):
        seen.append(len(connection.atomic_blocks))
        return original(params)

    monkeypatch.setattr(fake, "refund_create", watching)

    client.post(refund_url(payment), {"amount": "10.00", "reason": "x", "request_key": key})

    assert seen == [outer]
    assert Refund.objects.count() == 1


@pytest.mark.parametrize("failure", ["refused", "unreachable"])
def test_when_stripe_fails_nothing_is_booked_and_staff_read_why_in_chinese_and_english(client, fake, paid_online, failure):
    payment, bills = paid_online["payment"], paid_online["bills"]
    client.force_login(paid_online["staff"])
    key = form_key(client, payment)
    if failure == "refused":
        fake.fail_next("POST", "/v1/refunds", status=400)
    else:  # the library retries a 500 twice: fail all three tries
        for _try in range(3):
            fake.fail_next("POST", "/v1/refunds", status=500)

    response = client.post(refund_url(payment), {"amount": "88.00", "reason": "业主搬走", "request_key": key})

    assert response.status_code == 200
    page = response.content.decode()
    assert "支付服务没有确认这笔退款" in page
    assert "The payment provider did not confirm the refund" in page and "Nothing was booked here" in page
    assert not fake.refunds
    nothing_booked(payment)
    assert bill_statuses(bills) == [InvoiceStatus.PAID, InvoiceStatus.PAID]
    # The page keeps the same key: submitting it again once Stripe answers refunds once.
    assert f'value="{key}"' in page
    assert client.post(refund_url(payment), {"amount": "88.00", "reason": "业主搬走", "request_key": key}).status_code == 302
    assert Refund.objects.count() == 1 and len(fake.refunds) == 1


def test_staff_of_another_estate_cannot_refund_and_stripe_is_never_called(client, fake, paid_online):
    payment = paid_online["payment"]
    client.force_login(paid_online["other_staff"])
    calls_before = len(fake.requests)

    assert client.get(refund_url(payment)).status_code == 404
    response = client.post(refund_url(payment), {"amount": "88.00", "reason": "x", "request_key": "a" * 32})

    assert response.status_code == 404
    assert len(fake.requests) == calls_before and not fake.refunds
    nothing_booked(payment)


def test_the_owner_who_paid_cannot_refund_themselves_in_the_back_office(client, fake, paid_online):
    payment = paid_online["payment"]
    client.force_login(paid_online["user"])

    response = client.post(refund_url(payment), {"amount": "88.00", "reason": "x", "request_key": "b" * 32})

    assert response.status_code in (302, 403, 404)
    assert not fake.refunds
    nothing_booked(payment)


def test_a_cash_payment_is_refunded_at_the_counter_without_stripe_and_once_per_form(client, fake, paid_online):
    estate = paid_online["estate"]
    building = paid_online["bills"][0].unit.building
    unit = Unit.objects.create(building=building, entrance=1, floor=2, number="201", exclusive_area=Decimal("70.00"))
    user, owner, unit, bills = owner_with_bills(mobile="13800000009", name="王五", amounts=("60.00",), unit=unit)
    cash = payment_record(
        estate=estate,
        invoices=bills,
        amount=Decimal("60.00"),
        method=PaymentMethod.CASH,
        received_at=timezone.now(),
        reference="CASH-77",
        payer_name="王五",
    )
    client.force_login(paid_online["staff"])
    key = form_key(client, cash)
    assert 'data-route="counter"' in client.get(refund_url(cash)).content.decode()
    calls_before = len(fake.requests)
    data = {"amount": "60.00", "reason": "重复缴费", "request_key": key}

    assert client.post(refund_url(cash), data).status_code == 302
    assert client.post(refund_url(cash), data).status_code == 302

    assert len(fake.requests) == calls_before  # Stripe is not involved
    refund = Refund.objects.get(payment=cash)
    assert refund.provider_refund_id is None
    assert Payment.objects.get(pk=cash.pk).refunded_amount == Decimal("60.00")
    assert Invoice.objects.get(pk=bills[0].pk).status != InvoiceStatus.PAID
