"""Night rates of the visitor parking fee (property_services.parking.fee, issue 13).

What a visitor pays for parking on the owners' common ground is the owners' public income (Civil
Code Art. 275 para. 2, Art. 282), so it must be exactly what the tariff says, to the fen. The night
(19:00–07:00 Beijing here) costs a flat fee per night instead of the intervals of its minutes; the
day cap still holds. The amounts are worked out by hand from the tariff below.
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from property_services.parking import ParkingTariff, fee

BJ = ZoneInfo("Asia/Shanghai")
DAY = {
    "free_minutes": 30,
    "free_per": "day",
    "first_minutes": 60,
    "first_fee": Decimal("5.00"),
    "interval_minutes": 30,
    "interval_fee": Decimal("2.00"),
    "cap": Decimal("30.00"),
    "cap_window": "natural_day",
}
NIGHT = ParkingTariff(**DAY, night_start=datetime.time(19), night_end=datetime.time(7), night_fee=Decimal("10.00"))
UNCAPPED = ParkingTariff(
    **{**DAY, "cap": None}, night_start=datetime.time(19), night_end=datetime.time(7), night_fee=Decimal("10.00")
)


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 11, day, hour, minute, second, tzinfo=BJ)


def check(result) -> None:
    assert sum((line.amount for line in result.lines), Decimal("0.00")) == result.amount  # the receipt adds up


def test_a_stay_wholly_in_the_day_costs_what_it_costs_without_a_night_rate():
    for left in (at(20, 9, 20), at(20, 10), at(20, 10, 1), at(20, 18, 59)):
        with_night = fee(tariff=NIGHT, entered_at=at(20, 9), left_at=left)
        without = fee(tariff=ParkingTariff(**DAY), entered_at=at(20, 9), left_at=left)
        assert with_night.amount == without.amount and with_night.nights == 0
        check(with_night)
    assert fee(tariff=NIGHT, entered_at=at(20, 9), left_at=at(20, 10, 1)).amount == Decimal("7.00")


def test_a_stay_wholly_in_one_night_costs_the_night_fee_once():
    result = fee(tariff=NIGHT, entered_at=at(20, 20), left_at=at(21, 6, 30))  # 10 ½ h, over midnight
    assert result.amount == Decimal("10.00") and result.nights == 1
    # The night's fee falls on the day the stay was first inside it (20 Nov), not on the 21st.
    assert [(line.description.split()[0], line.amount) for line in result.lines] == [
        ("2026-11-20", Decimal("10.00")),
        ("2026-11-21", Decimal("0.00")),
    ]
    assert "夜间1晚" in result.lines[0].description
    after_midnight = fee(tariff=NIGHT, entered_at=at(21, 1), left_at=at(21, 6))
    assert after_midnight.amount == Decimal("10.00") and after_midnight.lines[0].description.startswith("2026-11-21")
    check(result)


def test_the_free_minutes_hold_in_the_night_too():
    assert fee(tariff=NIGHT, entered_at=at(20, 23), left_at=at(20, 23, 30)).amount == Decimal("0.00")
    again = fee(tariff=NIGHT, entered_at=at(20, 23, 40), left_at=at(20, 23, 50), earlier_sessions=[(at(20, 23), at(20, 23, 30))])
    assert again.amount == Decimal("10.00")  # the day's free stay is used up: the night is charged


def test_a_stay_across_a_night_boundary_pays_its_day_minutes_and_the_night():
    # 17:00–21:00: 2 h of day (5 + 2 × 2 = 9) and the night from 19:00 (10).
    evening = fee(tariff=NIGHT, entered_at=at(20, 17), left_at=at(20, 21))
    assert evening.amount == Decimal("19.00") and evening.nights == 1
    # 06:00–09:00 the next morning: the night's last hour (10), then 2 h of day charged from the
    # first day minute (the first period and two intervals: 9).
    morning = fee(tariff=UNCAPPED, entered_at=at(21, 6), left_at=at(21, 9))
    assert morning.amount == Decimal("19.00")
    # Leaving exactly as the night starts is not being inside it.
    assert fee(tariff=NIGHT, entered_at=at(20, 18), left_at=at(20, 19)).amount == Decimal("5.00")
    assert fee(tariff=NIGHT, entered_at=at(20, 18), left_at=at(20, 19, 0, 1)).amount == Decimal("15.00")
    check(evening)
    check(morning)


def test_a_stay_over_two_nights_pays_each_night_once_and_each_day_is_capped():
    # 20 Nov 18:00 – 22 Nov 08:00. Day minutes: 18–19 (1 h), 21 Nov 07–19 (12 h), 22 Nov 07–08 (1 h).
    # Uncapped: the day clock runs 14 h (5 + 26 × 2 = 57) and two nights (20): 77.00.
    uncapped = fee(tariff=UNCAPPED, entered_at=at(20, 18), left_at=at(22, 8))
    assert uncapped.amount == Decimal("77.00") and uncapped.nights == 2
    # By day: 20th 5 + night 10 = 15; 21st 48 + night 10 = 58 → 30 (capped); 22nd 4.
    capped = fee(tariff=NIGHT, entered_at=at(20, 18), left_at=at(22, 8))
    assert [(line.description.split()[0], line.amount) for line in capped.lines] == [
        ("2026-11-20", Decimal("15.00")),
        ("2026-11-21", Decimal("30.00")),
        ("2026-11-22", Decimal("4.00")),
    ]
    assert capped.amount == Decimal("49.00")
    assert "封顶" in capped.lines[1].description and "夜间1晚" in capped.lines[1].description
    check(capped)


def test_the_day_cap_includes_the_nights_fee():
    # 08:00–23:00: 11 h of day (5 + 20 × 2 = 45) and the night (10): 55, capped at 30.
    assert fee(tariff=NIGHT, entered_at=at(20, 8), left_at=at(20, 23)).amount == Decimal("30.00")
    # An earlier stay that day counts towards the cap: 08–12 cost 17, so the evening pays at most 13.
    evening = fee(tariff=NIGHT, entered_at=at(20, 18), left_at=at(20, 21), earlier_sessions=[(at(20, 8), at(20, 12))])
    assert evening.amount == Decimal("13.00")  # 5 + 10 = 15 uncapped


def test_the_rolling_24_hour_cap_with_a_night_rate():
    rolling = ParkingTariff(**{**NIGHT.__dict__, "cap_window": "rolling_24h"})
    # 20 Nov 12:00 – 21 Nov 13:00: the first 24 h: day 12–19 and 07–12 (12 h: 5 + 22 × 2 = 49) + night 10 → 30;
    # the 25th hour adds 2 intervals (4).
    assert fee(tariff=rolling, entered_at=at(20, 12), left_at=at(21, 13)).amount == Decimal("34.00")


def test_a_night_within_the_day():
    early = ParkingTariff(**DAY, night_start=datetime.time(0, 30), night_end=datetime.time(6), night_fee=Decimal("3.50"))
    # 23:00–07:00: 1 ½ h of day before 00:30 (5 + 2 = 7), the night (3.50), 1 h after 06:00 (2 intervals: 4).
    result = fee(tariff=early, entered_at=at(20, 23), left_at=at(21, 7))
    assert result.amount == Decimal("14.50") and result.nights == 1
    check(result)


def test_the_defaults_change_nothing():
    plain = ParkingTariff(**DAY)
    assert plain.night_fee is None and plain.night_start is None and plain.night_end is None
    assert fee(tariff=plain, entered_at=at(20, 12), left_at=at(21, 12)).amount == Decimal("60.00")


@pytest.mark.parametrize(
    "night",
    [
        {"night_start": datetime.time(19), "night_end": datetime.time(7)},  # no fee
        {"night_fee": Decimal("10.00")},  # no window
        {"night_start": datetime.time(19), "night_end": datetime.time(19), "night_fee": Decimal("10.00")},
        {"night_start": datetime.time(19), "night_end": datetime.time(7), "night_fee": Decimal("-1.00")},
        {"night_start": datetime.time(19), "night_end": datetime.time(7), "night_fee": Decimal("1.005")},
        {"night_start": "19:00", "night_end": datetime.time(7), "night_fee": Decimal("10.00")},
    ],
)
def test_a_night_rate_that_makes_no_sense_is_refused(night):
    with pytest.raises(ValidationError, match="夜间|每晚"):
        ParkingTariff(**DAY, **night)


# --- the estate's tariff in the back office, and the gate charging it ------------------------------


@pytest.fixture
def estate_and_staff(db, sync_groups):
    from accounts.models import Role
    from estates.services import role_grant
    from property_services.services.parking import gate_key_rotate
    from tests.billing.factories import billed_estate
    from tests.estates.factories import UserFactory

    estate, _units = billed_estate(units=1, code="NIGHT1")
    gate_key_rotate(estate=estate)
    mine = UserFactory(mobile="13900000931")
    role_grant(user=mine, role=Role.ESTATE_STAFF, estate=estate)
    other_estate, _units = billed_estate(units=1, code="NIGHT2")
    other = UserFactory(mobile="13900000932")
    role_grant(user=other, role=Role.ESTATE_STAFF, estate=other_estate)
    return estate, mine, other


RATE_FORM = {
    "valid_from": "2026-01-01",
    "free_minutes": "30",
    "free_per": "day",
    "first_minutes": "60",
    "first_fee": "5.00",
    "interval_minutes": "30",
    "interval_fee": "2.00",
    "cap": "30.00",
    "cap_window": "natural_day",
    "night_start": "19:00",
    "night_end": "07:00",
    "night_fee": "10.00",
    "grace_minutes": "15",
}


def test_staff_set_a_night_rate_in_the_back_office_and_the_gate_charges_it(client, estate_and_staff):
    import json

    from django.urls import reverse

    from billing.models import Invoice
    from property_services.models import ParkingRate, ParkingStay
    from property_services.services.parking import gate_signature

    estate, mine, other = estate_and_staff
    client.force_login(mine)
    half = client.post(reverse("property_services_parkingrate:add"), {**RATE_FORM, "estate": estate.pk, "night_fee": ""})
    assert half.status_code == 200 and "夜间收费须同时填写" in half.content.decode() and not ParkingRate.objects.exists()

    response = client.post(reverse("property_services_parkingrate:add"), {**RATE_FORM, "estate": estate.pk})

    assert response.status_code == 302
    saved = ParkingRate.objects.get()
    assert (saved.night_start, saved.night_end, saved.night_fee) == (datetime.time(19), datetime.time(7), Decimal("10.00"))
    assert "10.00" in client.get(reverse("property_services_parkingrate:inspect", args=[saved.pk])).content.decode()
    client.force_login(other)
    assert client.get(reverse("property_services_parkingrate:edit", args=[saved.pk])).status_code == 404

    def gate(serial, direction, when):
        body = json.dumps({"gate": "G1", "serial": serial, "direction": direction, "plate": "渝A12345", "at": when}).encode()
        return client.post(
            f"/property/gates/{estate.code}/records/",
            data=body,
            content_type="application/json",
            HTTP_X_ANJU_GATE_SIGNATURE=gate_signature(estate.gate_key.key, body),
        ).json()

    gate("E-1", "enter", "2026-11-20T17:00:00+08:00")
    left = gate("L-1", "leave", "2026-11-21T09:00:00+08:00")
    # 20th: 17–19 of day (5 + 2 × 2 = 9) + the night (10) = 19; 21st: 07–09, the day clock runs on from
    # 2 h to 4 h (5 + 6 × 2 = 17, i.e. +8): 27.00.
    assert left["fee"] == "27.00"
    invoice = Invoice.objects.get(pk=ParkingStay.objects.get().invoice_id)
    assert [line.description for line in invoice.lines.order_by("pk")] == [
        "渝A12345 2026-11-20 停车费 (含夜间1晚)",
        "渝A12345 2026-11-21 停车费",
    ]
