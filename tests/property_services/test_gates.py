"""Plate-recognition gates post signed records to /property/gates/<estate>/records/ (issue 13).

A visitor's stay on the owners' common ground earns the owners' public income (Civil Code Arts. 275,
282): the fee on leaving is billed as ``parking_session`` to the owners' payee. Records are idempotent
by the gate's serial number; a bad signature, another estate's key or a record that makes no sense
is refused and writes nothing.
"""

import datetime
import json
from decimal import Decimal

import pytest

from billing.models import Invoice, PayeeMoney
from property_services.models import ParkingRate, ParkingStay
from property_services.services.parking import gate_key_rotate, gate_signature
from tests.billing.factories import billed_estate

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate():
    estate, _units = billed_estate(units=1, code="GATE1")
    ParkingRate.objects.create(
        estate=estate,
        valid_from=datetime.date(2026, 1, 1),
        free_minutes=30,
        first_minutes=60,
        first_fee=Decimal("5.00"),
        interval_minutes=30,
        interval_fee=Decimal("2.00"),
        cap=Decimal("30.00"),
    )
    gate_key_rotate(estate=estate)
    return estate


def post(client, estate, record: dict, *, key: str | None = None, code: str | None = None):
    body = json.dumps(record, ensure_ascii=False).encode()
    signature = gate_signature(key if key is not None else estate.gate_key.key, body)
    return client.post(
        f"/property/gates/{code or estate.code}/records/",
        data=body,
        content_type="application/json",
        HTTP_X_ANJU_GATE_SIGNATURE=signature,
    )


def record(serial: str, direction: str, at: str, plate: str = "渝A12345", gate: str = "G1") -> dict:
    return {"gate": gate, "serial": serial, "direction": direction, "plate": plate, "at": at}


def test_a_visitor_enters_leaves_and_the_fee_is_billed_to_the_owners_public_income(client, estate):
    entered = post(client, estate, record("E-1", "enter", "2026-11-20T09:00:00+08:00"))
    left = post(client, estate, record("L-1", "leave", "2026-11-20T10:01:00+08:00"))

    assert entered.status_code == 200 and entered.json()["open"] is True and entered.json()["kind"] == "visitor"
    answer = left.json()
    assert left.status_code == 200 and answer["fee"] == "7.00"  # 5 + one interval
    # Not let out before paying: the gate shows the page to pay at as a QR code (tests/property_services/test_parking_pay.py).
    assert answer["open"] is False and answer["paid"] is False and answer["pay_url"].startswith("http")
    stay = ParkingStay.objects.get()
    invoice = Invoice.objects.get(pk=stay.invoice_id)
    assert invoice.total == Decimal("7.00") and invoice.charge_kind == "parking_session"
    assert invoice.payee.legal_name.endswith("业主大会")  # the owners' payee, not the manager
    assert invoice.payee.assignments.filter(money=PayeeMoney.PUBLIC_INCOME).exists()


def test_a_replayed_record_gets_the_same_answer_and_changes_nothing(client, estate):
    first = [post(client, estate, record("E-1", "enter", "2026-11-20T09:00:00+08:00")).json()]
    first.append(post(client, estate, record("L-1", "leave", "2026-11-20T11:00:00+08:00")).json())

    again = [post(client, estate, record("E-1", "enter", "2026-11-20T09:00:00+08:00")).json()]
    again.append(post(client, estate, record("L-1", "leave", "2026-11-20T11:00:00+08:00")).json())

    assert again == first
    assert ParkingStay.objects.count() == 1 and Invoice.objects.count() == 1


def test_a_short_first_stay_of_the_day_is_free_and_not_billed(client, estate):
    post(client, estate, record("E-1", "enter", "2026-11-20T09:00:00+08:00"))
    answer = post(client, estate, record("L-1", "leave", "2026-11-20T09:20:00+08:00")).json()
    post(client, estate, record("E-2", "enter", "2026-11-20T09:30:00+08:00"))
    second = post(client, estate, record("L-2", "leave", "2026-11-20T09:40:00+08:00")).json()

    assert answer["fee"] == "0.00" and second["fee"] == "5.00"  # no second free period the same day
    assert Invoice.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"key": "0" * 64},  # a wrong key
        {"signature_of_other_estate": True},
    ],
)
def test_a_record_not_signed_with_the_estates_key_is_refused_and_writes_nothing(client, estate, change):
    if change.get("signature_of_other_estate"):
        other, _units = billed_estate(units=1, code="GATE2")
        key = gate_key_rotate(estate=other).key
    else:
        key = change["key"]

    response = post(client, estate, record("E-1", "enter", "2026-11-20T09:00:00+08:00"), key=key)

    assert response.status_code == 403
    assert not ParkingStay.objects.exists()


def test_after_rotation_the_old_key_is_refused(client, estate):
    old = estate.gate_key.key
    gate_key_rotate(estate=estate)

    assert post(client, estate, record("E-1", "enter", "2026-11-20T09:00:00+08:00"), key=old).status_code == 403


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"plate": "渝AI2345"}, "不是有效的内地车牌号"),
        ({"direction": "sideways"}, "enter 或 leave"),
        ({"at": "2026-11-20 09:00"}, "带时区"),
        ({"serial": ""}, "serial"),
    ],
)
def test_records_that_make_no_sense_are_refused_with_the_reason(client, estate, bad, message):
    response = post(client, estate, {**record("E-1", "enter", "2026-11-20T09:00:00+08:00"), **bad})

    assert response.status_code == 400 and message in response.json()["error"]
    assert not ParkingStay.objects.exists()


def test_leaving_before_entering_is_refused(client, estate):
    post(client, estate, record("E-1", "enter", "2026-11-20T09:00:00+08:00"))

    response = post(client, estate, record("L-1", "leave", "2026-11-20T08:00:00+08:00"))

    assert response.status_code == 400 and "出场时间早于入场时间" in response.json()["error"]
    assert ParkingStay.objects.get().left_at is None


def test_leaving_without_an_entry_does_not_open_and_writes_nothing(client, estate):
    response = post(client, estate, record("L-9", "leave", "2026-11-20T10:00:00+08:00", plate="渝B54321"))

    assert response.status_code == 200 and response.json()["open"] is False
    assert not ParkingStay.objects.exists()


def test_an_unknown_estate_is_not_found(client, estate):
    assert post(client, estate, record("E-1", "enter", "2026-11-20T09:00:00+08:00"), code="NOPE").status_code == 404


@pytest.fixture
def staff(estate, sync_groups):
    from accounts.models import Role
    from estates.services import role_grant
    from tests.estates.factories import UserFactory

    mine = UserFactory(mobile="13900000901")
    role_grant(user=mine, role=Role.ESTATE_STAFF, estate=estate)
    other_estate, _units = billed_estate(units=1, code="GATE3")
    other = UserFactory(mobile="13900000902")
    role_grant(user=other, role=Role.ESTATE_STAFF, estate=other_estate)
    return mine, other


def test_staff_rotate_the_gate_key_in_the_back_office_and_other_staff_cannot(client, estate, staff):
    from django.urls import reverse

    mine, other = staff
    url = reverse("property_services_parkingrate:gate_key", args=[estate.pk])
    old = estate.gate_key.key
    client.force_login(other)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    client.force_login(mine)

    listing = client.get(reverse("property_services_parkingrate:index")).content.decode()
    page = client.get(url).content.decode()
    response = client.post(url)

    estate.gate_key.refresh_from_db()
    assert url in listing and old in page
    assert response.status_code == 302 and estate.gate_key.key != old
    assert post(client, estate, record("E-1", "enter", "2026-11-20T09:00:00+08:00"), key=old).status_code == 403


def test_staff_see_their_estates_stays_only(client, estate, staff):
    from django.urls import reverse

    post(client, estate, record("E-1", "enter", "2026-11-20T09:00:00+08:00"))
    stay = ParkingStay.objects.get()
    mine, other = staff
    client.force_login(other)
    assert client.get(reverse("property_services_parkingstay:inspect", args=[stay.pk])).status_code == 404
    assert "渝A12345" not in client.get(reverse("property_services_parkingstay:index")).content.decode()
    client.force_login(mine)
    assert "渝A12345" in client.get(reverse("property_services_parkingstay:index")).content.decode()
