"""Staff in a real browser (issue 10 items 8 and 9), at desktop size and on a phone:

- from the units list they open a unit's one-page record: owners (masked), bills, payments with the
  receipt PDF, ballots;
- the billing run page follows a run in progress: its counters change while the page stays (no reload).

Screenshots for the issue's closing note: test-results/unit-record-<size>.png, run-progress-<size>.png.
"""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from billing.models import BillingRun, BillingRunStatus, Invoice, PaymentMethod
from billing.services import billing_run_execute, billing_run_start, payment_record
from estates.models import Ownership
from tests.billing.factories import billed_estate
from tests.conftest import PASSWORD
from tests.e2e.conftest import RESULTS_DIR

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=list(SIZES))
def size(request, page):
    page.set_viewport_size(SIZES[request.param])
    return request.param


def shot(page, name: str) -> None:
    RESULTS_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS_DIR / f"{name}.png"), full_page=True)


def test_staff_open_a_unit_record_from_the_units_list(page, live_server, login, make_user, size):
    estate, units = billed_estate(units=2, code="E2EUR")
    billing_run_execute(run=billing_run_start(period=timezone.localdate().replace(day=1), estate=estate))
    unit = units[0]
    invoice = Invoice.objects.get(unit=unit)
    payment = payment_record(
        estate=estate,
        invoices=[invoice],
        amount=invoice.total,
        method=PaymentMethod.CASH,
        received_at=timezone.now(),
        payer_name="付款人",
    )
    owner = Ownership.objects.select_related("owner").get(unit=unit).owner
    make_user("13900006001", Role.ESTATE_STAFF, estate=estate, name="李静")
    login(page, live_server, "13900006001", PASSWORD)

    page.goto("/admin/estates/unit/")
    page.locator(f'table.listing a[href="/admin/estates/unit/record/{unit.pk}/"]').first.click()
    expect(page).to_have_url(re.compile(rf"/admin/estates/unit/record/{unit.pk}/$"))

    record = page.get_by_test_id("unit-record")
    expect(record.get_by_test_id("unit-owners")).to_contain_text(owner.name)
    expect(record.get_by_test_id("unit-owners")).to_contain_text(owner.id_number_masked)
    assert owner.get_id_number() not in page.content()
    expect(record.get_by_test_id("unit-bills")).to_contain_text(invoice.number)
    expect(record.get_by_test_id("receipt-pdf")).to_contain_text(payment.receipt.number)
    expect(record.get_by_test_id("unit-ballots")).to_be_visible()
    # On a phone the wide tables scroll inside their own box; the page itself never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, f"unit-record-{size}")

    # The receipt PDF downloads from the record.
    with page.expect_download() as download:
        record.get_by_test_id("receipt-pdf").click()
    assert download.value.suggested_filename == f"{payment.receipt.number}.pdf"


def test_run_page_counters_change_without_a_reload(page, live_server, login, make_user, size):
    estate, _units = billed_estate(units=2, code="E2ERP")
    run = BillingRun.objects.create(
        period=timezone.localdate().replace(day=1), estate=estate, status=BillingRunStatus.RUNNING, total_units=10
    )
    make_user("13900006002", Role.ESTATE_STAFF, estate=estate, name="何晓燕")
    login(page, live_server, "13900006002", PASSWORD)

    page.goto(f"/admin/billing/billingrun/inspect/{run.pk}/")
    progress = page.get_by_test_id("run-progress")
    expect(progress).to_contain_text("0")
    expect(progress).to_contain_text("10")
    page.evaluate("window.__stillTheSamePage = true")

    # The worker gets on: 4 of 10 units, 3 bills issued, one unit without an owner.
    BillingRun.objects.filter(pk=run.pk).update(done_units=4, invoices_created=3, units_without_owner=1)
    expect(page.locator('[data-progress-count="invoices_created"]')).to_have_text("3", timeout=10_000)
    expect(progress).to_contain_text("4")
    expect(progress).to_contain_text("40%")
    expect(page.get_by_test_id("run-bills")).to_contain_text("3")
    expect(page.locator('[data-progress-count="units_without_owner"]')).to_have_text("1")

    # Done: the status reads done, the page has not been reloaded at any point.
    BillingRun.objects.filter(pk=run.pk).update(done_units=10, invoices_created=9, status=BillingRunStatus.DONE)
    expect(progress).to_contain_text("100%", timeout=10_000)
    assert page.evaluate("window.__stillTheSamePage") is True
    expect(page.locator("[data-run-status]")).to_have_attribute("data-run-status", "done")
    shot(page, f"run-progress-{size}")
