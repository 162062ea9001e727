"""Who sees which leases: the estate's staff those of their estates, a tenant their own."""

from __future__ import annotations

from django.db.models import QuerySet

from estates.selectors import scope_queryset

from ..models import HOLDING_LEASE_STATUSES, Lease, LeaseStatus

LEASE_RELATED = ("estate", "agreement__owner", "unit__building", "listing", "rent_payee", "renews")


def leases_for_staff(*, user) -> QuerySet[Lease]:
    """Leases in the user's estates, with what a lease's page needs."""
    return scope_queryset(Lease.objects.all(), user=user).select_related(*LEASE_RELATED)


def leases_of_tenant(*, user) -> QuerySet[Lease]:
    """The person's own leases (linked to their login at signing), newest first; drafts are not shown."""
    if not getattr(user, "is_authenticated", False):
        return Lease.objects.none()
    return (
        Lease.objects.filter(tenant_user=user)
        .exclude(status__in=(LeaseStatus.DRAFT, LeaseStatus.CANCELLED))
        .select_related(*LEASE_RELATED)
        .order_by("-start_on", "-pk")
    )


def current_lease_of_tenant(*, user) -> Lease | None:
    """The tenant's lease in force or under notice (the earliest), else None."""
    return leases_of_tenant(user=user).filter(status__in=HOLDING_LEASE_STATUSES).order_by("start_on", "pk").first()
