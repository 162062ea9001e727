"""A site editor writes a case study, a moderator approves it, the public reads and finds it."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from cms.models import CaseStudyPage
from cms.services import site_permissions_ensure
from tests.cms import conftest as cms_fixtures
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The public-site fixtures (tests/cms/conftest.py), shared with this journey.
home = cms_fixtures.home
site_tree = cms_fixtures.site_tree
make_project = cms_fixtures.make_project

TITLE = "洋河新村：加装电梯让老人下楼不再难"
SUMMARY = "本小区完成加装电梯12部，居民自治管理。"


def open_action_menu_item(page, selector: str):
    """Footer actions other than the first sit in a drop-down: open it when the item is hidden."""
    item = page.locator(selector).first
    if not item.is_visible():
        page.locator("footer [data-w-dropdown-target='toggle'], footer .w-dropdown__toggle").first.click()
    expect(item).to_be_visible()
    return item


def test_editor_writes_moderator_publishes_public_reads_and_finds(
    browser, live_server, login, make_user, make_project, site_tree
):
    project = make_project("E1", name="洋河新村综合改造工程")
    site_permissions_ensure()
    make_user("13900000004", Role.CMS_EDITOR, name="蒋雨萱")
    make_user("13900000000", Role.PLATFORM_ADMIN, name="周立新")

    # --- the editor drafts the case study and submits it for moderation -------------------------
    editor_ctx = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport={"width": 1280, "height": 900})
    editor_ctx.set_default_timeout(20_000)
    editor = editor_ctx.new_page()
    login(editor, live_server, "13900000004", PASSWORD)
    editor.goto(f"/admin/pages/add/cms/casestudypage/{site_tree['case_studies'].pk}/")
    editor.fill("#id_title", TITLE)
    editor.fill("#id_intro", SUMMARY)
    # the project, through the scoped chooser modal
    editor.locator("[data-chooser-action-choose], button.action-choose").first.click()
    modal = editor.locator(".modal-dialog").first
    expect(modal).to_be_visible()
    modal.get_by_role("link", name=project.name).first.click()
    expect(editor.locator("[data-chooser-title], .chooser__title").first).to_have_text(project.name)
    submit = open_action_menu_item(editor, "button[name='action-submit']")
    with editor.expect_navigation():
        submit.click()
    case = CaseStudyPage.objects.get(title=TITLE)
    assert not case.live
    assert case.project_id == project.pk
    assert case.current_workflow_state is not None and case.current_workflow_state.status == "in_progress"
    # not on the public site yet
    assert editor.goto(f"{live_server.url}/case-studies/").ok
    expect(editor.get_by_text(TITLE)).to_have_count(0)
    editor_ctx.close()

    # --- the approver approves, which publishes it ---------------------------------------------
    approver_ctx = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport={"width": 1280, "height": 900})
    approver_ctx.set_default_timeout(20_000)
    approver = approver_ctx.new_page()
    login(approver, live_server, "13900000000", PASSWORD)
    approver.goto(f"/admin/pages/{case.pk}/edit/")
    approve = open_action_menu_item(approver, "button[data-workflow-action-name='approve']:not([data-workflow-action-modal-url])")
    with approver.expect_navigation():
        approve.click()
    case.refresh_from_db()
    assert case.live, "approving the last task publishes the page"

    # --- the public page shows the project's funding chart -------------------------------------
    approver.goto(case.url)
    expect(approver.locator("h1")).to_have_text(TITLE)
    chart = approver.locator("[data-testid=funding-chart] svg")
    expect(chart).to_be_visible()
    expect(chart.locator("rect")).to_have_count(3)
    expect(approver.locator("[data-testid=funding-total]")).to_have_text("2,000,000.00")

    # --- and search finds it by a Chinese substring ---------------------------------------------
    approver.goto("/")
    approver.fill("#home-search", "加装电梯")
    with approver.expect_navigation():
        approver.locator("form[role=search] button[type=submit]").click()
    results = approver.locator("[data-testid=search-results]")
    expect(results.get_by_role("link", name=TITLE)).to_be_visible()
    expect(results.locator("mark").first).to_have_text(re.compile("加装电梯|加装|电梯"))
    approver.goto("/search/?q=电梯")
    expect(approver.locator("[data-testid=search-results]").get_by_role("link", name=TITLE)).to_be_visible()
    approver_ctx.close()
