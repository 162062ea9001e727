"""Reads of rental applications: the applicant's own by its tracking token, and the staff's ranked queue."""

from __future__ import annotations

from django.db.models import QuerySet

from estates.selectors import scope_queryset

from ..models import RentalApplication

APPLICATION_RELATED = ("estate", "listing__agreement__unit")


def application_by_token(*, token: str) -> RentalApplication | None:
    """The application behind a tracking link; ``None`` for any other token."""
    if not token or len(token) < 20:
        return None
    return RentalApplication.objects.select_related(*APPLICATION_RELATED).prefetch_related("members").filter(token=token).first()


def applications_for_staff(*, user) -> QuerySet[RentalApplication]:
    """Applications in the user's estates, best score first."""
    return (
        scope_queryset(RentalApplication.objects.all(), user=user)
        .select_related(*APPLICATION_RELATED)
        .order_by("-score", "submitted_at", "pk")
    )
