"""The owners' common parts in Chromium (issue 13), end to end:

1. staff sign a shop lease in the back office under the passed Art. 278 item (8) resolution of the
   estate (3/4 of the area and of the owners taking part; Civil Code Art. 278);
2. a visitor's car enters and leaves through the signed gate endpoint, the gate answers "do not open"
   with the fee and a pay link, the visitor pays on that page through (fake) Stripe Checkout, and the
   gate asking again opens — the fee is the owners' public income (Arts. 275, 282);
3. the period's statement is drafted by staff, approved and published (公示) by a member of the owners'
   committee, and an owner reads it in the portal and downloads its PDF, whose Chinese text is extractable.

The fake Stripe runs as a real HTTP server on 127.0.0.1 (as in test_payment_journey.py).
"""

import datetime
import hashlib
import hmac
import io
import json
import re
import urllib.request
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.models import Role
from billing.models import Invoice, InvoiceStatus, Payment
from cms.demo import _home as home
from cms.services import notice_pages_sync
from estates.models import AssetKind, CommonAsset
from property_services import tasks
from property_services.models import (
    CommonPartLease,
    ParkingRate,
    ParkingStay,
    PublicIncomeStatement,
    StatementStatus,
)
from property_services.parking import BEIJING
from property_services.services.parking import SIGNATURE_HEADER, gate_key_rotate
from property_services.services.public_income import statement_period_of
from tests.billing.factories import billed_estate
from tests.conftest import PASSWORD
from tests.property_services.conftest import make_committee, make_owners, passed_resolution

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def estate(make_user):
    estate, _units = billed_estate(units=3, owners=False, code="CP-E2E")
    estate.name = "长江花园"
    estate.save(update_fields=["name"])
    owners = make_owners(estate, make_user, prefix="1380007")  # logins 13800071001, 13800071002
    committee = make_committee(estate, owners)
    today = datetime.date.today()
    passed_resolution(
        estate, on=today - datetime.timedelta(days=30), matter="change_use_or_operate_common_parts", title="出租门面"
    )
    CommonAsset.objects.create(estate=estate, kind=AssetKind.SHOP_PREMISES, code="S-01", name="东门临街门面")
    ParkingRate.objects.create(
        estate=estate,
        valid_from=datetime.date(2020, 1, 1),
        free_minutes=30,
        first_minutes=60,
        first_fee=Decimal("5.00"),
        interval_minutes=30,
        interval_fee=Decimal("2.00"),
        cap=Decimal("30.00"),
    )
    gate_key_rotate(estate=estate)
    make_user("13900071001", Role.ESTATE_STAFF, estate=estate, name="何晓燕")
    member = committee.members.get(role="chair").owner.user
    return estate, member, owners


def admin_login(page, mobile):
    page.goto("/admin/login/")
    page.fill("input[name=username]", mobile)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form.login-form button[type=submit]")
    assert "/admin/login/" not in page.url, f"login as {mobile} failed"


def logout(page):
    page.context.clear_cookies()


def gate(live_server, estate, record: dict) -> dict:
    """The plate-recognition gate: one signed record, over HTTP, to the live server."""
    body = json.dumps(record, ensure_ascii=False).encode()
    signature = hmac.new(estate.gate_key.key.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        f"{live_server.url}/property/gates/{estate.code}/records/",
        data=body,
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.loads(response.read())


def test_lease_gate_payment_statement_and_the_owners_reading(page, live_server, stripe_server, estate):
    estate, member, owners = estate
    estate.refresh_from_db()

    # 1. Staff sign the shop lease under the approving resolution (picked from the estate's passed ones).
    admin_login(page, "13900071001")
    page.goto("/admin/property_services/commonpartlease/new/")
    page.select_option("select[name=estate]", str(estate.pk))
    page.select_option("select[name=asset]", str(CommonAsset.objects.get(estate=estate, code="S-01").pk))
    page.fill("input[name=lessee]", "重庆邻里便民超市有限公司")
    today = datetime.date.today()
    page.fill("input[name=starts_on]", today.replace(day=1).isoformat())
    page.keyboard.press("Escape")
    page.fill("input[name=ends_on]", today.replace(day=1, year=today.year + 1).isoformat())
    page.keyboard.press("Escape")
    page.fill("input[name=rent]", "3200.00")
    page.fill("input[name=deposit]", "6400.00")
    page.fill("input[name=deposit_terms]", "期满无欠租、无损坏的，30日内退还")
    page.select_option("select[name=resolution]", index=1)
    page.locator("body").click(position={"x": 5, "y": 5})
    with page.expect_navigation():
        page.locator("form[method=post] button[type=submit]").filter(has_text=re.compile("保存|Save|创建|Create")).first.click()
    lease = CommonPartLease.objects.get(estate=estate)
    assert lease.resolution.passed and lease.rent == Decimal("3200.00")
    assert tasks.lease_rent_daily() == 1  # the daily task bills its first month (Art. 282: the owners' income)
    logout(page)

    # 2. A visitor's car: in at 08:00, out at 09:01 Beijing time today → ¥5 + ¥2 = ¥7 (61 minutes, no free time).
    day = datetime.datetime.now(BEIJING).replace(hour=8, minute=0, second=0, microsecond=0)
    if day > datetime.datetime.now(BEIJING) - datetime.timedelta(minutes=61):
        day -= datetime.timedelta(days=1)
    entered = gate(
        live_server, estate, {"gate": "E1", "serial": "in-1", "direction": "enter", "plate": "渝A12345", "at": day.isoformat()}
    )
    assert entered["open"] is True and entered["kind"] == "visitor"
    leave = {
        "gate": "E1",
        "serial": "out-1",
        "direction": "leave",
        "plate": "渝A12345",
        "at": (day + datetime.timedelta(minutes=61)).isoformat(),
    }
    answer = gate(live_server, estate, leave)
    assert answer["open"] is False and answer["fee"] == "7.00" and answer["pay_url"].startswith(live_server.url)

    # The visitor scans the gate's code: the fee, then Pay → Checkout (WeChat Pay) → back, paid.
    page.goto(answer["pay_url"])
    expect(page.locator("[data-testid=amount]")).to_contain_text("7.00")
    page.click("[data-testid=pay]")
    expect(page).to_have_url(re.compile(rf"^{re.escape(stripe_server.url)}/pay/cs_"))
    page.check("input[name=method][value=wechat_pay]")
    page.click("#pay", timeout=60_000)  # the fake delivers the signed webhook before it redirects back
    expect(page.locator("#payment-status")).to_have_attribute("data-status", "paid", timeout=60_000)
    stay = ParkingStay.objects.get(plate="渝A12345")
    assert Invoice.objects.get(pk=stay.invoice_id).status == InvoiceStatus.PAID and Payment.objects.count() == 1
    # The gate, asking again with the same exit record, opens; nothing more is charged.
    assert gate(live_server, estate, leave)["open"] is True
    assert Payment.objects.count() == 1

    # 3. Staff draft the period's statement from the ledger...
    starts, ends = statement_period_of(estate=estate, day=today)
    admin_login(page, "13900071001")
    page.goto(f"/admin/property_services/publicincomecost/statement/?estate={estate.pk}&period={starts:%Y-%m-%d}/{ends:%Y-%m-%d}")
    expect(page.locator("[data-testid=income]")).to_contain_text("3,207.00")  # the rent's first month + the visitor's fee
    with page.expect_navigation():
        page.click("#draft-statement")
    logout(page)

    # ... a member of the owners' committee approves and publishes it (公示).
    statement = PublicIncomeStatement.objects.get(estate=estate)
    admin_login(page, member.mobile)
    page.goto(f"/admin/property_services/publicincomestatement/inspect/{statement.pk}/")
    with page.expect_navigation():
        page.click("[data-testid=approve]")
    page.goto(f"/admin/property_services/publicincomestatement/inspect/{statement.pk}/")
    with page.expect_navigation():
        page.click("[data-testid=publish]")
    statement.refresh_from_db()
    assert statement.status == StatementStatus.PUBLISHED
    logout(page)
    home({"pages": 0, "images": 0})  # the site's home page (a transactional test flushed it)
    assert notice_pages_sync()["created"] == 1  # the scheduled copy of new notices to the site and portal

    # 4. An owner reads it among the estate's notices in the portal and downloads its PDF.
    page.goto("/accounts/login/")
    page.fill("input[name=username]", owners[1].user.mobile)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.goto("/portal/notices/")
    notice = page.locator("[data-testid=portal-notice]").filter(has_text="公共收益公示")
    expect(notice).to_have_count(1)
    pdf_url = notice.locator("[data-testid=notice-pdf]").get_attribute("href")
    response = page.request.get(pdf_url)
    assert response.ok and response.body().startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    flat = re.sub(r"\s+", "", text)
    assert "公共收益" in flat and ("3,207.00" in flat or "3207.00" in flat), flat[:500]
