"""Read queries for property services, already joined for the pages that use them.

Pages run a fixed number of queries whatever the number of rows: lists come with their
``select_related``/``prefetch_related`` in place.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from estates.models import Estate, Owner, Ownership, RoleAssignment, Unit
from estates.selectors import estates_visible_to, scope_queryset

from . import voting
from .models import (
    COMMITTEE_FILING_DAYS,
    Assembly,
    AssemblyMatter,
    AssemblyStatus,
    Ballot,
    BallotChoice,
    CommitteeMember,
    DecisionStatus,
    FeeStandard,
    JointMeetingDecision,
    ManagementArrangement,
    Notice,
    NoticeStatus,
    OwnersCommittee,
    VoterDesignation,
)

# ---------------------------------------------------------------------------------------------
# Notices: the publishing interface the public site (cms) reads
# ---------------------------------------------------------------------------------------------


def notices_published(*, estate=None, on: datetime.date | None = None) -> QuerySet[Notice]:
    """Published notices whose display has started by ``on`` (today by default), newest first.

    Ended notices stay in the list (a public archive); ``notice.is_current(on)`` and
    ``notice.has_ended`` tell them apart. With ``estate``, only that estate's notices.
    """
    on = on or timezone.localdate()
    qs = Notice.objects.filter(status=NoticeStatus.PUBLISHED, display_from__lte=on).select_related(
        "estate__community__subdistrict"
    )
    if estate is not None:
        qs = qs.filter(estate=estate)
    return qs.order_by("-display_from", "-pk")


# ---------------------------------------------------------------------------------------------
# Management arrangements
# ---------------------------------------------------------------------------------------------


def arrangement_in_effect(*, estate: Estate, on: datetime.date | None = None) -> ManagementArrangement | None:
    on = on or timezone.localdate()
    return (
        ManagementArrangement.objects.filter(estate=estate, starts_on__lte=on)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=on))
        .select_related("provider")
        .prefetch_related("fee_standards")
        .first()
    )


def property_offices_of_user(*, user, on: datetime.date | None = None) -> list[dict]:
    """Whom an owner calls: for each estate where they own a flat, the provider in effect with its
    service phone and contacts, or the estate itself (address) when no arrangement is in effect.
    Three queries however many estates."""
    on = on or timezone.localdate()
    estates = list(Estate.objects.filter(pk__in=owner_records_of_user(user=user).values("estate_id")).order_by("name", "pk"))
    arrangements = {
        a.estate_id: a
        for a in ManagementArrangement.objects.filter(estate__in=[e.pk for e in estates], starts_on__lte=on)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=on))
        .select_related("provider")
        .prefetch_related("provider__contacts")
    }
    return [{"estate": e, "arrangement": arrangements.get(e.pk)} for e in estates]


def management_overview(*, user, model: str | None = None, subdistrict=None, search: str = "") -> QuerySet[Estate]:
    """Every estate the user sees, with all its arrangements (newest first) for the officer's report.

    Each estate carries ``arrangement_history`` (a list): the first entry is the latest arrangement.
    Filtering by model looks at the arrangement open today.
    """
    history = (
        ManagementArrangement.objects.select_related("provider", "authorising_matter__assembly")
        .prefetch_related(Prefetch("fee_standards", queryset=FeeStandard.objects.order_by("unit_use")))
        .order_by("-starts_on")
    )
    qs = (
        estates_visible_to(user=user)
        .select_related("community__subdistrict")
        .prefetch_related(Prefetch("management_arrangements", queryset=history, to_attr="arrangement_history"))
        .order_by("community__subdistrict__name", "name")
    )
    if model:
        qs = qs.filter(management_arrangements__ended_on__isnull=True, management_arrangements__model=model)
    if subdistrict:
        qs = qs.filter(community__subdistrict=subdistrict)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(code__icontains=search))
    return qs


#: How far ahead the home page warns of a management contract's end. Civil Code Art. 947: the
#: owners decide on renewal before the term ends, and a firm that will not renew says so in writing
#: 90 days before; an assembly needs 15 days' notice (物业管理条例 Art. 14). 90 days leaves time for both.
CONTRACT_WARNING_DAYS = 90


def arrangements_contract_ending(
    *, user, on: datetime.date | None = None, within_days: int = CONTRACT_WARNING_DAYS, limit: int | None = 20
) -> QuerySet[ManagementArrangement]:
    """Arrangements in effect in the user's estates whose contract term ends within ``within_days`` or has ended.

    Civil Code Arts. 947-948: before the term ends the owners renew or hire another provider; a term
    that ran out without that decision goes on as a contract without a fixed term, which either side
    may end with 60 days' written notice. Each carries ``days_left`` (negative: days since the term
    ended). Soonest (or longest expired) first. One query.
    """
    on = on or timezone.localdate()
    qs = (
        scope_queryset(ManagementArrangement.objects.all(), user=user)
        .filter(starts_on__lte=on, ended_on__isnull=True, contract_until__isnull=False)
        .filter(contract_until__lte=on + datetime.timedelta(days=within_days))
        .select_related("estate", "provider")
        .order_by("contract_until", "pk")
    )
    return qs[:limit] if limit else qs


# ---------------------------------------------------------------------------------------------
# Committees
# ---------------------------------------------------------------------------------------------


def committees_filing_attention(*, user, on: datetime.date | None = None, limit: int | None = 20) -> QuerySet[OwnersCommittee]:
    """Committees in the user's scope whose filing (物业管理条例 Art. 16: within 30 days) is due, overdue or was late.

    Unfiled committees come first, oldest election first; then those filed after the deadline. One query.
    """
    on = on or timezone.localdate()
    qs = (
        scope_queryset(OwnersCommittee.objects.all(), user=user)
        .filter(term_ends_on__gte=on)
        .filter(
            Q(filed_on__isnull=True) | Q(filed_on__gt=models.F("elected_on") + datetime.timedelta(days=COMMITTEE_FILING_DAYS))
        )
        .select_related("estate__community__subdistrict")
        .order_by(models.F("filed_on").asc(nulls_first=True), "elected_on", "pk")
    )
    return qs[:limit] if limit else qs


def serving_committee_members(*, estate: Estate, on: datetime.date) -> QuerySet[CommitteeMember]:
    """Members in office on the day: within their own and the committee's term and not left."""
    return CommitteeMember.objects.filter(
        committee__estate=estate,
        committee__elected_on__lte=on,
        committee__term_ends_on__gte=on,
        term_starts_on__lte=on,
        term_ends_on__gte=on,
    ).filter(Q(left_on__isnull=True) | Q(left_on__gte=on))


def officer_of_estate(*, user, estate: Estate) -> bool:
    """A sub-district officer of the estate's sub-district (or a district officer of its district)."""
    grants = RoleAssignment.objects.filter(user=user)
    subdistrict = estate.community.subdistrict
    return (
        grants.filter(role=Role.SUBDISTRICT_OFFICER, subdistrict_id=subdistrict.pk).exists()
        or grants.filter(role=Role.DISTRICT_OFFICER, district_id=subdistrict.district_id).exists()
    )


def committee_current(*, estate: Estate, on: datetime.date | None = None) -> OwnersCommittee | None:
    on = on or timezone.localdate()
    return (
        OwnersCommittee.objects.filter(estate=estate, elected_on__lte=on, term_ends_on__gte=on)
        .prefetch_related("members__owner")
        .order_by("-elected_on")
        .first()
    )


# ---------------------------------------------------------------------------------------------
# Voting
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Owner portal
# ---------------------------------------------------------------------------------------------

PORTAL_STATUSES = (AssemblyStatus.CALLED, AssemblyStatus.PUBLISHED)


def owner_records_of_user(*, user) -> QuerySet[Owner]:
    if not getattr(user, "is_authenticated", False):
        return Owner.objects.none()
    return Owner.objects.filter(user=user)


def assemblies_for_owner(*, user) -> QuerySet[Assembly]:
    """Assemblies the signed-in owner can see: called or published, in estates where they own a unit. Two queries at most."""
    return (
        Assembly.objects.filter(estate__in=owner_records_of_user(user=user).values("estate_id"), status__in=PORTAL_STATUSES)
        .select_related("estate")
        .annotate(matter_count=Count("matters", distinct=True))
        .order_by("-meeting_on", "-pk")
    )


def assembly_for_owner(*, user, pk: int) -> Assembly | None:
    """One assembly the owner may see (None otherwise), with its matters in order."""
    return (
        assemblies_for_owner(user=user)
        .filter(pk=pk)
        .prefetch_related(
            Prefetch("matters", queryset=AssemblyMatter.objects.select_related("document").order_by("sort_order", "pk"))
        )
        .first()
    )


def voter_for_assembly(*, user, assembly: Assembly) -> Owner | None:
    """The user's owner record that votes in this assembly (a co-owner, designated voter, buyer or an organisation's representative)."""
    owners = list(owner_records_of_user(user=user).filter(estate_id=assembly.estate_id).order_by("pk"))
    if not owners:
        return None
    voters = voting_roll(assembly=assembly).voter_ids
    return next((o for o in owners if o.pk in voters), owners[0])


def ballots_of_owner(*, owner: Owner | None, assembly: Assembly) -> dict[int, Ballot]:
    """The owner's own ballots on the assembly, by matter id. Never anyone else's."""
    if owner is None:
        return {}
    return {b.matter_id: b for b in Ballot.objects.filter(owner=owner, matter__assembly=assembly)}


# ---------------------------------------------------------------------------------------------
# Joint meetings
# ---------------------------------------------------------------------------------------------


def overdue_decisions(*, user, on: datetime.date | None = None, limit: int | None = 20) -> QuerySet[JointMeetingDecision]:
    """Open decisions past their due date in the user's estates, most overdue first. One query."""
    on = on or timezone.localdate()
    qs = (
        scope_queryset(JointMeetingDecision.objects.all(), user=user)
        .filter(status=DecisionStatus.OPEN, due_on__lt=on)
        .select_related("meeting__estate__community__subdistrict")
        .order_by("due_on", "pk")
    )
    return qs[:limit] if limit else qs
