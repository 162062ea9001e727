"""Who sees which entrustments and agreements: owners their own, staff those of their estates."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet

from estates.models import Ownership, Unit
from estates.selectors import scope_queryset

from ..models import Entrustment, EntrustmentAgreement


def _current(on: datetime.date) -> Q:
    return Q(since__lte=on) & (Q(until__isnull=True) | Q(until__gt=on))


def current_ownership(*, user, unit: Unit, on: datetime.date) -> Ownership | None:
    """The person's title to ``unit`` on ``on`` (through the owner record linked to their login), if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Ownership.objects.filter(_current(on), unit=unit, owner__user=user).select_related("owner").order_by("pk").first()


def units_owned_by(*, user, on: datetime.date) -> QuerySet[Unit]:
    """The flats the person holds today: what they may entrust."""
    if not getattr(user, "is_authenticated", False):
        return Unit.objects.none()
    ownerships = Ownership.objects.filter(_current(on), owner__user=user)
    return (
        Unit.objects.filter(pk__in=ownerships.values("unit_id"))
        .select_related("building__estate")
        .order_by("building__estate__name", "building__number", "entrance", "number")
    )


def entrustments_of_owner(*, user) -> QuerySet[Entrustment]:
    """The person's own entrustments (as the owner of record of the flat), newest first."""
    if not getattr(user, "is_authenticated", False):
        return Entrustment.objects.none()
    return Entrustment.objects.filter(owner__user=user).select_related("estate", "unit__building", "agreement__owner_payee")


def entrustments_for_staff(*, user) -> QuerySet[Entrustment]:
    return scope_queryset(Entrustment.objects.all(), user=user).select_related("estate", "unit__building", "owner")


def agreements_for_staff(*, user) -> QuerySet[EntrustmentAgreement]:
    return scope_queryset(EntrustmentAgreement.objects.all(), user=user).select_related(
        "estate", "unit__building", "owner", "owner_payee"
    )
