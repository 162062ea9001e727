"""Governance in a real browser: a committee member calls an assembly in the back office, two owners vote
in the portal (one changes her mind), staff record a paper ballot, the committee publishes the result and
an owner reads pass/fail with the four Art. 278 percentages."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import override
from playwright.sync_api import expect

from accounts.models import Role
from estates.models import Owner, Ownership, Unit
from property_services import services
from property_services.models import (
    Assembly,
    AssemblyStatus,
    Ballot,
    BallotChoice,
    CommitteeMember,
    Notice,
    NoticeKind,
    OwnersCommittee,
)
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def estate_with_owners(make_estate, make_user):
    estate = make_estate("GOV-E2E", name="和平新村", units_per_building=3, area=Decimal("80.00"))  # 80, 81, 82 m²
    units = list(Unit.objects.filter(building__estate=estate).order_by("number"))
    people = [("13800005001", "陈建华"), ("13800005002", "刘秀英"), (None, "王德明")]
    owners = []
    for unit, (mobile, name) in zip(units, people, strict=True):
        user = make_user(mobile, Role.OWNER, name=name) if mobile else None
        owner = Owner.objects.create(estate=estate, name=name, user=user)
        Ownership.objects.create(unit=unit, owner=owner, share=Decimal("1"), since=datetime.date(2001, 5, 1))
        owners.append(owner)
    chair = make_user("13900005001", Role.COMMITTEE_MEMBER, estate=estate, name="冉桂芳")
    elected = timezone.localdate() - datetime.timedelta(days=100)
    term_ends = elected + datetime.timedelta(days=5 * 365)
    services.committee_save(  # the committee in office calls the assembly (物业管理条例 Art. 13)
        committee=OwnersCommittee(estate=estate, elected_on=elected, term_ends_on=term_ends, filed_on=elected),
        members=[
            CommitteeMember(
                owner=Owner.objects.create(estate=estate, name="冉桂芳", user=chair),
                role="chair",
                term_starts_on=elected,
                term_ends_on=term_ends,
            )
        ],
    )
    make_user("13900005002", Role.ESTATE_STAFF, estate=estate, name="何晓燕")
    return estate, owners


def portal_login(page, mobile):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", mobile)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def save_button(page):
    return page.locator("form[method=post] button[type=submit]").filter(has_text=re.compile("保存|Save|创建|Create")).first


def fill_date(page, selector, value):
    """Type into a Wagtail date(-time) field and close its picker so it does not cover the form."""
    page.fill(selector, value)
    page.keyboard.press("Tab")
    page.locator("body").click(position={"x": 5, "y": 5})


def follow_action(page, path_fragment):
    """Open a back-office action from the header's "more" menu of the current page (found by its address,
    so the test does not depend on the translation of its label)."""
    page.locator("#w-slim-header-buttons .w-dropdown__toggle").click()
    with page.expect_navigation():
        page.locator(f"a[href*='{path_fragment}']").first.click()


def owner_votes(page, assembly_title, choice_value):
    page.goto("/portal/governance/")
    page.get_by_role("link", name=assembly_title).click()
    page.locator(f"[data-testid=vote-form] input[type=radio][value={choice_value}]").first.check()
    with page.expect_navigation():
        page.locator("[data-testid=vote-form] button[type=submit]").click()
    expect(page.locator(".messages")).to_be_visible()


def test_assembly_from_call_to_published_result(page, live_server, login, estate_with_owners, browser):
    estate, (chen, liu, wang) = estate_with_owners
    now = timezone.localtime()
    today = now.date()
    title = "关于更换小区门禁系统的业主大会"

    # 1. The committee member drafts the assembly and calls it.
    login(page, live_server, "13900005001", PASSWORD)
    page.goto("/admin/property_services/assembly/new/")
    page.select_option("select[name=estate]", label="和平新村")
    page.fill("input[name=title]", title)
    fill_date(page, "input[name=meeting_on]", (today + datetime.timedelta(days=16)).isoformat())
    page.fill("input[name=location]", "小区活动室")
    fill_date(page, "input[name=notice_on]", today.isoformat())
    # 物业管理条例 Art. 14: voting opens no earlier than day 15 after the notice
    fill_date(page, "input[name=voting_opens_at]", f"{(today + datetime.timedelta(days=15)).isoformat()} 09:00")
    fill_date(page, "input[name=voting_closes_at]", f"{(today + datetime.timedelta(days=16)).isoformat()} 18:00")
    page.select_option("select[name='matters-0-matter']", "other_major")
    page.fill("input[name='matters-0-title']", "更换小区门禁系统")
    with page.expect_navigation():
        save_button(page).click()
    assembly = Assembly.objects.get(title=title)
    assert assembly.status == AssemblyStatus.DRAFT

    page.goto(f"/admin/property_services/assembly/edit/{assembly.pk}/")
    follow_action(page, "/assembly/call/")
    expect(page.get_by_text("15", exact=False).first).to_be_visible()
    page.fill("input[name=residents_committee_note]", "书面通知已送达和平社区居委会")
    with page.expect_navigation():
        page.locator("main form[method=post] button[type=submit]").click()
    assembly.refresh_from_db()
    assert assembly.status == AssemblyStatus.CALLED
    assert Notice.objects.filter(kind=NoticeKind.ASSEMBLY_CALL, estate=estate).exists()

    # Fifteen days pass: voting is open (the dates move back instead of the clock moving on).
    back = datetime.timedelta(days=15)
    Assembly.objects.filter(pk=assembly.pk).update(
        notice_on=assembly.notice_on - back,
        meeting_on=assembly.meeting_on - back,
        voting_opens_at=assembly.voting_opens_at - back - datetime.timedelta(hours=10),
        voting_closes_at=assembly.voting_closes_at - back,
    )
    assembly.refresh_from_db()
    assert assembly.voting_is_open()

    # 2. Two owners vote in the portal; 刘秀英 first votes no, then changes to yes before the close.
    owner_page = browser.new_context(locale="zh-CN", base_url=live_server.url).new_page()
    portal_login(owner_page, "13800005001")
    owner_votes(owner_page, title, "yes")
    portal_login(page, "13800005002")
    owner_votes(page, title, "no")
    owner_votes(page, title, "yes")
    matter = assembly.matters.get()
    with override("zh-hans"):
        yes = str(BallotChoice.YES.label)
    expect(page.locator(f"[data-testid=my-ballot-{matter.pk}]")).to_contain_text(yes)
    assert Ballot.objects.get(owner=liu).choice == "yes"

    # 3. Staff record 王德明's paper ballot (he voted no on paper).
    page.context.clear_cookies()
    login(page, live_server, "13900005002", PASSWORD)
    page.goto("/admin/property_services/ballot/new/")
    page.select_option("select[name=matter]", str(matter.pk))
    page.select_option("select[name=owner]", str(wang.pk))
    page.select_option("select[name=choice]", "no")
    page.select_option("select[name=channel]", "paper")
    page.fill("input[name=paper_reference]", "HP-0001")
    with page.expect_navigation():
        save_button(page).click()
    assert Ballot.objects.get(owner=wang).paper_reference == "HP-0001"

    # 4. Voting closes (time passes); the committee member publishes the result.
    Assembly.objects.filter(pk=assembly.pk).update(voting_closes_at=timezone.now() - datetime.timedelta(minutes=1))
    page.context.clear_cookies()
    login(page, live_server, "13900005001", PASSWORD)
    page.goto(f"/admin/property_services/assembly/edit/{assembly.pk}/")
    follow_action(page, "/assembly/publish/")
    with page.expect_navigation():
        page.locator("main form[method=post] button[type=submit]").click()
    assembly.refresh_from_db()
    assert assembly.status == AssemblyStatus.PUBLISHED
    assert Notice.objects.get(kind=NoticeKind.ASSEMBLY_RESULT, estate=estate).pdf

    # 5. The owner reads the result: yes 陈 80 + 刘 81 = 161 of 243 m² and 2 of 3 owners; all took part.
    owner_page.goto(f"/portal/governance/{assembly.pk}/")
    result = owner_page.locator(f"[data-testid=result-{matter.pk}]")
    expect(result.locator("[data-testid=outcome]")).to_have_class(re.compile("passed"))
    expect(result.locator("[data-testid=participating-area]")).to_have_text("100.00%")
    expect(result.locator("[data-testid=participating-owners]")).to_have_text("100.00%")
    expect(result.locator("[data-testid=yes-area]")).to_have_text("66.26%")
    expect(result.locator("[data-testid=yes-owners]")).to_have_text("66.67%")
    expect(owner_page.get_by_text("HP-0001")).to_have_count(0)  # nobody else's ballot
    owner_page.context.close()
