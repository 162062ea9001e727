"""A lease's rent cycles (rentals.cycles): rent in advance, at most three months at a time (2021 national opinion on
rental companies, 建房规〔2021〕2号), the last cycle cut at the lease's end."""

import datetime
from decimal import Decimal

import pytest

from rentals.cycles import lease_end, rent_cycles, whole_months

D = datetime.date


def test_quarterly_cycles_of_a_year_lease_with_due_dates_on_the_rent_day():
    cycles = rent_cycles(
        start_on=D(2026, 1, 15), end_on=D(2027, 1, 14), cycle_months=3, rent_day=10, monthly_rent=Decimal("2000")
    )
    assert [(c.first_day, c.last_day, c.months, c.due_on, c.period, c.amount) for c in cycles] == [
        (D(2026, 1, 15), D(2026, 4, 14), 3, D(2026, 1, 15), D(2026, 1, 1), Decimal("6000.00")),
        (D(2026, 4, 15), D(2026, 7, 14), 3, D(2026, 4, 10), D(2026, 4, 1), Decimal("6000.00")),
        (D(2026, 7, 15), D(2026, 10, 14), 3, D(2026, 7, 10), D(2026, 7, 1), Decimal("6000.00")),
        (D(2026, 10, 15), D(2027, 1, 14), 3, D(2026, 10, 10), D(2026, 10, 1), Decimal("6000.00")),
    ]


def test_rent_day_after_the_cycle_start_falls_in_the_month_before_and_the_last_cycle_is_cut():
    cycles = rent_cycles(
        start_on=D(2026, 3, 1), end_on=D(2026, 7, 31), cycle_months=2, rent_day=25, monthly_rent=Decimal("1500.50")
    )
    assert [(c.first_day, c.months, c.due_on, c.amount) for c in cycles] == [
        (D(2026, 3, 1), 2, D(2026, 3, 1), Decimal("3001.00")),
        (D(2026, 5, 1), 2, D(2026, 4, 25), Decimal("3001.00")),
        (D(2026, 7, 1), 1, D(2026, 6, 25), Decimal("1500.50")),
    ]
    assert sum(c.amount for c in cycles) == Decimal("1500.50") * 5


def test_month_ends_and_whole_months():
    assert lease_end(D(2026, 1, 31), 1) == D(2026, 2, 27)
    assert whole_months(D(2026, 1, 31), D(2026, 2, 27)) == 1
    assert whole_months(D(2026, 1, 1), D(2046, 12, 31)) == 252
    assert whole_months(D(2026, 1, 1), D(2026, 1, 20)) is None
    with pytest.raises(ValueError):
        rent_cycles(start_on=D(2026, 1, 1), end_on=D(2026, 1, 20), cycle_months=1, rent_day=1, monthly_rent=Decimal(1))
    # More than three months at a time is never a cycle.
    with pytest.raises(ValueError):
        rent_cycles(start_on=D(2026, 1, 1), end_on=D(2026, 12, 31), cycle_months=4, rent_day=1, monthly_rent=Decimal(1))
