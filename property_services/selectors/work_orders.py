"""Read queries of work orders (报修/投诉) for residents and staff, with the joins their pages need."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from estates.models import Ownership, Unit
from estates.selectors import scope_queryset

from ..models import UnitResident, WorkOrder, WorkOrderCategory


def resident_units(*, user: Any) -> QuerySet[Unit]:
    """The units a person lives in or owns today: held by their owner record, or registered as their residence."""
    if not getattr(user, "is_authenticated", False):
        return Unit.objects.none()
    today = timezone.localdate()
    owned = Ownership.objects.filter(owner__user=user, until__isnull=True).order_by().values("unit_id")
    resided = UnitResident.objects.filter(user=user, since__lte=today).filter(Q(until__isnull=True) | Q(until__gte=today))
    # One UNION of two index lookups: ``Q(pk__in=owned) | Q(pk__in=resided)`` made PostgreSQL read every unit.
    return (
        Unit.objects.filter(pk__in=owned.union(resided.order_by().values("unit_id")))
        .select_related("building__estate")
        .order_by("building__estate__name", "building__number", "entrance", "number")
    )


def resident_estate_ids(*, user: Any) -> set[int]:
    return set(resident_units(user=user).values_list("building__estate_id", flat=True))


_JOINS = ("estate", "category", "unit__building", "building", "assigned_to", "contractor", "reporter")


def work_orders_of_resident(*, user: Any) -> QuerySet[WorkOrder]:
    """What a resident sees: the orders they reported, those about their own units, and those about the buildings
    and common areas of their estates. Never another household's unit."""
    if not getattr(user, "is_authenticated", False):
        return WorkOrder.objects.none()
    units = resident_units(user=user)
    estates = units.values("building__estate_id")
    return (
        WorkOrder.objects.filter(Q(reporter=user) | Q(unit__in=units.values("pk")) | Q(unit__isnull=True, estate__in=estates))
        .select_related(*_JOINS)
        .order_by("-submitted_at", "-pk")
    )


def categories_for_resident(*, user: Any) -> QuerySet[WorkOrderCategory]:
    estates = resident_units(user=user).values("building__estate_id")
    return WorkOrderCategory.objects.filter(estate__in=estates, active=True).select_related("estate")


def work_orders_for_staff(*, user: Any) -> QuerySet[WorkOrder]:
    return scope_queryset(WorkOrder.objects.all(), user=user).select_related(*_JOINS)
