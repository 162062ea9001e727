"""Leases of common parts under an Art. 278 item (8) resolution (issue 13).

Civil Code Art. 278 item (8): using common parts for business needs 3/4 of the participating area and
owners; Art. 282: the rent is the owners' public income. A lease without a passed resolution of that
item of the same estate is refused; a common part in business use without one is unauthorised.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.models import PayeeMoney
from estates.models import AssetKind, CommonAsset
from property_services.models import AssemblyMatter, LeaseCycle
from property_services.services.leases import assets_unauthorised, lease_rent_bill, lease_sign
from tests.billing.factories import billed_estate
from tests.property_services.conftest import passed_resolution

pytestmark = pytest.mark.django_db

ITEM_8 = "change_use_or_operate_common_parts"


@pytest.fixture
def estate():
    estate, _units = billed_estate(units=1, code="LEASE1")
    return estate


def asset(estate, kind=AssetKind.SHOP_PREMISES, code="S-01"):
    return CommonAsset.objects.create(estate=estate, kind=kind, code=code, name=code)


def sign(estate, resolution, *, shop=None, starts=datetime.date(2026, 12, 1), ends=datetime.date(2027, 12, 1), **kwargs):
    return lease_sign(
        asset=shop or asset(estate),
        lessee="重庆便民超市有限公司",
        starts_on=starts,
        ends_on=ends,
        rent=Decimal("3000.00"),
        cycle=LeaseCycle.MONTH,
        resolution=resolution,
        deposit=Decimal("6000.00"),
        deposit_terms="租期届满无欠租、无损坏的，30日内全额退还",
        **kwargs,
    )


def test_a_lease_under_a_passed_item_8_resolution_is_signed_and_its_rent_is_public_income(estate):
    resolution = passed_resolution(estate, on=datetime.date(2026, 10, 1), matter=ITEM_8, title="出租门面经营")
    lease = sign(estate, resolution)

    invoice = lease_rent_bill(lease=lease, period=datetime.date(2026, 12, 1))
    again = lease_rent_bill(lease=lease, period=datetime.date(2026, 12, 15))

    assert invoice.pk == again.pk and invoice.total == Decimal("3000.00") and invoice.charge_kind == "shop_rent"
    assert invoice.payee.assignments.filter(money=PayeeMoney.PUBLIC_INCOME).exists()  # Art. 282: the owners'
    assert not assets_unauthorised(estate=estate, on=datetime.date(2026, 12, 10)).exists()


@pytest.mark.parametrize("case", ["none", "failed", "other_item", "other_estate"])
def test_without_a_passed_item_8_resolution_of_the_estate_the_lease_is_refused(estate, case):
    resolution = None
    if case == "failed":
        resolution = passed_resolution(estate, on=datetime.date(2026, 10, 1), matter=ITEM_8, title="设置充电桩")
        AssemblyMatter.objects.filter(pk=resolution.pk).update(passed=False)
        resolution.refresh_from_db()
    elif case == "other_item":
        resolution = passed_resolution(estate, on=datetime.date(2026, 10, 1), matter="other_major", title="更换门禁")
    elif case == "other_estate":
        other, _units = billed_estate(units=1, code="LEASE2")
        resolution = passed_resolution(other, on=datetime.date(2026, 10, 1), matter=ITEM_8, title="出租门面经营")

    with pytest.raises(ValidationError, match="第278条"):
        sign(estate, resolution)
    assert not estate.common_leases.exists()


def test_overlapping_leases_of_one_common_part_are_refused(estate):
    resolution = passed_resolution(estate, on=datetime.date(2026, 10, 1), matter=ITEM_8, title="出租门面经营")
    shop = asset(estate)
    sign(estate, resolution, shop=shop)

    with pytest.raises(ValidationError, match="已出租给"):
        sign(estate, resolution, shop=shop, starts=datetime.date(2027, 6, 1), ends=datetime.date(2028, 6, 1))
    sign(estate, resolution, shop=shop, starts=datetime.date(2027, 12, 1), ends=datetime.date(2028, 12, 1))  # back to back


def test_chargers_running_after_a_failed_motion_show_as_unauthorised(estate):
    chargers = asset(estate, AssetKind.CHARGING_POINT, "C-01")
    failed = passed_resolution(estate, on=datetime.date(2026, 10, 1), matter=ITEM_8, title="设置充电桩并对外经营")
    AssemblyMatter.objects.filter(pk=failed.pk).update(passed=False)
    asset(estate, AssetKind.PARKING_SPACE, "P-01")  # parking spaces are not leased here

    assert list(assets_unauthorised(estate=estate, on=datetime.date(2026, 12, 1))) == [chargers]


def test_staff_sign_a_lease_in_the_back_office_only_under_an_approving_resolution(client, estate, sync_groups):
    from django.urls import reverse

    from accounts.models import Role
    from estates.services import role_grant
    from property_services.models import CommonPartLease
    from tests.estates.factories import UserFactory

    staff = UserFactory(mobile="13900000921")
    role_grant(user=staff, role=Role.ESTATE_STAFF, estate=estate)
    other_estate, _units = billed_estate(units=1, code="LEASE3")
    other = UserFactory(mobile="13900000922")
    role_grant(user=other, role=Role.ESTATE_STAFF, estate=other_estate)
    approved = passed_resolution(estate, on=datetime.date(2026, 10, 1), matter=ITEM_8, title="出租门面经营")
    failed = passed_resolution(estate, on=datetime.date(2026, 9, 1), matter=ITEM_8, title="设置充电桩")
    AssemblyMatter.objects.filter(pk=failed.pk).update(passed=False)
    shop = asset(estate)
    form = {
        "estate": estate.pk,
        "asset": shop.pk,
        "lessee": "重庆便民超市有限公司",
        "lessee_credit_code": "",
        "starts_on": "2026-12-01",
        "ends_on": "2027-12-01",
        "rent": "3000.00",
        "cycle": "month",
        "deposit": "6000.00",
        "deposit_terms": "期满退还",
        "resolution": failed.pk,
    }
    client.force_login(staff)

    refused = client.post(reverse("property_services_commonpartlease:add"), form)
    signed = client.post(reverse("property_services_commonpartlease:add"), {**form, "resolution": approved.pk})

    assert refused.status_code == 200 and not CommonPartLease.objects.filter(resolution=failed).exists()
    assert signed.status_code == 302
    lease = CommonPartLease.objects.get()
    client.force_login(other)
    assert client.get(reverse("property_services_commonpartlease:inspect", args=[lease.pk])).status_code == 404


def test_the_daily_task_bills_each_started_cycle_once_monthly_and_quarterly(estate, monkeypatch):
    """Rent is billed per cycle without staff pressing anything: each cycle's bill once (Art. 282)."""
    from django.utils import timezone
    from django_q.models import Schedule

    from billing.models import Invoice
    from property_services import tasks

    resolution = passed_resolution(estate, on=datetime.date(2026, 10, 1), matter=ITEM_8, title="出租门面与广告位")
    monthly = sign(estate, resolution, starts=datetime.date(2026, 11, 15), ends=datetime.date(2027, 11, 15))
    quarterly = lease_sign(
        asset=asset(estate, kind=AssetKind.AD_SPOT, code="AD-01"),
        lessee="重庆广告传媒有限公司",
        starts_on=datetime.date(2026, 10, 1),
        ends_on=datetime.date(2027, 4, 1),
        rent=Decimal("900.00"),
        cycle=LeaseCycle.QUARTER,
        resolution=resolution,
    )
    assert Schedule.objects.filter(func="property_services.tasks.lease_rent_daily").count() == 1

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2027, 1, 3))
    assert tasks.lease_rent_daily() == 5  # monthly: Nov, Dec, Jan; quarterly: Oct, Jan
    assert tasks.lease_rent_daily() == 0  # safe to run twice
    periods = lambda lease: sorted(  # noqa: E731
        Invoice.objects.filter(source_id=lease.pk, charge_kind=lease_kind(lease)).values_list("period", flat=True)
    )
    assert periods(monthly) == [datetime.date(2026, 11, 1), datetime.date(2026, 12, 1), datetime.date(2027, 1, 1)]
    assert periods(quarterly) == [datetime.date(2026, 10, 1), datetime.date(2027, 1, 1)]

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2027, 6, 1))
    tasks.lease_rent_daily()
    assert periods(quarterly)[-1] == datetime.date(2027, 1, 1)  # the lease ended on 1 April: no cycle after it


def lease_kind(lease):
    return "shop_rent" if lease.asset.kind == AssetKind.SHOP_PREMISES else "ad_rent"
