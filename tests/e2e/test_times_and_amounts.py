"""Issue 10 items 1 and 2 in a real browser, at desktop (1280×800) and phone (390×844) sizes: the back office
and the portal show an assembly's voting deadline at the same Beijing time (物业管理条例 Art. 14 deadlines are
legal dates), and the arrears page writes money as ¥14,514.13. Screenshots: test-results/times-*.png."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from billing.models import ChargeKind
from billing.services import invoice_create_for_source
from estates.models import Owner, Ownership, Unit
from property_services.models import Assembly
from tests.conftest import PASSWORD
from tests.e2e.conftest import RESULTS_DIR
from tests.e2e.test_governance_journey import portal_login
from tests.property_services.conftest import call_assembly, make_assembly, make_committee

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CLOSES = datetime.datetime(2026, 12, 20, 18, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
SHOWN = "2026-12-20 18:30"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def world(make_estate, make_user):
    estate = make_estate("TIME-E2E", name="和平新村", units_per_building=2, area=Decimal("80.00"))
    units = list(Unit.objects.filter(building__estate=estate).order_by("number"))
    owner_user = make_user("13800006001", Role.OWNER, name="陈建华")
    owner = Owner.objects.create(estate=estate, name="陈建华", user=owner_user)
    Ownership.objects.create(unit=units[0], owner=owner, share=Decimal("1"), since=datetime.date(2001, 5, 1))
    other = Owner.objects.create(estate=estate, name="刘秀英")
    Ownership.objects.create(unit=units[1], owner=other, share=Decimal("1"), since=datetime.date(2001, 5, 1))
    chair = make_user("13900006001", Role.COMMITTEE_MEMBER, estate=estate, name="冉桂芳")
    make_committee(estate, [Owner.objects.create(estate=estate, name="冉桂芳", user=chair)])
    make_user("13900006002", Role.ESTATE_STAFF, estate=estate, name="何晓燕")
    draft = make_assembly(estate)
    Assembly.objects.filter(pk=draft.pk).update(voting_closes_at=CLOSES)
    draft.refresh_from_db()
    assembly = call_assembly(draft, chair)
    for unit, who, total in ((units[0], owner, "14000.00"), (units[1], other, "514.13")):
        invoice_create_for_source(
            source=unit,
            estate=estate,
            unit=unit,
            charge_kind=ChargeKind.OTHER,
            period=datetime.date(2026, 10, 1),
            payer_owner=who,
            payer_user=who.user,
            payer_name=who.name,
            lines=[("物业服务费", Decimal("1"), Decimal(total))],
            due_on=timezone.localdate() + datetime.timedelta(days=30),
        )
    return assembly


def shot(page, name):
    RESULTS_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS_DIR / f"times-{name}.png"), full_page=True)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_back_office_and_portal_show_the_same_beijing_time(page, browser, live_server, login, world, size):
    page.set_viewport_size(SIZES[size])
    login(page, live_server, "13900006002", PASSWORD)
    page.goto(f"/admin/property_services/assembly/inspect/{world.pk}/")
    back_office = page.locator("main dl").inner_text()
    shot(page, f"{size}-backoffice-assembly")
    assert SHOWN in back_office and "10:30" not in back_office  # not UTC

    owner = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport=SIZES[size])
    try:
        portal = owner.new_page()
        portal_login(portal, "13800006001")
        portal.goto(f"/portal/governance/{world.pk}/")
        shot(portal, f"{size}-portal-assembly")
        assert SHOWN in portal.locator("main").inner_text()
    finally:
        owner.close()

    page.goto("/admin/billing/arrears/")
    shot(page, f"{size}-backoffice-arrears")
    total = page.locator("[data-testid=arrears-total]").inner_text()
    assert total == "¥14,514.13"
