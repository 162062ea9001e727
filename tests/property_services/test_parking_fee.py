"""The visitor parking fee (property_services.parking.fee) and mainland number plates.

Parking on the owners' common ground earns the owners' public income (Civil Code Art. 275 para. 2,
Art. 282), so the fee must be exactly what the estate's tariff says, to the fen. Times are Beijing
time; the amounts below are worked out by hand from the tariff.
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from property_services.parking import ParkingTariff, fee, is_mainland_plate, normalize_plate

BJ = ZoneInfo("Asia/Shanghai")
TARIFF = ParkingTariff(
    free_minutes=30,
    free_per="day",
    first_minutes=60,
    first_fee=Decimal("5.00"),
    interval_minutes=30,
    interval_fee=Decimal("2.00"),
    cap=Decimal("30.00"),
    cap_window="natural_day",
)


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 11, day, hour, minute, second, tzinfo=BJ)


@pytest.mark.parametrize(
    ("minutes", "seconds", "amount"),
    [
        (0, 0, "0.00"),
        (30, 0, "0.00"),  # no longer than the free minutes
        (30, 1, "5.00"),  # longer: charged from the start, the first period
        (60, 0, "5.00"),
        (61, 0, "7.00"),  # one started interval
        (90, 0, "7.00"),
        (91, 0, "9.00"),
        (180, 0, "13.00"),
    ],
)
def test_free_minutes_then_the_first_period_then_each_started_interval(minutes, seconds, amount):
    entered = at(20, 9)
    result = fee(tariff=TARIFF, entered_at=entered, left_at=entered + datetime.timedelta(minutes=minutes, seconds=seconds))
    assert result.amount == Decimal(amount)
    assert sum((line.amount for line in result.lines), Decimal("0.00")) == result.amount


def test_re_entry_the_same_day_has_no_second_free_period():
    earlier = [(at(20, 9, 0), at(20, 9, 10))]  # the day's free stay

    again = fee(tariff=TARIFF, entered_at=at(20, 9, 20), left_at=at(20, 9, 40), earlier_sessions=earlier)
    per_entry = fee(
        tariff=ParkingTariff(**{**TARIFF.__dict__, "free_per": "entry"}),
        entered_at=at(20, 9, 20),
        left_at=at(20, 9, 40),
        earlier_sessions=earlier,
    )

    assert again.amount == Decimal("5.00") and not again.free
    assert per_entry.amount == Decimal("0.00") and per_entry.free


def test_yesterdays_stay_does_not_use_up_todays_free_period():
    earlier = [(at(19, 23, 50), at(19, 23, 55))]
    assert fee(tariff=TARIFF, entered_at=at(20, 0, 5), left_at=at(20, 0, 20), earlier_sessions=earlier).amount == Decimal("0.00")


def test_the_natural_day_cap():
    assert fee(tariff=TARIFF, entered_at=at(20, 8), left_at=at(20, 20)).amount == Decimal("30.00")  # 49.00 uncapped
    uncapped = ParkingTariff(**{**TARIFF.__dict__, "cap": None})
    assert fee(tariff=uncapped, entered_at=at(20, 8), left_at=at(20, 20)).amount == Decimal("49.00")


def test_a_stay_over_midnight_is_split_by_day_and_each_day_is_capped():
    short = fee(tariff=TARIFF, entered_at=at(20, 22), left_at=at(21, 2))
    assert [(line.description.split()[0], line.amount) for line in short.lines] == [
        ("2026-11-20", Decimal("9.00")),  # 2 h: 5 + 2 × 2
        ("2026-11-21", Decimal("8.00")),  # 4 h: 17 in all
    ]
    long = fee(tariff=TARIFF, entered_at=at(20, 12), left_at=at(21, 12))
    assert long.amount == Decimal("60.00")  # 49 and 48 uncapped: 30 each day


def test_the_rolling_24_hour_cap_counts_from_the_entry():
    rolling = ParkingTariff(**{**TARIFF.__dict__, "cap_window": "rolling_24h"})
    assert fee(tariff=rolling, entered_at=at(20, 12), left_at=at(21, 12)).amount == Decimal("30.00")  # one window
    # 25 h: the first 24 h capped at 30; the 25th hour adds 101 − 97 = 4.
    assert fee(tariff=rolling, entered_at=at(20, 12), left_at=at(21, 13)).amount == Decimal("34.00")


def test_earlier_stays_of_the_day_count_towards_its_cap():
    earlier = [(at(20, 8), at(20, 18))]  # 41.00 uncapped: the day's 30.00 is used up
    late = fee(tariff=TARIFF, entered_at=at(20, 19), left_at=at(20, 20), earlier_sessions=earlier)
    assert late.amount == Decimal("0.00")
    partly = [(at(20, 8), at(20, 12))]  # 17.00
    assert fee(tariff=TARIFF, entered_at=at(20, 13), left_at=at(20, 20), earlier_sessions=partly).amount == Decimal("13.00")


def test_leaving_before_entering_and_naive_times_are_refused():
    with pytest.raises(ValidationError, match="出场时间早于入场时间"):
        fee(tariff=TARIFF, entered_at=at(20, 10), left_at=at(20, 9))
    with pytest.raises(ValidationError):
        fee(tariff=TARIFF, entered_at=datetime.datetime(2026, 11, 20, 9), left_at=datetime.datetime(2026, 11, 20, 10))


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("渝A12345", "渝A12345"),
        ("渝a·12345", "渝A12345"),
        ("京AD12345", "京AD12345"),  # small new-energy car: D third
        ("粤B12345F", "粤B12345F"),  # large new-energy vehicle: F last
        ("川A1234学", "川A1234学"),
    ],
)
def test_mainland_plates_are_accepted_and_normalised(raw, stored):
    assert normalize_plate(raw) == stored and is_mainland_plate(raw)


@pytest.mark.parametrize(
    "raw",
    ["渝AI2345", "渝A12O45", "渝A1234", "渝A123456", "AA12345", "京AX12345", "港A12345", ""],
)
def test_plates_that_are_not_mainland_plates_are_refused(raw):
    assert not is_mainland_plate(raw)
    with pytest.raises(ValidationError, match="不是有效的内地车牌号"):
        normalize_plate(raw)


# --- sharing public income by exclusive area (Civil Code Art. 283) ------------------------------


def test_shares_by_area_sum_exactly_to_the_amount_with_the_remainder_given_deterministically():
    from property_services.sharing import share_by_weight

    areas = {101: Decimal("80.00"), 102: Decimal("80.00"), 103: Decimal("80.00")}
    shares = share_by_weight(Decimal("100.00"), areas)
    assert shares == {101: Decimal("33.34"), 102: Decimal("33.33"), 103: Decimal("33.33")}
    assert share_by_weight(Decimal("100.00"), areas) == shares  # the same data, the same shares
    uneven = share_by_weight(Decimal("1000.01"), {1: Decimal("75.5"), 2: Decimal("120.25"), 3: Decimal("0"), 4: Decimal("89")})
    assert sum(uneven.values()) == Decimal("1000.01") and uneven[3] == Decimal("0.00")
    assert uneven[2] > uneven[4] > uneven[1]


@pytest.mark.parametrize(
    "amount, areas",
    [(Decimal("-1.00"), {1: Decimal("1")}), (Decimal("1.001"), {1: Decimal("1")}), (Decimal("1.00"), {1: Decimal("0")})],
)
def test_sharing_refuses_what_cannot_be_shared(amount, areas):
    from property_services.sharing import share_by_weight

    with pytest.raises(ValidationError):
        share_by_weight(amount, areas)
