"""Reads of other apps' data for the public site: the home page's figures, a project's facts.

Each returns what a page needs in a fixed number of queries. The site's own pages are read through
their querysets (``cms.querysets``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from accounts.models import Role
from estates.models import (
    ContentClass,
    ContentItem,
    Estate,
    FundingLine,
    FundingSource,
    ProjectStatus,
    RenovationProject,
    RoleAssignment,
    Unit,
)
from estates.selectors import scope_queryset, user_sees_everything

from .charts import funding_bar_chart

# --- the home page's figures (registered in cms/apps.py; one query each) ------------------------


def estates_count() -> int:
    return Estate.objects.count()


def estates_renovated_count() -> int:
    """Estates with a completed renovation project."""
    return Estate.objects.filter(renovation_projects__status=ProjectStatus.COMPLETED).values("pk").distinct().count()


def units_count() -> int:
    return Unit.objects.count()


def households_with_lift_added_count() -> int:
    """Units in a building that had a lift added."""
    return Unit.objects.filter(building__lift_added_year__isnull=False).count()


# --- renovation projects -----------------------------------------------------------------------


def projects_choosable_by(*, user) -> QuerySet[RenovationProject]:
    """The projects a person may link to a case study.

    Site editors work city-wide (their role has no scope) and renovation projects are public
    information, so editors and platform admins choose from every project; anyone else who edits
    pages sees the projects of their own estates only.
    """
    qs = RenovationProject.objects.select_related("estate").order_by("-year", "estate__name", "pk")
    if user_sees_everything(user) or RoleAssignment.objects.filter(user=user, role=Role.CMS_EDITOR).exists():
        return qs
    return scope_queryset(qs, user=user)


@dataclass
class FundingRow:
    source: str
    label: str
    amount: Decimal
    share: Decimal  # percent of the total, 0–100


@dataclass
class ContentGroup:
    content_class: str
    label: str
    items: list[ContentItem]


@dataclass
class ProjectFacts:
    """What a case study shows about its project, read from the project as it is now."""

    project: RenovationProject
    content_groups: list[ContentGroup]
    funding: list[FundingRow]
    total: Decimal
    lifts_added: Decimal | None = None
    chart: dict = field(default_factory=dict)


def project_facts(*, project_id: int) -> ProjectFacts | None:
    """A project's content items by class and its funding by source. Three queries."""
    project = (
        RenovationProject.objects.select_related("estate__community__subdistrict__district")
        .prefetch_related(
            Prefetch("content_items", queryset=ContentItem.objects.order_by("pk")),
            Prefetch("funding_lines", queryset=FundingLine.objects.order_by("pk")),
        )
        .filter(pk=project_id)
        .first()
    )
    if project is None:
        return None
    groups = []
    for value, label in ContentClass.choices:
        items = [i for i in project.content_items.all() if i.content_class == value]
        if items:
            groups.append(ContentGroup(content_class=value, label=str(label), items=items))
    by_source: dict[str, Decimal] = {}
    for line in project.funding_lines.all():
        by_source[line.source] = by_source.get(line.source, Decimal("0")) + line.amount
    total = sum(by_source.values(), Decimal("0"))
    labels = dict(FundingSource.choices)
    funding = [
        FundingRow(
            source=source,
            label=str(labels.get(source, source)),
            amount=amount,
            share=(amount * 100 / total).quantize(Decimal("0.1")) if total else Decimal("0"),
        )
        for source, amount in sorted(by_source.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    lifts = [i.quantity for i in project.content_items.all() if i.title == "加装电梯" and i.quantity is not None]
    facts = ProjectFacts(
        project=project,
        content_groups=groups,
        funding=funding,
        total=total,
        lifts_added=sum(lifts, Decimal("0")) if lifts else None,
    )
    facts.chart = funding_bar_chart(funding, total=total, title=project.name)
    return facts
