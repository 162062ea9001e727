"""The portal home and "My bills" kept per person (issue 16 item 2; accounts/page_cache.py, docs/caching.md).

On, as in production with Redis: a second visit runs only the session and user look-ups; a bill paid
or issued, by a service or by a bulk update, shows at once; nobody gets another person's copy; the
forms of a cached page still pass the CSRF check."""

import datetime
import re
from decimal import Decimal

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from accounts.page_cache import HEADER
from billing.models import Invoice, InvoiceStatus, PaymentMethod
from billing.services import payment_record
from tests.billing.factories import bill
from tests.billing.fake_stripe import fake_fixture, owner_with_bills  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("person_cache")]


@pytest.fixture
def person_cache():
    with override_settings(ANJU_PERSON_PAGE_CACHE_SECONDS=60):
        yield


@pytest.fixture
def owner(client, fake):
    user, _owner, unit, bills = owner_with_bills(amounts=("120.50", "88.00"))
    client.force_login(user)
    return user, unit, bills


def visit(client, path="/portal/bills/"):
    response = client.get(path)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("path", ["/portal/", "/portal/bills/"])
def test_a_second_visit_is_the_persons_cached_copy(client, owner, path, django_assert_max_num_queries):
    visit(client, path)  # the first visit sets the CSRF cookie; the page is kept from the next one
    first = visit(client, path)
    assert first[HEADER] == "miss"
    with django_assert_max_num_queries(2):  # the session and the person, nothing of the page
        second = visit(client, path)
    assert second[HEADER] == "hit" and second.content == first.content
    assert "no-store" in second["Cache-Control"]  # still private to the browser


def test_a_bill_paid_at_the_counter_shows_paid_at_once(client, owner):
    user, unit, bills = owner
    visit(client), visit(client)
    assert visit(client)[HEADER] == "hit"
    assert f'value="{bills[0].pk}"' in visit(client).content.decode()
    payment_record(
        estate=unit.building.estate,
        invoices=[bills[0]],
        amount=Decimal("120.50"),
        method=PaymentMethod.CASH,
        received_at=timezone.now(),
        payer_name="张小三",
    )
    page = visit(client).content.decode()
    assert f'value="{bills[0].pk}"' not in page and f'value="{bills[1].pk}"' in page


def test_a_bulk_change_and_a_new_bill_show_at_once(client, owner):
    user, unit, bills = owner
    visit(client, "/portal/"), visit(client, "/portal/")
    assert visit(client, "/portal/")[HEADER] == "hit"
    Invoice.objects.filter(pk=bills[1].pk).update(status=InvoiceStatus.VOID)  # no signal: the write itself counts
    assert f'value="{bills[1].pk}"' not in visit(client).content.decode()
    new = bill(unit, Decimal("55.50"), period=datetime.date(2026, 6, 1))
    assert "55.50" in visit(client).content.decode() and f'value="{new.pk}"' in visit(client).content.decode()


def test_nobody_gets_another_persons_copy(client, owner, fake):
    user, unit, bills = owner
    visit(client), visit(client)
    assert visit(client)[HEADER] == "hit"
    other_user, _o, _u, their_bills = owner_with_bills(mobile="13800000002", name="李四", amounts=("66.60",))
    other = Client()
    other.force_login(other_user)
    visit(other)
    page = visit(other).content.decode()
    assert their_bills[0].number in page and bills[0].number not in page and "120.50" not in page


def test_the_forms_of_a_cached_page_pass_the_csrf_check(owner):
    user, unit, bills = owner
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    visit(browser), visit(browser)
    cached = visit(browser)
    assert cached[HEADER] == "hit"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', cached.content.decode()).group(1)
    response = browser.post("/portal/bills/", {"csrfmiddlewaretoken": token, "action": "change", "invoice": [bills[0].pk]})
    assert response.status_code == 200


def test_a_new_login_gets_a_fresh_copy_with_a_working_token(owner):
    user, unit, bills = owner
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    visit(browser), visit(browser)
    browser.logout()
    browser.force_login(user)  # a new CSRF secret
    page = visit(browser)
    assert page.get(HEADER) != "hit"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', visit(browser).content.decode()).group(1)
    assert (
        browser.post("/portal/bills/", {"csrfmiddlewaretoken": token, "action": "change", "invoice": [bills[0].pk]}).status_code
        == 200
    )
