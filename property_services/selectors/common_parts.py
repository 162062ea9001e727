"""The estate dashboard's figures for the owners' common parts, in a fixed number of queries.

Parking occupancy (Civil Code Arts. 275–276), the owners' waiting list, the period's public income and
costs (Art. 282), the next statement to disclose, common parts in business use without the owners'
approval (Art. 278 item (8)) and the balances the ledger holds for the owners.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Min, Q, Sum

from billing.ledger import ledger_balances
from billing.models import AccountKind
from estates.models import Estate

from ..models import ParkingPermit, ParkingSpace, ParkingStay, ParkingWaitlistEntry, PublicIncomeStatement, SpaceKind
from ..models.public_income import StatementStatus

ZERO = Decimal("0.00")


@dataclass
class CommonPartsSummary:
    planned_spaces: int = 0
    common_ground_spaces: int = 0
    spaces_with_permit: int = 0
    visitors_inside: int = 0
    waiting: int = 0
    waiting_since: datetime.datetime | None = None
    period: tuple[datetime.date, datetime.date] | None = None
    income: dict[str, Decimal] = field(default_factory=dict)
    costs_total: Decimal = ZERO
    costs_awaiting_evidence: int = 0
    costs_awaiting_amount: Decimal = ZERO
    last_published: PublicIncomeStatement | None = None
    next_due: tuple[datetime.date, datetime.date, datetime.date] | None = None  # starts, ends, due on
    unauthorised: list = field(default_factory=list)
    public_income_balance: Decimal = ZERO
    fund_balance: Decimal = ZERO
    units: int = 0

    @property
    def spaces(self) -> int:
        return self.planned_spaces + self.common_ground_spaces

    @property
    def occupancy(self) -> int | None:
        """Spaces let on a permit today, in whole percent of the spaces in service."""
        return round(100 * self.spaces_with_permit / self.spaces) if self.spaces else None

    @property
    def planned_per_100_units(self) -> Decimal | None:
        return (Decimal(100 * self.planned_spaces) / self.units).quantize(Decimal("0.1")) if self.units else None

    @property
    def income_total(self) -> Decimal:
        return sum(self.income.values(), ZERO)


def common_parts_summary(*, estate: Estate, on: datetime.date, units: int = 0) -> CommonPartsSummary:
    """Everything the dashboard shows for the estate on ``on``: a fixed number of queries."""
    from ..services.leases import assets_unauthorised
    from ..services.public_income import (
        costs_awaiting_evidence,
        statement_compute,
        statement_next_due,
        statement_period_of,
    )

    summary = CommonPartsSummary(units=units)
    spaces = ParkingSpace.objects.filter(estate=estate, in_service=True).aggregate(
        planned=Count("pk", filter=Q(kind=SpaceKind.PLANNED)), common=Count("pk", filter=Q(kind=SpaceKind.COMMON_GROUND))
    )
    summary.planned_spaces, summary.common_ground_spaces = spaces["planned"], spaces["common"]
    summary.spaces_with_permit = (
        ParkingPermit.objects.filter(space__estate=estate, space__in_service=True, valid_from__lte=on, valid_to__gte=on)
        .values("space")
        .distinct()
        .count()
    )
    summary.visitors_inside = ParkingStay.objects.filter(estate=estate, left_at__isnull=True, visitor=True).count()
    waiting = ParkingWaitlistEntry.objects.filter(estate=estate, served_at__isnull=True, withdrawn_at__isnull=True).aggregate(
        n=Count("pk"), since=Min("asked_at")
    )
    summary.waiting, summary.waiting_since = waiting["n"], waiting["since"]

    summary.period = statement_period_of(estate=estate, day=on)
    statement = statement_compute(estate=estate, starts_on=summary.period[0], ends_on=summary.period[1])
    awaiting = costs_awaiting_evidence(estate=estate).aggregate(n=Count("pk"), total=Sum("amount"))
    summary.costs_awaiting_evidence, summary.costs_awaiting_amount = awaiting["n"], awaiting["total"] or ZERO
    due = statement_next_due(estate=estate, today=on)
    summary.next_due = (due.starts_on, due.ends_on, due.due_on)
    summary.income, summary.costs_total = statement.income, statement.costs_total
    summary.last_published = (
        PublicIncomeStatement.objects.filter(estate=estate, status=StatementStatus.PUBLISHED).order_by("-ends_on").first()
    )
    summary.unauthorised = list(assets_unauthorised(estate=estate, on=on)[:20])
    balances = ledger_balances(estate_id=estate.pk)
    # Liabilities to the owners are credit balances (debits − credits is negative).
    summary.public_income_balance = -balances.get(AccountKind.PUBLIC_INCOME, ZERO)
    summary.fund_balance = -balances.get(AccountKind.MAINTENANCE_FUND, ZERO)
    return summary


__all__ = ["CommonPartsSummary", "common_parts_summary"]
