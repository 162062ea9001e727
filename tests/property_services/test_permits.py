"""Parking permits and the owners-first waiting list (issue 13; Civil Code Art. 276: the estate's
spaces serve its owners first; Art. 275: spaces on common ground are the owners' common property)."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.models import Invoice
from estates.models import Owner
from property_services.models import ParkingSpace, PermitPeriod, SpaceKind
from property_services.services.parking import gate_key_rotate, gate_signature, permit_issue, waitlist_join, waitlist_open
from tests.billing.factories import billed_estate

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate():
    estate, _units = billed_estate(units=3, code="PARK1")
    return estate


def space(estate, code="P-01", fee="150.00"):
    return ParkingSpace.objects.create(estate=estate, code=code, kind=SpaceKind.COMMON_GROUND, month_fee=Decimal(fee))


def owners(estate):
    return list(Owner.objects.filter(estate=estate).order_by("pk"))


def test_an_owner_gets_a_yearly_permit_billed_as_the_owners_public_income(estate):
    owner = owners(estate)[0]

    permit = permit_issue(
        space=space(estate), plate="渝A12345", period=PermitPeriod.YEAR, valid_from=datetime.date(2026, 12, 1), owner=owner
    )

    assert (permit.valid_from, permit.valid_to) == (datetime.date(2026, 12, 1), datetime.date(2027, 11, 30))
    invoice = Invoice.objects.get(pk=permit.invoice_id)
    assert invoice.total == Decimal("1800.00") and invoice.charge_kind == "parking_permit"
    assert invoice.payer_owner == owner and invoice.payee.legal_name.endswith("业主大会")  # Art. 282


def test_two_permits_on_one_space_never_overlap(estate):
    first, second = owners(estate)[:2]
    p1 = space(estate)
    permit_issue(space=p1, plate="渝A12345", period=PermitPeriod.QUARTER, valid_from=datetime.date(2026, 12, 1), owner=first)

    with pytest.raises(ValidationError, match="已有车卡"):
        permit_issue(space=p1, plate="渝B22222", period=PermitPeriod.MONTH, valid_from=datetime.date(2027, 2, 1), owner=second)
    permit_issue(space=p1, plate="渝B22222", period=PermitPeriod.MONTH, valid_from=datetime.date(2027, 3, 1), owner=second)


def test_owners_come_first_then_a_non_resident_may_have_a_monthly_permit(estate):
    """Art. 276: no permit for an outsider while an owner waits; an outsider only ever gets a month."""
    waiting, other = owners(estate)[:2]
    p1, p2 = space(estate, "P-01"), space(estate, "P-02")
    waitlist_join(estate=estate, owner=waiting, plate="渝A11111")
    waitlist_join(estate=estate, owner=other, plate="渝A22222")
    assert [entry.owner for entry in waitlist_open(estate=estate)] == [waiting, other]  # in the order they asked

    with pytest.raises(ValidationError, match="民法典第276条"):
        permit_issue(
            space=p1, plate="渝C33333", period=PermitPeriod.MONTH, valid_from=datetime.date(2026, 12, 1), holder_name="访客单位"
        )
    permit_issue(space=p1, plate="渝A11111", period=PermitPeriod.MONTH, valid_from=datetime.date(2026, 12, 1), owner=waiting)
    permit_issue(space=p2, plate="渝A22222", period=PermitPeriod.MONTH, valid_from=datetime.date(2026, 12, 1), owner=other)
    assert not waitlist_open(estate=estate).exists()

    p3 = space(estate, "P-03")
    with pytest.raises(ValidationError, match="只能办理月卡"):
        permit_issue(
            space=p3, plate="渝C33333", period=PermitPeriod.QUARTER, valid_from=datetime.date(2026, 12, 1), holder_name="访客单位"
        )
    outsider = permit_issue(
        space=p3, plate="渝C33333", period=PermitPeriod.MONTH, valid_from=datetime.date(2026, 12, 1), holder_name="访客单位"
    )
    assert outsider.owner is None and Invoice.objects.get(pk=outsider.invoice_id).total == Decimal("150.00")


def test_bad_plates_and_owners_of_another_estate_are_refused_and_nothing_is_written(estate):
    stranger_estate, _units = billed_estate(units=1, code="PARK2")
    stranger = Owner.objects.filter(estate=stranger_estate).first()
    p1 = space(estate)

    with pytest.raises(ValidationError, match="不是有效的内地车牌号"):
        permit_issue(
            space=p1, plate="渝AI2345", period=PermitPeriod.MONTH, valid_from=datetime.date(2026, 12, 1), owner=owners(estate)[0]
        )
    with pytest.raises(ValidationError, match="不属于本小区"):
        permit_issue(space=p1, plate="渝A12345", period=PermitPeriod.MONTH, valid_from=datetime.date(2026, 12, 1), owner=stranger)
    with pytest.raises(ValidationError):
        waitlist_join(estate=estate, owner=stranger, plate="渝A12345")
    assert not p1.permits.exists() and not Invoice.objects.filter(charge_kind="parking_permit").exists()


def test_a_permit_holder_passes_the_gate_without_a_fee(client, estate):
    permit_issue(
        space=space(estate),
        plate="渝A12345",
        period=PermitPeriod.MONTH,
        valid_from=datetime.date(2026, 11, 1),
        owner=owners(estate)[0],
    )
    key = gate_key_rotate(estate=estate).key

    def post(record):
        body = json.dumps(record, ensure_ascii=False).encode()
        return client.post(
            f"/property/gates/{estate.code}/records/",
            data=body,
            content_type="application/json",
            HTTP_X_ANJU_GATE_SIGNATURE=gate_signature(key, body),
        ).json()

    entered = post({"gate": "G1", "serial": "1", "direction": "enter", "plate": "渝A12345", "at": "2026-11-20T08:00:00+08:00"})
    left = post({"gate": "G1", "serial": "2", "direction": "leave", "plate": "渝A12345", "at": "2026-11-20T20:00:00+08:00"})

    assert entered["kind"] == "permit" and left["kind"] == "permit" and left["fee"] == "0.00"
    assert not Invoice.objects.filter(charge_kind="parking_session").exists()


@pytest.fixture
def staff(estate, sync_groups):
    from accounts.models import Role
    from estates.services import role_grant
    from tests.estates.factories import UserFactory

    mine = UserFactory(mobile="13900000911")
    role_grant(user=mine, role=Role.ESTATE_STAFF, estate=estate)
    other_estate, _units = billed_estate(units=1, code="PARK3")
    other = UserFactory(mobile="13900000912")
    role_grant(user=other, role=Role.ESTATE_STAFF, estate=other_estate)
    return mine, other, other_estate


def test_staff_issue_a_permit_through_the_back_office_and_other_staff_cannot_use_the_space(client, estate, staff):
    from django.urls import reverse

    from property_services.models import ParkingPermit

    mine, other, other_estate = staff
    p1 = space(estate)
    owner = owners(estate)[0]
    form = {
        "estate": estate.pk,
        "space": p1.pk,
        "plate": "渝A12345",
        "owner": owner.pk,
        "holder_name": "",
        "period": PermitPeriod.QUARTER,
        "valid_from": "2026-12-01",
    }
    client.force_login(other)
    refused = client.post(reverse("property_services_parkingpermit:add"), {**form, "estate": other_estate.pk})
    assert refused.status_code == 200 and not ParkingPermit.objects.exists()  # my space is not among their choices
    assert client.get(reverse("property_services_parkingspace:edit", args=[p1.pk])).status_code == 404

    client.force_login(mine)
    response = client.post(reverse("property_services_parkingpermit:add"), form)

    assert response.status_code == 302
    permit = ParkingPermit.objects.get()
    assert permit.valid_to == datetime.date(2027, 2, 28) and Invoice.objects.get(pk=permit.invoice_id).total == Decimal("450.00")
    again = client.post(reverse("property_services_parkingpermit:add"), {**form, "plate": "渝B22222"})
    assert again.status_code == 200 and "已有车卡" in again.content.decode()
    assert ParkingPermit.objects.count() == 1
