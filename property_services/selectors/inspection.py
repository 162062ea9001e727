"""What owners may ask to inspect (查阅), and the requests they made, for the portal and the back office.

SPC interpretation on building ownership Art. 13: owners may ask for and inspect the records of the
maintenance fund's raising and use, the owners' decisions, the service contract, and the use of and
income from the common parts. Each reader runs a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, QuerySet

from estates.models import Estate, Owner, Ownership
from estates.selectors import scope_queryset

from ..models import (
    CommonPartLease,
    InspectionRequest,
    MaintenanceFundUse,
    PublicIncomeStatement,
    StatementStatus,
)

#: How a record is named in a form: "<kind>-<id>".
RECORD_KINDS = {"statement": PublicIncomeStatement, "lease": CommonPartLease, "fund_use": MaintenanceFundUse}


def asking_owners_of_user(*, user) -> list[Owner]:
    """The person's owner records that may ask: those holding a unit today (a former owner no longer asks)."""
    if not getattr(user, "is_authenticated", False):
        return []
    holding = Ownership.objects.filter(owner=OuterRef("pk"), until__isnull=True)
    return list(Owner.objects.filter(Exists(holding), user=user).select_related("estate").order_by("estate__name", "pk"))


@dataclass
class InspectableRecords:
    """The records of one estate an owner may ask to inspect."""

    estate: Estate
    owner: Owner
    statements: list[PublicIncomeStatement] = field(default_factory=list)
    leases: list[CommonPartLease] = field(default_factory=list)
    fund_uses: list[MaintenanceFundUse] = field(default_factory=list)

    def choices(self) -> list[tuple[str, object]]:
        from ..models import record_label

        return [
            (f"{kind}-{record.pk}", record_label(record))
            for kind, records in (("statement", self.statements), ("lease", self.leases), ("fund_use", self.fund_uses))
            for record in records
        ]


def inspectable_records(*, owners: list[Owner]) -> list[InspectableRecords]:
    """For each of the owner records, its estate's published public income statements, leases of common
    parts and maintenance fund uses, newest first. Three queries whatever the number of records."""
    by_estate = {owner.estate_id: InspectableRecords(estate=owner.estate, owner=owner) for owner in owners}
    if not by_estate:
        return []
    estate_ids = list(by_estate)
    for statement in PublicIncomeStatement.objects.filter(estate_id__in=estate_ids, status=StatementStatus.PUBLISHED).order_by(
        "-starts_on", "-pk"
    ):
        by_estate[statement.estate_id].statements.append(statement)
    for lease in CommonPartLease.objects.filter(estate_id__in=estate_ids).select_related("asset").order_by("-starts_on", "-pk"):
        by_estate[lease.estate_id].leases.append(lease)
    for use in MaintenanceFundUse.objects.filter(estate_id__in=estate_ids).order_by("-used_on", "-pk"):
        by_estate[use.estate_id].fund_uses.append(use)
    return list(by_estate.values())


def record_of_estate(*, reference: str, estate_id: int):
    """The record named "<kind>-<id>" if it is one of the estate's (a statement only once published), else None."""
    kind, _, pk = (reference or "").partition("-")
    model = RECORD_KINDS.get(kind)
    if model is None or not pk.isdigit():
        return None
    records = model.objects.filter(estate_id=estate_id, pk=int(pk))
    if model is PublicIncomeStatement:
        records = records.filter(status=StatementStatus.PUBLISHED)
    return records.first()


def _joined(requests: QuerySet[InspectionRequest]) -> QuerySet[InspectionRequest]:
    return requests.select_related("estate", "owner", "statement", "lease__asset", "fund_use")


def inspection_requests_of_user(*, user) -> QuerySet[InspectionRequest]:
    """The person's own requests (those made through their owner records), newest first; nobody else's."""
    if not getattr(user, "is_authenticated", False):
        return InspectionRequest.objects.none()
    return _joined(InspectionRequest.objects.filter(owner__user=user)).order_by("-asked_at", "-pk")


def inspection_requests_for_staff(*, user) -> QuerySet[InspectionRequest]:
    """The requests of the estates the user sees in the back office, joined for the list."""
    return _joined(scope_queryset(InspectionRequest.objects.all(), user=user))
