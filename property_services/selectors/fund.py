"""The owners' maintenance fund (专项维修资金), unit by unit: what each unit paid in, its shares of the
uses, and what it holds (Civil Code Art. 281: the fund is the owners'; its raising and use are
published periodically).

A unit's account follows the unit, not its owner of the day: a buyer takes over what the unit holds.
Every reader here runs a fixed number of queries whatever the number of units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum

from billing.money import quantize
from billing.selectors import maintenance_fund_by_unit, maintenance_fund_payments
from estates.models import Estate, Ownership, Unit

from ..models import AllocationKind, MaintenanceFundUseShare, PublicIncomeAllocationShare

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class FundAccount:
    """One unit's account in the fund: contributions paid in (less refunds), plus its shares of the owners'
    public income put into the fund (物业管理条例 Art. 54), less its shares of the uses."""

    unit_id: int
    unit_key: str
    exclusive_area: Decimal
    contributed: Decimal
    used: Decimal
    from_public_income: Decimal = ZERO

    @property
    def balance(self) -> Decimal:
        return self.contributed + self.from_public_income - self.used


@dataclass(frozen=True)
class FundAccounts:
    """Every unit's account of an estate, with the totals."""

    accounts: list[FundAccount]

    @property
    def contributed(self) -> Decimal:
        return sum((a.contributed for a in self.accounts), ZERO)

    @property
    def used(self) -> Decimal:
        return sum((a.used for a in self.accounts), ZERO)

    @property
    def from_public_income(self) -> Decimal:
        return sum((a.from_public_income for a in self.accounts), ZERO)

    @property
    def balance(self) -> Decimal:
        return self.contributed + self.from_public_income - self.used


def fund_accounts(*, estate: Estate) -> FundAccounts:
    """Each unit of the estate with its fund account (units with nothing paid in are listed too, at zero),
    in the order of building, entrance and number. Four queries whatever the number of units."""
    units = (
        Unit.objects.filter(building__estate=estate)
        .order_by("building__number", "entrance", "number", "pk")
        .values_list("pk", "building__number", "entrance", "number", "exclusive_area")
    )
    contributed = {row["invoice__unit_id"]: row["contributed"] for row in maintenance_fund_by_unit(estate=estate)}
    used = {
        row["unit_id"]: row["total"]
        for row in MaintenanceFundUseShare.objects.filter(use__estate=estate)
        .values("unit_id")
        .annotate(total=Sum("amount"))
        .order_by()
    }
    allocated = {
        row["unit_id"]: row["total"]
        for row in PublicIncomeAllocationShare.objects.filter(
            part__allocation__estate=estate, part__kind=AllocationKind.MAINTENANCE_FUND
        )
        .values("unit_id")
        .annotate(total=Sum("amount"))
        .order_by()
    }
    return FundAccounts(
        accounts=[
            FundAccount(
                unit_id=pk,
                unit_key=f"{building}-{entrance}-{number}",
                exclusive_area=area,
                contributed=quantize(contributed.get(pk) or ZERO),
                used=quantize(used.get(pk) or ZERO),
                from_public_income=quantize(allocated.get(pk) or ZERO),
            )
            for pk, building, entrance, number, area in units
        ]
    )


@dataclass
class UnitFundStatement:
    """What an owner reads of one unit's account: each contribution, each use with the unit's share, the balance."""

    unit: Unit
    contributions: list = field(default_factory=list)  # billing LedgerEntry rows: payments in, refunds out
    shares: list[MaintenanceFundUseShare] = field(default_factory=list)
    allocations: list[PublicIncomeAllocationShare] = field(default_factory=list)  # public income put into the fund

    @property
    def contributed(self) -> Decimal:
        return sum((-e.amount if e.refund_id else e.amount for e in self.contributions), ZERO)

    @property
    def from_public_income(self) -> Decimal:
        return sum((a.amount for a in self.allocations), ZERO)

    @property
    def used(self) -> Decimal:
        return sum((s.amount for s in self.shares), ZERO)

    @property
    def balance(self) -> Decimal:
        return self.contributed + self.from_public_income - self.used


def fund_statements_of_owner(*, user) -> list[UnitFundStatement]:
    """The fund account of each unit the signed-in person owns today (their current ownerships only: a
    former owner no longer reads the unit's account). Four queries whatever the number of units or uses."""
    if not getattr(user, "is_authenticated", False):
        return []
    units = list(
        Unit.objects.filter(pk__in=Ownership.objects.filter(owner__user=user, until__isnull=True).values("unit_id"))
        .select_related("building__estate")
        .order_by("building__estate__name", "building__number", "entrance", "number")
    )
    statements = {unit.pk: UnitFundStatement(unit=unit) for unit in units}
    if not statements:
        return []
    for entry in maintenance_fund_payments(unit_ids=statements):
        statements[entry.invoice.unit_id].contributions.append(entry)
    shares = (
        MaintenanceFundUseShare.objects.filter(unit_id__in=list(statements))
        .select_related("use__resolution__assembly", "use__building")
        .order_by("use__used_on", "use_id")
    )
    for share in shares:
        statements[share.unit_id].shares.append(share)
    allocations = (
        PublicIncomeAllocationShare.objects.filter(unit_id__in=list(statements), part__kind=AllocationKind.MAINTENANCE_FUND)
        .select_related("part__allocation__statement")
        .order_by("part__allocation__statement__ends_on", "pk")
    )
    for allocation in allocations:
        statements[allocation.unit_id].allocations.append(allocation)
    return list(statements.values())
