"""/portal/parking/: an owner sees their permits and the estate's waiting list in its order (Civil Code
Art. 276: owners first), joins it, and never sees another estate's list."""

import datetime
from decimal import Decimal

import pytest

from property_services.models import ParkingSpace, ParkingWaitlistEntry, PermitPeriod, SpaceKind
from property_services.parking_portal import mask_plate
from property_services.services.parking import permit_issue, waitlist_join
from tests.billing.factories import billed_estate
from tests.property_services.conftest import make_owners

pytestmark = pytest.mark.django_db


@pytest.fixture
def estates(make_user):
    mine, _units = billed_estate(units=4, owners=False, code="PKP1")
    theirs, _units = billed_estate(units=2, owners=False, code="PKP2")
    owners = make_owners(mine, make_user, prefix="1380005")
    strangers = make_owners(theirs, make_user, prefix="1380006")
    ParkingSpace.objects.create(estate=mine, code="P-01", kind=SpaceKind.COMMON_GROUND, month_fee=Decimal("150.00"))
    return mine, theirs, owners, strangers


def test_an_owner_sees_the_waiting_list_in_order_and_their_permit(client, estates):
    mine, theirs, owners, strangers = estates
    waitlist_join(estate=mine, owner=owners[1], plate="渝A11111")
    waitlist_join(estate=theirs, owner=strangers[0], plate="渝C99999")
    space = ParkingSpace.objects.get(estate=mine)
    permit_issue(space=space, plate="渝A12345", period=PermitPeriod.YEAR, valid_from=datetime.date(2026, 11, 1), owner=owners[0])
    client.force_login(owners[0].user)

    home = client.get("/portal/").content.decode()
    client.post("/portal/parking/", {"owner": owners[0].pk, "plate": "渝B22222"})
    page = client.get("/portal/parking/").content.decode()

    assert "/portal/parking/" in home
    assert 'data-testid="permit">渝A12345' in page
    assert page.index(mask_plate("渝A11111")) < page.index(mask_plate("渝B22222"))  # in the order of asking
    assert 'data-testid="mine">2. ' in page
    assert "渝A11111" not in page  # other owners' plates are masked
    assert mask_plate("渝C99999") not in page  # another estate's list is not shown
    assert ParkingWaitlistEntry.objects.filter(owner=owners[0], plate="渝B22222").exists()


def test_an_owner_cannot_join_another_estates_list_or_with_a_bad_plate(client, estates):
    mine, theirs, owners, strangers = estates
    client.force_login(owners[0].user)

    client.post("/portal/parking/", {"owner": strangers[0].pk, "plate": "渝B22222"})
    response = client.post("/portal/parking/", {"owner": owners[0].pk, "plate": "渝BI2222"}, follow=True)

    assert not ParkingWaitlistEntry.objects.exists()
    assert "不是有效的内地车牌号" in response.content.decode()
