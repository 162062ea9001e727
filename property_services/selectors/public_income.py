"""Reading the owners' public income (Civil Code Art. 282): an allocation's parts and what each unit got of it,
and the total the public site shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Sum

from ..models import (
    AllocationKind,
    PublicIncomeAllocation,
    PublicIncomeAllocationPart,
    PublicIncomeAllocationShare,
    PublicIncomeStatement,
    StatementStatus,
)


@dataclass
class UnitAllocation:
    """One unit's line of an allocation: its exclusive area and its share of each part credited unit by unit."""

    unit_id: int
    key: str
    area: Decimal
    fund: Decimal = Decimal("0.00")
    owners: Decimal = Decimal("0.00")


@dataclass
class AllocationView:
    allocation: PublicIncomeAllocation
    parts: list[PublicIncomeAllocationPart]
    units: list[UnitAllocation] = field(default_factory=list)

    @property
    def fund_total(self) -> Decimal:
        return sum((u.fund for u in self.units), Decimal("0.00"))

    @property
    def owners_total(self) -> Decimal:
        return sum((u.owners for u in self.units), Decimal("0.00"))


def allocation_view(*, allocation: PublicIncomeAllocation) -> AllocationView:
    """An allocation with its parts (and the resolutions they cite) and a line per unit. Two queries."""
    parts = list(
        PublicIncomeAllocationPart.objects.filter(allocation=allocation).select_related("resolution__assembly").order_by("pk")
    )
    by_unit: dict[int, UnitAllocation] = {}
    shares = (
        PublicIncomeAllocationShare.objects.filter(part__allocation=allocation)
        .order_by("unit__building__number", "unit__entrance", "unit__number", "unit_id")
        .values_list(
            "unit_id",
            "unit__building__number",
            "unit__entrance",
            "unit__number",
            "unit__exclusive_area",
            "part__kind",
            "amount",
        )
    )
    for unit_id, building, entrance, number, area, kind, amount in shares:
        line = by_unit.setdefault(unit_id, UnitAllocation(unit_id=unit_id, key=f"{building}-{entrance}-{number}", area=area))
        if kind == AllocationKind.MAINTENANCE_FUND:
            line.fund += amount
        else:
            line.owners += amount
    return AllocationView(allocation=allocation, parts=parts, units=list(by_unit.values()))


def public_income_disclosed() -> Decimal | None:
    """The income (before costs) of every published public income statement, all estates together: what the
    owners were shown they earned from their common parts. A draft or an approved statement not yet
    published does not count. None while nothing is published (the home page then leaves the figure out).
    One query."""
    total = PublicIncomeStatement.objects.filter(status=StatementStatus.PUBLISHED).aggregate(total=Sum("income_total"))["total"]
    return None if total is None else Decimal(total).quantize(Decimal("0.01"))


def public_income_disclosed_by_estate(*, estates) -> dict[int, dict]:
    """Per estate, its published statements: how many, the income (before costs) they disclosed and the end of
    the latest period published. Estates that published nothing are absent. One query (GROUP BY estate)."""
    rows = (
        PublicIncomeStatement.objects.filter(status=StatementStatus.PUBLISHED, estate__in=estates)
        .values("estate_id")
        .annotate(statements=Count("pk"), income=Sum("income_total"), last_ends_on=Max("ends_on"))
        .order_by()
    )
    return {
        row["estate_id"]: {
            "statements": row["statements"],
            "income": Decimal(row["income"] or 0).quantize(Decimal("0.01")),
            "last_ends_on": row["last_ends_on"],
        }
        for row in rows
    }


__all__ = [
    "AllocationView",
    "UnitAllocation",
    "allocation_view",
    "public_income_disclosed",
    "public_income_disclosed_by_estate",
]
