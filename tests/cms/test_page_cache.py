"""Public pages cached whole for anonymous visitors (issue 16 item 2; accounts/page_cache.py, docs/caching.md).

A second anonymous visit costs no query; what an editor publishes, or a change of the facts a page
shows, is on the site at once; a signed-in person never gets the anonymous copy nor leaves theirs
behind; the language menu works without a per-visitor token."""

import re
from decimal import Decimal

import pytest
from django.test import override_settings

from accounts.page_cache import HEADER
from estates.models import FundingLine

pytestmark = pytest.mark.django_db


def visit(client, path, **extra):
    response = client.get(path, **extra)
    assert response.status_code == 200, (path, response.status_code)
    return response


def test_a_second_anonymous_visit_is_served_from_the_cache_without_a_query(client, site_tree, django_assert_num_queries):
    first = visit(client, "/")
    assert first[HEADER] == "miss"
    with django_assert_num_queries(0):
        second = visit(client, "/")
    assert second[HEADER] == "hit"
    assert second.content == first.content
    assert "Content-Security-Policy" in second  # the site's headers are still added to a cached page


def test_cached_pages_carry_no_token_and_set_no_cookie(client, site_tree, make_case_study):
    page = make_case_study()
    for path in ("/", page.url, "/search/?q=电梯"):
        for _ in range(2):
            response = visit(client, path)
            assert not response.cookies, (path, response.cookies)
            assert "csrfmiddlewaretoken" not in response.content.decode()
        assert response[HEADER] == "hit"


def test_publishing_a_changed_case_study_shows_at_once(client, site_tree, make_case_study):
    page = make_case_study(title="金汤街小区改造纪实")
    assert "金汤街小区改造纪实" in visit(client, page.url).content.decode()
    assert "金汤街小区改造纪实" in visit(client, "/").content.decode()
    assert visit(client, "/")[HEADER] == "hit"

    page.title = "金汤街小区加装电梯纪实"
    page.save_revision().publish()

    assert "金汤街小区加装电梯纪实" in visit(client, page.url).content.decode()
    home = visit(client, "/").content.decode()
    assert "金汤街小区加装电梯纪实" in home and "金汤街小区改造纪实" not in home


def test_an_unpublished_page_is_gone_at_once(client, site_tree, make_case_study):
    page = make_case_study()
    visit(client, page.url)
    page.unpublish()
    assert client.get(page.url).status_code == 404


def test_a_change_of_the_projects_facts_shows_at_once(client, site_tree, make_project, make_case_study):
    project = make_project("P1")
    page = make_case_study(project=project)
    visit(client, page.url)
    assert visit(client, page.url)[HEADER] == "hit"
    FundingLine.objects.create(project=project, source="social_capital", amount=Decimal("777777.00"))
    assert "777,777" in visit(client, page.url).content.decode()


def test_a_new_estate_changes_the_home_page_figures_at_once(client, site_tree, make_estate):
    def estates_figure():
        html = visit(client, "/").content.decode()
        return re.search(r"<li><strong>(\d+)</strong>\s*个小区已入驻平台", html).group(1)

    before = int(estates_figure())
    make_estate("E9")
    assert int(estates_figure()) == before + 1


def test_search_is_cached_and_sees_a_newly_published_page(client, site_tree, make_case_study):
    assert "电梯井道纪实" not in visit(client, "/search/?q=电梯").content.decode()
    assert visit(client, "/search/?q=电梯")[HEADER] == "hit"
    make_case_study(title="电梯井道纪实", intro="加装电梯。")
    assert "电梯井道纪实" in visit(client, "/search/?q=电梯").content.decode()


def test_a_signed_in_person_never_gets_the_anonymous_copy_nor_leaves_theirs(client, site_tree, make_user):
    visit(client, "/")
    assert visit(client, "/")[HEADER] == "hit"
    client.force_login(make_user("13800000009"))
    signed_in = visit(client, "/")
    assert HEADER not in signed_in
    assert "/portal/" in signed_in.content.decode() and "csrfmiddlewaretoken" in signed_in.content.decode()  # log-out form

    # Their page was not stored: the next anonymous visitor gets the anonymous page.
    client.logout()
    client.cookies.clear()
    anonymous = visit(client, "/").content.decode()
    assert "/portal/" not in anonymous and "csrfmiddlewaretoken" not in anonymous


def test_the_language_menu_switches_language_without_a_token(client, site_tree):
    chinese = visit(client, "/")
    assert '<html lang="zh-hans">' in chinese.content.decode()
    menu = re.search(r'<form action="([^"]+)" method="get" class="inline lang-switch">', chinese.content.decode())
    assert menu, "the language menu is a GET form"

    response = client.get(menu.group(1), {"language": "en", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    english = visit(client, "/")
    assert '<html lang="en">' in english.content.decode()
    assert visit(client, "/")[HEADER] == "hit"  # the English page is cached beside the Chinese one

    client.get(menu.group(1), {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-hans">' in visit(client, "/").content.decode()


def test_the_browsers_language_picks_the_cached_copy(client, site_tree):
    assert '<html lang="en">' in visit(client, "/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="zh-hans">' in visit(client, "/").content.decode()
    assert '<html lang="en">' in visit(client, "/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_language_menu_goes_back_only_within_the_site(client, home):
    response = client.get("/language/", {"language": "en", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"
    response = client.get("/language/", {"language": "xx", "next": "/search/"})
    assert response["Location"] == "/search/" and "django_language" not in response.cookies


@override_settings(ANJU_PUBLIC_PAGE_CACHE_SECONDS=0)
def test_the_cache_can_be_turned_off(client, site_tree):
    visit(client, "/")
    assert HEADER not in visit(client, "/")
