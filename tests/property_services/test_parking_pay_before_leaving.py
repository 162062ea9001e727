"""Paying the parking fee before leaving (issue 13): on the estate's pay page a visitor types the plate and
pays the fee so far; leaving within the tariff's grace minutes the gate opens, later only the extra is
billed at the exit. Every bill is the owners' public income (Civil Code Arts. 275 para. 2, 282).
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.ledger import ledger_balances
from billing.models import AccountKind, Invoice, InvoiceStatus, Payee, Payment, PaymentAttempt, Transfer
from property_services.models import ParkingPrepayment, ParkingStay
from property_services.parking import BEIJING
from tests.accounts.test_chinese_throughout import english_words, visible_text
from tests.billing.fake_stripe import deliver_fixture, fake_fixture  # noqa: F401
from tests.property_services.test_parking_pay import estate_fixture, path_of, post, record  # noqa: F401

pytestmark = pytest.mark.django_db


def parked(client, estate, *, minutes=61, plate="渝A12345") -> ParkingStay:
    """A visitor's car that entered ``minutes`` ago and is still in the estate."""
    entered = timezone.now().astimezone(BEIJING) - datetime.timedelta(minutes=minutes)
    assert post(client, estate, record("E-1", "enter", entered, plate=plate)).json()["open"] is True
    return ParkingStay.objects.get(plate=plate)


def find(client, estate, plate="渝A12345") -> str:
    """The estate's pay page: type the plate; returns the stay page it leads to."""
    assert client.get(f"/parking/{estate.code}/pay/").status_code == 200
    response = client.post(f"/parking/{estate.code}/pay/", {"plate": plate})
    assert response.status_code == 302, response.content.decode()
    return response["Location"]


def prepay(client, fake, deliver, page: str, amount: str) -> PaymentAttempt:
    response = client.post(page + "checkout/", {"amount": amount})
    attempt = PaymentAttempt.objects.order_by("-pk").first()
    assert response.status_code == 302 and response["Location"] == attempt.checkout_url
    fake.pay(attempt.provider_session_id, method="alipay")
    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))
    return attempt


def leave(client, estate, at: datetime.datetime, serial="L-1") -> dict:
    return post(client, estate, record(serial, "leave", at.astimezone(BEIJING))).json()


def test_a_visitor_pays_before_leaving_and_the_gate_opens_within_the_grace_minutes(client, fake, deliver, estate):
    stay = parked(client, estate)
    page = find(client, estate, plate="渝a·12345")  # typed loosely: normalised

    html = client.get(page).content.decode()
    assert "渝A1**45" in html and "仍在场内" in html
    assert re.search(r'data-testid="amount"[^>]*>¥7.00<', html)
    assert re.search(r'<button type="submit" id="pay" data-testid="pay">支付 ¥7.00</button>', html)
    assert "15 分钟内出场" in html
    estate_page = client.get(f"/parking/{estate.code}/pay/").content.decode()
    assert estate.name in estate_page and 'id="find-fee"' in estate_page
    assert english_words(visible_text(html)) == set() and english_words(visible_text(estate_page)) == set()

    attempt = prepay(client, fake, deliver, page, "7.00")

    prepayment = ParkingPrepayment.objects.get()
    bill = Invoice.objects.get(pk=prepayment.invoice_id)
    assert attempt.user_id is None and bill.status == InvoiceStatus.PAID and bill.total == Decimal("7.00")
    assert bill.charge_kind == "parking_session" and bill.payee.legal_name == f"{estate.name}业主大会"
    done = client.get(page).content.decode()
    leave_by = (prepayment.until + datetime.timedelta(minutes=15)).astimezone(BEIJING)
    assert 'data-status="paid"' in done and f"请在 {leave_by:%H:%M} 前出场" in done and 'id="pay"' not in done
    answer = leave(client, estate, prepayment.until + datetime.timedelta(minutes=10))
    assert answer["open"] is True and answer["fee"] == "0.00" and answer["pay_url"] is None
    stay.refresh_from_db()
    assert stay.invoice_id is None and Invoice.objects.count() == 1
    # The money: once, the owners' public income, transferred to the owners' payee.
    assert Payment.objects.get().amount == Decimal("7.00")
    owners = Payee.objects.get(estate=estate, account_id__startswith="acct_1Own")
    assert Transfer.objects.get().payee == owners
    balances = ledger_balances(estate_id=estate.pk)
    assert balances[AccountKind.PUBLIC_INCOME] == Decimal("-7.00") and balances[AccountKind.PROVIDER_CLEARING] == 0


def test_leaving_after_the_grace_minutes_bills_only_the_extra(client, fake, deliver, estate):
    parked(client, estate)
    page = find(client, estate)
    prepay(client, fake, deliver, page, "7.00")
    prepayment = ParkingPrepayment.objects.get()
    stay = ParkingStay.objects.get()

    # Leaving 40 minutes after paying: 101 minutes or so in all: 5 + 2 intervals = 9.00, of which 7.00 was paid.
    left_at = prepayment.until + datetime.timedelta(minutes=40)
    minutes = (left_at - stay.entered_at).total_seconds() / 60
    assert 90 < minutes <= 120
    answer = leave(client, estate, left_at)

    assert answer["open"] is False and answer["fee"] == "2.00" and answer["pay_url"]
    stay.refresh_from_db()
    extra = Invoice.objects.get(pk=stay.invoice_id)
    assert extra.total == Decimal("2.00") and "已付 7.00 元" in extra.lines.get().description
    exit_page = client.get(path_of(answer["pay_url"])).content.decode()
    assert re.search(r'<button type="submit" id="pay" data-testid="pay">支付 ¥2.00</button>', exit_page)
    client.post(path_of(answer["pay_url"]) + "checkout/")
    attempt = PaymentAttempt.objects.order_by("-pk").first()
    fake.pay(attempt.provider_session_id)
    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))
    assert leave(client, estate, left_at)["open"] is True  # the gate's record again
    assert ledger_balances(estate_id=estate.pk)[AccountKind.PUBLIC_INCOME] == Decimal("-9.00")


def test_a_payment_before_leaving_not_finished_is_voided_at_the_exit_and_its_late_money_refunded(client, fake, deliver, estate):
    parked(client, estate)
    page = find(client, estate)
    client.post(page + "checkout/", {"amount": "7.00"})  # to the payment page, and then nothing
    prepayment_bill = Invoice.objects.get(pk=ParkingPrepayment.objects.get().invoice_id)
    attempt = PaymentAttempt.objects.get()

    answer = leave(client, estate, timezone.now())

    assert answer["open"] is False and answer["fee"] == "7.00"  # the whole fee, at the exit
    prepayment_bill.refresh_from_db()
    assert prepayment_bill.status == InvoiceStatus.VOID
    # Paid late, on the voided bill: nothing is booked and the money goes back (never paid twice).
    fake.pay(attempt.provider_session_id)
    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))
    assert not Payment.objects.exists()
    assert [params["amount"] for method, path, params in fake.requests if (method, path) == ("POST", "/v1/refunds")] == ["700"]


def test_the_amount_paid_is_the_amount_shown(client, fake, estate):
    parked(client, estate)
    page = find(client, estate)

    changed = client.post(page + "checkout/", {"amount": "5.00"})

    assert changed.status_code == 400 and "停车费已变为 7.00 元" in changed.content.decode()
    assert not ParkingPrepayment.objects.exists() and fake.sessions == {}


def test_nothing_is_paid_within_the_free_minutes_nor_twice_within_the_grace(client, fake, deliver, estate):
    parked(client, estate, minutes=10)
    page = find(client, estate)

    free = client.get(page).content.decode()
    refused = client.post(page + "checkout/", {"amount": "0.00"})

    assert 'data-status="nothing"' in free and 'id="pay"' not in free
    assert refused.status_code == 400 and "无需缴费" in refused.content.decode() and not ParkingPrepayment.objects.exists()
    ParkingStay.objects.update(entered_at=timezone.now() - datetime.timedelta(minutes=61))
    prepay(client, fake, deliver, page, "7.00")
    again = client.post(page + "checkout/", {"amount": "7.00"})
    assert again.status_code == 400 and "已付清" in again.content.decode() and ParkingPrepayment.objects.count() == 1


def test_a_plate_not_parked_here_is_not_found(client, fake, estate):
    parked(client, estate, plate="渝B54321")

    nobody = client.post(f"/parking/{estate.code}/pay/", {"plate": "渝A12345"})
    not_a_plate = client.post(f"/parking/{estate.code}/pay/", {"plate": "渝AI2345"})

    assert nobody.status_code == 400 and "没有该车牌的访客车辆" in nobody.content.decode()
    assert not_a_plate.status_code == 400 and "不是有效的内地车牌号" in not_a_plate.content.decode()
    assert client.get("/parking/NOPE/pay/").status_code == 404
    assert client.post("/parking/NOPE/pay/", {"plate": "渝B54321"}).status_code == 404


def test_when_the_owners_payee_cannot_take_online_payments_the_fee_is_paid_at_the_counter(client, fake, estate):
    parked(client, estate)
    page = find(client, estate)
    Payee.objects.filter(estate=estate).update(charges_enabled=False)

    html = client.get(page).content.decode()
    refused = client.post(page + "checkout/", {"amount": "7.00"})

    assert 'data-status="counter"' in html and 'id="pay"' not in html and "柜台" in html
    assert refused.status_code == 400 and not ParkingPrepayment.objects.exists() and not Invoice.objects.exists()
    assert fake.sessions == {}
