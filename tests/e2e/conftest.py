"""Real-browser journeys: Playwright (sync API) driving Debian's Chromium against `live_server`.

No browser is downloaded (`playwright install` is never run): Playwright launches
/usr/bin/chromium. Without it the journeys skip on a developer's machine and fail under CI=true.
Every test here is marked `e2e` and `one_pass` (`make test` runs the journeys once, in the PostgreSQL
pass; see scripts/run-tests.sh); a failing test leaves a screenshot in test-results/.
"""

import os
import re
from pathlib import Path

import pytest

from tests.conftest import in_ci

# Playwright's sync API keeps an event loop running in this thread; Django would otherwise refuse
# ORM calls from the test body ("You cannot call this from an async context").
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("ANJU_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"
# Every Content-Security-Policy violation Chromium reports while a journey runs (issue 9 item 5):
# the journeys are the proof that the public, portal and back-office policies let the pages work.
CSP_VIOLATIONS: list[str] = []


def _watch_csp(page) -> None:
    def on_console(message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            CSP_VIOLATIONS.append(f"{page.url}: {message.text}")

    page.on("console", on_console)


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.one_pass)  # what a browser sees does not depend on the database


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (`make test-deps`)"
        if in_ci():
            pytest.fail(message + " (CI=true: browser journeys may not be skipped)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        new_context = browser.new_context

        def new_context_watching_csp(*args, **kwargs):
            context = new_context(*args, **kwargs)
            context.on("page", _watch_csp)
            return context

        browser.new_context = new_context_watching_csp
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser context per test (no shared cookies), in Chinese, pointed at live_server."""
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport={"width": 1280, "height": 900})
    # CI runs the SQLite and PostgreSQL passes at once on a small machine (load average ~5): a page that answers in
    # a second alone has taken more than 15 s there, so CI waits longer; a real hang still fails.
    context.set_default_timeout(40_000 if in_ci() else 15_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        RESULTS_DIR.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        try:
            page.screenshot(path=str(RESULTS_DIR / f"{name}.png"), full_page=True)
        except Exception as exc:  # noqa: BLE001 - a failed screenshot must not hide the test's own failure
            print(f"screenshot failed: {exc}")
    context.close()


@pytest.fixture(autouse=True)
def no_csp_violations():
    """Fails a journey in which the browser refused anything under the Content-Security-Policy."""
    CSP_VIOLATIONS.clear()
    yield
    violations, CSP_VIOLATIONS[:] = list(CSP_VIOLATIONS), []
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


def admin_login(page, live_server, mobile: str, password: str) -> None:
    """Log in through Wagtail's login form, as a person would, and wait to leave the login page."""
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", mobile)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form.login-form button[type=submit]")
    if "/admin/login/" in page.url:
        errors = page.locator(".login-form .error-message, .messages, [role=alert]").all_inner_texts()
        raise AssertionError(f"login as {mobile} failed: {' '.join(errors) or 'still on the login page'}")


@pytest.fixture
def login():
    """login(page, live_server, mobile, password): see admin_login."""
    return admin_login


@pytest.fixture
def stripe_server(live_server, settings, monkeypatch):
    """The fake Stripe as a real HTTP server on 127.0.0.1: Anju's stripe client talks to it over HTTP, the
    browser is sent to its simulated Checkout page, and its "Pay" button delivers the signed webhook to the
    live server before redirecting back, as Stripe does."""
    from billing.providers import stripe as stripe_provider
    from tests.billing.fake_stripe import API_KEY, FakeStripe, FakeStripeServer

    fake = FakeStripe()
    server = FakeStripeServer(fake, webhook_url=f"{live_server.url}/billing/stripe/webhook/")
    settings.STRIPE_SECRET_KEY = API_KEY
    settings.STRIPE_WEBHOOK_SECRET = fake.webhook_secret
    settings.STRIPE_API_BASE = server.url
    settings.SITE_URL = live_server.url
    monkeypatch.setattr(stripe_provider, "HTTP_CLIENT", None)  # real HTTP, to the fake server
    with server:
        yield server
    assert fake.errors == [], f"Anju sent Stripe requests the API would refuse: {fake.errors}"
