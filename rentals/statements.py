"""An owner's monthly statement: pure arithmetic, to the fen (no database).

A statement covers one calendar month (``period``, its first day) of one entrustment agreement. Month 1 of the
agreement is the calendar month in which its term starts (``start_on``; agreements start on the 1st, where the
calendar month and the term's month are the same) — the month index of the recovery schedule
(``rentals.recovery``). The operator holds the flat on the days ``start_on`` ≤ day < ``stop``, where ``stop`` is
``ended_on`` after an early return (the flat is handed back that day) and ``end_on`` otherwise.

**Agency** (the owner is the lessor; 住房租赁条例 Arts. 25, 36: the rent went straight to the owner's payee):

- rent collected = the money paid in the month for the tenants' rent bills (cash basis: the payments received in
  the month; a refund made in the month counts negative);
- commission = rent collected × ``commission_percent`` / 100, to the fen, half up;
- renovation recovery = the schedule's instalment of the month, when the month ends while the operator still holds
  the flat (so nothing after the schedule has run out, nothing after an early return, and not the instalment of the
  month of an early return: that one is in the repayment, ``recovery.unrecovered``);
- what the owner keeps = rent − commission − recovery. It may be negative: the owner then owes the difference
  (``owed_by_owner``), and it is carried on the owner's bill for the commission and the instalment.

**Sublet** (包租, the operator is the lessor): the guaranteed rent for every month of the term after the rent-free
months, let or not; a whole month when the operator holds the flat the whole month, else pro-rated by the days it
does (the month of an early return: the days before ``ended_on``). The recovery instalment is shown for
information only; the payout is the guaranteed rent.

In both modes the statement of the month of an early return shows the repayment due (``repaid_on_return``) and
nothing left to recover after it.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from billing.money import quantize

from .recovery import add_months, month_ends, schedule_rows, unrecovered

ZERO = Decimal("0.00")
AGENCY = "agency"
SUBLET = "sublet"


@dataclass(frozen=True)
class RentLine:
    """One movement of the tenants' rent in the month: a payment (positive) or a refund (negative)."""

    on: datetime.date
    amount: Decimal
    bill: str  # the rent bill's number
    reference: str = ""


@dataclass(frozen=True)
class MonthFigures:
    mode: str
    period: datetime.date
    month_index: int
    days_held: int
    days_in_month: int
    rent_lines: tuple[RentLine, ...] = field(default_factory=tuple)
    rent_collected: Decimal = ZERO
    commission: Decimal = ZERO
    recovery: Decimal = ZERO
    guaranteed_rent: Decimal = ZERO
    payout: Decimal = ZERO
    unrecovered_after: Decimal = ZERO
    repayment_due: Decimal | None = None  # the month of an early return: what the owner repays

    @property
    def owed_by_owner(self) -> Decimal:
        """Agency: what the owner owes when the month's commission and instalment exceed the rent."""
        return -self.payout if self.payout < 0 else ZERO

    @property
    def owner_bill(self) -> Decimal:
        """Agency: the commission and the instalment the owner is billed for (nothing when not above zero)."""
        total = self.commission + self.recovery
        return total if self.mode == AGENCY and total > 0 else ZERO


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(period: datetime.date) -> datetime.date:
    return add_months(month_start(period), 1)


def month_index(start_on: datetime.date, period: datetime.date) -> int:
    """1 for the calendar month in which the term starts, 2 for the next, …"""
    return (period.year - start_on.year) * 12 + period.month - start_on.month + 1


def stop_day(agreement) -> datetime.date:
    """The first day the operator no longer holds the flat: the early return's day, else the term's end."""
    return agreement.ended_on if agreement.ended_on and agreement.ended_on < agreement.end_on else agreement.end_on


def returned_early(agreement) -> bool:
    return agreement.repaid_on_return is not None and agreement.ended_on is not None and agreement.ended_on < agreement.end_on


def days_held(agreement, period: datetime.date) -> int:
    """The days of the month on which the operator holds the flat under the agreement."""
    first, after = month_start(period), next_month(period)
    start, stop = max(first, agreement.start_on), min(after, stop_day(agreement))
    return max((stop - start).days, 0)


def in_term(agreement, period: datetime.date) -> bool:
    return days_held(agreement, period) > 0


def commission_of(rent: Decimal, percent: Decimal) -> Decimal:
    """The operator's commission on the rent collected, to the fen, half up."""
    return quantize(Decimal(rent) * Decimal(percent) / 100)


def instalment_of(agreement, period: datetime.date) -> Decimal:
    """The schedule's instalment of the month, if the month ends while the operator holds the flat (recovered,
    as ``recovery.recovered`` counts it); else nothing."""
    index = month_index(agreement.start_on, period)
    if month_ends(agreement.start_on, index) > stop_day(agreement):
        return ZERO
    return sum((amount for month, amount in schedule_rows(agreement.recovery_schedule) if month == index), ZERO)


def guaranteed_of(agreement, period: datetime.date) -> Decimal:
    """Sublet: the guaranteed rent owed for the month — nothing in the rent-free months, a whole month when the
    operator holds the flat all month, else pro-rated by the days held (half up to the fen)."""
    index = month_index(agreement.start_on, period)
    if index <= agreement.rent_free_months:
        return ZERO
    held = days_held(agreement, period)
    days = calendar.monthrange(period.year, period.month)[1]
    if held >= days:
        return quantize(agreement.guaranteed_rent)
    return quantize(Decimal(agreement.guaranteed_rent) * held / days)


def month_figures(agreement, period: datetime.date, rent_lines: list[RentLine] | tuple[RentLine, ...] = ()) -> MonthFigures:
    """The statement's figures for one month of one agreement (``rent_lines``: the agency's rent payments and
    refunds in the month; ignored for a sublet)."""
    period = month_start(period)
    index = month_index(agreement.start_on, period)
    held = days_held(agreement, period)
    days = calendar.monthrange(period.year, period.month)[1]
    early = returned_early(agreement)
    returned_this_month = early and month_start(agreement.ended_on) == period
    after = next_month(period)
    # After an early return the unrecovered part is repaid: nothing is left to recover.
    left = ZERO if early and agreement.ended_on <= after else unrecovered(agreement, on=min(after, stop_day(agreement)))
    instalment = instalment_of(agreement, period)
    common = {
        "mode": agreement.mode,
        "period": period,
        "month_index": index,
        "days_held": held,
        "days_in_month": days,
        "recovery": instalment,
        "unrecovered_after": left,
        "repayment_due": quantize(agreement.repaid_on_return) if returned_this_month else None,
    }
    if agreement.mode == AGENCY:
        lines = tuple(sorted(rent_lines, key=lambda line: (line.on, line.bill, line.amount)))
        rent = quantize(sum((line.amount for line in lines), ZERO))
        commission = commission_of(rent, agreement.commission_percent or ZERO)
        return MonthFigures(
            **common, rent_lines=lines, rent_collected=rent, commission=commission, payout=rent - commission - instalment
        )
    guaranteed = guaranteed_of(agreement, period)
    return MonthFigures(**common, guaranteed_rent=guaranteed, payout=guaranteed)
