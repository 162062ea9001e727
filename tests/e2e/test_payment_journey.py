"""An owner pays two bills in Chromium through a local fake Stripe and downloads the receipt.

The two bills have two payees (the manager's property fee, the owners' maintenance fund: Civil
Code Arts. 281, 282): one payment, one transfer to each payee's connected account, and the result
page and the receipt name each payee.

The fake runs as a real HTTP server on 127.0.0.1: Anju's stripe client talks to it over HTTP
(STRIPE_API_BASE), the browser is sent to its simulated Checkout page, and its "Pay" button
delivers a signed checkout.session.completed to the live server's webhook before redirecting
back, as Stripe does.
"""

import datetime
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.utils import translation
from playwright.sync_api import expect

from billing.models import (
    AttemptStatus,
    ChargeKind,
    Invoice,
    InvoiceStatus,
    Payee,
    Payment,
    PaymentAttempt,
    PaymentMethod,
    ProviderEvent,
)
from tests.billing.factories import bill
from tests.billing.fake_stripe import owner_with_bills

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_owner_pays_two_bills_through_checkout_and_downloads_the_receipt(page, live_server, stripe_server, tmp_path):
    user, owner, unit, bills = owner_with_bills(amounts=("120.50",))
    bills.append(bill(unit, Decimal("88.00"), kind=ChargeKind.MAINTENANCE_FUND, period=datetime.date(2026, 2, 1)))
    estate = unit.building.estate
    estate.name = "山城花园"
    estate.save(update_fields=["name"])
    Payee.objects.filter(estate=estate, account_id__startswith="acct_1Fee").update(legal_name="重庆山城物业服务有限公司")
    Payee.objects.filter(estate=estate, account_id__startswith="acct_1Own").update(legal_name="山城花园业主大会")

    # Log in on the portal, as an owner does on a phone.
    page.goto("/accounts/login/")
    page.fill("input[name=username]", user.mobile)
    page.fill("input[name=password]", "pw-anju-test")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    page.goto("/portal/bills/")
    for b in bills:
        expect(page.locator(f"input[name=invoice][value='{b.pk}']")).to_be_visible()

    # Pick both bills and pay: off to (fake) Stripe Checkout, in CNY.
    for b in bills:
        page.check(f"input[name=invoice][value='{b.pk}']")
    page.click("#pay-selected")
    # Confirm the payee and the total on Anju before leaving for Checkout (issue 10 item 5).
    expect(page.locator("[data-testid=confirm-total]")).to_have_text("¥208.50")
    page.click("#go-to-checkout")
    expect(page).to_have_url(re.compile(rf"^{re.escape(stripe_server.url)}/pay/cs_"))
    expect(page.locator("#amount")).to_have_text("CNY 208.50")
    page.check("input[name=method][value=alipay]")
    page.click("#pay")

    # Back on Anju: paid (the signed webhook arrived before the redirect).
    attempt = PaymentAttempt.objects.get()
    expect(page).to_have_url(f"{live_server.url}/portal/payments/{attempt.pk}/")
    expect(page.locator("#payment-status")).to_have_attribute("data-status", "paid")
    with translation.override("zh-hans"):
        paid_label = str(InvoiceStatus.PAID.label)
    expect(page.locator("td.bill-status")).to_have_text([paid_label, paid_label])
    assert stripe_server.delivered == [("checkout.session.completed", 200)]
    assert ProviderEvent.objects.get().processed_at is not None
    payment = Payment.objects.get()
    assert (payment.amount, payment.method, payment.reference) == (
        Decimal("208.50"),
        PaymentMethod.ALIPAY,
        attempt.provider_session_id,
    )
    assert PaymentAttempt.objects.get().status == AttemptStatus.PAID
    assert set(Invoice.objects.values_list("status", flat=True)) == {InvoiceStatus.PAID}
    # Each bill's money reached its payee's own account.
    expect(page.locator("[data-testid=result-payee]")).to_have_text(
        [re.compile("重庆山城物业服务有限公司"), re.compile("山城花园业主大会")]
    )
    made = {t["destination"]: t["amount"] for t in stripe_server.fake.transfers_of(transfer_group=f"attempt-{attempt.pk}")}
    fee_payee, owners_payee = (Payee.objects.get(estate=estate, account_id__startswith=p) for p in ("acct_1Fee", "acct_1Own"))
    assert made == {fee_payee.account_id: 12050, owners_payee.account_id: 8800}

    # The receipt: a PDF with the amount in Chinese capitals.
    with page.expect_download() as download:
        page.click("#receipt-link")
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        path = tmp_path / "receipt.pdf"
        path.write_bytes(pdf)
        text = re.sub(
            r"\s+", "", subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        )
        assert "贰佰零捌元伍角整" in text
        assert "山城花园" in text
        assert payment.receipt.number in text
        assert "重庆山城物业服务有限公司" in text and "山城花园业主大会" in text  # the payees, by name

    # The bills page now has nothing left to pay, and lists the payment with its receipt.
    page.goto("/portal/bills/")
    expect(page.locator("input[name=invoice]")).to_have_count(0)
    expect(page.get_by_role("link", name=payment.receipt.number)).to_be_visible()
