"""Money reaches its owner (issue 12): payees per kind of money, Stripe Connect transfers, refunds taken
back from the payee, reconciliation per payee, exactly once.

Property fees are the manager's; the maintenance fund and public income are the owners' jointly
(Civil Code Arts. 281, 282): one owner's payment for both reaches two payees. Everything goes
through the real ``stripe`` library against the fake Stripe (every request checked against
``stripe.params``), and through the pages people use where there is one.
"""

import datetime
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from billing.ledger import ledger_balances
from billing.models import (
    AccountKind,
    ChargeKind,
    Invoice,
    Payee,
    PayeeAssignment,
    PayeeMoney,
    Payment,
    PaymentAttempt,
    PaymentMethod,
    ProviderEvent,
    Refund,
    Transfer,
    TransferReversal,
)
from billing.pdf import receipt_context
from billing.services import attempt_create, payment_record
from billing.services.payees import payee_assign, payee_save
from estates.services import role_grant
from tests.billing.fake_stripe import deliver_fixture, fake_fixture, owner_with_bills  # noqa: F401
from tests.estates.factories import UserFactory

from .factories import bill, billed_estate

pytestmark = pytest.mark.django_db


def transfer_requests(fake):
    return [params for method, path, params in fake.requests if (method, path) == ("POST", "/v1/transfers")]


@pytest.fixture
def two_payees(client, fake):
    """An owner with a property-fee bill (the manager's) and a maintenance-fund bill (the owners')."""
    user, owner, unit, bills = owner_with_bills(amounts=("120.50",))
    fund_bill = bill(unit, Decimal("80.00"), kind=ChargeKind.MAINTENANCE_FUND, period=datetime.date(2026, 3, 1))
    estate = unit.building.estate
    manager = Payee.objects.get(estate=estate, account_id__startswith="acct_1Fee")
    owners = Payee.objects.get(estate=estate, account_id__startswith="acct_1Own")
    client.force_login(user)
    return {"user": user, "unit": unit, "fee": bills[0], "fund": fund_bill, "manager": manager, "owners": owners}


def pay_through_the_portal(client, fake, deliver, bills) -> PaymentAttempt:
    ids = [b.pk for b in bills]
    confirm = client.post("/portal/bills/", {"invoice": ids, "action": "selected"})
    assert confirm.status_code == 200
    response = client.post("/portal/bills/checkout/", {"invoice": ids})
    attempt = PaymentAttempt.objects.get(pk=int(re.search(r"attempt-(\d+)", str(fake.requests[-1][2])).group(1)))
    assert response.status_code == 302 and response["Location"] == attempt.checkout_url
    fake.pay(attempt.provider_session_id, method="wechat_pay")
    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))
    return attempt


def test_bills_carry_the_payee_of_their_kind_of_money(two_payees):
    """Arts. 281, 282: the fee goes to the manager, the maintenance fund to the owners jointly."""
    assert two_payees["fee"].payee == two_payees["manager"]
    assert two_payees["fund"].payee == two_payees["owners"]


def test_one_payment_for_two_payees_reaches_each_in_its_own_account(client, fake, deliver, two_payees):
    fee, fund, manager, owners = two_payees["fee"], two_payees["fund"], two_payees["manager"], two_payees["owners"]

    confirm = client.post("/portal/bills/", {"invoice": [fee.pk, fund.pk], "action": "selected"}).content.decode()
    attempt = pay_through_the_portal(client, fake, deliver, [fee, fund])

    # The owner confirmed both payees and their parts before paying once.
    assert re.search(rf'data-testid="payee"><strong>{manager.legal_name}</strong> <span class="amount">¥120.50', confirm)
    assert re.search(rf'data-testid="payee"><strong>{owners.legal_name}</strong> <span class="amount">¥80.00', confirm)
    session = fake.sessions[attempt.provider_session_id]
    assert session["amount_total"] == 20050  # one Checkout for both
    assert fake.requests[0][2]["payment_intent_data"]["transfer_group"] == f"attempt-{attempt.pk}"
    payment = Payment.objects.get()
    charge = fake.charge_of(attempt.provider_session_id)
    sent = {params["destination"]: params for params in transfer_requests(fake)}
    assert set(sent) == {manager.account_id, owners.account_id}
    assert sent[manager.account_id]["amount"] == "12050" and sent[owners.account_id]["amount"] == "8000"
    assert {params["source_transaction"] for params in sent.values()} == {charge["id"]}
    assert {params["transfer_group"] for params in sent.values()} == {f"attempt-{attempt.pk}"}
    transfers = {t.payee_id: t for t in Transfer.objects.filter(payment=payment)}
    assert transfers[manager.pk].amount == Decimal("120.50") and transfers[owners.pk].amount == Decimal("80.00")
    assert all(t.provider_transfer_id and t.sent_at for t in transfers.values())
    balances = ledger_balances(estate_id=payment.estate_id)
    assert balances[AccountKind.TRANSFERRED] == Decimal("200.50")
    assert balances[AccountKind.PROVIDER_CLEARING] == Decimal("0.00")  # nothing left at the platform
    # The result page and the receipt name each payee.
    result = client.get(f"/portal/payments/{attempt.pk}/").content.decode()
    assert f"收款方: {manager.legal_name}" in result or f"Payee: {manager.legal_name}" in result
    assert owners.legal_name in result
    context = receipt_context(payment.receipt)
    assert {line["number"]: line["payee"] for line in context["lines"]} == {
        fee.number: manager.legal_name,
        fund.number: owners.legal_name,
    }
    assert context["payees"] == [
        {"name": manager.legal_name, "amount": "¥120.50"},
        {"name": owners.legal_name, "amount": "¥80.00"},
    ] or context["payees"] == [
        {"name": owners.legal_name, "amount": "¥80.00"},
        {"name": manager.legal_name, "amount": "¥120.50"},
    ]
    assert context["platform_fee"] == ""


def test_the_platform_fee_is_kept_from_each_payee_and_printed_on_the_receipt(client, fake, deliver, two_payees, settings):
    settings.ANJU_PLATFORM_FEE_RATE = "0.006"
    pay_through_the_portal(client, fake, deliver, [two_payees["fee"], two_payees["fund"]])

    sent = {params["destination"]: params["amount"] for params in transfer_requests(fake)}
    # 120.50 × 0.6 % = 0.723 → ¥0.72; 80.00 × 0.6 % = ¥0.48
    assert sent == {two_payees["manager"].account_id: "11978", two_payees["owners"].account_id: "7952"}
    payment = Payment.objects.get()
    balances = ledger_balances(estate_id=payment.estate_id)
    assert balances[AccountKind.PLATFORM_FEES] == Decimal("1.20")
    assert balances[AccountKind.PROVIDER_CLEARING] == Decimal("0.00")
    assert receipt_context(payment.receipt)["platform_fee"] == "¥1.20"


def test_duplicated_and_reordered_events_make_one_payment_and_one_transfer_per_payee(client, fake, deliver, two_payees):
    attempt = pay_through_the_portal(client, fake, deliver, [two_payees["fee"], two_payees["fund"]])
    completed = fake.session_event("checkout.session.completed", attempt.provider_session_id)

    deliver(completed)  # the same event again
    deliver({**completed, "id": "evt_another_delivery"})  # Stripe's retry under another id
    deliver(fake.session_event("checkout.session.async_payment_succeeded", attempt.provider_session_id))
    for made in fake.transfers_of(transfer_group=f"attempt-{attempt.pk}"):
        deliver(fake.transfer_event("transfer.created", made["id"]))
        deliver(fake.transfer_event("transfer.created", made["id"]))

    assert Payment.objects.count() == 1
    assert len(fake.transfers_of(transfer_group=f"attempt-{attempt.pk}")) == 2
    assert Transfer.objects.count() == 2
    payment = Payment.objects.get()
    assert ledger_balances(estate_id=payment.estate_id)[AccountKind.TRANSFERRED] == Decimal("200.50")


def test_a_transfer_whose_answer_was_lost_is_booked_once_from_its_notification(client, fake, deliver, two_payees):
    """Stripe made the transfer but the answer never came back: transfer.created books it, once."""
    fee = two_payees["fee"]
    attempt = attempt_create(user=two_payees["user"], invoices=[fee])
    fake.pay(attempt.provider_session_id)
    fake.fail_next("POST", "/v1/transfers", status=400)
    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))
    transfer = Transfer.objects.get()
    assert transfer.provider_transfer_id is None and transfer.last_error
    # The retry (same idempotency key) happens at Stripe, e.g. from the reconciliation; its event arrives.
    call_command("stripe_reconcile", "--since", str(timezone.localdate()), "--apply", stdout=StringIO())
    made = fake.transfers_of(transfer_group=f"attempt-{attempt.pk}")
    assert len(made) == 1
    deliver(fake.transfer_event("transfer.created", made[0]["id"]))
    transfer.refresh_from_db()
    assert transfer.provider_transfer_id == made[0]["id"]
    assert ledger_balances(estate_id=transfer.estate_id)[AccountKind.TRANSFERRED] == Decimal("120.50")


@pytest.fixture
def staff(two_payees, sync_groups):
    estate = two_payees["unit"].building.estate
    user = UserFactory(mobile="13900000801")
    role_grant(user=user, role=Role.ESTATE_STAFF, estate=estate)
    other_estate, _units = billed_estate(units=1, code="ELSEWHERE")
    other = UserFactory(mobile="13900000802")
    role_grant(user=other, role=Role.ESTATE_STAFF, estate=other_estate)
    return {"staff": user, "other": other, "other_estate": other_estate}


def refund_page(client, payment):
    url = reverse("billing_payment:refund", args=[payment.pk])
    page = client.get(url).content.decode()
    return url, re.search(r'name="request_key" value="([0-9a-f]{32})"', page).group(1)


def test_a_refund_of_one_bill_is_taken_back_from_its_payee_only(client, fake, deliver, two_payees, staff):
    pay_through_the_portal(client, fake, deliver, [two_payees["fee"], two_payees["fund"]])
    payment = Payment.objects.get()
    client.force_login(staff["staff"])
    url, key = refund_page(client, payment)

    response = client.post(
        url, {"bill": two_payees["fund"].pk, "amount": "80.00", "reason": "缴错了", "request_key": key}, follow=True
    )

    assert response.status_code == 200
    refund = Refund.objects.get()
    assert refund.amount == Decimal("80.00") and refund.provider_refund_id
    owners_transfer = Transfer.objects.get(payee=two_payees["owners"])
    manager_transfer = Transfer.objects.get(payee=two_payees["manager"])
    reversal = TransferReversal.objects.get()
    assert reversal.transfer == owners_transfer and reversal.amount == Decimal("80.00") and reversal.provider_reversal_id
    at_stripe = [t for t in fake.transfers_of(transfer_group=f"attempt-{payment.attempt_id}")]
    reversed_at_stripe = {t["destination"]: t["amount_reversed"] for t in at_stripe}
    assert reversed_at_stripe == {two_payees["owners"].account_id: 8000, two_payees["manager"].account_id: 0}
    owners_transfer.refresh_from_db()
    manager_transfer.refresh_from_db()
    assert owners_transfer.reversed_amount == Decimal("80.00") and manager_transfer.reversed_amount == Decimal("0.00")
    assert Invoice.objects.get(pk=two_payees["fund"].pk).paid_amount == Decimal("0.00")
    assert Invoice.objects.get(pk=two_payees["fee"].pk).paid_amount == Decimal("120.50")
    balances = ledger_balances(estate_id=payment.estate_id)
    assert balances[AccountKind.TRANSFERRED] == Decimal("120.50")
    assert balances[AccountKind.PROVIDER_CLEARING] == Decimal("0.00")


def test_with_a_fee_the_payee_returns_what_it_received_and_the_platform_its_fee(
    client, fake, deliver, two_payees, staff, settings
):
    settings.ANJU_PLATFORM_FEE_RATE = "0.006"
    pay_through_the_portal(client, fake, deliver, [two_payees["fee"], two_payees["fund"]])
    payment = Payment.objects.get()
    client.force_login(staff["staff"])
    url, key = refund_page(client, payment)
    client.post(url, {"bill": two_payees["fund"].pk, "amount": "50.00", "reason": "部分退款", "request_key": key})
    url, key = refund_page(client, payment)
    client.post(url, {"bill": two_payees["fund"].pk, "amount": "30.00", "reason": "余款退回", "request_key": key})

    reversals = list(TransferReversal.objects.order_by("pk"))
    assert [(r.amount, r.fee_returned) for r in reversals] == [
        (Decimal("50.00"), Decimal("0.00")),
        (Decimal("29.52"), Decimal("0.48")),
    ]
    balances = ledger_balances(estate_id=payment.estate_id)
    assert balances[AccountKind.PLATFORM_FEES] == Decimal("0.72")  # only the manager's fee is kept
    assert balances[AccountKind.PROVIDER_CLEARING] == Decimal("0.00")


def test_a_refund_larger_than_the_payee_received_is_refused_before_stripe_is_asked(client, fake, deliver, two_payees, staff):
    pay_through_the_portal(client, fake, deliver, [two_payees["fee"], two_payees["fund"]])
    payment = Payment.objects.get()
    client.force_login(staff["staff"])
    url, key = refund_page(client, payment)
    requests_before = len(fake.requests)

    response = client.post(url, {"bill": two_payees["fund"].pk, "amount": "80.01", "reason": "多退", "request_key": key})

    html = response.content.decode()
    assert response.status_code == 200
    assert "超过这笔付款为账单" in html and "is more than the" in html
    assert not Refund.objects.exists() and not TransferReversal.objects.exists()
    assert not [r for r in fake.requests[requests_before:] if r[0] == "POST"]


def test_a_refund_at_the_stripe_dashboard_is_taken_back_from_the_payees(client, fake, deliver, two_payees):
    attempt = pay_through_the_portal(client, fake, deliver, [two_payees["fee"], two_payees["fund"]])

    charge = fake.refund_in_dashboard(attempt.provider_session_id, amount=5000)
    deliver(fake.event("charge.refunded", charge))

    refund = Refund.objects.get()
    assert refund.amount == Decimal("50.00")
    # The newest bill (the March maintenance fund, ¥80.00) owes the money again: its payee gives it back.
    reversal = TransferReversal.objects.get()
    assert reversal.transfer.payee == two_payees["owners"] and reversal.amount == Decimal("50.00")
    assert reversal.provider_reversal_id


def test_a_payee_without_charges_enabled_is_paid_at_the_counter_and_says_why_online(client, fake, two_payees):
    owners = two_payees["owners"]
    Payee.objects.filter(pk=owners.pk).update(charges_enabled=False)
    fund = two_payees["fund"]

    page = client.get("/portal/bills/").content.decode()
    confirm = client.post("/portal/bills/", {"invoice": [two_payees["fee"].pk, fund.pk], "action": "selected"})
    with pytest.raises(ValidationError, match=fund.number):
        attempt_create(user=two_payees["user"], invoices=[two_payees["fee"], fund])

    assert re.search(rf'value="{fund.pk}"[^>]*disabled', page)
    assert 'data-testid="pay-at-counter"' in page and owners.legal_name in page
    assert confirm.status_code == 400 and fund.number in confirm.content.decode()
    assert not PaymentAttempt.objects.exists()
    assert not [r for r in fake.requests if r[:2] == ("POST", "/v1/checkout/sessions")]
    # At the counter it can be paid as always.
    payment = payment_record(
        estate=fund.estate,
        invoices=[fund],
        amount=Decimal("80.00"),
        method=PaymentMethod.CASH,
        received_at=timezone.now(),
        reference="CASH-FUND-1",
        payer_name="张小三",
    )
    assert payment.allocations.get().invoice == fund and not Transfer.objects.exists()


def test_a_bill_without_any_payee_cannot_be_paid_online(client, fake):
    estate, units = billed_estate(units=1, payees=False, owners=False)
    user, owner, unit, bills = owner_with_bills(amounts=("50.00",), unit=units[0])
    client.force_login(user)

    page = client.get("/portal/bills/").content.decode()

    assert bills[0].payee is None
    assert re.search(rf'value="{bills[0].pk}"[^>]*disabled', page)
    with pytest.raises(ValidationError):
        attempt_create(user=user, invoices=bills)


def test_reconciliation_lists_a_missing_transfer_and_apply_sends_it_once(client, fake, deliver, two_payees, staff):
    attempt = attempt_create(user=two_payees["user"], invoices=[two_payees["fee"], two_payees["fund"]])
    fake.pay(attempt.provider_session_id)
    fake.fail_next("POST", "/v1/transfers", status=400)  # the first payee's transfer fails
    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))
    missing = Transfer.objects.get(provider_transfer_id__isnull=True)
    made = Transfer.objects.get(provider_transfer_id__isnull=False)
    since = str(timezone.localdate())

    out = StringIO()
    call_command("stripe_reconcile", "--since", since, stdout=out)
    report = out.getvalue()
    assert "MISSING TRANSFER" in report and missing.payee.legal_name in report
    assert "payees: DIFFERENCES" in report
    # The back office shows the same, per estate.
    client.force_login(staff["staff"])
    page = client.get(reverse("billing_reconcile:index"), {"estate": missing.estate_id, "since": since}).content.decode()
    assert f'data-testid="payee-{missing.payee_id}" data-clean="no"' in page and "MISSING TRANSFER" in page
    assert f'data-testid="payee-{made.payee_id}" data-clean="yes"' in page

    call_command("stripe_reconcile", "--since", since, "--apply", stdout=StringIO())
    call_command("stripe_reconcile", "--since", since, "--apply", stdout=StringIO())
    out = StringIO()
    call_command("stripe_reconcile", "--since", since, stdout=out)

    missing.refresh_from_db()
    assert missing.provider_transfer_id
    assert len(fake.transfers_of(transfer_group=f"attempt-{attempt.pk}")) == 2
    assert "payees: all match" in out.getvalue()


def test_reconciliation_lists_a_transfer_missing_at_stripe(fake, deliver, two_payees):
    attempt = attempt_create(user=two_payees["user"], invoices=[two_payees["fee"]])
    fake.pay(attempt.provider_session_id)
    deliver(fake.session_event("checkout.session.completed", attempt.provider_session_id))
    fake.forget_transfer(Transfer.objects.get().provider_transfer_id)

    out = StringIO()
    call_command("stripe_reconcile", "--since", str(timezone.localdate()), stdout=out)

    assert "is in the books but not at the provider" in out.getvalue()


def test_account_updated_keeps_the_payee_status_and_an_unknown_account_writes_nothing(fake, deliver, two_payees):
    owners = two_payees["owners"]
    Payee.objects.filter(pk=owners.pk).update(charges_enabled=False)
    fake.account_add(owners.account_id, charges_enabled=True)

    deliver(fake.account_event(owners.account_id))
    owners.refresh_from_db()
    assert owners.charges_enabled and owners.status_checked_at

    fake.account_add("acct_1Nobody0000", charges_enabled=True)
    before = Payee.objects.order_by("pk").values_list("pk", "charges_enabled", "status_checked_at")
    response = deliver(fake.account_event("acct_1Nobody0000"))
    assert response.status_code == 200
    event = ProviderEvent.objects.get(type="account.updated", payload__data__object__id="acct_1Nobody0000")
    assert event.processed_at and "unknown connected account" in event.error
    assert list(Payee.objects.order_by("pk").values_list("pk", "charges_enabled", "status_checked_at")) == list(before)


def test_staff_open_the_payees_account_through_onboarding(client, fake, two_payees, staff):
    estate = two_payees["unit"].building.estate
    client.force_login(staff["staff"])
    response = client.post(
        reverse("billing_payee:add"), {"estate": estate.pk, "legal_name": "某某社区物业服务中心", "account_id": ""}
    )
    assert response.status_code == 302
    payee = Payee.objects.get(legal_name="某某社区物业服务中心")
    assert payee.account_id == "" and not payee.takes_online_payments
    listing = client.get(reverse("billing_payee:index")).content.decode()
    assert reverse("billing_payee:onboard", args=[payee.pk]) in listing
    assert 'id="start-onboarding"' in client.get(reverse("billing_payee:onboard", args=[payee.pk])).content.decode()

    response = client.post(reverse("billing_payee:onboard", args=[payee.pk]))

    payee.refresh_from_db()
    assert payee.account_id.startswith("acct_") and not payee.charges_enabled
    assert response.status_code == 302 and "/connect/onboard/" in response["Location"]
    fake.account_complete_onboarding(payee.account_id)
    back = client.get(reverse("billing_payee:onboarded", args=[payee.pk]))
    payee.refresh_from_db()
    assert back.status_code == 302 and payee.charges_enabled and payee.payouts_enabled


def test_a_payee_account_that_is_not_acct_is_refused_on_the_form(client, two_payees, staff):
    estate = two_payees["unit"].building.estate
    client.force_login(staff["staff"])

    response = client.post(reverse("billing_payee:add"), {"estate": estate.pk, "legal_name": "某公司", "account_id": "cus_123"})

    assert response.status_code == 200
    assert "acct_" in response.content.decode()
    assert not Payee.objects.filter(legal_name="某公司").exists()


def test_staff_cannot_see_or_use_another_estates_payee(client, fake, two_payees, staff):
    client.force_login(staff["other"])
    owners = two_payees["owners"]

    assert client.get(reverse("billing_payee:inspect", args=[owners.pk])).status_code == 404
    assert client.get(reverse("billing_payee:edit", args=[owners.pk])).status_code == 404
    assert client.post(reverse("billing_payee:onboard", args=[owners.pk])).status_code == 404
    assert client.get(reverse("billing_reconcile:index"), {"estate": owners.estate_id}).status_code == 404
    response = client.post(
        reverse("billing_payeeassignment:add"),
        {
            "estate": staff["other_estate"].pk,
            "money": PayeeMoney.FEES,
            "payee": owners.pk,
            "valid_from": "2026-12-01",
            "note": "",
        },
    )
    assert response.status_code == 200  # the form refuses a choice outside the scope
    assert not PayeeAssignment.objects.filter(payee=owners, estate=staff["other_estate"]).exists()
    with pytest.raises(ValidationError, match="另一个小区"):
        payee_assign(estate=staff["other_estate"], money=PayeeMoney.FEES, payee=owners, valid_from=datetime.date(2026, 12, 1))


def test_a_new_manager_receives_the_fees_of_bills_issued_from_its_date_and_older_bills_keep_theirs(two_payees):
    unit, manager = two_payees["unit"], two_payees["manager"]
    estate = unit.building.estate
    new_firm = payee_save(estate=estate, legal_name="重庆新物业服务有限公司", account_id="acct_1NewFirm0001")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    payee_assign(estate=estate, money=PayeeMoney.FEES, payee=new_firm, valid_from=tomorrow)

    today_bill = bill(unit, Decimal("10.00"), period=datetime.date(2026, 5, 1))
    two_payees["fee"].refresh_from_db()

    assert two_payees["fee"].payee == manager and today_bill.payee == manager
    from billing.services.payees import payee_for_bill

    assert payee_for_bill(estate_id=estate.pk, code=ChargeKind.PROPERTY_FEE, issued_on=tomorrow) == new_firm.pk
    with pytest.raises(ValidationError):  # the same money, the same day: name it from another date
        payee_assign(estate=estate, money=PayeeMoney.FEES, payee=manager, valid_from=tomorrow)


def test_naming_a_payee_gives_it_the_bills_issued_without_one(fake):
    estate, units = billed_estate(units=1, payees=False, owners=False)
    user, owner, unit, bills = owner_with_bills(amounts=("50.00",), unit=units[0])
    payee = payee_save(estate=estate, legal_name="业主自治管理小组", account_id="acct_1SelfGov0001")

    payee_assign(estate=estate, money=PayeeMoney.FEES, payee=payee, valid_from=datetime.date(2020, 1, 1))

    assert Invoice.objects.get(pk=bills[0].pk).payee == payee


def test_events_signed_by_the_connect_endpoint_are_accepted_and_others_refused(client, fake, settings, two_payees):
    """account.updated comes from the Connect endpoint, signed with its own secret."""
    from tests.billing.fake_stripe import post_event

    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_connect_endpoint"
    owners = two_payees["owners"]
    fake.account_add(owners.account_id, charges_enabled=False)
    event = fake.account_event(owners.account_id)
    body, _header = fake.signed(event)

    forged = post_event(client, fake, event, header=fake.sign(body, secret="whsec_someone_else"), body=body)
    accepted = post_event(client, fake, event, header=fake.sign(body, secret="whsec_connect_endpoint"), body=body)

    assert forged.status_code == 400
    assert accepted.status_code == 200
    assert ProviderEvent.objects.filter(type="account.updated").count() == 1


def test_staff_mark_a_payee_as_a_supervised_account_only_with_its_bank(client, two_payees, staff):
    """住房租赁条例 Art. 19: a subletting operator's rent goes through a supervised account, named with its bank."""
    estate = two_payees["unit"].building.estate
    client.force_login(staff["staff"])
    fields = {"estate": estate.pk, "legal_name": "存房运营有限公司", "account_id": "", "supervised": "on"}

    refused = client.post(reverse("billing_payee:add"), fields | {"supervising_bank": ""})

    assert refused.status_code == 200 and "监管银行" in refused.content.decode()
    assert not Payee.objects.filter(legal_name="存房运营有限公司").exists()

    response = client.post(reverse("billing_payee:add"), fields | {"supervising_bank": "重庆农村商业银行"})

    assert response.status_code == 302
    payee = Payee.objects.get(legal_name="存房运营有限公司")
    assert payee.supervised and payee.supervising_bank == "重庆农村商业银行"
