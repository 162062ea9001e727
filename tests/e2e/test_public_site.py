"""The public site in a real browser at desktop (1280×800) and phone (390×844) size (issue 10 item 13):
a branded 404, the home page (screenshots saved to test-results/), notices filtered by estate."""

import datetime
import io

import pytest
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.urls import include, path, re_path
from django.utils import timezone
from playwright.sync_api import expect

from cms.bulk import bulk_add_children
from cms.models import NoticePage
from tests.cms import conftest as cms_fixtures
from tests.e2e.conftest import RESULTS_DIR

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

home = cms_fixtures.home
site_tree = cms_fixtures.site_tree
make_case_study = cms_fixtures.make_case_study

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def media_from_storage(request, name: str):
    """The test settings keep uploads in memory and serve no /media/: serve the images from there,
    so that the screenshots show the case studies' pictures."""
    if not default_storage.exists(name):
        raise Http404
    return FileResponse(default_storage.open(name), content_type="image/png" if name.endswith(".png") else None)


urlpatterns = [re_path(r"^media/(?P<name>.+)$", media_from_storage), path("", include("config.urls"))]


@pytest.fixture(autouse=True)
def serve_media(settings):
    settings.ROOT_URLCONF = __name__


@pytest.fixture(params=list(SIZES))
def sized_page(browser, live_server, request):
    width, height = SIZES[request.param]
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.size_name = f"{width}x{height}"
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        RESULTS_DIR.mkdir(exist_ok=True)
        page.screenshot(path=str(RESULTS_DIR / f"public-site-failed-{request.node.name}.png"), full_page=True)
    context.close()


def no_sideways_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {page.size_name}"


@pytest.fixture
def public_site(site_tree, make_case_study, make_estate):
    from django.core.files.images import ImageFile
    from wagtail.images import get_image_model

    from cms.demo import facade_png

    for n, (title, estate) in enumerate((("洋河新村加装电梯纪实", "洋河新村"), ("金汤街小区雨污分流", "金汤街小区")), start=1):
        image = get_image_model()(title=f"{estate} 改造后")
        image.file = ImageFile(io.BytesIO(facade_png(after=True, seed=n, caption=f"{estate} 改造后")), name=f"e2e-{n}.png")
        image.save()
        case = make_case_study(title, slug=f"e2e-case-{n}")
        case.hero_image, case.hero_alt = image, f"{estate}改造后的楼栋外立面"
        case.save_revision().publish()
    today = timezone.localdate()
    estates = [make_estate("YH", name="洋河新村"), make_estate("JT", name="金汤街小区")]
    bulk_add_children(
        site_tree["notices"],
        NoticePage,
        [
            {
                "title": f"{estate.name}第{i}号公示",
                "slug": f"e2e-{estate.code.lower()}-{i}",
                "kind": "assembly_result",
                "estate": estate,
                "display_from": today - datetime.timedelta(days=i),
                "display_until": today + datetime.timedelta(days=20),
            }
            for estate in estates
            for i in range(1, 4)
        ],
    )
    return site_tree


def test_missing_page_is_branded(sized_page, public_site):
    page = sized_page
    response = page.goto("/no-such-page/")
    assert response.status == 404
    expect(page.locator("[data-testid=error-404]")).to_be_visible()
    expect(page.locator(".site-header .brand")).to_be_visible()
    expect(page.get_by_role("searchbox")).to_be_visible()
    no_sideways_scroll(page)
    with page.expect_navigation():
        page.locator("[data-testid=error-404] a.button").click()
    assert page.evaluate("location.pathname") == "/"


def test_home_page_layout_and_screenshot(sized_page, public_site):
    page = sized_page
    page.goto("/")
    expect(page.locator("link[rel=icon]").first).to_have_attribute("href", "/static/favicon.svg")
    expect(page.locator("h1")).to_be_visible()
    cards = page.locator(".story-card")
    expect(cards).to_have_count(2)
    expect(cards.first.locator("img")).to_have_attribute("alt", "金汤街小区改造后的楼栋外立面")
    page.wait_for_load_state("load")
    # The card pictures load lazily (and their renditions are made on first request): wait until each
    # has finished loading, then check that it drew something.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.story-card img')].every(image => image.complete)", timeout=15000
    )
    widths = cards.locator("img").evaluate_all("images => images.map(image => image.naturalWidth)")
    assert widths and all(width > 0 for width in widths), widths  # the drawn demo pictures show
    no_sideways_scroll(page)
    first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
    notices = page.locator("#notices-heading").bounding_box()
    policy = page.locator("#policy-heading").bounding_box()
    if page.size_name == "1280x800":
        # Balanced: the case studies side by side in a row of cards of one size, then the notices
        # beside the policy (and news) column, starting at the same height.
        assert abs(first["y"] - second["y"]) < 2 and second["x"] > first["x"] + first["width"] - 1
        assert abs(first["height"] - second["height"]) < 2
        assert abs(notices["y"] - policy["y"]) < 2 and policy["x"] > notices["x"] + 300
    else:
        # One column on a phone, each card as wide as the screen allows.
        assert second["y"] > first["y"] + first["height"] - 1 and first["width"] > 300
        assert policy["y"] > notices["y"]
    RESULTS_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS_DIR / f"home-{page.size_name}.png"), full_page=True)
    assert (RESULTS_DIR / f"home-{page.size_name}.png").stat().st_size > 10_000


def test_notices_filter_by_estate(sized_page, public_site):
    page = sized_page
    page.goto(public_site["notices"].url)
    expect(page.locator(".notice-row")).to_have_count(6)
    no_sideways_scroll(page)
    with page.expect_navigation():
        page.select_option("#notice-estate", "YH")  # submits itself (static/js/anju.js: data-autosubmit)
    assert "estate=YH" in page.url
    rows = page.locator(".notice-row")
    expect(rows).to_have_count(3)
    for text in rows.all_inner_texts():
        assert "洋河新村" in text and "金汤街" not in text
    expect(page.locator("#notice-estate")).to_have_value("YH")
    # "On display" keeps the estate chosen.
    with page.expect_navigation():
        page.locator(".filters a", has_text="正在公示").or_(page.locator(".filters a[href*='show=current']")).first.click()
    assert "estate=YH" in page.url and "show=current" in page.url
    expect(page.locator(".notice-row")).to_have_count(3)
    page.screenshot(path=str(RESULTS_DIR / f"notices-filtered-{page.size_name}.png"), full_page=True)
