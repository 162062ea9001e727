"""The public site as a visitor meets it (issue 10 item 13): branded 404 and 500 pages (also in
`make run`, where DEBUG is on), a favicon, notices filtered by estate, search hits labelled by section."""

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.template import loader
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from django.utils import timezone

from cms.bulk import bulk_add_children
from cms.models import NoticePage

pytestmark = pytest.mark.django_db


def boom(request):
    raise RuntimeError("a bug in a view")


def refuse(request):
    from django.core.exceptions import PermissionDenied

    raise PermissionDenied


# ROOT_URLCONF for the 500 tests: a view that fails, one that refuses, then the real site.
urlpatterns = [path("boom/", boom), path("refuse/", refuse), path("", include("config.urls"))]

DEV_MIDDLEWARE = [*settings.MIDDLEWARE, "config.errors.BrandedErrorPagesMiddleware"]


def test_missing_page_is_the_branded_404(client, home):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert 'data-testid="error-404"' in html and 'class="brand"' in html and "安居" in html
    assert 'href="/"' in html and 'action="/search/"' in html  # a way on: home and search
    assert "Traceback" not in html and "DEBUG" not in html


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_an_error_in_a_view_is_the_branded_500(client, home):
    client.raise_request_exception = False
    response = client.get("/boom/")
    html = response.content.decode()
    assert response.status_code == 500
    assert 'data-testid="error-500"' in html and "安居" in html and 'href="/"' in html
    assert "a bug in a view" not in html and "Traceback" not in html and "RuntimeError" not in html


def test_the_500_page_needs_neither_request_nor_database():
    """Django renders 500.html with an empty context; it must not touch the database either (the
    database may be what failed)."""
    with CaptureQueriesContext(connection) as queries:
        html = loader.get_template("500.html").render({})
    assert queries.captured_queries == []
    assert 'data-testid="error-500"' in html and "/static/css/anju.css" in html


@override_settings(DEBUG=True, MIDDLEWARE=DEV_MIDDLEWARE)
def test_make_run_with_debug_on_still_shows_the_branded_404(client, home):
    for url in ("/no-such-page/", "/missing.txt"):  # a Wagtail 404, and an address no URL pattern takes
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 404, url
        assert 'data-testid="error-404"' in html and "DEBUG = True" not in html, url


@override_settings(DEBUG=True, MIDDLEWARE=DEV_MIDDLEWARE, ROOT_URLCONF=__name__)
def test_make_run_with_debug_on_shows_the_branded_500(client, home):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    assert 'data-testid="error-500"' in response.content.decode()
    assert client.get("/refuse/").status_code == 403  # a refusal stays a refusal, not a 500


def test_dev_settings_add_the_branded_error_pages():
    import importlib

    dev = importlib.import_module("config.settings.dev")
    assert "config.errors.BrandedErrorPagesMiddleware" in dev.MIDDLEWARE


def test_favicon_is_linked_and_served(client, home):
    html = client.get("/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in html
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/favicon.ico"
    from django.contrib.staticfiles import finders

    assert finders.find("favicon.ico") and finders.find("favicon.svg")


# --- notices filtered by estate ------------------------------------------------------------------


def add_notices(index, estates, per_estate: int, start: int = 0) -> None:
    today = timezone.localdate()
    bulk_add_children(
        index,
        NoticePage,
        [
            {
                "title": f"{estate.name}公示{i}",
                "slug": f"n-{estate.code.lower()}-{i}",
                "kind": "assembly_result",
                "estate": estate,
                "display_from": today - datetime.timedelta(days=i),
                "display_until": today + datetime.timedelta(days=30),
            }
            for estate in estates
            for i in range(start, start + per_estate)
        ],
    )


@pytest.fixture
def notices(site_tree, make_estate):
    yanghe, jintang = make_estate("YH", name="洋河新村"), make_estate("JT", name="金汤街小区")
    add_notices(site_tree["notices"], [yanghe, jintang], 2)
    return site_tree["notices"], yanghe, jintang


def test_notices_filter_by_estate(client, notices):
    index, yanghe, jintang = notices
    html = client.get(index.url, {"estate": "YH"}).content.decode()
    assert "洋河新村公示0" in html and "洋河新村公示1" in html
    assert "金汤街小区公示" not in html
    # The select offers each estate with notices, the chosen one selected; the other filters keep it.
    assert '<option value="YH" selected>洋河新村</option>' in html and '<option value="JT">金汤街小区</option>' in html
    assert 'href="?show=current&amp;estate=YH"' in html
    everything = client.get(index.url).content.decode()
    assert "洋河新村公示0" in everything and "金汤街小区公示0" in everything


def test_notices_filter_with_an_unknown_estate_shows_none(client, notices):
    index, _yanghe, _jintang = notices
    html = client.get(index.url, {"estate": "NOPE"}).content.decode()
    assert "公示0" not in html and 'class="notice-row' not in html


def count_queries(client, url, params) -> int:
    client.get(url, params)  # warm-up
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def test_notice_filter_runs_a_fixed_number_of_queries(client, notices, make_estate):
    index, yanghe, jintang = notices
    params = {"estate": "YH", "show": "current"}
    small = count_queries(client, index.url, params), count_queries(client, index.url, {})
    more = [make_estate(f"E{i}", name=f"小区{i}") for i in range(8)]
    add_notices(index, [yanghe, jintang, *more], 30, start=2)
    large = count_queries(client, index.url, params), count_queries(client, index.url, {})
    assert large == small


# --- search hits say which section they are from --------------------------------------------------


def test_search_results_are_labelled_by_section(client, site_tree, make_case_study, make_estate):
    make_case_study("洋河新村加装电梯纪实", intro="加装电梯12部。", slug="yanghe")
    add_notices(site_tree["notices"], [make_estate("YH", name="洋河新村")], 1)
    html = client.get("/search/", {"q": "洋河新村"}).content.decode()
    labels = html.count('data-testid="result-section"')
    assert labels >= 2
    assert "典型案例" in html and "公示公告" in html
    assert "case study" not in html.lower() and ">notice<" not in html.lower()


# --- demo pictures ------------------------------------------------------------------------------


def test_demo_case_study_pictures_are_drawn_per_estate_with_its_name():
    """Drawn locally with Pillow (nothing downloaded): each estate its own picture, captioned in Chinese."""
    import io

    from PIL import Image

    from cms.demo import _cjk_font, facade_png

    if _cjk_font(20) is None:
        pytest.skip("no CJK font installed (fonts-noto-cjk)")
    plain = Image.open(io.BytesIO(facade_png(after=True, seed=1)))
    captioned = Image.open(io.BytesIO(facade_png(after=True, seed=1, caption="洋河新村 改造后")))
    other = Image.open(io.BytesIO(facade_png(after=True, seed=2, caption="金汤街小区 改造后")))
    assert captioned.size == (960, 600)
    assert captioned.getpixel((5, 5)) == (11, 93, 59)  # the caption band in the site's green
    assert plain.getpixel((5, 5)) != (11, 93, 59)
    band = captioned.crop((0, 0, 960, 60)).convert("L")
    assert band.getextrema()[1] == 255  # white text drawn on the band
    assert captioned.tobytes() != other.tobytes()
