"""Read queries for the public site. Each returns what a page needs in a fixed number of queries."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Role
from estates.models import (
    Building,
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


def _optional(module_path: str, name: str) -> Callable | None:
    """A selector of an app that may not be built yet (rentals, public income): None until it is."""
    try:
        module = importlib.import_module(module_path)
    except ImportError:
        return None
    return getattr(module, name, None)


def city_figures() -> dict[str, int | Decimal | None]:
    """Live figures for the public home page; a fixed number of queries whatever the data size.

    ``flats_pooled_for_rent`` and ``public_income_disclosed_this_year`` are None (and the home page
    leaves them out) until the rentals and public-income apps provide
    ``rentals.selectors.flats_pooled_count()`` and
    ``property_services.selectors.public_income_disclosed_total(year=...)``.
    """
    estates = Estate.objects.aggregate(
        total=Count("pk"),
        renovated=Count("pk", filter=Q(renovation_projects__status=ProjectStatus.COMPLETED), distinct=True),
    )
    units = Unit.objects.aggregate(
        total=Count("pk"),
        with_lift_added=Count("pk", filter=Q(building__lift_added_year__isnull=False)),
    )
    pooled = _optional("rentals.selectors", "flats_pooled_count")
    public_income = _optional("property_services.selectors", "public_income_disclosed_total")
    return {
        "estates": estates["total"],
        "estates_renovated": estates["renovated"],
        "units": units["total"],
        "households_with_lift_added": units["with_lift_added"],
        "buildings_with_lift_added": Building.objects.filter(lift_added_year__isnull=False).count(),
        "flats_pooled_for_rent": pooled() if pooled else None,
        "public_income_disclosed_this_year": public_income(year=timezone.localdate().year) if public_income else None,
    }


# --- listings ----------------------------------------------------------------------------------


def _with_hero(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("hero_image").prefetch_related("hero_image__renditions")


def case_studies_live(*, parent=None) -> QuerySet:
    from .models import CaseStudyPage

    qs = CaseStudyPage.objects.live().public()
    if parent is not None:
        qs = qs.child_of(parent)
    return _with_hero(qs.select_related("project__estate")).order_by("-date", "-pk")


def case_studies_latest(*, limit: int = 3) -> list:
    return list(case_studies_live()[:limit])


def notice_pages_live(*, parent=None, show: str = "", estate_code: str = "") -> QuerySet:
    """Notice pages, newest display first. ``show``: "current", "ended" or anything else for all;
    ``estate_code``: only that estate's notices (a blank code: every notice, city-wide ones too)."""
    from .models import NoticePage

    today = timezone.localdate()
    qs = NoticePage.objects.live().public().select_related("estate", "pdf")
    if parent is not None:
        qs = qs.child_of(parent)
    if estate_code:
        qs = qs.filter(estate__code=estate_code)
    if show == "current":
        qs = qs.filter(display_from__lte=today, display_until__gte=today)
    elif show == "ended":
        qs = qs.filter(display_until__lt=today)
    return qs.order_by("-display_from", "-pk")


def notice_estates(*, parent=None) -> QuerySet:
    """The estates that have a published notice (under ``parent``), by name: the notice filter's choices."""
    from estates.models import Estate

    from .models import NoticePage

    pages = NoticePage.objects.live().public()
    if parent is not None:
        pages = pages.child_of(parent)
    return Estate.objects.filter(pk__in=pages.filter(estate__isnull=False).values("estate_id")).order_by("name", "code")


def notice_pages_latest(*, limit: int = 5) -> list:
    return list(notice_pages_live()[:limit])


def news_live(*, parent=None) -> QuerySet:
    from .models import NewsPage

    qs = NewsPage.objects.live().public()
    if parent is not None:
        qs = qs.child_of(parent)
    return _with_hero(qs).order_by("-date", "-pk")


def news_latest(*, limit: int = 3) -> list:
    return list(news_live()[:limit])


def home_sections(*, home) -> dict:
    """The live index and policy pages under the home page, by type, for the home page's links."""
    from .models import CaseStudyIndexPage, NewsIndexPage, NoticeIndexPage, PolicyPage

    sections: dict = {"policies": []}
    for child in home.get_children().live().public().specific().order_by("path"):
        if isinstance(child, CaseStudyIndexPage):
            sections.setdefault("case_studies", child)
        elif isinstance(child, NoticeIndexPage):
            sections.setdefault("notices", child)
        elif isinstance(child, NewsIndexPage):
            sections.setdefault("news", child)
        elif isinstance(child, PolicyPage):
            sections["policies"].append(child)
    return sections


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
    from .charts import funding_bar_chart

    facts = ProjectFacts(
        project=project,
        content_groups=groups,
        funding=funding,
        total=total,
        lifts_added=sum(lifts, Decimal("0")) if lifts else None,
    )
    facts.chart = funding_bar_chart(funding, total=total, title=project.name)
    return facts


def notice_pages_for_user(*, user) -> QuerySet:
    """The portal's 公告: published notices of the estates where the signed-in person owns a flat,
    and city-wide notices (no estate), newest first, with estate and PDF joined."""
    from estates.models import Owner

    from .models import NoticePage

    estate_ids = Owner.objects.filter(user=user).values("estate_id") if user.is_authenticated else []
    return (
        NoticePage.objects.live()
        .public()
        .filter(Q(estate__in=estate_ids) | Q(estate__isnull=True))
        .select_related("estate", "pdf")
        .order_by("-display_from", "-pk")
    )


def notice_index_page():
    """The public notice index (公示), for "see all notices on the public site"; None if not set up."""
    from .models import NoticeIndexPage

    return NoticeIndexPage.objects.live().public().first()
