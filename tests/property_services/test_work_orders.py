"""Work orders (报修/投诉, issue 14): residents report with photos, staff answer within the category's time limits,
the resident confirms or rejects (reopening) and rates; paid repairs in a unit are billed, common parts never."""

import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import Role
from billing.models import Invoice
from property_services.models import (
    Contractor,
    UnitResident,
    WorkOrder,
    WorkOrderCategory,
    WorkOrderStatus,
)
from property_services.services.work_orders import (
    work_order_accept,
    work_order_assign,
    work_order_close,
    work_order_resolve,
    work_order_return,
    work_order_start,
    work_order_transfer,
    work_orders_flag_overdue,
)
from property_services.work_order_clock import add_office_hours, due_times, is_overdue
from tests.billing.factories import billed_estate
from tests.property_services.conftest import make_owners

pytestmark = pytest.mark.django_db

PAGE = reverse("repairs_portal:page")
BJ = ZoneInfo("Asia/Shanghai")


def jpeg(name="leak.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def estate(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    estate, units = billed_estate(units=3, owners=False, code="WO1")
    owners = make_owners(estate, make_user, prefix="1380031")
    tenant = make_user("13700003101", Role.TENANT)
    UnitResident.objects.create(unit=units[2], user=tenant, since=datetime.date(2025, 1, 1))
    other, other_units = billed_estate(units=1, owners=False, code="WO2")
    strangers = make_owners(other, make_user, prefix="1380032")
    return {
        "estate": estate,
        "units": units,
        "owner": owners[0],  # holds units 0 and 1
        "neighbour": owners[1],  # holds unit 2, where the tenant lives
        "tenant": tenant,
        "staff": make_user("13900003101", Role.ESTATE_STAFF, estate=estate),
        "fitter": make_user("13900003102", Role.ESTATE_STAFF, estate=estate),
        "other_staff": make_user("13900003103", Role.ESTATE_STAFF, estate=other),
        "stranger": strangers[0],
        "leak": WorkOrderCategory.objects.create(estate=estate, name="漏水", response_hours=2, completion_hours=24),
        "plumber": Contractor.objects.create(estate=estate, name="渝通水电", trade="水电"),
        "other_plumber": Contractor.objects.create(estate=other, name="外区水电"),
        "other_category": WorkOrderCategory.objects.create(estate=other, name="漏水", response_hours=2, completion_hours=24),
    }


def report(client, user, e, *, where, **extra):
    client.force_login(user)
    data = {"category": e["leak"].pk, "where": where, "place": "", "description": "卫生间天花板漏水", **extra}
    return client.post(PAGE, data)


def test_a_tenant_reports_a_leak_with_a_photo_and_follows_it(client, e):
    response = report(client, e["tenant"], e, where=f"unit-{e['units'][2].pk}", photos=[jpeg()])
    order = WorkOrder.objects.get()
    assert response.status_code == 302 and response.url == reverse("repairs_portal:order", args=[order.pk])
    assert (order.reporter, order.unit, order.status, order.estate) == (e["tenant"], e["units"][2], "submitted", e["estate"])
    assert order.response_due_at == order.submitted_at + datetime.timedelta(hours=2)
    assert order.completion_due_at == order.submitted_at + datetime.timedelta(hours=24)
    photo = order.photos.get()
    assert photo.content_type == "image/jpeg"
    page = client.get(response.url).content.decode()
    assert order.number in page and "卫生间天花板漏水" in page
    assert client.get(reverse("repairs_portal:photo", args=[photo.pk]))["Content-Type"] == "image/jpeg"
    listing = client.get(PAGE).content.decode()
    assert f'data-testid="order-{order.pk}"' in listing


@pytest.fixture
def e(estate):
    return estate


def test_bad_reports_are_refused_and_nothing_is_written(client, e, settings):
    owner = e["owner"].user
    # A file that is not an image, though named .jpg.
    fake = SimpleUploadedFile("leak.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    response = report(client, owner, e, where=f"unit-{e['units'][0].pk}", photos=[fake])
    assert response.status_code == 200 and "不是有效的图片" in response.content.decode()
    # No description; too many photos; a common area without words; a paid repair of a common part.
    assert report(client, owner, e, where=f"unit-{e['units'][0].pk}", description="").status_code == 200
    settings.ANJU_WORK_ORDER_MAX_PHOTOS = 1
    assert (
        "最多上传1张照片" in report(client, owner, e, where=f"unit-{e['units'][0].pk}", photos=[jpeg(), jpeg()]).content.decode()
    )
    assert "请选择位置" in report(client, owner, e, where=f"common-{e['estate'].pk}").content.decode()
    building = e["units"][0].building
    assert "公共部位维修不向居民收费" in report(client, owner, e, where=f"building-{building.pk}", paid="on").content.decode()
    # Another household's unit, another estate's category: not offered, refused.
    assert report(client, owner, e, where=f"unit-{e['units'][2].pk}").status_code == 200
    assert report(client, owner, e, where=f"unit-{e['units'][0].pk}", category=e["other_category"].pk).status_code == 200
    assert WorkOrder.objects.count() == 0
    # An image too large.
    settings.ANJU_WORK_ORDER_MAX_PHOTOS, settings.ANJU_WORK_ORDER_PHOTO_MAX_MB = 6, 0
    assert "图片过大" in report(client, owner, e, where=f"unit-{e['units'][0].pk}", photos=[jpeg()]).content.decode()
    assert WorkOrder.objects.count() == 0


def test_a_common_area_report_is_seen_by_the_estate_but_a_home_only_by_its_household(client, e):
    report(client, e["owner"].user, e, where=f"common-{e['estate'].pk}", place="小区大门路灯")
    report(client, e["owner"].user, e, where=f"unit-{e['units'][0].pk}")
    common, home = WorkOrder.objects.order_by("pk")
    for user, sees_home in ((e["tenant"], False), (e["neighbour"].user, False), (e["owner"].user, True)):
        client.force_login(user)
        assert client.get(reverse("repairs_portal:order", args=[common.pk])).status_code == 200
        assert client.get(reverse("repairs_portal:order", args=[home.pk])).status_code == (200 if sees_home else 404)
    client.force_login(e["stranger"].user)
    assert client.get(reverse("repairs_portal:order", args=[common.pk])).status_code == 404
    assert client.post(reverse("repairs_portal:order", args=[home.pk]), {"action": "confirm"}).status_code == 404
    client.logout()
    for url in (PAGE, reverse("repairs_portal:order", args=[common.pk])):
        assert client.get(url).status_code == 302


def _resolved(e, client, *, paid=False, amount=None):
    where = f"unit-{e['units'][0].pk}"
    report(client, e["owner"].user, e, where=where, **({"paid": "on"} if paid else {}))
    order = WorkOrder.objects.latest("pk")
    staff = e["staff"]
    work_order_accept(order=order, by=staff)
    work_order_assign(order=order, by=staff, staff=e["fitter"])
    work_order_start(order=order, by=staff)
    work_order_resolve(order=order, by=staff, resolution="更换了水管接头", amount=amount)
    return order


def test_every_transition_reopen_counting_confirmation_and_rating(client, e):
    order = _resolved(e, client)
    url = reverse("repairs_portal:order", args=[order.pk])
    client.force_login(e["owner"].user)
    assert client.post(url, {"action": "reject", "reason": ""}).status_code == 400
    assert client.post(url, {"action": "reject", "reason": "还在滴水"}).status_code == 302
    order.refresh_from_db()
    assert (order.status, order.reopen_count, order.resolved_at) == ("assigned", 1, None)
    work_order_start(order=order, by=e["staff"])
    work_order_resolve(order=order, by=e["staff"], resolution="重新密封")
    # Only the reporter confirms or rates.
    client.force_login(e["neighbour"].user)
    assert client.post(url, {"action": "confirm"}).status_code == 404
    client.force_login(e["owner"].user)
    assert client.post(url, {"action": "rate", "rating": "5"}).status_code == 400  # not yet confirmed
    assert client.post(url, {"action": "confirm"}).status_code == 302
    order.refresh_from_db()
    assert order.status == "confirmed" and order.confirmed_at and order.invoice_id is None  # not a paid repair
    # A low rating needs its reason; a rating outside 1–5 is refused; once only.
    assert client.post(url, {"action": "rate", "rating": "2", "rating_reason": ""}).status_code == 400
    assert client.post(url, {"action": "rate", "rating": "6"}).status_code == 400
    assert client.post(url, {"action": "rate", "rating": "2", "rating_reason": "拖了两天"}).status_code == 302
    assert client.post(url, {"action": "rate", "rating": "5"}).status_code == 400
    order.refresh_from_db()
    assert (order.rating, order.rating_reason) == (2, "拖了两天")
    work_order_close(order=order, by=e["staff"])
    assert order.status == "closed"
    moves = [(h.from_status, h.to_status) for h in order.status_changes.order_by("pk")]
    assert moves == [
        ("", "submitted"),
        ("submitted", "accepted"),
        ("accepted", "assigned"),
        ("assigned", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "assigned"),
        ("assigned", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "confirmed"),
        ("confirmed", "closed"),
    ]


def test_a_paid_repair_in_a_unit_is_billed_to_its_owner_on_confirmation(client, e):
    with pytest.raises(ValidationError):
        _resolved(e, client, paid=True)  # a paid repair states its charge
    order = WorkOrder.objects.latest("pk")
    work_order_resolve(order=order, by=e["staff"], resolution="更换龙头", amount="85.50")
    client.force_login(e["owner"].user)
    client.post(reverse("repairs_portal:order", args=[order.pk]), {"action": "confirm"})
    order.refresh_from_db()
    invoice = Invoice.objects.get(pk=order.invoice_id)
    assert invoice.total == Decimal("85.50") and invoice.payer_owner == e["owner"] and invoice.charge_kind == "repair_fee"


def test_staff_returns_transfers_and_is_refused_outside_the_estate(client, e):
    report(client, e["owner"].user, e, where=f"common-{e['estate'].pk}", place="3栋楼道灯")
    order = WorkOrder.objects.get()
    with pytest.raises(ValidationError):
        work_order_accept(order=order, by=e["other_staff"])
    work_order_accept(order=order, by=e["staff"])
    with pytest.raises(ValidationError):
        work_order_assign(order=order, by=e["staff"], contractor=e["other_plumber"])  # another estate's contractor
    with pytest.raises(ValidationError):
        work_order_assign(order=order, by=e["staff"], staff=e["other_staff"])
    with pytest.raises(ValidationError):
        work_order_return(order=order, by=e["staff"], reason="")
    work_order_return(order=order, by=e["staff"], reason="重复报修，先核实")
    assert order.status == "submitted"
    work_order_accept(order=order, by=e["staff"])
    work_order_assign(order=order, by=e["staff"], staff=e["fitter"])
    work_order_transfer(order=order, by=e["staff"], contractor=e["plumber"], reason="需要专业电工")
    order.refresh_from_db()
    assert (order.status, order.contractor, order.assigned_to) == ("assigned", e["plumber"], None)
    work_order_start(order=order, by=e["staff"])
    work_order_transfer(order=order, by=e["staff"], staff=e["fitter"], reason="维修单位没空")
    assert order.status == "assigned" and order.assigned_to == e["fitter"]
    with pytest.raises(ValidationError) as refused:
        work_order_close(order=order, by=e["staff"])  # not in the table
    assert refused.value.code == "illegal_transition"
    with pytest.raises(ValidationError):
        work_order_resolve(order=order, by=e["staff"], resolution="修好", amount="10")  # common parts are never billed
    notes = list(order.status_changes.values_list("note", flat=True))
    assert "重复报修，先核实" in notes and "需要专业电工" in notes and "维修单位没空" in notes


def test_the_clock_in_calendar_time_and_office_hours():
    """Calendar time unless the category says office hours (08:30–17:30 Mon–Fri, Beijing time)."""
    saturday_night = datetime.datetime(2026, 3, 7, 23, 0, tzinfo=BJ)  # a Saturday
    response, completion = due_times(saturday_night, response_hours=2, completion_hours=48)
    assert response == datetime.datetime(2026, 3, 8, 1, 0, tzinfo=BJ)  # across midnight
    assert completion == datetime.datetime(2026, 3, 9, 23, 0, tzinfo=BJ)  # across the weekend
    friday = datetime.datetime(2026, 3, 6, 16, 30, tzinfo=BJ)
    assert add_office_hours(friday, 4) == datetime.datetime(2026, 3, 9, 11, 30, tzinfo=BJ)
    assert add_office_hours(saturday_night, 9) == datetime.datetime(2026, 3, 9, 17, 30, tzinfo=BJ)
    assert add_office_hours(saturday_night, 10) == datetime.datetime(2026, 3, 10, 9, 30, tzinfo=BJ)
    early = datetime.datetime(2026, 3, 9, 6, 0, tzinfo=BJ)
    assert add_office_hours(early, 1) == datetime.datetime(2026, 3, 9, 9, 30, tzinfo=BJ)


def test_no_category_exceeds_the_platform_maximum(e, settings):
    settings.ANJU_WORK_ORDER_MAX_HOURS = 100
    from property_services.services.work_orders import work_order_category_save

    with pytest.raises(ValidationError):
        work_order_category_save(
            category=WorkOrderCategory(estate=e["estate"], name="慢", response_hours=2, completion_hours=101)
        )
    with pytest.raises(ValidationError):
        work_order_category_save(category=WorkOrderCategory(estate=e["estate"], name="倒", response_hours=10, completion_hours=5))
    work_order_category_save(category=WorkOrderCategory(estate=e["estate"], name="普通", response_hours=24, completion_hours=100))


def test_overdue_orders_are_flagged_by_the_task(client, e):
    report(client, e["owner"].user, e, where=f"unit-{e['units'][0].pk}")
    order = WorkOrder.objects.get()
    later = order.submitted_at + datetime.timedelta(hours=3)
    assert is_overdue(order, later) and not is_overdue(order, order.submitted_at)
    assert work_orders_flag_overdue(now=later) == 1
    assert work_orders_flag_overdue(now=later) == 0  # twice does no harm
    order.refresh_from_db()
    assert order.overdue
    work_order_accept(order=order, by=e["staff"])
    assert work_orders_flag_overdue(now=later) == 1  # answered in time for completion: unflagged
    assert not WorkOrder.objects.get().overdue
    assert work_orders_flag_overdue(now=order.submitted_at + datetime.timedelta(hours=25)) == 1
    assert WorkOrderStatus.CLOSED not in WorkOrder.objects.filter(overdue=True).values_list("status", flat=True)


def test_staff_handle_an_order_in_the_back_office_and_others_are_refused(client, e):
    report(client, e["tenant"], e, where=f"unit-{e['units'][2].pk}", photos=[jpeg()])
    order = WorkOrder.objects.get()
    photo = order.photos.get()
    url = lambda action: reverse(f"property_services_workorder:{action}", args=[order.pk])  # noqa: E731
    client.force_login(e["staff"])
    page = client.get(url("inspect")).content.decode()
    assert order.number in page and 'data-testid="accept"' in page
    assert client.get(reverse("property_services_workorder:photo", args=[photo.pk])).status_code == 200
    assert client.post(url("accept"), {"note": ""}).status_code == 302
    assert client.post(url("assign"), {"assigned_to": e["other_staff"].pk}).status_code == 400  # not offered
    assert client.post(url("assign"), {"contractor": e["plumber"].pk}).status_code == 302
    assert client.post(url("transfer"), {"assigned_to": e["fitter"].pk, "reason": ""}).status_code == 400
    assert client.post(url("transfer"), {"assigned_to": e["fitter"].pk, "reason": "换人"}).status_code == 302
    assert client.post(url("start"), {}).status_code == 302
    assert client.post(url("resolve"), {"resolution": "修好了"}).status_code == 302
    order.refresh_from_db()
    assert (order.status, order.assigned_to) == ("resolved", e["fitter"])
    index = reverse("property_services_workorder:index")
    assert order.number in client.get(index, {"status": "resolved"}).content.decode()
    assert order.number not in client.get(index, {"return_visit": "true"}).content.decode()
    # Another estate's staff: 404 everywhere; a resident or anonymous: no back office.
    client.force_login(e["other_staff"])
    for action in ("inspect", "accept", "close", "resolve"):
        assert client.get(url(action)).status_code == 404
    assert client.get(reverse("property_services_workorder:photo", args=[photo.pk])).status_code == 404
    assert order.number not in client.get(index).content.decode()
    client.force_login(e["owner"].user)
    assert client.get(url("inspect")).status_code in (302, 403, 404)
    client.logout()
    assert client.get(url("accept")).status_code == 302
    order.refresh_from_db()
    assert order.status == "resolved"


def test_categories_in_the_back_office_respect_the_maximum(client, e, settings):
    settings.ANJU_WORK_ORDER_MAX_HOURS = 72
    client.force_login(e["staff"])
    add = reverse("property_services_workordercategory:add")
    data = {
        "estate": e["estate"].pk,
        "name": "电梯困人",
        "kind": "repair",
        "response_hours": 1,
        "completion_hours": 100,
        "active": "on",
    }
    assert client.post(add, data).status_code == 200
    assert client.post(add, {**data, "completion_hours": 12}).status_code == 302
    assert WorkOrderCategory.objects.filter(name="电梯困人", completion_hours=12).exists()
