"""A lease's rent cycles: pure date arithmetic shared by rent billing and owners' statements.

A lease runs whole months: from ``start_on`` to ``end_on`` = ``start_on`` + n months − 1 day. Its rent is collected
in advance, ``cycle_months`` months at a time (at most three, 2021 national opinion on rental companies): cycle
``i`` starts ``i × cycle_months`` months after ``start_on`` and the last cycle is cut at the lease's end. The first
cycle's rent is due on the first day of the lease; each later cycle's on the lease's ``rent_day`` of the month in
which it starts, or of the month before when that day would fall after the cycle's first day. A bill's period is
the first day of the calendar month in which its cycle starts (two cycles never start in one month).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from billing.money import quantize

from .recovery import add_months


@dataclass(frozen=True)
class RentCycle:
    index: int  # 0 for the first cycle
    first_day: datetime.date
    last_day: datetime.date
    months: int  # whole months in the cycle (1–3)
    due_on: datetime.date
    period: datetime.date  # the bill's period: first day of the month in which the cycle starts
    amount: Decimal  # months × monthly rent

    def month_starts(self) -> list[datetime.date]:
        """The first day of each month of rent this cycle pays for (counted from the lease's start day)."""
        return [add_months(self.first_day, i) for i in range(self.months)]


def whole_months(start_on: datetime.date, end_on: datetime.date) -> int | None:
    """n when ``end_on`` is ``start_on`` + n months − 1 day (n ≥ 1), else None."""
    months = (end_on.year - start_on.year) * 12 + end_on.month - start_on.month + 1
    for n in (months - 1, months):
        if n >= 1 and add_months(start_on, n) - datetime.timedelta(days=1) == end_on:
            return n
    return None


def lease_end(start_on: datetime.date, months: int) -> datetime.date:
    """The last day of a lease of ``months`` whole months from ``start_on``."""
    return add_months(start_on, months) - datetime.timedelta(days=1)


def _due_on(first_day: datetime.date, rent_day: int) -> datetime.date:
    due = first_day.replace(day=rent_day)
    if due > first_day:
        due = add_months(first_day.replace(day=1), -1).replace(day=rent_day)
    return due


def rent_cycles(
    *, start_on: datetime.date, end_on: datetime.date, cycle_months: int, rent_day: int, monthly_rent: Decimal
) -> list[RentCycle]:
    """Every rent cycle of a lease of whole months (ValueError when the term is not whole months)."""
    total = whole_months(start_on, end_on)
    if total is None:
        raise ValueError("a lease runs whole months")
    if not 1 <= cycle_months <= 3:
        raise ValueError("rent is collected 1 to 3 months at a time")
    cycles = []
    done = 0
    while done < total:
        months = min(cycle_months, total - done)
        first_day = add_months(start_on, done)
        last_day = add_months(start_on, done + months) - datetime.timedelta(days=1)
        cycles.append(
            RentCycle(
                index=len(cycles),
                first_day=first_day,
                last_day=last_day,
                months=months,
                due_on=start_on if done == 0 else _due_on(first_day, rent_day),
                period=first_day.replace(day=1),
                amount=quantize(Decimal(months) * Decimal(monthly_rent)),
            )
        )
        done += months
    return cycles


def lease_cycles(lease) -> list[RentCycle]:
    """The cycles of a ``rentals.Lease`` up to its last day (an early end cuts the cycles after it)."""
    cycles = rent_cycles(
        start_on=lease.start_on,
        end_on=lease.end_on,
        cycle_months=lease.cycle_months,
        rent_day=lease.rent_day,
        monthly_rent=lease.monthly_rent,
    )
    return [cycle for cycle in cycles if cycle.first_day <= lease.last_day]


def cycle_covering(lease, day: datetime.date) -> RentCycle | None:
    """The cycle whose rent pays for ``day`` (None outside the lease)."""
    return next((c for c in lease_cycles(lease) if c.first_day <= day <= c.last_day), None)
