"""The owners' portal on a phone (issue 10 items 4 and 5), in Chromium with the demo data.

Every portal page found in the URLconf (tests/portal_pages.py) is opened as the demo owners and the
demo tenant at 390×844 and at 1280×800: no page scrolls sideways, the bottom tab bar is there with
five links each at least 44 px tall, and every button in the page is at least 44 px tall. Then, at
phone size, paying: the running total of the ticked bills, the confirm step with payee and total,
and "pay everything overdue". Screenshots: test-results/portal-*.png.
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import User
from billing.models import Invoice, InvoiceStatus
from billing.portal import bills_open
from estates.demo import DEMO_PASSWORD
from tests.e2e.conftest import RESULTS_DIR
from tests.portal_pages import HTML_PAGES, ensure_payment_attempt, portal_pages, seed_demo

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
PERSONAS = ["13800000001", "13800000002", "13700000001"]  # the two demo owners and the demo tenant
TAP = 44

MEASURE = """() => ({
    scrollWidth: document.scrollingElement.scrollWidth,
    tabs: [...document.querySelectorAll('[data-testid=tabbar] a')].map(a => a.getBoundingClientRect().height),
    smallButtons: [...document.querySelectorAll('main button, main .button, main input[type=submit]')]
        .filter(b => b.offsetParent !== null && b.getBoundingClientRect().height < 44)
        .map(b => (b.id || b.textContent.trim()).slice(0, 40)),
})"""


def log_in(context, base_url, mobile):
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", mobile)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/accounts/login/" not in page.url, f"login as {mobile} failed"
    return page


def shot(page, name):
    RESULTS_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS_DIR / f"portal-{name}.png"), full_page=True)


def check(page, url, size) -> list[str]:
    response = page.goto(url)
    problems = []
    if response is None or response.status != 200:
        return [f"{url} at {size['width']}: HTTP {response.status if response else '-'}"]
    m = page.evaluate(MEASURE)
    if m["scrollWidth"] > size["width"]:
        problems.append(f"{url} at {size['width']}: scrolls sideways ({m['scrollWidth']} px)")
    if len(m["tabs"]) != 5 or min(m["tabs"]) < TAP:
        problems.append(f"{url} at {size['width']}: tab bar links {m['tabs']}")
    if m["smallButtons"]:
        problems.append(f"{url} at {size['width']}: buttons under {TAP} px: {m['smallButtons']}")
    return problems


def test_every_portal_page_fits_a_phone_and_a_desktop_with_the_tab_bar(browser, live_server):
    seed_demo()
    problems, visited, results_seen = [], 0, False
    for mobile in PERSONAS:
        user = User.objects.get(mobile=mobile)
        ensure_payment_attempt(user)
        pages = portal_pages(user)
        assert set(pages) >= HTML_PAGES
        for size in (PHONE, DESKTOP):
            context = browser.new_context(locale="zh-CN", viewport=size)
            context.set_default_timeout(15_000)
            page = log_in(context, live_server.url, mobile)
            for name in sorted(HTML_PAGES):
                for url in pages[name]:
                    problems += check(page, live_server.url + url, size)
                    visited += 1
                    if mobile == PERSONAS[0] and url == pages[name][0]:
                        shot(page, f"{name.replace(':', '-')}-{size['width']}")
                    if page.locator("[data-testid=threshold-table]").count():
                        results_seen = True
                        shot(page, f"assembly-result-bars-{size['width']}")
            context.close()
    assert problems == []
    assert visited >= 2 * 2 * len(HTML_PAGES)  # the owners have something on every page
    assert results_seen  # a published result with its threshold bars was among them


def test_paying_on_a_phone_running_total_confirm_step_and_everything_overdue(browser, live_server):
    seed_demo()
    user = User.objects.get(mobile=PERSONAS[0])
    open_bills = list(bills_open(user=user))
    assert len(open_bills) >= 2
    Invoice.objects.filter(pk=open_bills[0].pk).update(status=InvoiceStatus.OVERDUE)
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    context.set_default_timeout(15_000)
    page = log_in(context, live_server.url, PERSONAS[0])

    page.goto(f"{live_server.url}/portal/bills/")
    first, second = open_bills[0], open_bills[1]
    page.check(f"input[name=invoice][value='{first.pk}']")
    page.check(f"input[name=invoice][value='{second.pk}']")
    both = first.outstanding + second.outstanding
    expect(page.locator("#selected-count")).to_have_text("2")
    expect(page.locator("#selected-total")).to_have_text(f"¥{both:,.2f}")
    page.uncheck(f"input[name=invoice][value='{second.pk}']")
    expect(page.locator("#selected-total")).to_have_text(f"¥{first.outstanding:,.2f}")
    shot(page, "bills-selected-390")

    page.click("#pay-selected")
    expect(page.locator("[data-testid=confirm-total]")).to_have_attribute("data-amount", f"{first.outstanding:.2f}")
    expect(page.locator("[data-testid=payee]").first).not_to_be_empty()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    shot(page, "confirm-390")

    # Change the selection: back on the bills with the same bill ticked.
    page.click("#change-selection")
    expect(page.locator(f"input[name=invoice][value='{first.pk}']")).to_be_checked()
    expect(page.locator(f"input[name=invoice][value='{second.pk}']")).not_to_be_checked()

    # Pay everything overdue: only the overdue bill, whatever is ticked.
    page.check(f"input[name=invoice][value='{second.pk}']")
    page.click("#pay-overdue")
    overdue = sum((b.outstanding for b in bills_open(user=user) if b.status == InvoiceStatus.OVERDUE), Decimal("0"))
    expect(page.locator("[data-testid=confirm-total]")).to_have_attribute("data-amount", f"{overdue:.2f}")
    expect(page.locator("#go-to-checkout")).to_have_text(re.compile(re.escape(f"¥{overdue:,.2f}")))
    context.close()
