"""Fixtures of the public-site tests: the site tree and a renovation project with its facts."""

import datetime
from decimal import Decimal

import pytest


@pytest.fixture
def home(db):
    """The home page (made by migration; rebuilt when a transactional test flushed it)."""
    from cms.demo import _home

    return _home({"pages": 0, "images": 0})


def publish_child(parent, page):
    page.live = False
    parent.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


@pytest.fixture
def site_tree(home):
    """home → case studies, notices, news, and a policy page; all live."""
    from cms.models import CaseStudyIndexPage, NewsIndexPage, NoticeIndexPage, PolicyPage

    return {
        "home": home,
        "case_studies": publish_child(home, CaseStudyIndexPage(title="典型案例", slug="case-studies", show_in_menus=True)),
        "notices": publish_child(home, NoticeIndexPage(title="公示公告", slug="notices", show_in_menus=True)),
        "news": publish_child(home, NewsIndexPage(title="新闻动态", slug="news", show_in_menus=True)),
        "policy": publish_child(
            home,
            PolicyPage(
                title="关于全面推进城镇老旧小区改造的实施意见",
                slug="policy",
                document_number="渝府办发〔2021〕82号",
                body=[("paragraph", "<p>坚持共谋共建共管共评共享。</p>")],
            ),
        ),
    }


@pytest.fixture
def make_project(make_estate):
    """make_project(estate_code="P1", items=[(class, title, qty, measure)], funding=[(source, amount)])"""
    from estates.models import ContentItem, FundingLine, ManagementModel, ProjectStatus, RenovationProject

    def _make(code="P1", *, name=None, items=None, funding=None, **fields):
        estate = make_estate(code, name=f"{code}小区")
        project = RenovationProject.objects.create(
            estate=estate,
            name=name or f"{estate.name}改造提升项目",
            year=2023,
            status=fields.pop("status", ProjectStatus.COMPLETED),
            started_on=fields.pop("started_on", datetime.date(2023, 3, 1)),
            completed_on=fields.pop("completed_on", datetime.date(2023, 11, 30)),
            management_model_after=fields.pop("management_model_after", ManagementModel.PROFESSIONAL),
            **fields,
        )
        for content_class, title, quantity, measure in items or [
            ("basic", "排水", Decimal("320"), "米"),
            ("improvement", "加装电梯", Decimal("4"), "部"),
            ("upgrade", "养老", Decimal("120"), "平方米"),
        ]:
            ContentItem.objects.create(
                project=project, content_class=content_class, title=title, quantity=quantity, measure=measure
            )
        for source, amount in funding or [
            ("central_government", Decimal("1200000.00")),
            ("residents", Decimal("300000.00")),
            ("district_government", Decimal("500000.00")),
        ]:
            FundingLine.objects.create(project=project, source=source, amount=Decimal(amount))
        return project

    return _make


@pytest.fixture
def make_case_study(site_tree):
    from cms.models import CaseStudyPage

    def _make(title="金汤街小区改造纪实", *, project=None, intro="本小区完成加装电梯12部。", body=None, slug=None):
        page = CaseStudyPage(
            title=title,
            slug=slug or f"case-{CaseStudyPage.objects.count() + 1}",
            project=project,
            intro=intro,
            body=body if body is not None else [("paragraph", "<p>改造后由专业物业服务企业管理。</p>")],
        )
        return publish_child(site_tree["case_studies"], page)

    return _make
