"""Each unit's account in the owners' maintenance fund (issue 13; Civil Code Art. 281: the fund is the owners'
and its raising and use are published): the back office's per-unit table with totals, in a fixed number
of queries, and the owner's own units' accounts at /portal/fund/, refused to anyone else."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from estates.models import Ownership
from property_services.services.fund import fund_balances, fund_use_record
from tests.property_services.conftest import passed_resolution
from tests.property_services.owners_records import funded_estate

pytestmark = pytest.mark.django_db

ACCOUNTS = reverse("property_services_maintenancefunduse:accounts")
PORTAL = reverse("fund_portal:page")


def _roof(estate, amount="1000.00", building=None):
    resolution = passed_resolution(estate, on=datetime.date(2026, 10, 1), matter="use_maintenance_fund", title="屋面防水")
    return fund_use_record(
        estate=estate,
        title="屋面防水",
        amount=Decimal(amount),
        used_on=datetime.date(2026, 11, 1),
        resolution=resolution,
        building=building,
    )


def _cell(html: str, row: str, column: str) -> str:
    block = re.search(rf'data-testid="{row}">(.*?)</tr>', html, re.S).group(1)
    return re.search(rf'data-testid="{column}">(.*?)</t[dh]>', block).group(1)


def test_fund_balances_list_every_unit_and_take_off_its_shares(make_user):
    """Art. 281: each unit's balance is what it paid in less its shares of the uses, a unit with nothing at zero."""
    estate, units, _owners = funded_estate(make_user, units=3, code="FA0")
    extra = units[0].building.units.create(entrance=1, floor=9, number="901", exclusive_area=Decimal("50.00"))

    use = _roof(estate)

    shares = {s.unit_id: s.amount for s in use.shares.all()}
    balances = fund_balances(estate=estate)
    assert balances[extra.pk] == Decimal("0.00") - shares[extra.pk]
    assert balances[units[2].pk] == Decimal("1000.00") - shares[units[2].pk]
    assert sum(balances.values()) == Decimal("2000.00")


def test_staff_see_each_units_account_with_totals_and_other_staff_cannot(client, make_user):
    estate, units, _owners = funded_estate(make_user, units=3, code="FA1")
    use = _roof(estate, "900.00")
    staff = make_user("13900005001", Role.ESTATE_STAFF, estate=estate)
    other_estate, _other_units, _ = funded_estate(make_user, units=1, code="FA2", prefix="1380006")
    other = make_user("13900005002", Role.ESTATE_STAFF, estate=other_estate)
    share = use.shares.get(unit=units[0]).amount

    client.force_login(staff)
    page = client.get(ACCOUNTS, {"estate": estate.pk}).content.decode()

    assert _cell(page, f"fund-unit-{units[0].pk}", "contributed") == "¥1,000.00"
    assert _cell(page, f"fund-unit-{units[0].pk}", "used") == f"¥{share:,.2f}"
    assert _cell(page, f"fund-unit-{units[0].pk}", "balance") == f"¥{Decimal('1000.00') - share:,.2f}"
    assert _cell(page, "fund-totals", "contributed") == "¥3,000.00"
    assert _cell(page, "fund-totals", "used") == "¥900.00"
    assert _cell(page, "fund-totals", "balance") == "¥2,100.00"
    # The uses' list links here, and marks the use not yet published.
    listing = client.get(reverse("property_services_maintenancefunduse:index")).content.decode()
    assert 'data-testid="fund-accounts"' in listing

    client.force_login(other)
    assert client.get(ACCOUNTS, {"estate": estate.pk}).status_code == 404
    owner = Ownership.objects.filter(unit=units[0]).get().owner.user
    client.force_login(owner)
    assert client.get(ACCOUNTS, {"estate": estate.pk}).status_code in (302, 403)
    client.logout()
    assert client.get(ACCOUNTS, {"estate": estate.pk}).status_code == 302


def test_the_accounts_page_runs_the_same_queries_for_few_and_many_units(client, make_user):
    def queries(size: int) -> int:
        estate, _units, _owners = funded_estate(make_user, units=size, code=f"FQ{size}", prefix=f"13800{size:02d}")
        _roof(estate, "600.00")
        client.force_login(make_user(f"139000{size:05d}", Role.ESTATE_STAFF, estate=estate))
        client.get(ACCOUNTS, {"estate": estate.pk})  # warm-up: session, permissions
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(ACCOUNTS, {"estate": estate.pk})
        assert response.status_code == 200
        assert response.content.decode().count('data-testid="fund-unit-') == size
        return len(ctx.captured_queries)

    assert queries(3) == queries(30)


def test_an_owner_reads_their_own_units_accounts_in_the_portal_and_no_one_elses(client, make_user):
    estate, units, owners = funded_estate(make_user, units=3, code="FP1", prefix="1380007")
    use = _roof(estate, "900.00")
    first, second = owners[0].user, owners[1].user  # first holds units 0 and 1, second holds unit 2

    client.force_login(first)
    mine = client.get(PORTAL).content.decode()
    client.force_login(second)
    theirs = client.get(PORTAL).content.decode()

    share = use.shares.get(unit=units[0]).amount
    assert f'data-testid="fund-unit-{units[0].pk}"' in mine and f'data-testid="fund-unit-{units[1].pk}"' in mine
    assert f'data-testid="fund-unit-{units[2].pk}"' not in mine
    assert f"−¥{share:,.2f}" in mine and "屋面防水" in mine
    assert f"¥{Decimal('1000.00') - share:,.2f}" in mine  # the balance
    assert mine.count('data-testid="contribution"') == 2
    assert f'data-testid="fund-unit-{units[2].pk}"' in theirs and f'data-testid="fund-unit-{units[0].pk}"' not in theirs
    assert f"?record=fund_use-{use.pk}" in mine  # each use links to asking to inspect its records


def test_a_former_owner_a_tenant_and_a_stranger_see_no_units_account(client, make_user):
    estate, units, owners = funded_estate(make_user, units=3, code="FP2", prefix="1380008")
    stranger = make_user("13700005001", Role.TENANT)
    Ownership.objects.filter(owner=owners[0]).update(until=datetime.date(2025, 1, 1))  # sold

    for user in (owners[0].user, stranger):
        client.force_login(user)
        page = client.get(PORTAL).content.decode()
        assert 'data-testid="fund-unit-' not in page
        assert PORTAL not in client.get(reverse("portal_home")).content.decode()  # no link on the home page either
    client.force_login(owners[1].user)
    home = client.get(reverse("portal_home")).content.decode()
    assert PORTAL in home and reverse("records_portal:page") in home
    client.logout()
    assert client.get(PORTAL).status_code == 302
