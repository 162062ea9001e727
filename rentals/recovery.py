"""The renovation budget and its recovery from rent: pure arithmetic, to the fen.

An agreement stores its recovery schedule as ``[[month index, "amount"], ...]``: month 1 is the first month of
the term (from ``start_on``), and an instalment is recovered once its month has ended. The instalments sum
exactly to the budget. On an early return the owner repays exactly what is not yet recovered.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable
from decimal import Decimal

from billing.money import from_fen, quantize, to_fen


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (the month's last day when it has fewer days: 31 Jan + 1 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def equal_schedule(*, budget: Decimal, months: int, first_month: int = 1) -> list[list]:
    """``budget`` in ``months`` equal monthly instalments from ``first_month`` on, to the fen; the fen left
    over by the division go one each to the first instalments, so that the sum is exactly the budget."""
    budget = quantize(budget)
    if months < 1 or first_month < 1:
        raise ValueError("months and first_month must be at least 1")
    base, extra = divmod(to_fen(budget), months)
    return [[first_month + i, str(from_fen(base + (1 if i < extra else 0)))] for i in range(months)]


def schedule_rows(schedule: Iterable) -> list[tuple[int, Decimal]]:
    """The stored schedule as (month index, amount) pairs, in month order."""
    return sorted((int(month), quantize(Decimal(str(amount)))) for month, amount in schedule)


def schedule_total(schedule: Iterable) -> Decimal:
    return sum((amount for _month, amount in schedule_rows(schedule)), Decimal("0.00"))


def month_ends(start_on: datetime.date, month_index: int) -> datetime.date:
    """The day month ``month_index`` of a term starting ``start_on`` has ended (the next month's first day)."""
    return add_months(start_on, month_index)


def recovered(agreement, *, on: datetime.date) -> Decimal:
    """What of the renovation budget has been recovered from rent by ``on``: the instalments of the months
    that have ended by then."""
    return sum(
        (amount for month, amount in schedule_rows(agreement.recovery_schedule) if month_ends(agreement.start_on, month) <= on),
        Decimal("0.00"),
    )


def unrecovered(agreement, *, on: datetime.date) -> Decimal:
    """What the owner repays on an early return on ``on``: the renovation budget less what has been recovered.
    Zero once the schedule has run out, even mid-term; the whole budget before its first instalment."""
    return quantize(agreement.renovation_budget) - recovered(agreement, on=on)
