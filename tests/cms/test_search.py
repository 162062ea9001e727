"""Search at /search/?q=: Chinese substrings, English words and prefixes, snippets, pagination.

Every test here runs on SQLite in the SQLite pass and on PostgreSQL in the PostgreSQL pass of
`make test`; the two marked tests check that each database's own full-text backend answered.
"""

import re

import pytest
from django.db import connection

from cms.models import NewsPage
from cms.search import search_pages, search_queryset
from cms.text import segment
from tests.cms.conftest import publish_child

pytestmark = pytest.mark.django_db

LIFT_TEXT = "本小区完成加装电梯12部，老人上下楼不再难。"


@pytest.fixture
def pages(site_tree, make_case_study):
    news = site_tree["news"]
    return {
        "lift": make_case_study("洋河新村改造纪实", intro=LIFT_TEXT, slug="yanghe"),
        "drain": make_case_study(
            "金汤街小区雨污分流",
            intro="改造雨污分流管网，院坝不再积水。",
            slug="jintangjie",
            body=[("paragraph", "<p>物业服务中心负责日常保洁。</p>")],
        ),
        "english": publish_child(
            news,
            NewsPage(
                title="Platform launch",
                slug="launch",
                intro="Owners can pay property fees online.",
                body=[("paragraph", "<p>The renovation programme continues with lift retrofits.</p>")],
            ),
        ),
    }


def titles(query: str) -> set[str]:
    return {hit.page.title for hit in search_pages(query).hits}


@pytest.mark.parametrize("query", ["加装电梯", "电梯", "加装", "梯", "完成加装电梯", "加装电梯12部", "老人", "上下楼"])
def test_chinese_substrings_find_the_page(pages, query):
    assert "洋河新村改造纪实" in titles(query), query


@pytest.mark.parametrize("query", ["雨污分流", "雨污", "积水", "保洁", "物业服务中心", "分流管网"])
def test_other_chinese_queries_find_their_page_only(pages, query):
    found = titles(query)
    assert "金汤街小区雨污分流" in found, query
    assert "洋河新村改造纪实" not in found, query


def test_substring_across_jieba_words_is_still_found(pages):
    # "装电" cuts across 加装|电梯: only the plain-text fallback can find it.
    assert "洋河新村改造纪实" in titles("装电")
    assert "洋河新村改造纪实" in titles("小区完成加")


def test_no_match_finds_nothing(pages):
    assert titles("停车场") == set()
    assert titles("swimming") == set()


@pytest.mark.parametrize("query", ["renovation", "Renovation", "lift", "property fees", "launch"])
def test_english_words(pages, query):
    assert titles(query) == {"Platform launch"}, query


@pytest.mark.parametrize("query", ["renov", "retro", "platf", "prop"])
def test_english_prefixes(pages, query):
    assert "Platform launch" in titles(query), query


def test_chinese_words_go_through_the_index_and_short_ones_through_substring(pages):
    assert search_queryset("加装电梯")[1] == "index"
    assert search_queryset("电梯")[1] == "substring"
    assert search_queryset("梯")[1] == "substring"
    assert search_queryset("renov")[1] in ("index", "prefix")  # PostgreSQL's English stemmer knows "renov"
    assert search_queryset("retro")[1] == "prefix"


def test_search_page_highlights_the_match(client, pages):
    response = client.get("/search/", {"q": "加装电梯"})
    assert response.status_code == 200
    html = response.content.decode()
    results = re.search(r'data-testid="search-results">(.*?)</ol>', html, re.S).group(1)
    assert "洋河新村改造纪实" in results
    assert "<mark>加装电梯</mark>" in results
    assert "金汤街小区雨污分流" not in results

    html = client.get("/search/", {"q": "电梯"}).content.decode()
    assert "<mark>电梯</mark>" in html


def test_snippet_escapes_page_text(site_tree, make_case_study):
    make_case_study("转义测试", intro="<script>alert(1)</script> 加装电梯", slug="escape")
    html = search_pages("加装电梯").hits[0].snippet
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_drafts_are_not_found(site_tree):
    from cms.models import CaseStudyPage

    draft = CaseStudyPage(title="草稿：加装电梯", slug="draft", intro="加装电梯", live=False)
    site_tree["case_studies"].add_child(instance=draft)
    assert "草稿：加装电梯" not in titles("加装电梯")
    assert "草稿：加装电梯" not in titles("电梯")


def test_results_are_paginated(client, site_tree):
    from cms.bulk import bulk_add_children

    bulk_add_children(
        site_tree["news"],
        NewsPage,
        [{"title": f"第{i}号简报", "slug": f"brief-{i}", "intro": f"第{i}批加装电梯顺利完工。"} for i in range(25)],
        index=True,
    )
    first = search_pages("加装电梯", page_number=1)
    third = search_pages("加装电梯", page_number=3)
    assert first.total == 25
    assert len(first.hits) == 10 and len(third.hits) == 5
    assert not {h.page.pk for h in first.hits} & {h.page.pk for h in third.hits}
    html = client.get("/search/", {"q": "加装电梯", "page": 2}).content.decode()
    assert "page=1" in html and "page=3" in html  # previous and next links
    assert html.count('class="result"') == 10


def test_empty_query_shows_the_form_only(client, pages):
    response = client.get("/search/")
    assert response.status_code == 200
    assert 'data-testid="search-results"' not in response.content.decode()
    assert 'name="q"' in response.content.decode()


def test_segmented_copy_separates_chinese_words():
    words = segment(LIFT_TEXT).split()
    assert "加装" in words and "电梯" in words and "小区" in words


@pytest.mark.postgres
def test_recall_on_postgresql_full_text(pages):
    from wagtail.search.backends import get_search_backend

    assert connection.vendor == "postgresql"
    assert "Postgres" in type(get_search_backend()).__name__
    for query in ("加装电梯", "电梯", "加装", "梯", "雨污分流"):
        assert titles(query), query


def test_recall_on_sqlite_fts(pages):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite pass checks SQLite's FTS5 backend")
    from wagtail.search.backends import get_search_backend

    assert "SQLite" in type(get_search_backend()).__name__
    for query in ("加装电梯", "电梯", "加装", "梯", "雨污分流"):
        assert titles(query), query


def test_very_broad_queries_say_more_than_500_and_list_newest_first(client, site_tree):
    from cms.bulk import bulk_add_children

    bulk_add_children(
        site_tree["news"],
        NewsPage,
        [{"title": f"简报{i}", "slug": f"b-{i}", "intro": "小区加装电梯进展。"} for i in range(510)],
        index=True,
    )
    outcome = search_pages("加装电梯")
    assert outcome.more and outcome.total == 500
    assert outcome.page.paginator.num_pages == 50
    html = client.get("/search/", {"q": "加装电梯"}).content.decode()
    assert re.search(r'data-testid="result-count">[^<]*500', html)
    assert len(search_pages("加装电梯", page_number=50).hits) == 10
