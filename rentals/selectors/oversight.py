"""The oversight figures of 存房 per estate and per district, for estate staff (their estates) and district and
sub-district officers (their area): a fixed number of queries whatever the number of estates — each source is
aggregated (or read once) for all the estates the person sees; only the merge is Python.

- **Flats under agreement**: agreements in force today (active, ``start_on`` ≤ today < ``end_on``), one per flat.
- **Let**: of those, the flats with a lease in force (active, or notice given).
- **Occupancy**: let ÷ under agreement, in percent with one decimal (half up); "—" with no flat under agreement.
- **Vacancy days**: over the unlet flats under agreement, the days since the last lease of the agreement ended (the
  day after its last day), or since the agreement started when none has.
- **Pipeline**: entrustments open (applied, surveyed, offered), listings published, applications submitted,
  leases drawn up but not signed (draft).
- **Arrears**: rent bills (``flat_rent``) past their due date and not paid (open, partly paid or overdue): count and
  the amount still owed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from billing.models import Invoice, InvoiceStatus
from estates.selectors import estates_visible_to

from ..models import (
    AgreementStatus,
    ApplicationStatus,
    Entrustment,
    EntrustmentAgreement,
    EntrustmentStatus,
    Lease,
    LeaseStatus,
    Listing,
    ListingStatus,
    RentalApplication,
)

ZERO = Decimal("0.00")
OPEN_STATUSES = (EntrustmentStatus.APPLIED, EntrustmentStatus.SURVEYED, EntrustmentStatus.OFFERED)


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Figures:
    flats: int = 0
    let: int = 0
    vacancy_days: int = 0
    applied: int = 0
    surveyed: int = 0
    offered: int = 0
    listings_published: int = 0
    applications_submitted: int = 0
    leases_draft: int = 0
    arrears_count: int = 0
    arrears_amount: Decimal = ZERO

    def __add__(self, other: Figures) -> Figures:
        return Figures(**{k: getattr(self, k) + getattr(other, k) for k in self.__dataclass_fields__})

    @property
    def occupancy(self) -> Decimal | None:
        return percent(self.let, self.flats)

    @property
    def entrustments_open(self) -> int:
        return self.applied + self.surveyed + self.offered


@dataclass
class EstateRow:
    pk: int
    code: str
    name: str
    figures: Figures = field(default_factory=Figures)


@dataclass
class DistrictGroup:
    pk: int
    name: str
    rows: list[EstateRow] = field(default_factory=list)

    @property
    def figures(self) -> Figures:
        return sum((row.figures for row in self.rows), Figures())


@dataclass
class Oversight:
    on: datetime.date
    districts: list[DistrictGroup]

    @property
    def figures(self) -> Figures:
        return sum((group.figures for group in self.districts), Figures())

    @property
    def estates(self) -> int:
        return sum(len(group.rows) for group in self.districts)


def _counts(queryset, column: str, values: dict[str, Q]) -> dict[int, dict[str, int]]:
    rows = queryset.values(column).annotate(**{k: Count("pk", filter=q) for k, q in values.items()}).order_by()
    return {row[column]: row for row in rows}


def rental_oversight(*, user, on: datetime.date) -> Oversight:
    """Every figure per estate the person sees, grouped by district. Seven queries whatever the number of estates."""
    visible = estates_visible_to(user=user)
    estates = list(
        visible.values_list(
            "pk", "code", "name", "community__subdistrict__district_id", "community__subdistrict__district__name"
        ).order_by("community__subdistrict__district__code", "code")
    )
    rows = {pk: EstateRow(pk=pk, code=code, name=name) for pk, code, name, _d, _n in estates}
    ids = visible.values("pk")

    # Flats under agreement in force, whether let, and when the last lease ended (one row per such flat).
    holding = Lease.objects.filter(agreement=OuterRef("pk"), status__in=(LeaseStatus.ACTIVE, LeaseStatus.NOTICE))
    last_end = (
        Lease.objects.filter(agreement=OuterRef("pk"), status__in=(LeaseStatus.ENDED, LeaseStatus.TERMINATED))
        .annotate(last=Coalesce("terminates_on", "end_on"))
        .order_by("-last")
        .values("last")[:1]
    )
    in_force = (
        EntrustmentAgreement.objects.filter(estate__in=ids, status=AgreementStatus.ACTIVE, start_on__lte=on, end_on__gt=on)
        .annotate(is_let=Exists(holding), last_end=Subquery(last_end))
        .values_list("estate_id", "start_on", "is_let", "last_end")
    )
    for estate_id, start_on, is_let, last_end_on in in_force:
        figures = rows[estate_id].figures
        figures.flats += 1
        if is_let:
            figures.let += 1
        else:
            since = max(start_on, last_end_on + datetime.timedelta(days=1)) if last_end_on else start_on
            figures.vacancy_days += max((on - since).days, 0)

    entrustments = _counts(
        Entrustment.objects.filter(estate__in=ids, status__in=OPEN_STATUSES),
        "estate_id",
        {status: Q(status=status) for status in ("applied", "surveyed", "offered")},
    )
    listings = _counts(Listing.objects.filter(estate__in=ids, status=ListingStatus.PUBLISHED), "estate_id", {"n": Q()})
    applications = _counts(
        RentalApplication.objects.filter(estate__in=ids, status=ApplicationStatus.SUBMITTED), "estate_id", {"n": Q()}
    )
    drafts = _counts(Lease.objects.filter(estate__in=ids, status=LeaseStatus.DRAFT), "estate_id", {"n": Q()})
    arrears = (
        Invoice.objects.filter(
            estate__in=ids,
            charge_kind="flat_rent",
            due_on__lt=on,
            status__in=(InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.OVERDUE),
            paid_amount__lt=F("total"),
        )
        .values("estate_id")
        .annotate(n=Count("pk"), owed=Sum(F("total") - F("paid_amount")))
        .order_by()
    )
    for estate_id, row in rows.items():
        figures = row.figures
        e = entrustments.get(estate_id, {})
        figures.applied, figures.surveyed, figures.offered = e.get("applied", 0), e.get("surveyed", 0), e.get("offered", 0)
        figures.listings_published = listings.get(estate_id, {}).get("n", 0)
        figures.applications_submitted = applications.get(estate_id, {}).get("n", 0)
        figures.leases_draft = drafts.get(estate_id, {}).get("n", 0)
    for a in arrears:
        if a["estate_id"] in rows:
            rows[a["estate_id"]].figures.arrears_count = a["n"]
            rows[a["estate_id"]].figures.arrears_amount = Decimal(a["owed"] or 0).quantize(Decimal("0.01"))

    groups: dict[int, DistrictGroup] = {}
    for pk, _code, _name, district_id, district_name in estates:
        groups.setdefault(district_id, DistrictGroup(pk=district_id, name=district_name)).rows.append(rows[pk])
    return Oversight(on=on, districts=list(groups.values()))


__all__ = ["DistrictGroup", "EstateRow", "Figures", "Oversight", "percent", "rental_oversight"]
