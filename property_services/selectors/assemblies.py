"""Assemblies in the owners' portal: which an owner sees, who votes for them, their own ballots."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from estates.models import Owner

from ..models import (
    Assembly,
    AssemblyMatter,
    AssemblyStatus,
    Ballot,
)
from .roll import voting_roll

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
