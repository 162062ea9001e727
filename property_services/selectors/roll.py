"""The voter roll of an assembly and its Art. 278 count (Civil Code Art. 278; SPC interpretation Arts. 8-9)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from estates.models import Estate, Owner, Ownership, Unit

from .. import voting
from ..models import (
    Assembly,
    Ballot,
    BallotChoice,
    VoterDesignation,
)


@dataclass(frozen=True)
class RollUnit:
    """One unit on a voter roll: its exclusive area and its owners with their shares when the roll was taken."""

    unit_id: int
    key: str
    area: Decimal
    owners: tuple[tuple[int, Decimal], ...] = ()


@dataclass(frozen=True)
class VotingRoll:
    """Who counts and who votes in an assembly (Civil Code Art. 278; SPC interpretation on building ownership Arts. 8-9).

    ``units`` fix the denominators: every unit in scope with its area and owners, including units with no
    owner on record (they stay in the totals; nobody can vote for them). Heads: one per owner, one per group
    of co-owners (the same people owning several units together count once), one per unit without owner;
    an organisation is one owner however many units it holds.

    Who may cast a unit's ballot is worked out on top, from the register as it is now: the buyer of a unit
    sold after the roll was taken (``transfers``); only the designated co-owner where the co-owners designated
    one (``designated``; otherwise any co-owner, Civil Code Art. 300); an organisation only through a named
    representative.
    """

    units: tuple[RollUnit, ...] = ()
    taken_at: datetime.datetime | None = None
    transfers: dict[int, tuple[tuple[int, Decimal], ...]] = field(default_factory=dict)
    designated: dict[int, int] = field(default_factory=dict)
    without_representative: frozenset[int] = frozenset()
    names: dict[int, str] = field(default_factory=dict)

    # -- heads and totals -----------------------------------------------------------------------------
    @staticmethod
    def _head(unit: RollUnit):
        ids = sorted({str(owner_id) for owner_id, _share in unit.owners})
        if not ids:
            return None
        return ids[0] if len(ids) == 1 else tuple(ids)

    @property
    def total_area(self) -> Decimal:
        return sum((u.area for u in self.units), Decimal(0))

    @property
    def total_owners(self) -> int:
        """Heads: distinct owners and co-owner groups, plus one per unit with no owner."""
        heads = {self._head(u) for u in self.units if u.owners}
        return len(heads) + sum(1 for u in self.units if not u.owners)

    # -- who may vote ---------------------------------------------------------------------------------
    def holders(self, unit: RollUnit) -> tuple[tuple[int, Decimal], ...]:
        """The unit's owners for voting: the buyers if it was sold after the roll was taken."""
        return self.transfers.get(unit.unit_id, unit.owners)

    def voters_of(self, unit: RollUnit) -> tuple[int, ...]:
        holders = [owner_id for owner_id, _share in self.holders(unit)]
        designee = self.designated.get(unit.unit_id)
        if designee in holders:
            holders = [designee]
        return tuple(sorted(o for o in holders if o not in self.without_representative))

    @property
    def voter_ids(self) -> frozenset[int]:
        return frozenset(o for u in self.units for o in self.voters_of(u))

    @property
    def owner_keys(self) -> frozenset[str]:
        """Keys (str of owner id) of everyone who may cast a ballot."""
        return frozenset(str(o) for o in self.voter_ids)

    def units_voted_by(self, owner_id: int) -> list[RollUnit]:
        return [u for u in self.units if owner_id in self.voters_of(u)]

    @property
    def unvotable_units(self) -> list[RollUnit]:
        """Units nobody can vote for: no owner on record, or an organisation with no representative."""
        return [u for u in self.units if not self.voters_of(u)]

    @property
    def unvotable_area(self) -> Decimal:
        return sum((u.area for u in self.unvotable_units), Decimal(0))

    @property
    def unvotable_owners(self) -> int:
        """Heads none of whose units anyone can vote for."""
        votable_heads = {self._head(u) for u in self.units if u.owners and self.voters_of(u)}
        heads = {self._head(u) for u in self.unvotable_units if u.owners} - votable_heads
        return len(heads) + sum(1 for u in self.unvotable_units if not u.owners)

    # -- the tally engine's input ---------------------------------------------------------------------
    def engine_units(self) -> list[tuple[str, object, Decimal]]:
        return [(u.key, self._head(u), u.area) for u in self.units]

    def engine_voters(self) -> dict[str, tuple[str, ...]]:
        return {u.key: tuple(str(o) for o in self.voters_of(u)) for u in self.units}

    def engine_shares(self) -> dict[str, dict[str, Decimal]]:
        return {u.key: {str(o): share for o, share in self.holders(u)} for u in self.units if len(self.holders(u)) > 1}

    def tally(self, *, matter: str, ballots: dict[int, str]):
        """Art. 278 count of ``ballots`` (choice by owner id) against this roll; ballots of non-voters are left out."""
        voters = self.voter_ids
        return voting.tally(
            matter=matter,
            units=self.engine_units(),
            ballots={str(o): c for o, c in ballots.items() if o in voters},
            shares=self.engine_shares(),
            voters=self.engine_voters(),
        )

    # -- storing --------------------------------------------------------------------------------------
    def to_json(self) -> dict:
        return {
            "units": [
                [u.unit_id, u.key, str(u.area), [[owner_id, str(share)] for owner_id, share in u.owners]] for u in self.units
            ]
        }


def _roll_units(units_qs, ownerships) -> tuple[list[RollUnit], dict[int, str]]:
    owners_by_unit: dict[int, list[tuple[int, Decimal]]] = {}
    names: dict[int, str] = {}
    for unit_id, owner_id, share, name in ownerships:
        owners_by_unit.setdefault(unit_id, []).append((owner_id, share))
        names[owner_id] = name
    units = [
        RollUnit(unit_id=pk, key=f"{building}-{entrance}-{number}", area=area, owners=tuple(owners_by_unit.get(pk, ())))
        for pk, building, entrance, number, area in units_qs.order_by("building__number", "entrance", "number").values_list(
            "pk", "building__number", "entrance", "number", "exclusive_area"
        )
    ]
    return units, names


def _scope_filter(*, estate: Estate, building=None, entrance: int | None = None, prefix: str = "") -> dict:
    lookups = {f"{prefix}building__estate": estate}
    if building is not None:
        lookups[f"{prefix}building"] = building
        if entrance is not None:
            lookups[f"{prefix}entrance"] = entrance
    return lookups


def voting_roll(
    *, estate: Estate | None = None, building=None, entrance: int | None = None, assembly: Assembly | None = None
) -> VotingRoll:
    """The voter roll of an estate, a building or an entrance (Civil Code Art. 278; SPC interpretation Arts. 8-9).

    With ``assembly`` whose roll was stored when notice was served, its units, areas, owners and shares
    are the stored ones; a unit whose owners have changed since votes through its current owners (the
    buyer). Otherwise the roll is taken from the register now. A fixed number of queries.
    """
    if assembly is not None:
        estate, building, entrance = assembly.estate, assembly.building, assembly.entrance
    current = (
        Ownership.objects.filter(
            until__isnull=True, **_scope_filter(estate=estate, building=building, entrance=entrance, prefix="unit__")
        )
        .order_by("unit_id", "owner_id")
        .values_list("unit_id", "owner_id", "share", "owner__name", "owner__kind", "owner__representative_name")
    )
    rows = list(current)
    live_units, names = _roll_units(
        Unit.objects.filter(**_scope_filter(estate=estate, building=building, entrance=entrance)),
        [(u, o, s, n) for u, o, s, n, _k, _r in rows],
    )
    without_representative = frozenset(o for _u, o, _s, _n, kind, rep in rows if kind == "organisation" and not rep.strip())
    stored = assembly.roll if assembly is not None else None
    transfers: dict[int, tuple[tuple[int, Decimal], ...]] = {}
    if stored:
        units = [
            RollUnit(unit_id=pk, key=key, area=Decimal(area), owners=tuple((o, Decimal(s)) for o, s in owners))
            for pk, key, area, owners in stored["units"]
        ]
        now_by_unit = {u.unit_id: u.owners for u in live_units}
        for unit in units:
            now = now_by_unit.get(unit.unit_id, ())
            if now and {o for o, _s in now} != {o for o, _s in unit.owners}:
                transfers[unit.unit_id] = now
        missing = {o for u in units for o, _s in u.owners} - names.keys()
        if missing:  # sellers: only their names are needed
            names.update(Owner.objects.filter(pk__in=missing).values_list("pk", "name"))
    else:
        units = live_units
    designated = dict(
        VoterDesignation.objects.filter(
            **_scope_filter(estate=estate, building=building, entrance=entrance, prefix="unit__")
        ).values_list("unit_id", "owner_id")
    )
    return VotingRoll(
        units=tuple(units),
        taken_at=assembly.roll_taken_at if stored else None,
        transfers=transfers,
        designated=designated,
        without_representative=without_representative,
        names=names,
    )


def assembly_tallies(*, assembly: Assembly, roll: VotingRoll | None = None) -> dict[int, voting.TallyResult]:
    """The Art. 278 count of every matter of the assembly from the ballots recorded so far, by matter id."""
    roll = roll or voting_roll(assembly=assembly)
    ballots: dict[int, dict[int, str]] = {m.pk: {} for m in assembly.matters.all()}
    for matter_id, owner_id, choice in Ballot.objects.filter(matter__assembly=assembly).values_list(
        "matter_id", "owner_id", "choice"
    ):
        ballots[matter_id][owner_id] = choice
    matters = {m.pk: m.matter for m in assembly.matters.all()}
    return {pk: roll.tally(matter=matters[pk], ballots=ballots[pk]) for pk in matters}


def count_notes(*, roll: VotingRoll, result: voting.TallyResult) -> list[str]:
    """What the published result notes besides the figures: units sold after notice, co-owners' conflicting ballots."""
    return transfer_notes(roll=roll) + conflict_notes(roll=roll, result=result)


def transfer_notes(*, roll: VotingRoll) -> list[str]:
    """Units sold after the roll was taken: their buyers vote (SPC interpretation Art. 8; the roll stays as fixed)."""
    notes = []
    for unit in roll.units:
        if unit.unit_id in roll.transfers:
            notes.append(
                _("Unit %(unit)s was transferred after the notice; it votes through its new owner %(buyer)s.")
                % {
                    "unit": unit.key,
                    "buyer": "、".join(roll.names.get(o, str(o)) for o, _s in roll.transfers[unit.unit_id]),
                }
            )
    return notes


def conflict_notes(*, roll: VotingRoll, result: voting.TallyResult) -> list[str]:
    """Co-owners of a unit who voted differently (Civil Code Arts. 297-301), and how the unit was counted."""
    notes = []
    for conflict in result.conflicts:
        ballots = "、".join(f"{roll.names.get(int(o), o)} {BallotChoice(c.value).label}" for o, c in conflict.ballots)
        if conflict.decided is not None:
            notes.append(
                _(
                    "Unit %(unit)s: co-owners voted differently (%(ballots)s); those holding more than half of the shares decide: %(choice)s."
                )
                % {"unit": conflict.unit, "ballots": ballots, "choice": BallotChoice(conflict.decided.value).label}
            )
        else:
            notes.append(
                _(
                    "Unit %(unit)s: co-owners voted differently (%(ballots)s) and no choice holds more than half of the shares; the unit takes part without consent."
                )
                % {"unit": conflict.unit, "ballots": ballots}
            )
    return notes
