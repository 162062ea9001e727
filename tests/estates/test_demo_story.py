"""The demo tells the story (issue 9, item 13), seen through the portal as each demo login after
`manage.py seed_demo`: both demo owners have paid bills with receipts and still owe one month,
with a reminder; the tenant is told what renting through Anju will offer, and every link they are
shown leads to a page that exists. (The owners' assemblies are tested with the governance demo.)
"""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import translation

from estates.demo import DEMO_PASSWORD

OWNERS = ["13800000001", "13800000002"]  # 陈建华 (金汤街小区), 刘秀英 (洋河新村)
TENANT = "13700000001"  # 王浩宇


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """seed_demo (at 60 units: the same logins, bills and story) once for this module, rolled back at
    the end (each test runs inside it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", "--units", "60", stdout=StringIO())  # the demo logins and their bills; fewer flats
        yield
        transaction.set_rollback(True)


def log_in(client, mobile: str) -> None:
    """Through the login form, with the demo password printed by `make run`."""
    response = client.post("/accounts/login/", {"username": mobile, "password": DEMO_PASSWORD})
    assert response.status_code == 302, f"{mobile} could not log in"


def nothing_here_text() -> str:
    with translation.override("zh-hans"):
        return translation.gettext(
            "There is nothing here for your account yet. If you own a flat, ask your property office to link your "
            "account to the register of owners."
        )


@pytest.mark.parametrize("mobile", OWNERS)
def test_each_demo_owner_has_paid_bills_with_receipts_and_a_reminder_for_what_is_owed(demo, db, client, mobile):
    log_in(client, mobile)
    home = client.get("/portal/").content.decode()
    assert 'data-testid="reminder"' in home, "no reminder on the portal home"
    assert 'href="/portal/bills/"' in home

    bills = client.get("/portal/bills/").content.decode()
    assert 'name="invoice"' in bills, "nothing left to pay: the reminder would make no sense"
    receipts = re.findall(r'href="(/portal/receipts/\d+\.pdf)"', bills)
    assert receipts, "no payment with a receipt in the payment history"
    response = client.get(receipts[0])
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_the_demo_tenant_is_told_what_renting_through_anju_will_offer(demo, db, client):
    log_in(client, TENANT)
    home = client.get("/portal/").content.decode()
    assert 'data-testid="tenant-section"' in home
    assert 'data-testid="rentals-coming"' in home
    assert nothing_here_text() not in home
    # Owners' things are not shown to the tenant.
    assert 'data-testid="reminder"' not in home
    assert 'id="my-bills"' not in home


def internal_links(html: str) -> set[str]:
    main = html.split("<main", 1)[-1]
    header = html.split("<main", 1)[0]
    links = set(re.findall(r'href="(/[^"#]*)"', header + main))
    return {link for link in links if not link.startswith(("/static/", "/media/"))}


def test_every_link_the_demo_tenant_is_shown_leads_to_a_page_that_exists(demo, db, client):
    log_in(client, TENANT)
    shown = set()
    for page in ("/portal/", "/", "/rentals/"):
        response = client.get(page)
        assert response.status_code == 200, page
        shown |= internal_links(response.content.decode())
    assert "/rentals/" in shown  # from the portal section and the home page's teaser
    broken = {link: client.get(link).status_code for link in sorted(shown)}
    broken = {link: status for link, status in broken.items() if status >= 400}
    assert broken == {}, f"links to pages that do not exist: {broken}"
    listings = client.get("/rentals/").content.decode()
    assert 'data-testid="listing-count"' in listings


def test_an_owner_does_not_get_the_tenant_section_and_the_tenant_no_owners_receipt(demo, db, client):
    log_in(client, OWNERS[0])
    bills = client.get("/portal/bills/").content.decode()
    receipt = re.findall(r'href="(/portal/receipts/\d+\.pdf)"', bills)[0]
    assert 'data-testid="tenant-section"' not in client.get("/portal/").content.decode()
    client.logout()
    log_in(client, TENANT)
    assert client.get(receipt).status_code == 404
    client.logout()
    assert client.get("/portal/").status_code == 302  # anonymous: to the login page
