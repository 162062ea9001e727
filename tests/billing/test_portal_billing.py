"""The owner's "My bills" pages on the portal: who sees what, paying, results, receipts, query counts."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import AttemptStatus, Invoice, InvoiceStatus, Payment, PaymentAttempt, PaymentMethod, Receipt
from billing.services import attempt_create, invoice_void, payment_record
from tests.billing.factories import bill
from tests.billing.fake_stripe import deliver_fixture, fake_fixture, owner_with_bills  # noqa: F401

pytestmark = pytest.mark.django_db

PASSWORD = "pw-anju-test"


@pytest.fixture
def owner(client, fake):
    user, owner, unit, bills = owner_with_bills(amounts=("120.50", "88.00"))
    client.force_login(user)
    return user, unit, bills


@pytest.fixture
def other_owner(fake):
    return owner_with_bills(mobile="13800000002", name="李四", amounts=("66.60",))


def messages_on(response) -> list[str]:
    """The messages shown on the page, in the language the owner sees (zh-hans unless chosen)."""
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_the_bills_page_lists_my_open_bills_and_not_another_owners(client, owner, other_owner):
    user, unit, bills = owner
    their_bill = other_owner[3][0]

    response = client.get("/portal/bills/")

    page = response.content.decode()
    assert response.status_code == 200
    for b in bills:
        assert b.number in page and f'value="{b.pk}"' in page
    assert "¥120.50" in page and "¥88.00" in page
    assert their_bill.number not in page and "66.60" not in page


def test_paying_two_bills_redirects_to_a_cny_checkout_for_their_sum(client, owner, fake):
    user, unit, bills = owner

    response = client.post("/portal/bills/checkout/", {"invoice": [b.pk for b in bills]})

    attempt = PaymentAttempt.objects.get()
    assert response.status_code == 302
    assert response["Location"] == attempt.checkout_url == fake.sessions[attempt.provider_session_id]["url"]
    assert attempt.amount == Decimal("208.50") and attempt.user == user
    assert fake.sessions[attempt.provider_session_id]["amount_total"] == 20850


def test_paying_another_owners_bill_is_not_found(client, owner, other_owner):
    user, unit, bills = owner
    their_bill = other_owner[3][0]

    assert client.post("/portal/bills/", {"invoice": [their_bill.pk]}).status_code == 404
    assert client.post("/portal/bills/", {"invoice": [bills[0].pk, their_bill.pk]}).status_code == 404
    assert client.post("/portal/bills/", {"invoice": ["x"]}).status_code == 404
    assert PaymentAttempt.objects.count() == 0


def test_paying_a_paid_or_void_bill_is_refused_with_a_clear_message(client, owner):
    user, unit, bills = owner
    payment_record(
        estate=unit.building.estate,
        invoices=[bills[0]],
        amount=Decimal("120.50"),
        method=PaymentMethod.CASH,
        received_at=timezone.now(),
        reference="CASH-P1",
        payer_name="张小三",
    )
    invoice_void(invoice=bills[1], reason="issued in error")

    paid = client.post("/portal/bills/", {"invoice": [bills[0].pk]}, follow=True)
    void = client.post("/portal/bills/", {"invoice": [bills[1].pk]}, follow=True)

    assert _("Bill %(number)s is already paid.") % {"number": bills[0].number} in messages_on(paid)
    assert _("Bill %(number)s has been cancelled and cannot be paid.") % {"number": bills[1].number} in messages_on(void)
    assert PaymentAttempt.objects.count() == 0


def test_nothing_picked_is_refused(client, owner):
    response = client.post("/portal/bills/", {}, follow=True)

    assert _("Choose at least one bill to pay.") in messages_on(response)


def test_a_second_tab_is_told_a_payment_is_in_progress(client, owner):
    user, unit, bills = owner
    client.post("/portal/bills/checkout/", {"invoice": [bills[0].pk]})

    response = client.post("/portal/bills/", {"invoice": [b.pk for b in bills]}, follow=True)

    assert _(
        "A payment for some of these bills is already in progress (perhaps in another window). Finish or cancel it first."
    ) in messages_on(response)
    assert PaymentAttempt.objects.count() == 1
    attempt = PaymentAttempt.objects.get()
    assert f"/portal/payments/{attempt.pk}/" in response.content.decode()  # "see or cancel it"


def test_the_result_page_says_paid_and_offers_the_receipt(client, owner, fake, deliver):
    user, unit, bills = owner
    attempt = attempt_create(user=user, invoices=bills)
    fake.pay(attempt.provider_session_id)
    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))

    response = client.get(f"/portal/payments/{attempt.pk}/")

    page = response.content.decode()
    receipt = Receipt.objects.get()
    assert 'data-status="paid"' in page
    assert f"/portal/receipts/{receipt.pk}.pdf" in page
    assert 'http-equiv="refresh"' not in page


def test_while_waiting_the_result_page_refreshes_itself(client, owner, fake):
    user, unit, bills = owner
    attempt = attempt_create(user=user, invoices=bills)

    page = client.get(f"/portal/payments/{attempt.pk}/").content.decode()

    assert 'data-status="waiting"' in page
    assert 'http-equiv="refresh"' in page
    assert attempt.checkout_url in page  # "continue to payment"


def test_the_result_page_checks_stripe_when_the_webhook_is_late(client, owner, fake):
    user, unit, bills = owner
    attempt = attempt_create(user=user, invoices=bills)
    fake.pay(attempt.provider_session_id)  # paid, but no webhook yet

    page = client.get(f"/portal/payments/{attempt.pk}/").content.decode()

    assert 'data-status="paid"' in page
    assert Payment.objects.get().reference == attempt.provider_session_id
    assert [Invoice.objects.get(pk=b.pk).status for b in bills] == [InvoiceStatus.PAID, InvoiceStatus.PAID]


def test_cancelling_frees_the_bills(client, owner, fake):
    user, unit, bills = owner
    attempt = attempt_create(user=user, invoices=bills)

    response = client.post(f"/portal/payments/{attempt.pk}/cancel/", follow=True)

    assert PaymentAttempt.objects.get(pk=attempt.pk).status == AttemptStatus.EXPIRED
    assert _("The payment was cancelled. Nothing was charged.") in messages_on(response)
    assert client.post("/portal/bills/checkout/", {"invoice": [bills[0].pk]}).status_code == 302
    assert PaymentAttempt.objects.filter(status=AttemptStatus.OPEN).count() == 1


VOIDED_NOTE = "Refunded because the bill was voided (cancelled) in the meantime: %(numbers)s."
PAID_NOTE = "Refunded because the bill had already been paid in the meantime: %(numbers)s."


def test_money_for_a_bill_voided_meanwhile_is_refunded_and_the_owner_is_told_it_was_voided(client, owner, fake, deliver):
    """Issue 9 item 3: staff void a bill while the owner is on the payment page; the webhook applies
    the rest and refunds the voided bill's money, and says "voided", never "already paid"."""
    user, unit, bills = owner
    attempt = attempt_create(user=user, invoices=bills)
    invoice_void(invoice=bills[1], reason="issued in error")
    fake.pay(attempt.provider_session_id)

    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))
    page = client.get(f"/portal/payments/{attempt.pk}/").content.decode()

    assert fake.charge_of(attempt.provider_session_id)["amount_refunded"] == 8800
    attempt.refresh_from_db()
    assert attempt.flag_reason == f"¥88.00 refunded automatically: voided {bills[1].number}"
    assert 'data-status="paid"' in page
    assert _(VOIDED_NOTE) % {"numbers": bills[1].number} in page
    assert _(PAID_NOTE) % {"numbers": bills[1].number} not in page
    assert "had been paid in the meantime" not in page and "已付" not in page


def test_when_every_bill_was_voided_the_failed_page_says_voided_not_already_paid(client, owner, fake, deliver):
    user, unit, bills = owner
    attempt = attempt_create(user=user, invoices=bills[:1])
    invoice_void(invoice=bills[0], reason="issued in error")
    fake.pay(attempt.provider_session_id)

    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))
    page = client.get(f"/portal/payments/{attempt.pk}/").content.decode()

    assert 'data-status="failed"' in page
    assert _(VOIDED_NOTE) % {"numbers": bills[0].number} in page
    assert _("these bills had already been paid, so the ¥%(amount)s was refunded to you.") % {"amount": "120.50"} not in page
    assert "already" not in PaymentAttempt.objects.get(pk=attempt.pk).flag_reason


def test_money_for_a_bill_paid_meanwhile_still_says_already_paid(client, owner, fake, deliver):
    user, unit, bills = owner
    attempt = attempt_create(user=user, invoices=bills)
    payment_record(
        estate=unit.building.estate,
        invoices=[bills[0]],
        amount=Decimal("120.50"),
        method=PaymentMethod.CASH,
        received_at=timezone.now(),
        reference="CASH-9",
        payer_name="张小三",
    )
    fake.pay(attempt.provider_session_id)

    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))
    page = client.get(f"/portal/payments/{attempt.pk}/").content.decode()

    assert _(PAID_NOTE) % {"numbers": bills[0].number} in page
    assert _(VOIDED_NOTE) % {"numbers": bills[0].number} not in page


def test_a_flagged_payment_tells_the_owner_not_to_pay_again(client, owner, fake, deliver):
    user, unit, bills = owner
    attempt = attempt_create(user=user, invoices=bills)
    fake.pay(attempt.provider_session_id, amount=100)
    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))

    page = client.get(f"/portal/payments/{attempt.pk}/").content.decode()

    assert 'data-status="review"' in page


def test_the_receipt_downloads_as_a_pdf_rendered_on_demand(client, owner):
    user, unit, bills = owner
    payment = payment_record(
        estate=unit.building.estate,
        invoices=bills,
        amount=Decimal("208.50"),
        method=PaymentMethod.ALIPAY,
        received_at=timezone.now(),
        reference="cs_test_portal",
        payer_name="张小三",
        payer_user=user,
    )
    receipt = Receipt.objects.get(payment=payment)
    assert not receipt.pdf  # the task has not run (this test's transaction never commits)

    response = client.get(f"/portal/receipts/{receipt.pk}.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"{receipt.number}.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    receipt.refresh_from_db()
    assert receipt.pdf


def test_a_receipt_for_cash_paid_at_the_office_is_mine_too(client, owner):
    user, unit, bills = owner
    payment = payment_record(  # recorded by staff: no payer_user, but it paid my bill
        estate=unit.building.estate,
        invoices=[bills[0]],
        amount=Decimal("120.50"),
        method=PaymentMethod.CASH,
        received_at=timezone.now(),
        reference="CASH-P2",
        payer_name="张小三",
    )

    page = client.get("/portal/bills/").content.decode()

    assert payment.receipt.number in page
    assert client.get(f"/portal/receipts/{payment.receipt.pk}.pdf").status_code == 200


def test_every_url_refuses_another_owner_with_404(client, owner, other_owner, fake):
    their_user, _, their_unit, their_bills = other_owner
    their_attempt = attempt_create(user=their_user, invoices=their_bills)
    their_payment = payment_record(
        estate=their_unit.building.estate,
        invoices=their_bills,
        amount=Decimal("66.60"),
        method=PaymentMethod.CASH,
        received_at=timezone.now(),
        reference="CASH-THEIRS",
        payer_name="李四",
        payer_user=their_user,
    )

    assert client.get(f"/portal/payments/{their_attempt.pk}/").status_code == 404
    assert client.post(f"/portal/payments/{their_attempt.pk}/cancel/").status_code == 404
    assert client.get(f"/portal/receipts/{their_payment.receipt.pk}.pdf").status_code == 404
    assert client.post("/portal/bills/", {"invoice": [their_bills[0].pk]}).status_code == 404
    assert client.post("/portal/bills/checkout/", {"invoice": [their_bills[0].pk]}).status_code == 404
    assert PaymentAttempt.objects.get(pk=their_attempt.pk).status == AttemptStatus.OPEN


def test_every_url_sends_an_anonymous_visitor_to_the_login_page(client, other_owner, fake):
    their_user, _, their_unit, their_bills = other_owner
    attempt = attempt_create(user=their_user, invoices=their_bills)
    urls = [
        ("get", "/portal/bills/"),
        ("post", "/portal/bills/"),
        ("post", "/portal/bills/checkout/"),
        ("get", f"/portal/payments/{attempt.pk}/"),
        ("post", f"/portal/payments/{attempt.pk}/cancel/"),
        ("get", "/portal/receipts/1.pdf"),
    ]
    for method, url in urls:
        response = getattr(client, method)(url, {"invoice": [their_bills[0].pk]} if method == "post" else None)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url
    assert PaymentAttempt.objects.count() == 1


def test_the_portal_home_shows_what_i_owe(client, owner):
    page = client.get("/portal/").content.decode()

    assert "¥208.50" in page
    assert "/portal/bills/" in page


def test_the_portal_home_has_no_bills_section_for_someone_without_bills(client, fake):
    from accounts.models import User

    client.force_login(User.objects.create_user("13700000009", PASSWORD, name="租客"))

    page = client.get("/portal/").content.decode()

    assert 'id="my-bills"' not in page  # the 缴费 tab stays in the tab bar


@pytest.mark.parametrize("count", [10, 1000])
def test_the_bills_page_runs_the_same_queries_for_10_and_1000_bills(client, fake, count, django_assert_num_queries):
    user, owner_, unit, bills = owner_with_bills(amounts=("10.00",))
    # Half open, half paid (history), each with its own payment and receipt for the paid ones.
    more = [bill(unit, Decimal("12.30"), period=datetime.date(1900 + i // 12, 1 + i % 12, 1)) for i in range(count - 1)]
    for b in more[: count // 2]:
        payment_record(
            estate=unit.building.estate,
            invoices=[b],
            amount=b.total,
            method=PaymentMethod.CASH,
            received_at=timezone.now(),
            reference=f"CASH-{b.pk}",
            payer_name="张小三",
            payer_user=user,
        )
    client.force_login(user)

    with django_assert_num_queries(7):  # session, user, open bills, history count + page, payments, attempts
        response = client.get("/portal/bills/")

    assert response.status_code == 200
    page = response.content.decode()
    assert len(re.findall(r'name="invoice"', page)) == count - count // 2


def test_a_bill_names_its_charge_and_status_in_the_owners_language_as_django_would():
    """Invoice's own get_charge_kind_display / get_status_display (cheap, issue 16) say what Django's say,
    for every registered charge and every status, and the stored code for a charge nobody registered."""
    from django.utils import translation

    from billing.charges import charge_kinds

    charge, status = Invoice._meta.get_field("charge_kind"), Invoice._meta.get_field("status")
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for kind in [k.code for k in charge_kinds()] + ["no_such_charge"]:
                invoice = Invoice(charge_kind=kind, status=InvoiceStatus.OPEN)
                assert invoice.get_charge_kind_display() == invoice._get_FIELD_display(charge)
            for value in [*InvoiceStatus.values, "no_such_status"]:
                invoice = Invoice(charge_kind="property_fee", status=value)
                assert invoice.get_status_display() == invoice._get_FIELD_display(status)
    with translation.override("zh-hans"):
        assert Invoice(charge_kind="property_fee", status="overdue").get_status_display() != "overdue"
