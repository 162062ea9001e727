"""A visitor pays the parking fee at the gate (issue 13): the gate answers ``open: false`` with the fee and
a ``pay_url``; the public page (no login) pays the stay's one bill through billing's checkout as a guest;
once paid, the gate sending its exit record again is answered ``open: true`` and nothing is written.

The fee is the owners' public income (Civil Code Arts. 275 para. 2, 282): its money is booked to the
owners' public income and transferred to the estate's public-income payee (docs/payments.md). Pages
are driven through Django's test client, Stripe through the fake (never the network).
"""

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing.ledger import ledger_balances
from billing.models import (
    AccountKind,
    Invoice,
    InvoiceStatus,
    LedgerEntry,
    Payee,
    Payment,
    PaymentAttempt,
    Transfer,
)
from billing.services import attempt_create, invoice_void
from property_services.models import ParkingRate, ParkingStay
from property_services.parking import BEIJING
from property_services.services.parking import PAY_LINK_SALT, gate_key_rotate, gate_signature, stay_pay_token
from tests.accounts.test_chinese_throughout import english_words, visible_text
from tests.billing.factories import bill, billed_estate
from tests.billing.fake_stripe import SITE_URL, deliver_fixture, fake_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

NOW = timezone.now().astimezone(BEIJING).replace(second=0, microsecond=0)


def rate(estate):
    return ParkingRate.objects.create(
        estate=estate,
        valid_from=datetime.date(2020, 1, 1),
        free_minutes=30,
        first_minutes=60,
        first_fee=Decimal("5.00"),
        interval_minutes=30,
        interval_fee=Decimal("2.00"),
        cap=Decimal("30.00"),
    )


@pytest.fixture(name="estate")
def estate_fixture(fake):
    """An estate with its payees (the owners' can take online payments), a visitor tariff and a gate key."""
    estate, _units = billed_estate(units=1, code="PAY1")
    rate(estate)
    gate_key_rotate(estate=estate)
    return estate


def post(client, estate, record: dict):
    body = json.dumps(record, ensure_ascii=False).encode()
    return client.post(
        f"/property/gates/{estate.code}/records/",
        data=body,
        content_type="application/json",
        HTTP_X_ANJU_GATE_SIGNATURE=gate_signature(estate.gate_key.key, body),
    )


def record(serial: str, direction: str, at: datetime.datetime, plate: str = "渝A12345", gate: str = "G1") -> dict:
    return {"gate": gate, "serial": serial, "direction": direction, "plate": plate, "at": at.isoformat()}


def stay_owing(client, estate, *, plate="渝A12345", minutes=61, ago=datetime.timedelta(hours=1), serial="1") -> dict:
    """A visitor entered ``minutes`` before leaving ``ago``; returns the gate's answer on leaving (¥7.00 for 61 min)."""
    left = NOW - ago
    post(client, estate, record(f"E-{serial}", "enter", left - datetime.timedelta(minutes=minutes), plate=plate))
    return post(client, estate, record(f"L-{serial}", "leave", left, plate=plate)).json()


def path_of(url: str) -> str:
    assert url.startswith(SITE_URL), url
    return url.removeprefix(SITE_URL)


def pay_at_the_fake(client, fake, answer) -> PaymentAttempt:
    """Press Pay on the page and pay at the (fake) Stripe Checkout; returns the attempt."""
    response = client.post(path_of(answer["pay_url"]) + "checkout/")
    attempt = PaymentAttempt.objects.get()
    assert response.status_code == 302 and response["Location"] == attempt.checkout_url
    fake.pay(attempt.provider_session_id, method="wechat_pay")
    return attempt


def test_a_visitor_leaving_owing_a_fee_is_not_let_out_and_is_given_the_fee_and_a_pay_url(client, estate):
    answer = stay_owing(client, estate)

    assert answer["open"] is False and answer["kind"] == "visitor" and answer["fee"] == "7.00"
    assert answer["paid"] is False and "扫码支付停车费" in answer["message"]
    stay = ParkingStay.objects.get()
    assert answer["pay_url"] == f"{SITE_URL}/parking/stay/{stay_pay_token(stay)}/"
    token = answer["pay_url"].rstrip("/").rsplit("/", 1)[1]
    assert signing.Signer(salt=PAY_LINK_SALT).unsign(token) == str(stay.pk)  # signed, not a bare id
    assert token != str(stay.pk)


def test_a_stay_without_a_fee_and_a_permit_holder_open_at_once(client, estate):
    free = stay_owing(client, estate, minutes=20)

    assert free["open"] is True and free["fee"] == "0.00" and free["pay_url"] is None and free["paid"] is None


def test_the_page_shows_the_stay_and_its_fee_and_a_pay_button_to_anyone_with_the_link(client, estate):
    answer = stay_owing(client, estate)
    stay = ParkingStay.objects.get()

    page = client.get(path_of(answer["pay_url"]))

    html = page.content.decode()
    assert page.status_code == 200
    assert estate.name in html and "渝A1**45" in html and "渝A12345" not in html  # the plate partly masked
    entered = stay.entered_at.astimezone(BEIJING)
    assert f"{entered:%Y-%m-%d %H:%M}" in html and f"{stay.left_at.astimezone(BEIJING):%Y-%m-%d %H:%M}" in html
    # One line per natural day of the stay (two when it crossed midnight in Beijing): ¥7.00 in all.
    lines = re.findall(r'data-testid="fee-line"><span>\d{4}-\d\d-\d\d 停车费</span> <span class="amount">¥(\d+\.\d\d)<', html)
    assert lines and html.count('data-testid="fee-line"') == len(lines)
    assert sum(Decimal(x) for x in lines) == Decimal("7.00")
    assert re.search(r'data-testid="amount"[^>]*>¥7.00<', html)
    assert re.search(r'<button type="submit" id="pay" data-testid="pay">支付 ¥7.00</button>', html)
    assert f"{estate.name}业主大会" in html  # the owners' payee (Art. 282)
    assert "no-store" in page["Cache-Control"]
    assert english_words(visible_text(html)) == set()  # Chinese throughout


def test_pay_webhook_then_the_gate_sending_its_record_again_opens_and_nothing_is_written(client, fake, deliver, estate):
    answer = stay_owing(client, estate)
    leave = record("L-1", "leave", NOW - datetime.timedelta(hours=1))
    stay = ParkingStay.objects.get()
    owners = Payee.objects.get(estate=estate, account_id__startswith="acct_1Own")

    attempt = pay_at_the_fake(client, fake, answer)
    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))

    assert attempt.user_id is None and PaymentAttempt.objects.get().status == "paid"
    invoice = Invoice.objects.get(pk=stay.invoice_id)
    assert invoice.status == InvoiceStatus.PAID
    before = (ParkingStay.objects.values().get(), Invoice.objects.count(), Payment.objects.count(), LedgerEntry.objects.count())
    again = post(client, estate, leave).json()
    assert again["open"] is True and again["paid"] is True and again["fee"] == "7.00" and again["pay_url"] is None
    after = (ParkingStay.objects.values().get(), Invoice.objects.count(), Payment.objects.count(), LedgerEntry.objects.count())
    assert after == before
    # The money, booked once: the owners' public income, the transfer to the owners' own payee.
    payment = Payment.objects.get()
    assert payment.amount == Decimal("7.00") and payment.payer_name == "渝A12345" and payment.payer_user is None
    transfer = Transfer.objects.get()
    assert transfer.payee == owners and transfer.amount == Decimal("7.00") and transfer.provider_transfer_id
    sent = [params for method, path, params in fake.requests if (method, path) == ("POST", "/v1/transfers")]
    assert [params["destination"] for params in sent] == [owners.account_id]
    balances = ledger_balances(estate_id=estate.pk)
    assert balances[AccountKind.PUBLIC_INCOME] == Decimal("-7.00")  # credited: the owners' income (debits − credits)
    assert balances.get(AccountKind.FEE_INCOME, Decimal("0.00")) == Decimal("0.00")  # none of it is the manager's
    assert balances[AccountKind.RECEIVABLE] == Decimal("0.00")
    assert balances[AccountKind.TRANSFERRED] == Decimal("7.00") and balances[AccountKind.PROVIDER_CLEARING] == Decimal("0.00")
    # The same notification again books nothing more.
    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))
    assert Payment.objects.count() == 1 and Transfer.objects.count() == 1 and LedgerEntry.objects.count() == before[3]
    # The page now says paid and that the gate opens.
    html = client.get(path_of(answer["pay_url"])).content.decode()
    assert 'data-status="paid"' in html and "道闸" in html and 'id="pay"' not in html


def test_the_result_page_syncs_the_payment_when_the_notification_is_late(client, fake, estate):
    answer = stay_owing(client, estate)
    attempt = pay_at_the_fake(client, fake, answer)
    assert fake.requests[0][2]["success_url"] == answer["pay_url"] + "result/"

    result = client.get(path_of(answer["pay_url"]) + "result/")

    html = result.content.decode()
    assert result.status_code == 200 and 'data-status="paid"' in html and "道闸" in html
    assert PaymentAttempt.objects.get(pk=attempt.pk).status == "paid" and Payment.objects.count() == 1
    assert post(client, estate, record("L-1", "leave", NOW - datetime.timedelta(hours=1))).json()["open"] is True
    receipt = client.get(path_of(answer["pay_url"]) + f"receipts/{Payment.objects.get().receipt.number}.pdf")
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"


def test_leaving_the_payment_page_without_paying_shows_waiting_and_the_payment_can_be_cancelled(client, fake, estate):
    answer = stay_owing(client, estate)
    page = path_of(answer["pay_url"])
    client.post(page + "checkout/")

    back = client.get(page + "result/", {"cancelled": "1"}).content.decode()
    twice = client.post(page + "checkout/")  # a second tap while the first payment is open: refused
    cancelled = client.post(page + "cancel/")

    assert 'data-status="waiting"' in back and 'id="cancel-payment"' in back
    assert twice.status_code == 400 and "正在进行" in twice.content.decode() and PaymentAttempt.objects.count() == 1
    assert cancelled.status_code == 302 and PaymentAttempt.objects.get().status == "expired"
    again = client.post(page + "checkout/")
    assert again.status_code == 302 and PaymentAttempt.objects.count() == 2


def test_a_paid_bill_cannot_be_paid_twice(client, fake, deliver, estate):
    answer = stay_owing(client, estate)
    attempt = pay_at_the_fake(client, fake, answer)
    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))
    sessions = len(fake.sessions)

    again = client.post(path_of(answer["pay_url"]) + "checkout/")

    assert again.status_code == 400 and "已缴清" in again.content.decode()
    assert PaymentAttempt.objects.count() == 1 and len(fake.sessions) == sessions and Payment.objects.count() == 1


@pytest.mark.parametrize("how", ["forged", "another stay's id under this signature", "garbage"])
def test_a_link_that_does_not_check_out_is_not_found_with_the_reason(client, fake, estate, how):
    answer = stay_owing(client, estate)
    token = answer["pay_url"].rstrip("/").rsplit("/", 1)[1]
    pk, signature = token.split(":")
    bad = {
        "forged": signing.Signer(key="not-the-sites-key", salt=PAY_LINK_SALT).sign(pk),
        "another stay's id under this signature": f"{int(pk) + 1}:{signature}",
        "garbage": "x",
    }[how]

    for suffix in ("", "result/", "receipts/PAY1-2026-000001.pdf"):
        response = client.get(f"/parking/stay/{bad}/{suffix}")
        assert response.status_code == 404 and "付款链接无效" in response.content.decode()
    assert client.post(f"/parking/stay/{bad}/checkout/").status_code == 404
    assert client.post(f"/parking/stay/{bad}/cancel/").status_code == 404
    assert not PaymentAttempt.objects.exists() and fake.sessions == {}


def test_an_expired_link_is_not_found_and_says_to_pay_at_the_counter(client, fake, estate):
    answer = stay_owing(client, estate, ago=datetime.timedelta(days=8))

    response = client.get(path_of(answer["pay_url"]))

    assert response.status_code == 404 and "已过期" in response.content.decode()
    assert client.post(path_of(answer["pay_url"]) + "checkout/").status_code == 404 and not PaymentAttempt.objects.exists()


def test_a_link_pays_only_its_own_stays_bill(client, fake, estate):
    mine = stay_owing(client, estate, plate="渝A12345", serial="1")
    theirs = stay_owing(client, estate, plate="渝B54321", serial="2", minutes=95)  # ¥9.00
    other_estate, _units = billed_estate(units=1, code="PAY2")
    rate(other_estate)
    gate_key_rotate(estate=other_estate)
    elsewhere = stay_owing(client, other_estate, plate="渝C11111", serial="3")
    their_bill = Invoice.objects.get(pk=ParkingStay.objects.get(plate="渝B54321").invoice_id)

    response = client.post(path_of(mine["pay_url"]) + "checkout/", {"invoice": [their_bill.pk], "stay": their_bill.source_id})

    attempt = PaymentAttempt.objects.get()
    assert response.status_code == 302
    assert [share.invoice.payer_name for share in attempt.attemptinvoice_set.all()] == ["渝A12345"]
    assert attempt.amount == Decimal("7.00") and attempt.estate_id == estate.pk
    assert theirs["pay_url"] != mine["pay_url"] != elsewhere["pay_url"]
    assert "渝B5**21" in client.get(path_of(theirs["pay_url"])).content.decode()
    assert "渝B5**21" not in client.get(path_of(mine["pay_url"])).content.decode()


def test_a_guest_cannot_pay_an_owners_bill_nor_several_bills(estate):
    unit = estate.buildings.get().units.get()
    owners_bill = bill(unit, Decimal("88.00"))

    with pytest.raises(Invoice.DoesNotExist):
        attempt_create(user=None, invoices=[owners_bill], return_path="/parking/stay/x/result/")
    with pytest.raises(ValueError):
        attempt_create(user=None, invoices=[owners_bill], return_path="")
    assert not PaymentAttempt.objects.exists()


def test_a_bill_whose_payee_cannot_take_online_payments_is_paid_at_the_counter(client, fake, estate):
    answer = stay_owing(client, estate)
    Payee.objects.filter(estate=estate).update(charges_enabled=False)

    page = client.get(path_of(answer["pay_url"])).content.decode()
    refused = client.post(path_of(answer["pay_url"]) + "checkout/")

    assert 'data-status="counter"' in page and 'id="pay"' not in page and "柜台" in page
    assert refused.status_code == 400 and not PaymentAttempt.objects.exists() and fake.sessions == {}


def test_a_fee_waived_by_staff_opens_the_gate_on_the_next_try(client, estate):
    answer = stay_owing(client, estate)
    invoice = Invoice.objects.get(pk=ParkingStay.objects.get().invoice_id)

    invoice_void(invoice=invoice, reason="访客车辆误入，免收", by=None)

    again = post(client, estate, record("L-1", "leave", NOW - datetime.timedelta(hours=1))).json()
    assert again["open"] is True and answer["open"] is False
    assert 'data-status="void"' in client.get(path_of(answer["pay_url"])).content.decode()


def test_refusals_of_the_checkout_are_kept_for_a_guest(client, fake, estate):
    answer = stay_owing(client, estate)
    invoice = Invoice.objects.get(pk=ParkingStay.objects.get().invoice_id)
    invoice_void(invoice=invoice, reason="误入", by=None)

    with pytest.raises(ValidationError, match="cannot be paid|不能支付|已作废|作废"):
        attempt_create(user=None, invoices=[Invoice.objects.get(pk=invoice.pk)], return_path=path_of(answer["pay_url"]))
