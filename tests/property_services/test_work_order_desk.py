"""The desk around work orders (issue 14): staff file a report for a phone call, register the residents who may
report for a unit (住房租赁条例 Art. 37: every actual occupant is registered), and the daily task settles the
orders nobody answers. Through the back-office pages people use; the wrong person is refused on each."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from billing.models import Invoice
from property_services.models import UnitResident, WorkOrder, WorkOrderStatus
from property_services.services.work_orders import (
    work_order_accept,
    work_order_assign,
    work_order_confirm,
    work_order_report,
    work_order_resolve,
    work_order_start,
    work_orders_settle,
)
from tests.property_services import test_work_orders

pytestmark = pytest.mark.django_db

estate = test_work_orders.estate  # the shared world of the work-order tests (a fixture)
jpeg = test_work_orders.jpeg

FILE = reverse("property_services_workorder:add")
REGISTER = reverse("property_services_unitresident:add")
RESIDENTS = reverse("property_services_unitresident:index")


def call(client, e, **extra):
    unit = e["units"][2]
    data = {
        "category": e["leak"].pk,
        "caller_name": "王先生",
        "caller_mobile": "",
        "building": unit.building_id,
        "entrance": unit.entrance,
        "unit_number": unit.number,
        "place": "",
        "description": "厨房水管爆裂",
        **extra,
    }
    return client.post(FILE, data)


def test_staff_file_a_call_for_a_resident_who_then_follows_it_in_the_portal(client, estate):
    e = estate
    client.force_login(e["staff"])
    assert "代来电登记报修" in client.get(FILE).content.decode()

    response = call(client, e, caller_mobile=e["tenant"].mobile, photos=[jpeg()])

    order = WorkOrder.objects.get()
    assert response.status_code == 302 and response.url == reverse("property_services_workorder:inspect", args=[order.pk])
    assert order.unit == e["units"][2] and order.reporter == e["tenant"] and order.caller_name == "王先生"
    assert order.reported_by_staff and order.photos.count() == 1
    assert order.response_due_at == order.submitted_at + datetime.timedelta(hours=2)
    client.force_login(e["tenant"])
    assert order.number in client.get(reverse("repairs_portal:page")).content.decode()


def test_a_call_from_a_number_without_a_resident_account_is_filed_without_a_login(client, estate):
    e = estate
    client.force_login(e["staff"])
    response = call(client, e, caller_mobile=e["stranger"].user.mobile)  # an owner of another estate
    order = WorkOrder.objects.get()
    assert response.status_code == 302 and order.reporter is None and order.caller_name == "王先生"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"description": ""}, "description"),
        ({"caller_name": ""}, "caller_name"),
        ({"unit_number": "9999"}, None),  # no such unit: said on top of the form
        ({"unit_number": "", "building": "", "place": ""}, "place"),  # no location at all
    ],
)
def test_a_call_with_bad_input_is_refused_and_nothing_is_written(client, estate, change, field):
    client.force_login(estate["staff"])
    response = call(client, estate, **change)
    assert response.status_code == 400 and not WorkOrder.objects.exists()
    errors = response.context["form"].errors
    assert (field in errors) if field else errors.get("__all__")


def test_another_estates_staff_cannot_file_in_this_estate_and_residents_cannot_open_the_desk(client, estate):
    e = estate
    client.force_login(e["other_staff"])
    response = call(client, e)  # this estate's category and building are not choices for them
    assert response.status_code == 400 and not WorkOrder.objects.exists()
    assert {"category", "building"} <= set(response.context["form"].errors)
    client.force_login(e["tenant"])
    assert client.get(FILE).status_code in (302, 403)
    client.logout()
    assert "/login/" in client.get(FILE).url


def test_staff_register_a_resident_by_mobile_number_and_end_the_registration(client, estate, make_user):
    e = estate
    lodger = make_user("13700003199", Role.TENANT, name="李租客")
    unit = e["units"][0]
    client.force_login(e["staff"])
    data = {"building": unit.building_id, "entrance": 1, "unit_number": unit.number, "mobile": "137 0000 3199", "since": ""}

    response = client.post(REGISTER, data)

    resident = UnitResident.objects.get(user=lodger)
    assert response.status_code == 302 and resident.unit == unit and resident.since == timezone.localdate()
    assert "李租客" in client.get(RESIDENTS).content.decode()
    assert client.post(REGISTER, data).status_code == 400  # twice: refused
    assert UnitResident.objects.filter(user=lodger).count() == 1
    # The lodger reports about the unit now.
    work_order_report(user=lodger, category=e["leak"], description="门锁坏了", unit=unit)

    end = reverse("property_services_unitresident:end", args=[resident.pk])
    assert client.post(end, {"until": ""}).status_code == 302
    resident.refresh_from_db()
    assert resident.until == timezone.localdate()
    assert client.post(end, {"until": ""}).status_code == 400  # ended already


def test_registering_refuses_numbers_it_may_not_link_with_one_message(client, estate, make_user):
    """A number with no account and the number of a back-office login or of another estate's owner get the
    same answer, so the form cannot be used to find out who has an account."""
    e = estate
    unit = e["units"][0]
    client.force_login(e["staff"])
    answers = set()
    for mobile in ("13700009999", e["other_staff"].mobile, e["stranger"].user.mobile):
        response = client.post(
            REGISTER, {"building": unit.building_id, "entrance": 1, "unit_number": unit.number, "mobile": mobile}
        )
        assert response.status_code == 400
        answers.add(str(response.context["form"].errors["mobile"]))
    assert len(answers) == 1 and not UnitResident.objects.exclude(user=e["tenant"]).exists()


def test_the_resident_register_is_scoped(client, estate):
    e = estate
    resident = UnitResident.objects.get(user=e["tenant"])
    end = reverse("property_services_unitresident:end", args=[resident.pk])
    inspect = reverse("property_services_unitresident:inspect", args=[resident.pk])
    client.force_login(e["other_staff"])
    assert e["tenant"].name not in client.get(RESIDENTS).content.decode()
    assert client.get(inspect).status_code == 404 and client.post(end).status_code == 404
    unit = e["units"][0]
    response = client.post(
        REGISTER, {"building": unit.building_id, "entrance": 1, "unit_number": unit.number, "mobile": "13700003101"}
    )
    assert response.status_code == 400 and UnitResident.objects.count() == 1
    client.force_login(e["owner"].user)
    assert client.get(RESIDENTS).status_code in (302, 403) and client.get(REGISTER).status_code in (302, 403)
    resident.refresh_from_db()
    assert resident.until is None


def _resolved(e, *, paid=False, days_ago=8):
    order = work_order_report(user=e["tenant"], category=e["leak"], description="水龙头漏水", unit=e["units"][2], paid=paid)
    work_order_accept(order=order, by=e["staff"])
    work_order_assign(order=order, by=e["staff"], contractor=e["plumber"])
    work_order_start(order=order, by=e["staff"])
    work_order_resolve(order=order, by=e["staff"], resolution="更换阀芯", amount=Decimal("35.00") if paid else None)
    WorkOrder.objects.filter(pk=order.pk).update(resolved_at=timezone.now() - datetime.timedelta(days=days_ago))
    order.refresh_from_db()
    return order


def test_the_daily_task_confirms_unanswered_resolutions_bills_them_and_closes_confirmed_orders(estate, settings):
    settings.ANJU_WORK_ORDER_CONFIRM_DAYS = 7
    settings.ANJU_WORK_ORDER_CLOSE_DAYS = 7
    e = estate
    stale_paid = _resolved(e, paid=True, days_ago=8)
    fresh = _resolved(e, days_ago=6)
    confirmed = _resolved(e, days_ago=20)
    work_order_confirm(order=confirmed, by=e["tenant"])
    WorkOrder.objects.filter(pk=confirmed.pk).update(confirmed_at=timezone.now() - datetime.timedelta(days=8))

    assert work_orders_settle() == {"confirmed": 1, "closed": 1, "left": 0}
    assert work_orders_settle() == {"confirmed": 0, "closed": 0, "left": 0}  # safe to run twice

    stale_paid.refresh_from_db(), fresh.refresh_from_db(), confirmed.refresh_from_db()
    assert stale_paid.status == WorkOrderStatus.CONFIRMED and stale_paid.invoice.total == Decimal("35.00")
    assert stale_paid.status_changes.last().by is None and "自动确认" in stale_paid.status_changes.last().note
    assert fresh.status == WorkOrderStatus.RESOLVED and fresh.invoice is None
    assert confirmed.status == WorkOrderStatus.CLOSED
    assert Invoice.objects.count() == 1


def _orders(e, n):
    for i in range(n):
        work_order_report(user=e["tenant"], category=e["leak"], description=f"漏水{i}", unit=e["units"][2], photos=[jpeg()])


@pytest.mark.parametrize("url_name", ["property_services_workorder:index", "repairs_portal:page"])
def test_the_work_order_lists_run_the_same_queries_for_2_and_12_orders(client, estate, url_name):
    e = estate
    user = e["staff"] if url_name.startswith("property_services") else e["tenant"]
    client.force_login(user)
    counts = []
    for n in (2, 10):
        _orders(e, n)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(url_name))
        assert response.status_code == 200
        counts.append(len(queries))
    assert WorkOrder.objects.count() == 12 and counts[0] == counts[1], counts


def test_staff_confirm_for_a_caller_without_a_login_but_never_for_a_resident_who_has_one(client, estate):
    e = estate
    client.force_login(e["staff"])
    call(client, e)  # no mobile number: no login to follow it
    caller = WorkOrder.objects.get()
    for move in (work_order_accept, work_order_start):
        if move is work_order_start:
            work_order_assign(order=caller, by=e["staff"], contractor=e["plumber"])
        move(order=caller, by=e["staff"])
    work_order_resolve(order=caller, by=e["staff"], resolution="已修复")
    residents_own = _resolved(e, days_ago=0)
    page = client.get(reverse("property_services_workorder:inspect", args=[caller.pk])).content.decode()
    other_page = client.get(reverse("property_services_workorder:inspect", args=[residents_own.pk])).content.decode()

    confirmed = client.post(reverse("property_services_workorder:confirm", args=[caller.pk]), {"note": ""})
    refused = client.post(reverse("property_services_workorder:confirm", args=[residents_own.pk]), {"note": ""})

    caller.refresh_from_db(), residents_own.refresh_from_db()
    assert 'data-testid="confirm"' in page and 'data-testid="confirm"' not in other_page
    assert confirmed.status_code == 302 and caller.status == WorkOrderStatus.CONFIRMED
    assert refused.status_code == 400 and residents_own.status == WorkOrderStatus.RESOLVED
    client.force_login(e["other_staff"])
    assert client.post(reverse("property_services_workorder:confirm", args=[residents_own.pk])).status_code == 404
