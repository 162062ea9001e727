"""Page types, case-study facts, notice periods, sitemap, robots.txt and Open Graph tags."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from cms.models import (
    CaseStudyIndexPage,
    CaseStudyPage,
    HomePage,
    NewsIndexPage,
    NewsPage,
    NoticeIndexPage,
    NoticePage,
    PolicyPage,
)
from tests.cms.conftest import publish_child

pytestmark = pytest.mark.django_db


def allowed_children(model):
    return {m.__name__ for m in model.allowed_subpage_models()}


def test_page_type_rules():
    assert allowed_children(HomePage) == {"CaseStudyIndexPage", "NoticeIndexPage", "NewsIndexPage", "PolicyPage"}
    assert allowed_children(CaseStudyIndexPage) == {"CaseStudyPage"}
    assert allowed_children(NoticeIndexPage) == {"NoticePage"}
    assert allowed_children(NewsIndexPage) == {"NewsPage"}
    for leaf in (CaseStudyPage, NoticePage, NewsPage, PolicyPage):
        assert allowed_children(leaf) == set(), leaf
    assert {m.__name__ for m in CaseStudyPage.allowed_parent_page_models()} == {"CaseStudyIndexPage"}
    assert {m.__name__ for m in NoticePage.allowed_parent_page_models()} == {"NoticeIndexPage"}
    assert {m.__name__ for m in NewsPage.allowed_parent_page_models()} == {"NewsIndexPage"}
    assert {m.__name__ for m in PolicyPage.allowed_parent_page_models()} == {"HomePage"}


def test_a_case_study_cannot_go_under_news(site_tree):
    assert not CaseStudyPage.can_create_at(site_tree["news"])
    assert CaseStudyPage.can_create_at(site_tree["case_studies"])
    assert not NoticePage.can_create_at(site_tree["home"])
    # one notices section per site: the sync needs to know where notices go
    assert not NoticeIndexPage.can_create_at(site_tree["home"])


def test_image_blocks_require_alt_text():
    from django.core.exceptions import ValidationError

    from cms.blocks import ImageBlock

    block = ImageBlock()
    with pytest.raises(ValidationError):
        block.clean({"image": None, "alt_text": "", "caption": ""})


def test_home_page_shows_live_figures_and_latest_content(client, site_tree, make_project, make_case_study):
    project = make_project("P1")
    make_case_study("洋河新村加装电梯纪实", project=project)
    project.estate.buildings.update(lift_added_year=2023)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    figures = re.search(r'data-testid="city-figures">(.*?)</ul>', html, re.S).group(1)
    # one renovated estate with two units in a building that got a lift
    assert re.search(r"<strong>1</strong>\s*estates renovated|<strong>1</strong>", figures)
    assert "<strong>2</strong>" in figures
    assert "洋河新村加装电梯纪实" in html
    assert 'href="/rentals/"' in html


def test_case_study_shows_the_projects_live_facts_after_the_project_changes(client, make_project, make_case_study):
    from estates.models import ContentItem, FundingLine, ManagementModel

    project = make_project("P2")
    page = make_case_study("通远门新村改造纪实", project=project)
    html = client.get(page.url).content.decode()
    assert "2,000,000.00" in html  # the total of the three funding lines
    assert "加装电梯 4部" in html
    assert 'data-testid="funding-chart"' in html and "<svg" in html

    # The project record changes after the page was published: the page follows, no re-publishing.
    FundingLine.objects.filter(project=project, source="residents").update(amount=Decimal("800000.00"))
    FundingLine.objects.create(project=project, source="social_capital", amount=Decimal("250000.00"))
    ContentItem.objects.filter(project=project, title="加装电梯").update(quantity=Decimal("6"))
    ContentItem.objects.create(project=project, content_class="basic", title="消防", quantity=Decimal("12"), measure="处")
    project.management_model_after = ManagementModel.SELF_GOVERNANCE
    project.completed_on = datetime.date(2024, 1, 15)
    project.save()

    html = client.get(page.url).content.decode()
    assert 'data-testid="funding-total">2,750,000.00<' in html
    assert "加装电梯 6部" in html and "消防 12处" in html
    assert "社会资本" in html or "Social capital" in html
    assert re.search(r'data-source="social_capital"', html)
    management = re.search(r'data-testid="management-model">(.*?)</dd>', html).group(1)
    assert management in ("居民自治", "Residents' self-governance") or "self" in management.lower() or "自治" in management
    assert "2024-01-15" in html


def test_case_study_chart_bars_follow_the_amounts(client, make_project, make_case_study):
    project = make_project("P3")
    page = make_case_study(project=project)
    html = client.get(page.url).content.decode()
    widths = {
        m.group(1): int(m.group(2))
        for m in re.finditer(r'data-source="(\w+)">(?:\s*<text[^>]*>[^<]*</text>)*\s*<rect x="\d+" y="\d+" width="(\d+)"', html)
    }
    assert widths["central_government"] > widths["district_government"] > widths["residents"] > 0


def make_notice_page(site_tree, *, start, end, title="关于召开业主大会的公告"):
    return publish_child(
        site_tree["notices"],
        NoticePage(
            title=title, slug=f"n-{start:%Y%m%d}-{end:%Y%m%d}", kind="assembly_call", display_from=start, display_until=end
        ),
    )


def test_notice_display_period_current_and_ended(client, site_tree):
    today = timezone.localdate()
    current = make_notice_page(site_tree, start=today - datetime.timedelta(days=2), end=today + datetime.timedelta(days=5))
    ended = make_notice_page(
        site_tree, start=today - datetime.timedelta(days=40), end=today - datetime.timedelta(days=10), title="上季度公共收益公示"
    )
    assert current.is_current() and not current.has_ended()
    assert ended.has_ended() and not ended.is_current()

    html = client.get(current.url).content.decode()
    period = re.search(r'data-testid="display-period">(.*?)</p>', html, re.S).group(1)
    assert f"{current.display_from:%Y-%m-%d}" in period and f"{current.display_until:%Y-%m-%d}" in period
    assert "badge-current" in period and "badge-ended" not in period

    html = client.get(ended.url).content.decode()
    period = re.search(r'data-testid="display-period">(.*?)</p>', html, re.S).group(1)
    assert "badge-ended" in period

    # The archive keeps ended notices, marked as ended; "current" leaves them out.
    index_url = site_tree["notices"].url
    listing = client.get(index_url).content.decode()
    assert "上季度公共收益公示" in listing and "关于召开业主大会的公告" in listing
    current_only = client.get(index_url, {"show": "current"}).content.decode()
    assert "上季度公共收益公示" not in current_only and "关于召开业主大会的公告" in current_only
    archive = client.get(index_url, {"show": "ended"}).content.decode()
    assert "上季度公共收益公示" in archive and "关于召开业主大会的公告" not in archive


def test_notice_period_must_not_end_before_it_starts(site_tree):
    from django.core.exceptions import ValidationError

    page = NoticePage(title="x", slug="x", display_from=datetime.date(2025, 5, 2), display_until=datetime.date(2025, 5, 1))
    with pytest.raises(ValidationError):
        page.clean()


def test_sitemap_lists_live_pages_only(client, site_tree, make_case_study):
    live = make_case_study("公开的案例", slug="public-case")
    draft = CaseStudyPage(title="草稿案例", slug="draft-case", intro="x", live=False)
    site_tree["case_studies"].add_child(instance=draft)
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    xml = response.content.decode()
    assert "/case-studies/public-case/" in xml
    assert "/case-studies/draft-case/" not in xml
    assert "/policy/" in xml
    assert live.pk


def test_robots_txt(client, site_tree):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "User-agent: *" in text
    assert "Disallow: /admin/" in text
    assert "Sitemap: http://testserver/sitemap.xml" in text


def og(html: str, prop: str) -> str | None:
    match = re.search(rf'<meta property="og:{prop}" content="([^"]*)"', html)
    return match.group(1) if match else None


def test_open_graph_tags(client, site_tree, make_case_study):
    page = make_case_study("通远门新村的新面貌", intro="社区物业服务中心托底管理。")
    html = client.get(page.url).content.decode()
    assert og(html, "title") == "通远门新村的新面貌"
    assert og(html, "description") == "社区物业服务中心托底管理。"
    assert og(html, "image").startswith("http://testserver/")
    assert og(html, "type") == "article"
    home_html = client.get("/").content.decode()
    assert og(home_html, "title") and og(home_html, "image").endswith(".png")


def test_case_study_with_a_photo_uses_it_for_previews(client, make_case_study):
    import io

    from django.core.files.images import ImageFile
    from wagtail.images import get_image_model

    from cms.demo import facade_png

    image = get_image_model()(title="改造后")
    image.file = ImageFile(io.BytesIO(facade_png(after=True, seed=1, width=320, height=200)), name="after.png")
    image.save()
    page = make_case_study("有照片的案例")
    page.hero_image = image
    page.hero_alt = "改造后的外立面"
    page.save_revision().publish()
    html = client.get(page.url).content.decode()
    assert "/images/" in og(html, "image") or "/media/" in og(html, "image") or "original_images" in og(html, "image")
    assert 'alt="改造后的外立面"' in html


def test_hero_photo_needs_alt_text(make_case_study):
    from django.core.exceptions import ValidationError

    page = make_case_study()
    page.hero_image_id = 1
    page.hero_alt = ""
    with pytest.raises(ValidationError):
        page.clean()


def test_policy_page_from_the_seed_text():
    from cms.demo import SEED_POLICY, policy_blocks

    text = SEED_POLICY.read_text(encoding="utf-8")
    title, number, blocks = policy_blocks(text)
    assert title == "关于全面推进城镇老旧小区改造和社区服务提升工作的实施意见"
    assert number == "渝府办发〔2021〕82号"
    headings = [b[1]["text"] for b in blocks if b[0] == "heading" and b[1]["level"] == "h2"]
    assert headings[0] == "一、总体要求"
    assert any(h.startswith("二、") for h in headings)
