"""The owners' committee: its terms and members, and the back-office role that goes with a seat."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.errors import refuse
from accounts.models import Role
from estates.models import Estate
from estates.services import role_grant

from ..models import (
    CommitteeMember,
    OwnersCommittee,
)
from ..selectors import serving_committee_members


def committee_validate(*, elected_on: datetime.date, term_ends_on: datetime.date, filed_on: datetime.date | None) -> None:
    """Dates of a committee term. Filing after the 30-day deadline (物业管理条例 Art. 16) is accepted and flagged."""
    if term_ends_on <= elected_on:
        raise refuse("任期结束日期须晚于选举日期", "The term must end after the election.", field="term_ends_on")
    if filed_on is None:
        return
    if filed_on < elected_on:
        raise refuse("备案日期不能早于选举日期", "The committee cannot be filed before it was elected.", field="filed_on")
    # 物业管理条例 Art. 16: filing within 30 days. A late filing is still recorded (it is a fact);
    # ``OwnersCommittee.filing_is_late`` flags it and the officers' dashboard lists it.


@transaction.atomic
def committee_save(*, committee: OwnersCommittee, members: Iterable[CommitteeMember] | None = None) -> OwnersCommittee:
    """Store a committee term with its members; every member with a login gets the committee role for the estate.

    ``members`` are unsaved rows to add; members already attached (e.g. from a form) are saved with the committee.
    """
    committee_validate(elected_on=committee.elected_on, term_ends_on=committee.term_ends_on, filed_on=committee.filed_on)
    if committee.electing_matter is not None and committee.electing_matter.assembly.estate_id != committee.estate_id:
        raise refuse("选举决议不属于本小区", "The election resolution belongs to another estate.", field="electing_matter")
    for member in members or []:
        committee.members.add(member)
    seats = list(committee.members.all())
    chairs = [m for m in seats if m.role == "chair"]
    if len(chairs) > 1:
        raise refuse("一届业主委员会只能有一名主任", "A committee has one chair.", field="members")
    for member in seats:
        if member.owner.estate_id != committee.estate_id:
            raise refuse(
                f"{member.owner.name} 不是本小区业主，不能担任业主委员会委员",
                f"{member.owner.name} is not an owner in this estate and cannot sit on its committee.",
                field="members",
            )
        if member.term_ends_on <= member.term_starts_on:
            raise refuse("委员任期结束日期须晚于开始日期", "A member's term must end after it starts.", field="members")
        if member.user_id is None and member.owner.user_id is not None:
            member.user_id = member.owner.user_id
    committee.save()
    today = timezone.localdate()
    for member in committee.members.all():
        if member.user_id is not None and member.is_serving(today):
            role_grant(user=member.user, role=Role.COMMITTEE_MEMBER, estate=committee.estate)
    committee_roles_revoke_ended(on=today, estate=committee.estate)
    return committee


@transaction.atomic
def committee_roles_revoke_ended(*, on: datetime.date | None = None, estate: Estate | None = None) -> int:
    """Take the committee role away from everyone whose seat has ended (term over or left); return how many.

    A committee's powers end with its term (物业管理条例 Art. 16; Civil Code Art. 277): the back-office
    role of a member goes when the member's term or the committee's term ends, or the member leaves.
    Run daily by the django-q schedule ``property_services.tasks.committee_roles_daily``; running it
    twice does no harm.
    """
    from estates.models import RoleAssignment
    from estates.services import role_revoke

    on = on or timezone.localdate()
    grants = RoleAssignment.objects.filter(role=Role.COMMITTEE_MEMBER).select_related("user", "estate")
    if estate is not None:
        grants = grants.filter(estate=estate)
    revoked = 0
    for grant in grants:
        serving = serving_committee_members(estate=grant.estate, on=on).filter(
            Q(user_id=grant.user_id) | Q(user__isnull=True, owner__user_id=grant.user_id)
        )
        if not serving.exists() and role_revoke(user=grant.user, role=Role.COMMITTEE_MEMBER, estate=grant.estate):
            revoked += 1
    return revoked
