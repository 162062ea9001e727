"""Using the owners' maintenance fund (issue 13): Civil Code Art. 281 (the owners' fund; emergency use on
the committee's application, para. 2) and Art. 278 item (5) (more than half decide a use); each use is
borne unit by unit by exclusive area, to the fen."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing.ledger import ledger_balances
from billing.models import AccountKind, ChargeKind, PaymentMethod
from billing.services import payment_record
from property_services.models import AssemblyMatter, MaintenanceFundUse
from property_services.services.fund import fund_balances, fund_use_record
from tests.billing.factories import bill, billed_estate
from tests.property_services.conftest import make_committee, make_owners, passed_resolution

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded(make_user):
    """Three units (80, 81, 82 m²) of one owner each... and ¥1,000 paid into the fund by each unit."""
    estate, units = billed_estate(units=3, owners=False, code="FUND1")
    owners = make_owners(estate, make_user, prefix="1380004")
    for unit in units:
        contribution = bill(unit, Decimal("1000.00"), kind=ChargeKind.MAINTENANCE_FUND)
        payment_record(
            estate=estate,
            invoices=[contribution],
            amount=Decimal("1000.00"),
            method=PaymentMethod.CASH,
            received_at=timezone.now(),
            reference=f"MF-{unit.pk}",
            payer_name="业主",
        )
    return estate, units, owners


def test_a_use_approved_by_the_owners_is_borne_by_area_and_sums_exactly(funded):
    estate, units, owners = funded
    resolution = passed_resolution(estate, on=datetime.date(2026, 10, 1), matter="use_maintenance_fund", title="屋面防水")

    use = fund_use_record(
        estate=estate, title="屋面防水", amount=Decimal("1000.00"), used_on=datetime.date(2026, 11, 1), resolution=resolution
    )

    shares = {s.unit_id: s.amount for s in use.shares.all()}
    assert sum(shares.values()) == Decimal("1000.00")
    assert shares[units[0].pk] < shares[units[1].pk] < shares[units[2].pk]  # 80, 81, 82 m²
    balances = fund_balances(estate=estate)
    assert sum(balances.values()) == Decimal("2000.00")
    assert balances[units[0].pk] == Decimal("1000.00") - shares[units[0].pk]
    assert -ledger_balances(estate_id=estate.pk)[AccountKind.MAINTENANCE_FUND] == Decimal("2000.00")


@pytest.mark.parametrize("case", ["none", "failed", "other_item"])
def test_without_the_owners_decision_or_an_emergency_a_use_is_refused(funded, case):
    estate, units, owners = funded
    resolution = None
    if case == "failed":
        resolution = passed_resolution(estate, on=datetime.date(2026, 10, 1), matter="use_maintenance_fund", title="外墙")
        AssemblyMatter.objects.filter(pk=resolution.pk).update(passed=False)
        resolution.refresh_from_db()
    elif case == "other_item":
        resolution = passed_resolution(estate, on=datetime.date(2026, 10, 1), matter="other_major", title="门禁")

    with pytest.raises(ValidationError, match="第278条"):
        fund_use_record(
            estate=estate, title="外墙修缮", amount=Decimal("100.00"), used_on=datetime.date(2026, 11, 1), resolution=resolution
        )
    assert not MaintenanceFundUse.objects.exists()


def test_an_emergency_use_is_applied_for_by_the_committee_not_by_staff(funded, make_user):
    from accounts.models import Role

    estate, units, owners = funded
    member = make_committee(estate, owners).members.first().owner.user
    staff = make_user("13900000961", Role.ESTATE_STAFF, estate=estate)

    with pytest.raises(ValidationError, match="第281条第二款"):
        fund_use_record(
            estate=estate,
            title="电梯抢修",
            amount=Decimal("300.00"),
            used_on=datetime.date(2026, 11, 2),
            emergency_reason="电梯困人",
            by=staff,
        )
    use = fund_use_record(
        estate=estate,
        title="电梯抢修",
        amount=Decimal("300.00"),
        used_on=datetime.date(2026, 11, 2),
        emergency_reason="电梯困人",
        by=member,
    )
    assert use.shares.count() == 3


def test_a_use_larger_than_what_the_units_hold_is_refused_and_nothing_is_written(funded):
    estate, units, owners = funded
    resolution = passed_resolution(estate, on=datetime.date(2026, 10, 1), matter="use_maintenance_fund", title="屋面防水")
    building = units[0].building

    with pytest.raises(ValidationError, match="余额不足"):
        fund_use_record(
            estate=estate,
            title="屋面防水",
            amount=Decimal("3000.01"),
            used_on=datetime.date(2026, 11, 1),
            resolution=resolution,
            building=building,
        )
    assert not MaintenanceFundUse.objects.exists()
    assert -ledger_balances(estate_id=estate.pk)[AccountKind.MAINTENANCE_FUND] == Decimal("3000.00")


def test_staff_record_a_use_in_the_back_office_under_a_passed_resolution_and_other_staff_cannot(client, funded, make_user):
    from django.urls import reverse

    from accounts.models import Role

    estate, units, owners = funded
    staff = make_user("13900000971", Role.ESTATE_STAFF, estate=estate)
    other_estate, _units = billed_estate(units=1, code="FUND2")
    other = make_user("13900000972", Role.ESTATE_STAFF, estate=other_estate)
    resolution = passed_resolution(estate, on=datetime.date(2026, 10, 1), matter="use_maintenance_fund", title="屋面防水")
    form = {
        "estate": estate.pk,
        "title": "屋面防水",
        "amount": "900.00",
        "used_on": "2026-11-01",
        "building": "",
        "resolution": resolution.pk,
        "emergency_reason": "",
    }
    client.force_login(other)
    assert (
        client.post(reverse("property_services_maintenancefunduse:add"), {**form, "estate": other_estate.pk}).status_code == 200
    )
    assert not MaintenanceFundUse.objects.exists()
    client.force_login(staff)

    response = client.post(reverse("property_services_maintenancefunduse:add"), form)

    assert response.status_code == 302
    use = MaintenanceFundUse.objects.get()
    assert sum(s.amount for s in use.shares.all()) == Decimal("900.00")
    client.force_login(other)
    assert client.get(reverse("property_services_maintenancefunduse:inspect", args=[use.pk])).status_code == 404
