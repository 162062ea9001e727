"""Who sees which owners' statements and payouts: the agreement's owner their own, staff those of their estates."""

from __future__ import annotations

from django.db.models import QuerySet

from estates.selectors import scope_queryset

from ..models import EntrustmentAgreement, OwnerPayout, OwnerStatement

STATEMENT_JOINS = ("estate", "agreement__unit__building", "agreement__owner", "owner_invoice", "payout_record__payee")


def agreements_of_owner(*, user) -> QuerySet[EntrustmentAgreement]:
    """The agreements of which the person is the owner of record (through the owner record linked to their login)."""
    if not getattr(user, "is_authenticated", False):
        return EntrustmentAgreement.objects.none()
    return EntrustmentAgreement.objects.filter(owner__user=user).select_related("estate", "unit__building")


def statements_of_owner(*, user) -> QuerySet[OwnerStatement]:
    if not getattr(user, "is_authenticated", False):
        return OwnerStatement.objects.none()
    return OwnerStatement.objects.filter(agreement__owner__user=user).select_related(*STATEMENT_JOINS)


def statements_for_staff(*, user) -> QuerySet[OwnerStatement]:
    return scope_queryset(OwnerStatement.objects.all(), user=user).select_related(*STATEMENT_JOINS)


def payouts_for_staff(*, user) -> QuerySet[OwnerPayout]:
    return scope_queryset(OwnerPayout.objects.all(), user=user).select_related(
        "estate", "agreement__unit__building", "agreement__owner", "payee", "statement", "paid_by"
    )
