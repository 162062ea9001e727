"""A repair in Chromium (issue 14), end to end: a tenant registered in a flat (住房租赁条例 Art. 37) reports a
leak with a photo from the portal; the estate's staff accept, assign it to a contractor, start and resolve it in
the back office; the tenant rejects the resolution once (it is reopened, the count kept), staff resolve it again,
the tenant confirms and rates it; the officers' dashboard shows it."""

import datetime
import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from accounts.models import Role
from property_services.models import Contractor, UnitResident, WorkOrder, WorkOrderCategory, WorkOrderStatus
from tests.billing.factories import billed_estate
from tests.conftest import PASSWORD
from tests.e2e.conftest import admin_login
from tests.e2e.test_governance_journey import portal_login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 90, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def world(make_user):
    estate, units = billed_estate(units=2, code="WO-E2E")
    estate.name = "嘉陵新村"
    estate.save(update_fields=["name"])
    tenant = make_user("13700081001", Role.TENANT, name="王浩宇")
    UnitResident.objects.create(unit=units[1], user=tenant, since=datetime.date(2026, 1, 1))
    WorkOrderCategory.objects.create(estate=estate, name="水电急修", response_hours=2, completion_hours=24)
    Contractor.objects.create(estate=estate, name="嘉陵水电维修部", trade="水电")
    make_user("13900081001", Role.ESTATE_STAFF, estate=estate, name="何晓燕")
    make_user("13900081002", Role.SUBDISTRICT_OFFICER, subdistrict=estate.community.subdistrict, name="谭志刚")
    return estate


def staff_move(page, order, action, fill=None):
    """On the order's back-office page, follow an action's button, fill its form and send it."""
    page.goto(f"/admin/property_services/workorder/inspect/{order.pk}/")
    page.locator(f"[data-testid={action}]").click()
    page.wait_for_url(f"**/{action}/{order.pk}/")
    if fill:
        fill(page)
    with page.expect_navigation():
        page.locator("main form[method=post] button[type=submit]").click()
    order.refresh_from_db()


def test_a_tenant_reports_a_leak_staff_fix_it_twice_and_the_tenant_confirms_and_rates(page, live_server, world):
    estate = world
    # 1. The tenant reports the leak, with a photo, from the portal (phone-first pages).
    page.set_viewport_size({"width": 390, "height": 844})
    portal_login(page, "13700081001")
    page.goto("/portal/repairs/")
    form = page.locator("[data-testid=report-form]")
    form.locator("select[name=category]").select_option(label=f"{estate.name} · 水电急修")
    form.locator("select[name=where]").select_option(index=0)  # my home
    form.locator("textarea[name=description]").fill("卫生间天花板漏水，滴到地上")
    form.locator("input[name=photos]").set_input_files([{"name": "leak.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    order = WorkOrder.objects.get(estate=estate)
    assert order.reporter.mobile == "13700081001" and order.photos.count() == 1
    expect(page.locator("[data-testid=status]")).to_have_text("已提交")  # the order's own page
    expect(page.locator("img.photo")).to_be_visible()
    page.context.clear_cookies()

    # 2. Staff accept, assign to the contractor, start and resolve it.
    page.set_viewport_size({"width": 1280, "height": 900})
    admin_login(page, live_server, "13900081001", PASSWORD)
    page.goto(f"/admin/property_services/workorder/inspect/{order.pk}/")
    expect(page.locator("img[src*='/photo/']").first).to_be_visible()
    staff_move(page, order, "accept")
    staff_move(page, order, "assign", lambda p: p.select_option("select[name=contractor]", index=1))
    staff_move(page, order, "start")
    staff_move(page, order, "resolve", lambda p: p.fill("textarea[name=resolution]", "更换了渗漏的水管接头"))
    assert order.status == WorkOrderStatus.RESOLVED and order.contractor.name == "嘉陵水电维修部"
    page.context.clear_cookies()

    # 3. The tenant rejects once: it is reopened to the contractor, the count kept.
    page.set_viewport_size({"width": 390, "height": 844})
    portal_login(page, "13700081001")
    page.goto(f"/portal/repairs/{order.pk}/")
    page.fill("[name=reason]", "还在滴水")
    with page.expect_navigation():
        page.locator("[data-testid=reject]").click()
    order.refresh_from_db()
    assert order.status == WorkOrderStatus.ASSIGNED and order.reopen_count == 1
    expect(page.locator("[data-testid=reopened]")).to_contain_text("1")
    page.context.clear_cookies()

    # 4. Staff fix it again.
    page.set_viewport_size({"width": 1280, "height": 900})
    admin_login(page, live_server, "13900081001", PASSWORD)
    staff_move(page, order, "start")
    staff_move(page, order, "resolve", lambda p: p.fill("textarea[name=resolution]", "重新密封了楼上的排水管"))
    page.context.clear_cookies()

    # 5. The tenant confirms and rates it 4 out of 5.
    page.set_viewport_size({"width": 390, "height": 844})
    portal_login(page, "13700081001")
    page.goto(f"/portal/repairs/{order.pk}/")
    with page.expect_navigation():
        page.locator("[data-testid=confirm]").click()
    page.locator("input[name=rating][value='4']").check()
    with page.expect_navigation():
        page.locator("[data-testid=rate]").click()
    expect(page.locator("[data-testid=rating]")).to_contain_text("4/5")
    order.refresh_from_db()
    assert order.status == WorkOrderStatus.CONFIRMED and order.rating == 4 and order.reopen_count == 1
    assert [c.to_status for c in order.status_changes.all()] == [
        "submitted",
        "accepted",
        "assigned",
        "in_progress",
        "resolved",
        "assigned",
        "in_progress",
        "resolved",
        "confirmed",
    ]

    page.context.clear_cookies()

    # 6. The sub-district officer's dashboard shows it: rated 4, answered within both limits, nothing open.
    page.set_viewport_size({"width": 1280, "height": 900})
    admin_login(page, live_server, "13900081002", PASSWORD)
    page.goto("/admin/estates/area-dashboard/")  # one area: straight to the officer's sub-district
    row = page.locator(f"[data-testid=league] tr[data-estate='{estate.code}']")
    expect(row.locator("td[data-col=rating]")).to_contain_text("4")
    expect(row.locator("td[data-col=response]")).to_contain_text("100")
    expect(row.locator("td[data-col=completion]")).to_contain_text("100")
    expect(row.locator("td[data-col=open]")).to_have_text("0")
    expect(page.locator("[data-testid=satisfaction]")).to_contain_text("4")
