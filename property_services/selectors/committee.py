"""Owners' committees: who serves on a day, filings to chase, and the sub-district officers of an estate."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Role
from estates.models import Estate, RoleAssignment
from estates.selectors import scope_queryset

from ..models import (
    COMMITTEE_FILING_DAYS,
    CommitteeMember,
    OwnersCommittee,
)


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


def acts_for_the_owners(*, user, estate: Estate, on: datetime.date) -> bool:
    """Whether ``user`` acts for the estate's owners on the day: a serving member of the owners' committee
    when one is in office, else an officer of the estate's sub-district (or district), under whom an
    estate without a committee is run (Civil Code Art. 277). ``None`` is the platform itself; platform
    administrators may act too."""
    from estates.selectors import user_sees_everything

    if user is None or user_sees_everything(user):
        return True
    if OwnersCommittee.objects.filter(estate=estate, elected_on__lte=on, term_ends_on__gte=on).exists():
        return (
            serving_committee_members(estate=estate, on=on).filter(Q(user=user) | Q(user__isnull=True, owner__user=user)).exists()
        )
    return officer_of_estate(user=user, estate=estate)


def committee_current(*, estate: Estate, on: datetime.date | None = None) -> OwnersCommittee | None:
    on = on or timezone.localdate()
    return (
        OwnersCommittee.objects.filter(estate=estate, elected_on__lte=on, term_ends_on__gte=on)
        .prefetch_related("members__owner")
        .order_by("-elected_on")
        .first()
    )
