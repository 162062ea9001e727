"""The figures of the operations dashboards (issue 14): one estate's work orders and governance, and the
sub-district's or district's view across its estates. Every figure is aggregated in the database, one
query per source for all the estates at once (GROUP BY estate with conditional aggregates), so a page
runs the same number of queries for 3 estates or 3,000.

Definitions (docs/dashboards.md):

- **Open** orders: submitted, accepted, assigned, in progress or resolved (awaiting the resident).
  **Overdue**: the clock's rule (``work_order_clock.is_overdue``) evaluated now, not the hourly flag —
  not closed, and past the response time unaccepted or past the completion time unresolved.
- **Response compliance**: of the orders reported in the window whose response is decided — accepted,
  or still unaccepted past the response time — the share accepted by the due time. **Completion
  compliance** likewise with the (last) resolution and the completion time. Orders closed without an
  answer (duplicates, withdrawn) count in neither.
- **Satisfaction**: the residents' 1–5 ratings of orders reported in the window: count, average, and the
  share of 1s and 2s (the return-visit list).
- **Arrears rate** (billing.selectors.collection_by_estate): of the bills that fell due in the last year
  (not void), the share of the amount unpaid; the fee collection rate is its complement for the property
  service fee.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import Role
from billing.selectors import collection_by_estate
from estates.models import District, Estate, ManagementModel, RoleAssignment, Subdistrict, Unit
from estates.selectors import estates_visible_to, user_sees_everything

from ..models import (
    OPEN_STATUSES,
    Assembly,
    AssemblyStatus,
    DecisionStatus,
    JointMeetingDecision,
    OwnersCommittee,
    WorkOrder,
    WorkOrderStatus,
)
from .arrangements import management_models_in_effect
from .committee import committees_filing_attention
from .public_income import public_income_disclosed_by_estate

#: Compliance and satisfaction look at the orders reported in this window (a quarter).
WORK_ORDER_WINDOW = datetime.timedelta(days=90)
ONE_PLACE = Decimal("0.1")


def percent(part, whole) -> Decimal | None:
    """``part`` of ``whole`` in percent with one decimal (half up); None when there is nothing to measure."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


@dataclass
class WorkOrderFigures:
    open: int = 0
    overdue: int = 0
    response_decided: int = 0
    response_in_time: int = 0
    completion_decided: int = 0
    completion_in_time: int = 0
    rated: int = 0
    rating_sum: int = 0
    low_rated: int = 0

    def __add__(self, other: WorkOrderFigures) -> WorkOrderFigures:
        return WorkOrderFigures(**{k: getattr(self, k) + getattr(other, k) for k in self.__dataclass_fields__})

    @property
    def response_compliance(self) -> Decimal | None:
        return percent(self.response_in_time, self.response_decided)

    @property
    def completion_compliance(self) -> Decimal | None:
        return percent(self.completion_in_time, self.completion_decided)

    @property
    def compliance(self) -> Decimal | None:
        """Both limits together: in-time answers and resolutions over those decided."""
        return percent(self.response_in_time + self.completion_in_time, self.response_decided + self.completion_decided)

    @property
    def average_rating(self) -> Decimal | None:
        return (Decimal(self.rating_sum) / self.rated).quantize(ONE_PLACE, rounding=ROUND_HALF_UP) if self.rated else None

    @property
    def low_share(self) -> Decimal | None:
        return percent(self.low_rated, self.rated)


def work_order_figures(*, estates, now: datetime.datetime, since: datetime.datetime) -> dict[int, WorkOrderFigures]:
    """Per estate: open and overdue orders now, and the compliance and ratings of the orders reported since
    ``since``. One query."""
    live = ~Q(status=WorkOrderStatus.CLOSED)
    overdue = live & (
        Q(accepted_at__isnull=True, response_due_at__lt=now) | Q(resolved_at__isnull=True, completion_due_at__lt=now)
    )
    recent = Q(submitted_at__gte=since)
    rows = (
        WorkOrder.objects.filter(estate__in=estates)
        .filter(Q(status__in=OPEN_STATUSES) | recent)
        .values("estate_id")
        .annotate(
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            overdue=Count("pk", filter=overdue),
            response_decided=Count(
                "pk",
                filter=recent & (Q(accepted_at__isnull=False) | (live & Q(accepted_at__isnull=True, response_due_at__lt=now))),
            ),
            response_in_time=Count("pk", filter=recent & Q(accepted_at__lte=F("response_due_at"))),
            completion_decided=Count(
                "pk",
                filter=recent & (Q(resolved_at__isnull=False) | (live & Q(resolved_at__isnull=True, completion_due_at__lt=now))),
            ),
            completion_in_time=Count("pk", filter=recent & Q(resolved_at__lte=F("completion_due_at"))),
            rated=Count("pk", filter=recent & Q(rating__isnull=False)),
            rating_sum=Sum("rating", filter=recent & Q(rating__isnull=False)),
            low_rated=Count("pk", filter=recent & Q(rating__lte=2)),
        )
        .order_by()
    )
    return {
        row.pop("estate_id"): WorkOrderFigures(**{k: v or 0 for k, v in row.items()})  # Sum of nothing is None
        for row in rows
    }


@dataclass
class Collection:
    billed: Decimal = Decimal("0.00")
    unpaid: Decimal = Decimal("0.00")
    fee_billed: Decimal = Decimal("0.00")
    fee_unpaid: Decimal = Decimal("0.00")

    def __add__(self, other: Collection) -> Collection:
        return Collection(**{k: getattr(self, k) + getattr(other, k) for k in self.__dataclass_fields__})

    @property
    def arrears_rate(self) -> Decimal | None:
        return percent(self.unpaid, self.billed)

    @property
    def collection_rate(self) -> Decimal | None:
        return percent(self.billed - self.unpaid, self.billed)

    @property
    def fee_collection_rate(self) -> Decimal | None:
        return percent(self.fee_billed - self.fee_unpaid, self.fee_billed)


def collections(*, estates, on: datetime.date) -> dict[int, Collection]:
    return {pk: Collection(**row) for pk, row in collection_by_estate(estates=estates, on=on).items()}


# --- one estate -------------------------------------------------------------------------------------


@dataclass
class EstateOperations:
    orders: WorkOrderFigures
    collection: Collection
    since: datetime.datetime
    upcoming_assemblies: list
    more_assemblies: bool
    overdue_decisions: list
    overdue_decisions_count: int


def estate_operations(*, estate: Estate, now: datetime.datetime | None = None) -> EstateOperations:
    """The estate dashboard's "Work orders and governance" section. Five queries whatever the estate's size."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    since = now - WORK_ORDER_WINDOW
    ids = [estate.pk]
    assemblies = list(
        Assembly.objects.filter(estate=estate, status__in=(AssemblyStatus.DRAFT, AssemblyStatus.CALLED), meeting_on__gte=today)
        .select_related("building")
        .order_by("meeting_on", "pk")[:6]
    )
    decisions = JointMeetingDecision.objects.filter(meeting__estate=estate, status=DecisionStatus.OPEN, due_on__lt=today)
    return EstateOperations(
        orders=work_order_figures(estates=ids, now=now, since=since).get(estate.pk, WorkOrderFigures()),
        collection=collections(estates=ids, on=today).get(estate.pk, Collection()),
        since=since,
        upcoming_assemblies=assemblies[:5],
        more_assemblies=len(assemblies) > 5,
        overdue_decisions=list(decisions.select_related("meeting").order_by("due_on", "pk")[:5]),
        overdue_decisions_count=decisions.count(),
    )


# --- areas: a sub-district or a district ----------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    kind: str  # "district" | "subdistrict"
    place: District | Subdistrict

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.place.pk}"

    def estates(self) -> QuerySet[Estate]:
        if self.kind == "district":
            return Estate.objects.filter(community__subdistrict__district_id=self.place.pk)
        return Estate.objects.filter(community__subdistrict_id=self.place.pk)


def districts_of_user(*, user) -> QuerySet[District]:
    """The districts whose dashboard the person may open: a district officer's own; every one for whoever sees
    everything (platform administrators)."""
    if user_sees_everything(user):
        return District.objects.all()
    grants = RoleAssignment.objects.filter(user=user, role=Role.DISTRICT_OFFICER)
    return District.objects.filter(pk__in=grants.values("district_id"))


def subdistricts_of_user(*, user) -> QuerySet[Subdistrict]:
    """A sub-district officer's own sub-districts, those of a district officer's districts, or all of them for
    whoever sees everything. Estate staff and committee members have none."""
    if user_sees_everything(user):
        return Subdistrict.objects.all()
    grants = RoleAssignment.objects.filter(user=user)
    return Subdistrict.objects.filter(
        Q(pk__in=grants.filter(role=Role.SUBDISTRICT_OFFICER).values("subdistrict_id"))
        | Q(district__in=grants.filter(role=Role.DISTRICT_OFFICER).values("district_id"))
    )


def area_of_user(*, user, kind: str, pk: int) -> Area | None:
    """The area if the person may see its dashboard, else None. One query (two for a platform administrator)."""
    source = districts_of_user(user=user) if kind == "district" else subdistricts_of_user(user=user)
    if kind == "subdistrict":
        source = source.select_related("district")
    place = source.filter(pk=pk).first()
    return Area(kind=kind, place=place) if place else None


#: The league table's columns that sort, each with the figure it sorts by.
SORTS = {
    "name": lambda r: r.code,
    "model": lambda r: r.model_label,
    "fee_collection": lambda r: r.collection.fee_collection_rate,
    "arrears": lambda r: r.collection.arrears_rate,
    "open": lambda r: r.orders.open,
    "overdue": lambda r: r.orders.overdue,
    "response": lambda r: r.orders.response_compliance,
    "completion": lambda r: r.orders.completion_compliance,
    "rating": lambda r: r.orders.average_rating,
    "low": lambda r: r.orders.low_share,
    "disclosed": lambda r: r.income_disclosed,
    "filings": lambda r: r.filings_attention,
}


@dataclass
class EstateRow:
    """One estate's line in the area's league table."""

    pk: int
    code: str
    name: str
    subdistrict_id: int
    subdistrict: str
    units: int | None = None  # counted for the rows shown (units_by_estate)
    model: str | None = None
    orders: WorkOrderFigures = field(default_factory=WorkOrderFigures)
    collection: Collection = field(default_factory=Collection)
    statements: int = 0
    income_disclosed: Decimal = Decimal("0.00")
    last_published: datetime.date | None = None
    filings_attention: int = 0

    @property
    def model_label(self) -> str:
        return str(ManagementModel(self.model).label) if self.model else ""


@dataclass
class SubdistrictFigures:
    pk: int
    name: str
    orders: WorkOrderFigures
    collection: Collection
    estates: int


@dataclass
class AreaDashboard:
    area: Area
    on: datetime.date
    since: datetime.datetime
    rows: list[EstateRow]
    orders: WorkOrderFigures
    collection: Collection
    coverage: list[tuple[str, str, int, Decimal | None]]  # (model code or "", label, estates, share)
    filings: list[OwnersCommittee]
    statements: int
    estates_disclosing: int
    income_disclosed: Decimal
    groups: list[SubdistrictFigures]  # a district's sub-districts

    @property
    def estates(self) -> int:
        return len(self.rows)

    @property
    def covered(self) -> int:
        return sum(n for code, _label, n, _share in self.coverage if code)

    @property
    def coverage_share(self) -> Decimal | None:
        return percent(self.covered, self.estates)


def units_by_estate(rows: list[EstateRow]) -> None:
    """Fill in the units of these estates (the page shown, or every estate for the export). One query: counting
    the units of a whole district on every view would read a tenth of all units for a figure that changes
    only with the inventory."""
    counts = dict(
        Unit.objects.filter(building__estate__in=[row.pk for row in rows] or [0])
        .values_list("building__estate_id")
        .annotate(n=Count("*"))  # COUNT(*): PostgreSQL then counts from the building_id index alone
        .order_by()
    )
    for row in rows:
        row.units = counts.get(row.pk, 0)


def _sort_value(row: EstateRow, key: str):
    return SORTS[key](row)


def sort_rows(rows: list[EstateRow], sort: str) -> list[EstateRow]:
    """Sort by a league-table column (``-key`` descending); estates without the figure come last either way,
    ties by estate code."""
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORTS:
        key, descending = "name", False
    by_code = sorted(rows, key=lambda r: r.code)
    present = [r for r in by_code if _sort_value(r, key) not in (None, "")]
    missing = [r for r in by_code if _sort_value(r, key) in (None, "")]
    present.sort(key=lambda r: _sort_value(r, key), reverse=descending)
    return present + missing


def area_dashboard(*, user, area: Area, now: datetime.datetime | None = None) -> AreaDashboard:
    """Every figure of the area's dashboard and a row per estate, in a fixed number of queries (six) whatever
    the number of estates: each source is aggregated per estate in the database; only the merge is Python."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    since = now - WORK_ORDER_WINDOW
    estates = area.estates().filter(pk__in=estates_visible_to(user=user).values("pk"))
    rows = {
        pk: EstateRow(pk=pk, code=code, name=name, subdistrict_id=sub_id, subdistrict=sub_name)
        for pk, code, name, sub_id, sub_name in estates.values_list(
            "pk", "code", "name", "community__subdistrict_id", "community__subdistrict__name"
        ).order_by("code")
    }
    # The sources filter on the area's estates as a plain join (estate → community → sub-district), not on the
    # scope's subqueries again (area_of_user already checked the area is in the person's scope) nor on a list of
    # hundreds of ids sent as parameters.
    ids = area.estates().values("pk")

    def known(figures: dict):
        # The two sets are the same (an area in scope is wholly visible); an estate outside ``rows`` is skipped.
        return ((rows[pk], value) for pk, value in figures.items() if pk in rows)

    for row, model in known(management_models_in_effect(estates=ids, on=today)):
        row.model = model
    for row, figures in known(work_order_figures(estates=ids, now=now, since=since)):
        row.orders = figures
    for row, collection in known(collections(estates=ids, on=today)):
        row.collection = collection
    for row, disclosed in known(public_income_disclosed_by_estate(estates=ids)):
        row.statements, row.income_disclosed, row.last_published = (
            disclosed["statements"],
            disclosed["income"],
            disclosed["last_ends_on"],
        )
    filings = [
        c for c in committees_filing_attention(user=user, on=today, limit=None).filter(estate__in=ids) if c.estate_id in rows
    ]
    for committee in filings:
        rows[committee.estate_id].filings_attention += 1

    all_rows = list(rows.values())
    by_model = defaultdict(int)
    for row in all_rows:
        by_model[row.model or ""] += 1
    coverage = [
        (code, str(label), by_model[code], percent(by_model[code], len(all_rows))) for code, label in ManagementModel.choices
    ]
    coverage.append(("", "", by_model[""], percent(by_model[""], len(all_rows))))

    groups = []
    if area.kind == "district":
        grouped: dict[tuple[str, int], list[EstateRow]] = defaultdict(list)
        for row in all_rows:
            grouped[(row.subdistrict, row.subdistrict_id)].append(row)
        groups = [
            SubdistrictFigures(
                pk=pk,
                name=name,
                orders=sum((r.orders for r in members), WorkOrderFigures()),
                collection=sum((r.collection for r in members), Collection()),
                estates=len(members),
            )
            for (name, pk), members in sorted(grouped.items())
        ]
    return AreaDashboard(
        area=area,
        on=today,
        since=since,
        rows=all_rows,
        orders=sum((r.orders for r in all_rows), WorkOrderFigures()),
        collection=sum((r.collection for r in all_rows), Collection()),
        coverage=coverage,
        filings=filings,
        statements=sum(r.statements for r in all_rows),
        estates_disclosing=sum(1 for r in all_rows if r.statements),
        income_disclosed=sum((r.income_disclosed for r in all_rows), Decimal("0.00")),
        groups=groups,
    )


__all__ = [
    "SORTS",
    "WORK_ORDER_WINDOW",
    "Area",
    "AreaDashboard",
    "Collection",
    "SubdistrictFigures",
    "EstateOperations",
    "EstateRow",
    "WorkOrderFigures",
    "area_dashboard",
    "area_of_user",
    "districts_of_user",
    "estate_operations",
    "percent",
    "sort_rows",
    "units_by_estate",
    "subdistricts_of_user",
    "work_order_figures",
]
