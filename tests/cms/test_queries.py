"""The home page and the section indexes run the same number of queries with 10 or 1,000 pages."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cms.bulk import bulk_add_children
from cms.models import CaseStudyPage, NewsPage, NoticePage

pytestmark = pytest.mark.django_db

MAX_QUERIES = 25


def add_pages(site_tree, project, count: int, start: int = 0) -> None:
    today = timezone.localdate()
    bulk_add_children(
        site_tree["case_studies"],
        CaseStudyPage,
        [
            {"title": f"案例{i}", "slug": f"case-{i}", "intro": "加装电梯", "project": project, "date": today}
            for i in range(start, start + count)
        ],
    )
    bulk_add_children(
        site_tree["notices"],
        NoticePage,
        [
            {
                "title": f"公示{i}",
                "slug": f"notice-{i}",
                "kind": "assembly_result",
                "display_from": today - datetime.timedelta(days=i % 60),
                "display_until": today + datetime.timedelta(days=30 - i % 60),
            }
            for i in range(start, start + count)
        ],
    )
    bulk_add_children(
        site_tree["news"],
        NewsPage,
        [{"title": f"新闻{i}", "slug": f"news-{i}", "intro": "简讯", "date": today} for i in range(start, start + count)],
    )


def count_queries(client, url: str, params=None) -> int:
    client.get(url, params or {})  # warm-up: settings row, renditions
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_fixed_query_counts_at_10_and_1000_pages(client, site_tree, make_project):
    project = make_project("Q1")
    urls = [
        ("/", None),
        (site_tree["case_studies"].url, None),
        (site_tree["notices"].url, None),
        (site_tree["notices"].url, {"show": "current"}),
        (site_tree["news"].url, None),
        (site_tree["news"].url, {"page": 2}),
    ]
    add_pages(site_tree, project, 10)
    small = {f"{u}?{p}": count_queries(client, u, p) for u, p in urls}
    html = client.get(site_tree["case_studies"].url).content.decode()
    assert "案例9" in html

    add_pages(site_tree, project, 990, start=10)
    assert CaseStudyPage.objects.live().count() == 1000
    large = {f"{u}?{p}": count_queries(client, u, p) for u, p in urls}
    assert large == small
    assert max(large.values()) <= MAX_QUERIES, large


def test_case_study_page_query_count_does_not_grow_with_the_project(client, make_project, make_case_study):
    from decimal import Decimal

    from estates.models import ContentItem, FundingLine, FundingSource

    project = make_project("Q2")
    page = make_case_study(project=project)
    before = count_queries(client, page.url)
    ContentItem.objects.bulk_create(
        ContentItem(project=project, content_class="basic", title=f"项目{i}", quantity=Decimal(i), measure="处")
        for i in range(200)
    )
    used = set(project.funding_lines.values_list("source", flat=True))
    FundingLine.objects.bulk_create(
        FundingLine(project=project, source=source, amount=Decimal("10.00"))
        for source in FundingSource.values
        if source not in used
    )
    assert count_queries(client, page.url) == before
