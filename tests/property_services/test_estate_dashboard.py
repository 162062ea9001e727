"""The estate dashboard's common-parts section (issue 13): parking occupancy, the owners' waiting list
(Civil Code Art. 276), this period's public income and costs (Art. 282), unauthorised business use
(Art. 278 item (8)), and what is held for the owners — for the estate's staff only, in a fixed number
of queries whatever the estate's size."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from estates.models import AssetKind, CommonAsset, Owner
from estates.services import role_grant
from property_services.models import LeaseCycle, ParkingSpace, ParkingStay, PermitPeriod, SpaceKind
from property_services.services.leases import lease_rent_bill, lease_sign
from property_services.services.parking import permit_issue, waitlist_join
from property_services.services.public_income import cost_claim, cost_propose, statement_period_of
from tests.billing.factories import billed_estate
from tests.estates.factories import UserFactory
from tests.property_services.conftest import passed_resolution
from tests.property_services.test_public_income import pdf

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def section(html: str, testid: str) -> str:
    match = re.search(rf'<tr[^>]*data-testid="{testid}".*?</tr>', html, flags=re.S)
    assert match, f"no row {testid}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


def numbers(text: str) -> list[str]:
    return re.findall(r"(?<![\d-])\d+(?:,\d{3})*(?:\.\d+)?(?![\d-])", text)


def common_parts(estate, *, spaces: int):
    owners = list(Owner.objects.filter(estate=estate).order_by("pk"))
    made = [
        ParkingSpace.objects.create(
            estate=estate,
            code=f"P-{n:02}",
            kind=SpaceKind.PLANNED if n % 2 else SpaceKind.COMMON_GROUND,
            month_fee=Decimal("150.00"),
        )
        for n in range(1, spaces + 1)
    ]
    permit_issue(space=made[0], plate="渝A12345", period=PermitPeriod.MONTH, valid_from=TODAY.replace(day=1), owner=owners[0])
    waitlist_join(estate=estate, owner=owners[1], plate="渝B54321")
    ParkingStay.objects.create(
        estate=estate, plate="渝C11111", entered_at=timezone.now(), enter_gate="G1", enter_serial="1", visitor=True
    )
    resolution = passed_resolution(
        estate, on=TODAY - datetime.timedelta(days=60), matter="change_use_or_operate_common_parts", title="出租门面"
    )
    shop = CommonAsset.objects.create(estate=estate, kind=AssetKind.SHOP_PREMISES, code="S-01", name="一号门面")
    lease = lease_sign(
        asset=shop,
        lessee="重庆便民超市有限公司",
        starts_on=TODAY.replace(day=1),
        ends_on=TODAY.replace(day=1) + datetime.timedelta(days=365),
        rent=Decimal("3000.00"),
        cycle=LeaseCycle.MONTH,
        resolution=resolution,
    )
    lease_rent_bill(lease=lease, period=TODAY)
    # Chargers running with no lease under a passed item (8) resolution: unauthorised.
    CommonAsset.objects.create(estate=estate, kind=AssetKind.CHARGING_POINT, code="C-01", name="二号充电桩", in_service=True)
    cost_claim(estate=estate, incurred_on=TODAY, description="门面维修", amount=Decimal("500.00"), evidence=pdf())
    cost_propose(estate=estate, incurred_on=TODAY, description="充电桩电费", amount=Decimal("86.40"))  # no invoice yet


@pytest.fixture
def estates(settings, tmp_path, sync_groups):
    settings.MEDIA_ROOT = str(tmp_path)
    mine, _ = billed_estate(units=4, code="DASH1")
    other, _ = billed_estate(units=1, code="DASH2")
    staff = UserFactory(mobile="13900000931")
    role_grant(user=staff, role=Role.ESTATE_STAFF, estate=mine)
    stranger = UserFactory(mobile="13900000932")
    role_grant(user=stranger, role=Role.ESTATE_STAFF, estate=other)
    return mine, other, staff, stranger


def test_staff_read_their_estates_common_parts_on_its_dashboard(client, estates):
    estate, _other, staff, _stranger = estates
    common_parts(estate, spaces=4)
    client.force_login(staff)

    index = client.get(reverse("estates_estate:dashboards"))
    assert index.status_code == 302 and index.url == reverse("estates_estate:dashboard", args=[estate.pk])  # one estate
    html = client.get(index.url).content.decode()

    # The page speaks Chinese by default: 4 spaces, 1 on a permit (25%); 2 planned, 2 on common ground.
    assert "今日 4 个车位中 1 个" in section(html, "parking-occupancy") and "25%" in section(html, "parking-occupancy")
    assert "规划车位 2 个，占用共有场地车位 2 个" in section(html, "parking-occupancy")
    assert numbers(section(html, "waiting-list"))[0] == "1"
    assert numbers(section(html, "visitors-inside")) == ["1"]
    assert "3,150.00" in section(html, "period-income") and "500.00" in section(html, "period-income")  # rent + permit
    assert "二号充电桩" in section(html, "unauthorised") and "一号门面" not in section(html, "unauthorised")
    assert numbers(section(html, "costs-awaiting")) == ["1", "86.40"]  # not in the ledger until its evidence comes
    starts, ends = statement_period_of(estate=estate, day=TODAY)  # the quarter, by default
    assert f"{starts:%Y-%m-%d} 至 {ends:%Y-%m-%d}" in section(html, "next-statement")
    # What is held for the owners is the ledger's public-income balance: 3,150 − 500.
    assert "2,650.00" in section(html, "balances")


def test_another_estates_staff_and_owners_are_refused(client, estates):
    estate, other, _staff, stranger = estates
    url = reverse("estates_estate:dashboard", args=[estate.pk])
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    assert client.get(reverse("estates_estate:dashboard", args=[other.pk])).status_code == 200

    owner = UserFactory(mobile="13900000933")
    client.force_login(owner)
    assert client.get(url).status_code in (302, 403)
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_the_dashboard_runs_a_fixed_number_of_queries_whatever_the_estates_size(client, estates, settings, tmp_path):
    estate, _other, staff, _stranger = estates
    common_parts(estate, spaces=2)
    big, _ = billed_estate(units=30, code="DASH3")
    role_grant(user=staff, role=Role.ESTATE_STAFF, estate=big)
    common_parts(big, spaces=40)
    client.force_login(staff)

    counts = []
    for each in (estate, big):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("estates_estate:dashboard", args=[each.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
