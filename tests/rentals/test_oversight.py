"""The oversight dashboard of 存房: occupancy, vacancy days, pipeline and arrears per estate and per district, who
may see which estates, and a fixed number of queries whatever the number of estates."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from estates.models import District, Subdistrict
from rentals.models import AgreementStatus, Lease
from rentals.selectors.oversight import rental_oversight

from .factories import application_row, entrustment_row, listing_row, owner_of
from .test_statements import agreement_of, lease_of, pay, rent_bills

pytestmark = pytest.mark.django_db
D = Decimal
ON = datetime.date(2026, 12, 1)
URL = "/admin/rentals/oversight/"


def row_of(oversight, estate):
    return next(row for group in oversight.districts for row in group.rows if row.pk == estate.pk)


@pytest.fixture
def busy_estate(estate, payee):
    """Four flats: one let with two rent bills in arrears, one vacant since its lease ended on 30 June, one under an
    agreement from 1 November (a draft lease), one entrusted and not yet surveyed."""
    units = list(estate.buildings.get().units.order_by("number"))
    let = agreement_of(units[0], owner_of(units[0], None, name="甲"), payee=payee)
    bills = rent_bills(lease_of(let, months=3))
    pay(bills[0], "2000.00", datetime.date(2026, 1, 1), "R1")
    pay(bills[1], "500.00", datetime.date(2026, 1, 5), "R2")
    vacant = agreement_of(units[1], owner_of(units[1], None, name="乙"), payee=payee)
    ended = lease_of(vacant, months=6)
    Lease.objects.filter(pk=ended.pk).update(status="ended")
    listing = listing_row(units[1], agreement=vacant)
    application_row(listing)
    new = agreement_of(units[2], owner_of(units[2], None, name="丙"), payee=payee, start_on=datetime.date(2026, 11, 1))
    Lease.objects.filter(pk=lease_of(new, start=datetime.date(2026, 12, 15)).pk).update(status="draft")
    entrustment_row(units[3])
    return estate


def test_the_figures_of_an_estate_and_its_district(busy_estate, staff, other_estate, make_user):
    oversight = rental_oversight(user=staff, on=ON)
    f = row_of(oversight, busy_estate).figures
    assert (f.flats, f.let, f.occupancy) == (3, 1, D("33.3"))
    assert f.vacancy_days == 153 + 30  # since 1 July, and since 1 November
    assert (f.applied, f.surveyed, f.offered, f.entrustments_open) == (1, 0, 0, 1)
    assert (f.listings_published, f.applications_submitted, f.leases_draft) == (1, 1, 1)
    assert (f.arrears_count, f.arrears_amount) == (2, D("3500.00"))  # February's 1,500 left and March's 2,000
    assert oversight.estates == 1  # staff see their estate only

    officer = make_user("13900000501", Role.DISTRICT_OFFICER, district=District.objects.get(code="T500103"))
    district = rental_oversight(user=officer, on=ON)
    assert district.estates == 2 and len(district.districts) == 1
    total = district.districts[0].figures
    assert (total.flats, total.let, total.arrears_amount) == (3, 1, D("3500.00"))
    assert row_of(district, other_estate).figures.occupancy is None


def test_an_agreement_not_in_force_counts_no_flat(estate, staff, payee):
    unit = estate.buildings.get().units.order_by("number").first()
    agreement_of(unit, owner_of(unit, None), payee=payee, status=AgreementStatus.OFFERED)
    assert row_of(rental_oversight(user=staff, on=ON), estate).figures.flats == 0


def test_the_page_for_staff_and_officers_and_nobody_else(client, busy_estate, staff, other_staff, make_user, make_estate):
    client.force_login(staff)
    page = client.get(URL).content.decode()
    assert f'data-testid="estate-{busy_estate.pk}"' in page and "33.3%" in page and "¥3,500.00" in page
    client.force_login(other_staff)
    page = client.get(URL).content.decode()
    assert f'data-testid="estate-{busy_estate.pk}"' not in page and "¥3,500.00" not in page

    elsewhere = District.objects.create(code="T500104", name="江北区")
    sub = Subdistrict.objects.create(code="T500104001", district=elsewhere, name="观音桥街道")
    make_estate("FAR1", subdistrict=sub)
    far_officer = make_user("13900000502", Role.DISTRICT_OFFICER, district=elsewhere)
    client.force_login(far_officer)
    response = client.get(URL)
    assert response.status_code == 200
    assert f'data-testid="estate-{busy_estate.pk}"' not in response.content.decode()
    sub_officer = make_user("13900000503", Role.SUBDISTRICT_OFFICER, subdistrict=Subdistrict.objects.get(code="T500103001"))
    client.force_login(sub_officer)
    assert f'data-testid="estate-{busy_estate.pk}"' in client.get(URL).content.decode()

    client.force_login(make_user("13811110005", Role.OWNER))
    assert client.get(URL).status_code in (302, 403)
    committee = make_user("13900000504", Role.COMMITTEE_MEMBER, estate=busy_estate)
    client.force_login(committee)
    response = client.get(URL)
    assert response.status_code in (302, 403) and "¥3,500.00" not in response.content.decode()
    client.logout()
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_fixed_number_of_queries_at_1_and_5_estates(client, make_estate, make_user, payee):
    officer = make_user(
        "13900000505",
        Role.DISTRICT_OFFICER,
        district=District.objects.get_or_create(code="T500103", defaults={"name": "渝中区"})[0],
    )
    client.force_login(officer)

    def add_estates(n):
        for _ in range(n):
            estate = make_estate(f"Q{District.objects.count()}{Lease.objects.count():03d}x{_}", units_per_building=2)
            unit = estate.buildings.get().units.order_by("number").first()
            from billing.models import Payee

            agreement = agreement_of(unit, owner_of(unit, None), payee=Payee.objects.create(estate=estate, legal_name="业主收款"))
            rent_bills(lease_of(agreement, months=2))

    def count():
        client.get(URL)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL)
        assert response.status_code == 200
        return len(ctx.captured_queries), response.content.decode().count('data-testid="estate-')

    add_estates(1)
    one, rows_one = count()
    add_estates(4)
    five, rows_five = count()
    assert (rows_one, rows_five) == (2, 6)  # the payee fixture's estate too
    assert one == five
