"""Joint meetings: decisions past their due date."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from estates.selectors import scope_queryset

from ..models import (
    DecisionStatus,
    JointMeetingDecision,
)


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
