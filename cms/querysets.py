"""The read queries of the site's own pages, as querysets of their page types.

The pages read their listings here (``CaseStudyPage.objects.listed(parent=…)``); each query
already has the joins its template needs, so a listing runs a fixed number of queries however
many pages there are. Reads of other apps' data (the figures, a project's facts) are in
``cms.selectors``.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone
from wagtail.models import PageManager
from wagtail.query import PageQuerySet

from estates.models import Estate, Owner


class ListedPageQuerySet(PageQuerySet):
    def published(self, *, parent=None) -> ListedPageQuerySet:
        """Live pages open to the public (under ``parent`` when given)."""
        qs = self.live().public()
        return qs.child_of(parent) if parent is not None else qs

    def with_hero(self) -> ListedPageQuerySet:
        return self.select_related("hero_image").prefetch_related("hero_image__renditions")


class CaseStudyPageQuerySet(ListedPageQuerySet):
    def listed(self, *, parent=None) -> CaseStudyPageQuerySet:
        """Case studies, newest story first, with the lead photo and the project's estate."""
        return self.published(parent=parent).with_hero().select_related("project__estate").order_by("-date", "-pk")


class NewsPageQuerySet(ListedPageQuerySet):
    def listed(self, *, parent=None) -> NewsPageQuerySet:
        return self.published(parent=parent).with_hero().order_by("-date", "-pk")


class NoticePageQuerySet(ListedPageQuerySet):
    def listed(self, *, parent=None, show: str = "", estate_code: str = "") -> NoticePageQuerySet:
        """Notice pages, newest display first. ``show``: "current", "ended" or anything else for all;
        ``estate_code``: only that estate's notices (a blank code: every notice, city-wide ones too)."""
        today = timezone.localdate()
        qs = self.published(parent=parent).select_related("estate", "pdf")
        if estate_code:
            qs = qs.filter(estate__code=estate_code)
        if show == "current":
            qs = qs.filter(display_from__lte=today, display_until__gte=today)
        elif show == "ended":
            qs = qs.filter(display_until__lt=today)
        return qs.order_by("-display_from", "-pk")

    def estates_with_notices(self, *, parent=None) -> QuerySet[Estate]:
        """The estates that have a published notice (under ``parent``), by name: the notice filter's choices."""
        pages = self.published(parent=parent).filter(estate__isnull=False)
        return Estate.objects.filter(pk__in=pages.values("estate_id")).order_by("name", "code")

    def for_owner(self, *, user) -> NoticePageQuerySet:
        """The portal's 公告: published notices of the estates where the signed-in person owns a flat,
        and city-wide notices (no estate), newest first, with estate and PDF joined."""
        estate_ids = Owner.objects.filter(user=user).values("estate_id") if user.is_authenticated else []
        return (
            self.published()
            .filter(Q(estate__in=estate_ids) | Q(estate__isnull=True))
            .select_related("estate", "pdf")
            .order_by("-display_from", "-pk")
        )


CaseStudyPageManager = PageManager.from_queryset(CaseStudyPageQuerySet)
NewsPageManager = PageManager.from_queryset(NewsPageQuerySet)
NoticePageManager = PageManager.from_queryset(NoticePageQuerySet)
