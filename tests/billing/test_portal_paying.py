"""Paying on the owner's phone (issue 10 item 5): the payee and the total are confirmed before
leaving for Checkout, "pay everything overdue" picks every overdue bill, a refusal shows the bills
again with the same ones ticked, and a reminder has its own pay button."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext as _

from billing.models import DunningLevel, DunningNotice, Invoice, InvoiceStatus, Payee, PaymentAttempt
from billing.services import attempt_create, invoice_void
from property_services.models import ManagementArrangement, ProviderContact
from tests.billing.factories import bill
from tests.billing.fake_stripe import deliver_fixture, fake_fixture, owner_with_bills  # noqa: F401
from tests.property_services.conftest import make_provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(client, fake):
    user, owner, unit, bills = owner_with_bills(amounts=("120.50", "88.00", "1000.00"))
    client.force_login(user)
    return user, unit, bills


def make_overdue(*bills):
    Invoice.objects.filter(pk__in=[b.pk for b in bills]).update(status=InvoiceStatus.OVERDUE)


def checked_ids(html: str) -> set[int]:
    return {int(v) for v in re.findall(r'name="invoice" value="(\d+)"[^>]*\bchecked\b', html)}


def test_the_confirm_step_names_the_estate_as_payee_and_the_total_and_charges_nothing(client, owner):
    user, unit, bills = owner

    response = client.post("/portal/bills/", {"invoice": [bills[0].pk, bills[1].pk], "action": "selected"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="confirm-total" data-amount="208.50"' in html
    assert re.search(r'data-testid="payee"><strong>[^<]*' + re.escape(unit.building.estate.name), html)
    assert 'action="/portal/bills/checkout/"' in html
    assert PaymentAttempt.objects.count() == 0  # nothing leaves for Checkout before the owner confirms


def test_each_bill_names_the_payee_it_was_issued_with(client, owner):
    """A bill issued under another manager keeps that manager as its payee (issue 12)."""
    user, unit, bills = owner
    estate = unit.building.estate
    firm = Payee.objects.create(
        estate=estate, legal_name="重庆渝安物业服务有限公司", account_id="acct_1YuAn0000001", charges_enabled=True
    )
    Invoice.objects.filter(pk=bills[0].pk).update(payee=firm)

    html = client.post("/portal/bills/", {"invoice": [bills[0].pk, bills[1].pk]}).content.decode()

    assert 'data-testid="payee"><strong>重庆渝安物业服务有限公司</strong> <span class="amount">¥120.50' in html
    assert f'data-testid="payee"><strong>{estate.name}物业服务有限公司</strong> <span class="amount">¥88.00' in html


def test_confirming_leaves_for_checkout_with_the_confirmed_total(client, owner, fake):
    user, unit, bills = owner
    client.post("/portal/bills/", {"invoice": [bills[0].pk, bills[1].pk]})

    response = client.post("/portal/bills/checkout/", {"invoice": [bills[0].pk, bills[1].pk]})

    attempt = PaymentAttempt.objects.get()
    assert response.status_code == 302 and response["Location"] == attempt.checkout_url
    assert fake.sessions[attempt.provider_session_id]["amount_total"] == 20850


def test_pay_everything_overdue_picks_every_overdue_bill_and_only_those(client, owner):
    user, unit, bills = owner
    make_overdue(bills[0], bills[2])

    page = client.get("/portal/bills/").content.decode()
    response = client.post("/portal/bills/", {"action": "overdue"})

    assert 'id="pay-overdue"' in page
    html = response.content.decode()
    assert 'data-testid="confirm-total" data-amount="1120.50"' in html
    assert set(map(int, re.findall(r'name="invoice" value="(\d+)"', html))) == {bills[0].pk, bills[2].pk}


def test_no_pay_overdue_button_without_overdue_bills(client, owner):
    assert 'id="pay-overdue"' not in client.get("/portal/bills/").content.decode()


def test_a_refusal_shows_the_bills_again_with_the_same_ones_ticked(client, owner):
    user, unit, bills = owner
    invoice_void(invoice=bills[1], reason="issued in error")

    response = client.post("/portal/bills/", {"invoice": [bills[0].pk, bills[1].pk]})

    assert response.status_code == 400
    assert _("Bill %(number)s has been cancelled and cannot be paid.") % {"number": bills[1].number} in [
        str(m) for m in response.context["messages"]
    ]
    assert checked_ids(response.content.decode()) == {bills[0].pk}  # the void one is no longer listed


def test_a_refusal_at_checkout_keeps_the_selection(client, owner):
    user, unit, bills = owner
    attempt_create(user=user, invoices=[bills[0]])  # another tab is paying it

    response = client.post("/portal/bills/checkout/", {"invoice": [bills[0].pk, bills[2].pk]})

    assert response.status_code == 400
    assert checked_ids(response.content.decode()) == {bills[0].pk, bills[2].pk}
    assert PaymentAttempt.objects.count() == 1


def test_change_the_selection_goes_back_with_the_bills_ticked(client, owner):
    user, unit, bills = owner

    response = client.post("/portal/bills/", {"invoice": [bills[1].pk, bills[2].pk], "action": "change"})

    assert response.status_code == 200 and checked_ids(response.content.decode()) == {bills[1].pk, bills[2].pk}


def test_the_bills_page_carries_what_the_running_total_adds(client, owner):
    html = client.get("/portal/bills/").content.decode()

    assert "data-running-total" in html and 'data-owed="1000.00"' in html
    assert "<script" not in html.split("</head>", 1)[1]  # the total is computed by static/js/anju.js, no inline script


def test_another_owners_bill_is_not_found_at_either_step(client, owner, fake):
    their_user, _their_owner, _unit, their_bills = owner_with_bills(mobile="13800000002", name="李四", amounts=("66.60",))

    assert client.post("/portal/bills/", {"invoice": [their_bills[0].pk]}).status_code == 404
    assert client.post("/portal/bills/", {"invoice": [their_bills[0].pk], "action": "change"}).status_code == 404
    assert client.post("/portal/bills/checkout/", {"invoice": [their_bills[0].pk]}).status_code == 404
    assert PaymentAttempt.objects.count() == 0


def test_a_reminder_has_a_pay_button_for_its_bill(client, owner):
    user, unit, bills = owner
    make_overdue(bills[0])
    DunningNotice.objects.create(invoice=bills[0], level=DunningLevel.REMINDER, channels="portal")

    home = client.get("/portal/").content.decode()
    reminder = home.split('data-testid="reminder"', 1)[1].split("</li>", 1)[0]
    assert f'name="invoice" value="{bills[0].pk}"' in reminder and 'data-testid="reminder-pay"' in reminder

    confirm = client.post("/portal/bills/", {"invoice": [bills[0].pk], "action": "selected"}).content.decode()
    assert 'data-testid="confirm-total" data-amount="120.50"' in confirm


def _count(client, method, url, data=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        getattr(client, method)(url, data)
    return len(queries)


def test_the_confirm_page_runs_the_same_queries_for_1_and_200_bills(client, fake, django_assert_num_queries):
    user, owner_, unit, bills = owner_with_bills(amounts=("10.00",))
    client.force_login(user)
    firm = make_provider()
    ProviderContact.objects.create(provider=firm, name="王经理", work_phone="023-6000000")
    ManagementArrangement.objects.create(
        estate=unit.building.estate,
        model="professional",
        provider=firm,
        starts_on=datetime.date(2020, 1, 1),
        authority_kind="assembly_resolution",
        authority_reference="2020-1",
        authority_date=datetime.date(2019, 12, 1),
    )
    one = _count(client, "post", "/portal/bills/", {"invoice": [bills[0].pk]})
    more = [bill(unit, Decimal("12.30"), period=datetime.date(1900 + i // 12, 1 + i % 12, 1)) for i in range(199)]

    with django_assert_num_queries(one):
        response = client.post("/portal/bills/", {"invoice": [b.pk for b in [bills[0], *more]]})
    assert response.content.decode().count('type="hidden" name="invoice"') == 2 * 200
