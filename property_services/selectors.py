"""Read queries for property services, already joined for the pages that use them.

Pages run a fixed number of queries whatever the number of rows: lists come with their
``select_related``/``prefetch_related`` in place.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from estates.models import Estate, Owner, Ownership, Unit
from estates.selectors import estates_visible_to, scope_queryset, user_sees_everything

from .models import (
    Assembly,
    AssemblyMatter,
    AssemblyStatus,
    Ballot,
    DecisionStatus,
    FeeStandard,
    JointMeeting,
    JointMeetingDecision,
    ManagementArrangement,
    Notice,
    OwnersCommittee,
    Provider,
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
    qs = Notice.objects.filter(is_published=True, display_from__lte=on).select_related("estate__community__subdistrict")
    if estate is not None:
        qs = qs.filter(estate=estate)
    return qs.order_by("-display_from", "-pk")


# ---------------------------------------------------------------------------------------------
# Back-office scope
# ---------------------------------------------------------------------------------------------


def scope_for_user(queryset: QuerySet, *, user) -> QuerySet:
    """Narrow any property-services queryset to what the user may see in the back office.

    Providers have no estate of their own: a provider is visible when it serves (or served) an
    estate the user sees, or serves no estate yet (a register entry waiting for its first
    arrangement). City-wide notices are for platform administrators. Everything else goes
    through ``estates.selectors.scope_queryset`` (estate FK or ``estate_scope_path``).
    """
    model = queryset.model
    if model is Provider:
        if user_sees_everything(user):
            return queryset
        if not getattr(user, "is_authenticated", False):
            return queryset.none()
        arrangements = ManagementArrangement.objects.filter(provider=OuterRef("pk"))
        visible = estates_visible_to(user=user).values("pk")
        return queryset.filter(Exists(arrangements.filter(estate__in=visible)) | ~Exists(arrangements))
    if model is Notice and user_sees_everything(user):
        return queryset
    return scope_queryset(queryset, user=user)


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


# ---------------------------------------------------------------------------------------------
# Committees
# ---------------------------------------------------------------------------------------------


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

#: Owner key of the units that have no registered owner (counted as one owner, like a developer's unsold units).
UNREGISTERED_OWNER_KEY = "unregistered"


@dataclass(frozen=True)
class VotingRoll:
    """The estate's units as the tally engine takes them: (unit key, owner key, exclusive area)."""

    units: list[tuple[str, str, Decimal]] = field(default_factory=list)
    owner_keys: frozenset[str] = frozenset()
    area_by_owner: dict[str, Decimal] = field(default_factory=dict)


def voting_roll(*, estate: Estate) -> VotingRoll:
    """Units of the estate with the owner whose ballot covers each, from the current ownerships.

    A jointly owned unit counts once, under the co-owner with the largest share (ties: the one
    registered first, i.e. the lowest owner id); that owner votes for it. Per the SPC
    interpretation an owner of several units counts once, with their summed area (the tally
    engine sums by owner key). Units with no current owner count together as one owner
    ("unregistered"), as the developer's unsold units do, so no area silently drops out of the total.
    One query.
    """
    rows = (
        Ownership.objects.filter(unit__building__estate=estate, until__isnull=True)
        .order_by("unit_id", "-share", "owner_id")
        .values_list("unit_id", "owner_id")
    )
    voter_by_unit: dict[int, int] = {}
    for unit_id, owner_id in rows:
        voter_by_unit.setdefault(unit_id, owner_id)
    units = []
    area_by_owner: dict[str, Decimal] = {}
    for unit_id, building, entrance, number, area in (
        Unit.objects.filter(building__estate=estate)
        .order_by("building__number", "entrance", "number")
        .values_list("pk", "building__number", "entrance", "number", "exclusive_area")
    ):
        owner_key = str(voter_by_unit[unit_id]) if unit_id in voter_by_unit else UNREGISTERED_OWNER_KEY
        units.append((f"{building}-{entrance}-{number}", owner_key, area))
        area_by_owner[owner_key] = area_by_owner.get(owner_key, Decimal(0)) + area
    voters = frozenset(str(owner_id) for owner_id in voter_by_unit.values())
    return VotingRoll(units=units, owner_keys=voters, area_by_owner=area_by_owner)


def assemblies_for_backoffice(*, user) -> QuerySet[Assembly]:
    return (
        scope_for_user(Assembly.objects.all(), user=user)
        .select_related("estate")
        .annotate(matter_count=Count("matters", distinct=True))
    )


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
        .prefetch_related(Prefetch("matters", queryset=AssemblyMatter.objects.order_by("sort_order", "pk")))
        .first()
    )


def voter_for_assembly(*, user, assembly: Assembly) -> Owner | None:
    """The user's owner record that votes in this assembly's estate (the one that holds a voting unit)."""
    owners = list(owner_records_of_user(user=user).filter(estate_id=assembly.estate_id).order_by("pk"))
    if not owners:
        return None
    voters = voting_roll(estate=assembly.estate).owner_keys
    return next((o for o in owners if str(o.pk) in voters), owners[0])


def ballots_of_owner(*, owner: Owner | None, assembly: Assembly) -> dict[int, Ballot]:
    """The owner's own ballots on the assembly, by matter id. Never anyone else's."""
    if owner is None:
        return {}
    return {b.matter_id: b for b in Ballot.objects.filter(owner=owner, matter__assembly=assembly)}


# ---------------------------------------------------------------------------------------------
# Joint meetings
# ---------------------------------------------------------------------------------------------


def joint_meetings_for_backoffice(*, user) -> QuerySet[JointMeeting]:
    today = timezone.localdate()
    return (
        scope_for_user(JointMeeting.objects.all(), user=user)
        .select_related("estate")
        .annotate(
            decision_count=Count("decisions", distinct=True),
            overdue_count=Count(
                "decisions", filter=Q(decisions__status=DecisionStatus.OPEN, decisions__due_on__lt=today), distinct=True
            ),
        )
    )


def overdue_decisions(*, user, on: datetime.date | None = None, limit: int | None = 20) -> QuerySet[JointMeetingDecision]:
    """Open decisions past their due date in the user's estates, most overdue first. One query."""
    on = on or timezone.localdate()
    qs = (
        scope_for_user(JointMeetingDecision.objects.all(), user=user)
        .filter(status=DecisionStatus.OPEN, due_on__lt=on)
        .select_related("meeting__estate__community__subdistrict")
        .order_by("due_on", "pk")
    )
    return qs[:limit] if limit else qs
