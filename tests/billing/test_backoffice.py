"""Billing in the back office: staff of one estate never see another's money; pages do what they say."""

import datetime
from decimal import Decimal
from io import BytesIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from billing.models import (
    BillingRun,
    BillingRunStatus,
    ChargeKind,
    Invoice,
    InvoiceStatus,
    MoneyAudit,
    Payment,
    PaymentMethod,
    Receipt,
    Refund,
    Tariff,
)
from billing.services import billing_run_execute, billing_run_start, invoice_create_for_source, payment_record, refund_record
from estates.models import Owner, Ownership, Unit
from estates.services import role_grant
from tests.estates.factories import BuildingFactory, UserFactory

from .factories import billed_estate

pytestmark = pytest.mark.django_db

THIS_MONTH = timezone.localdate().replace(day=1)


def pay(estate, invoices, amount, **kwargs):
    return payment_record(
        estate=estate,
        invoices=invoices,
        amount=Decimal(amount),
        method=PaymentMethod.CASH,
        received_at=timezone.now(),
        payer_name="付款人",
        **kwargs,
    )


@pytest.fixture
def world(sync_groups):
    estate_x, units_x = billed_estate(units=2, code="EX")
    estate_y, units_y = billed_estate(units=2, code="EY")
    run_y = billing_run_execute(run=billing_run_start(period=THIS_MONTH, estate=estate_y))
    billing_run_execute(run=billing_run_start(period=THIS_MONTH, estate=estate_x))
    invoice_y = Invoice.objects.filter(estate=estate_y).order_by("pk").first()
    payment_y = pay(estate_y, [invoice_y], "10.00")
    refund_y = refund_record(payment=payment_y, amount=Decimal("1.00"), reason="测试")
    staff_x = UserFactory(mobile="13900000501")
    role_grant(user=staff_x, role=Role.ESTATE_STAFF, estate=estate_x)
    return {
        "x": estate_x,
        "y": estate_y,
        "units_x": units_x,
        "staff_x": staff_x,
        "run_y": run_y,
        "invoice_y": invoice_y,
        "payment_y": payment_y,
        "refund_y": refund_y,
        "tariff_y": Tariff.objects.filter(estate=estate_y).first(),
        "audit_y": MoneyAudit.objects.filter(estate=estate_y).first(),
    }


def other_estate_urls(w):
    y = w
    return [
        reverse("billing_billingrun:inspect", args=[y["run_y"].pk]),
        reverse("billing_billingrun:progress", args=[y["run_y"].pk]),
        reverse("billing_invoice:inspect", args=[y["invoice_y"].pk]),
        reverse("billing_invoice:void", args=[y["invoice_y"].pk]),
        reverse("billing_invoice:write_off", args=[y["invoice_y"].pk]),
        reverse("billing_payment:inspect", args=[y["payment_y"].pk]),
        reverse("billing_payment:refund", args=[y["payment_y"].pk]),
        reverse("billing_payment:add") + f"?invoice={y['invoice_y'].pk}",
        reverse("billing_refund:inspect", args=[y["refund_y"].pk]),
        reverse("billing_tariff:inspect", args=[y["tariff_y"].pk]),
        reverse("billing_moneyaudit:inspect", args=[y["audit_y"].pk]),
        reverse("billing_arrears:index") + f"?estate={y['y'].pk}",
        reverse("billing_arrears:export") + f"?estate={y['y'].pk}",
        reverse("billing_ledger:index") + f"?estate={y['y'].pk}",
    ]


def test_staff_of_another_estate_get_404_on_every_billing_view(client, world):
    client.force_login(world["staff_x"])
    for url in other_estate_urls(world):
        assert client.get(url).status_code == 404, url


def test_posts_against_another_estate_change_nothing(client, world):
    client.force_login(world["staff_x"])
    invoice, payment = world["invoice_y"], world["payment_y"]
    assert client.post(reverse("billing_invoice:void", args=[invoice.pk]), {"reason": "x"}).status_code == 404
    assert client.post(reverse("billing_invoice:write_off", args=[invoice.pk]), {"reason": "x"}).status_code == 404
    assert client.post(reverse("billing_payment:refund", args=[payment.pk]), {"amount": "1.00", "reason": "x"}).status_code == 404
    response = client.post(
        reverse("billing_payment:add") + f"?invoice={invoice.pk}",
        {"invoices": [invoice.pk], "amount": "1.00", "method": "cash", "received_at": "2026-01-01T10:00", "payer_name": "x"},
    )
    assert response.status_code == 404
    assert Refund.objects.count() == 1 and Payment.objects.count() == 1
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PARTIALLY_PAID


def test_staff_lists_show_only_their_estate(client, world):
    client.force_login(world["staff_x"])
    html = client.get(reverse("billing_invoice:index")).content.decode()
    assert world["x"].name in html and world["y"].name not in html
    assert world["invoice_y"].number not in html
    for name in ("billing_payment", "billing_refund", "billing_billingrun", "billing_tariff", "billing_moneyaudit"):
        response = client.get(reverse(f"{name}:index"))
        assert response.status_code == 200, name
        assert world["y"].name not in response.content.decode(), name
    arrears = client.get(reverse("billing_arrears:index")).content.decode()
    assert world["x"].name in arrears and world["y"].name not in arrears


def refused(response):
    """Wagtail answers a permission failure with a redirect to the dashboard and a message."""
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"] == reverse("wagtailadmin_home")


def test_officer_sees_but_cannot_record(client, world):
    officer = UserFactory(mobile="13900000502")
    role_grant(user=officer, role=Role.SUBDISTRICT_OFFICER, subdistrict=world["y"].community.subdistrict)
    client.force_login(officer)
    assert client.get(reverse("billing_invoice:inspect", args=[world["invoice_y"].pk])).status_code == 200
    for url in (
        reverse("billing_payment:add") + f"?invoice={world['invoice_y'].pk}",
        reverse("billing_payment:refund", args=[world["payment_y"].pk]),
        reverse("billing_billingrun:add"),
        reverse("billing_invoice:void", args=[world["invoice_y"].pk]),
    ):
        refused(client.get(url))
    refused(client.post(reverse("billing_payment:refund", args=[world["payment_y"].pk]), {"amount": "1.00", "reason": "x"}))
    assert Refund.objects.count() == 1


def test_owner_without_back_office_role_is_refused(client, world):
    owner = UserFactory(mobile="13800000501")
    role_grant(user=owner, role=Role.OWNER)
    client.force_login(owner)
    assert client.get(reverse("billing_invoice:index")).status_code in (302, 403)


class TestStaffActions:
    @pytest.fixture
    def staff(self, client, world):
        client.force_login(world["staff_x"])
        return world

    def test_record_an_offline_payment(self, client, staff):
        invoice = Invoice.objects.filter(estate=staff["x"]).order_by("pk").first()
        url = reverse("billing_payment:add") + f"?invoice={invoice.pk}"
        page = client.get(url)
        assert page.status_code == 200 and invoice.number in page.content.decode()
        response = client.post(
            url,
            {
                "invoices": [invoice.pk],
                "amount": str(invoice.total),
                "method": "bank_transfer",
                "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                "reference": "ICBC-0001",
                "payer_name": invoice.payer_name,
            },
        )
        payment = Payment.objects.get(reference="ICBC-0001")
        assert response.status_code == 302 and response["Location"] == reverse("billing_payment:inspect", args=[payment.pk])
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID
        assert payment.recorded_by == staff["staff_x"]
        detail = client.get(response["Location"]).content.decode()
        assert payment.receipt.number in detail

    def test_overpayment_in_the_form_shows_the_error(self, client, staff):
        invoice = Invoice.objects.filter(estate=staff["x"]).order_by("pk").first()
        response = client.post(
            reverse("billing_payment:add") + f"?invoice={invoice.pk}",
            {
                "invoices": [invoice.pk],
                "amount": str(invoice.total + 1),
                "method": "cash",
                "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                "payer_name": "x",
            },
        )
        assert response.status_code == 200
        assert "超过" in response.content.decode()
        assert not Payment.objects.filter(estate=staff["x"]).exists()

    def test_find_a_bill_by_number(self, client, staff):
        invoice = Invoice.objects.filter(estate=staff["x"]).first()
        response = client.get(reverse("billing_payment:add"), {"number": invoice.number})
        assert response.status_code == 302 and f"invoice={invoice.pk}" in response["Location"]
        response = client.get(reverse("billing_payment:add"), {"number": staff["invoice_y"].number})
        assert response.status_code == 200  # "no bill with this number in your estates"
        assert f"invoice={staff['invoice_y'].pk}" not in response.content.decode()

    def test_refund_above_paid_is_refused_in_the_form(self, client, staff):
        invoice = Invoice.objects.filter(estate=staff["x"]).first()
        payment = pay(staff["x"], [invoice], "20.00")
        url = reverse("billing_payment:refund", args=[payment.pk])
        response = client.post(url, {"amount": "20.01", "reason": "多退"})
        assert response.status_code == 200 and "20.00" in response.content.decode()
        assert not Refund.objects.filter(payment=payment).exists()
        response = client.post(url, {"amount": "5.00", "reason": "退一部分"})
        assert response.status_code == 302
        assert Payment.objects.get(pk=payment.pk).refunded_amount == Decimal("5.00")

    def test_void_from_the_bill_page(self, client, staff):
        invoice = Invoice.objects.filter(estate=staff["x"]).first()
        page = client.get(reverse("billing_invoice:inspect", args=[invoice.pk])).content.decode()
        assert reverse("billing_invoice:void", args=[invoice.pk]) in page
        response = client.post(reverse("billing_invoice:void", args=[invoice.pk]), {"reason": "重复开具"})
        assert response.status_code == 302
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.VOID
        page = client.get(reverse("billing_invoice:inspect", args=[invoice.pk])).content.decode()
        assert "重复开具" in page  # in the history

    def test_start_a_run_and_watch_progress(self, client, staff, django_capture_on_commit_callbacks):
        next_month = (THIS_MONTH + datetime.timedelta(days=32)).replace(day=1)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("billing_billingrun:add"), {"period": f"{next_month:%Y-%m}", "estate": ""})
        run = BillingRun.objects.get(period=next_month)
        assert run.estate == staff["x"]  # "all my estates" = the one estate of this staff member
        assert response.status_code == 302 and response["Location"] == reverse("billing_billingrun:inspect", args=[run.pk])
        progress = client.get(reverse("billing_billingrun:progress", args=[run.pk])).json()
        assert progress["done_units"] == progress["total_units"] == 2 and progress["status"] == BillingRunStatus.DONE
        page = client.get(response["Location"]).content.decode()
        assert progress["texts"]["progress"] in page  # "2 of 2 units processed (100%)", translated

    def test_start_form_refuses_a_far_future_period(self, client, staff):
        far = (THIS_MONTH + datetime.timedelta(days=70)).replace(day=1)
        response = client.post(reverse("billing_billingrun:add"), {"period": f"{far:%Y-%m}", "estate": staff["x"].pk})
        assert response.status_code == 200 and "more than a month ahead" in response.content.decode()
        response = client.post(reverse("billing_billingrun:add"), {"period": f"{THIS_MONTH:%Y-%m}", "estate": staff["y"].pk})
        assert response.status_code == 200  # not a choice for this user
        assert not BillingRun.objects.filter(estate=staff["y"], started_by=staff["staff_x"]).exists()

    def test_arrears_export(self, client, staff):
        from openpyxl import load_workbook

        response = client.get(reverse("billing_arrears:export"))
        assert response.status_code == 200
        book = load_workbook(BytesIO(response.content))
        rows = list(book["账单 Bills"].iter_rows(min_row=2, values_only=True))
        numbers = {row[0] for row in rows}
        assert numbers == set(Invoice.objects.filter(estate=staff["x"]).values_list("number", flat=True))
        summary = list(book["按楼栋 By building"].iter_rows(min_row=2, values_only=True))
        assert [(r[0], r[4]) for r in summary] == [("EX", 2)]

    def test_ledger_page_balances(self, client, staff):
        invoice = Invoice.objects.filter(estate=staff["x"]).first()
        pay(staff["x"], [invoice], "30.00")
        html = client.get(reverse("billing_ledger:index"), {"estate": staff["x"].pk}).content.decode()
        assert 'data-testid="balance-sum">¥0.00' in html
        assert 'data-testid="balance-cash"' in html and "¥30.00" in html


# --- fixed query counts -------------------------------------------------------------------------


def grow(estate, n: int) -> None:
    """Bring the estate to n billed units with a payment, a refund, a run, a tariff and an audit row each."""
    building = estate.buildings.first() or BuildingFactory(estate=estate)
    have = Invoice.objects.filter(estate=estate).count()
    if have >= n:
        return
    units = Unit.objects.bulk_create(
        Unit(building=building, entrance=2, floor=1, number=f"G{i:05d}", exclusive_area=Decimal("60.00")) for i in range(have, n)
    )
    owners = Owner.objects.bulk_create(Owner(estate=estate, name=f"业主{i}") for i in range(have, n))
    Ownership.objects.bulk_create(
        Ownership(unit=u, owner=o, since=datetime.date(2015, 1, 1)) for u, o in zip(units, owners, strict=True)
    )
    unit_type = ContentType.objects.get_for_model(Unit)
    invoices = Invoice.objects.bulk_create(
        Invoice(
            estate=estate,
            unit=u,
            source_type=unit_type,
            source_id=u.pk,
            charge_kind=ChargeKind.PROPERTY_FEE,
            period=THIS_MONTH,
            payer_owner=o,
            payer_name=o.name,
            number=f"T{u.pk}",
            issued_on=THIS_MONTH,
            due_on=THIS_MONTH + datetime.timedelta(days=30),
            total=Decimal("90.00"),
        )
        for u, o in zip(units, owners, strict=True)
    )
    now = timezone.now()
    payments = Payment.objects.bulk_create(
        Payment(
            estate=estate, payer_name=i.payer_name, method="cash", amount=Decimal("1.00"), received_at=now, reference=f"R{i.pk}"
        )
        for i in invoices
    )
    Receipt.objects.bulk_create(
        Receipt(payment=p, estate=estate, year=2026, sequence=100000 + p.pk, number=f"{estate.code}-X-{p.pk}") for p in payments
    )
    Refund.objects.bulk_create(Refund(payment=p, amount=Decimal("0.50"), reason="r") for p in payments)
    BillingRun.objects.bulk_create(BillingRun(period=THIS_MONTH, estate=estate, status="done") for _ in invoices)
    Tariff.objects.bulk_create(
        Tariff(
            estate=estate,
            charge_kind=ChargeKind.OTHER,
            unit_use="residential",
            rate=Decimal("1"),
            valid_from=datetime.date(1900, 1, 1) + datetime.timedelta(days=2 * i),
            valid_to=datetime.date(1900, 1, 1) + datetime.timedelta(days=2 * i),
        )
        for i in range(have, n)
    )
    invoice_type = ContentType.objects.get_for_model(Invoice)
    MoneyAudit.objects.bulk_create(
        MoneyAudit(estate=estate, action="test", object_type=invoice_type, object_id=i.pk, data={"n": 1}) for i in invoices
    )


LISTS = [
    "billing_invoice:index",
    "billing_payment:index",
    "billing_refund:index",
    "billing_billingrun:index",
    "billing_tariff:index",
    "billing_moneyaudit:index",
    "billing_arrears:index",
]


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", [Role.ESTATE_STAFF, Role.PLATFORM_ADMIN])
def test_billing_lists_run_a_fixed_number_of_queries(client, sync_groups, role):
    estate, _units = billed_estate(units=1, code="QC")
    user = UserFactory(mobile="13900000601")
    role_grant(user=user, role=role, **({"estate": estate} if role == Role.ESTATE_STAFF else {}))
    client.force_login(user)
    urls = [reverse(name) for name in LISTS] + [reverse("billing_ledger:index") + f"?estate={estate.pk}"]

    grow(estate, 10)
    for url in urls:
        client.get(url)  # warm caches (content types, site root)
    small = {url: count_queries(client, url) for url in urls}
    grow(estate, 1000)
    large = {url: count_queries(client, url) for url in urls}
    assert large == small
    assert Invoice.objects.filter(estate=estate).count() == 1000


def test_every_billing_page_opens_for_staff_of_the_estate(client, world):
    """The same URLs that answer 404 to another estate's staff open for the estate's own staff."""
    staff_y = UserFactory(mobile="13900000503")
    role_grant(user=staff_y, role=Role.ESTATE_STAFF, estate=world["y"])
    client.force_login(staff_y)
    for url in other_estate_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url
    for url in (reverse("billing_billingrun:add"), reverse("billing_payment:add"), reverse("billing_ledger:index")):
        assert client.get(url).status_code == 200, url


def test_the_estates_usage_page_opens_although_bills_have_no_edit_page(client, world):
    """Wagtail's "usage" page of an estate lists the bills, payments and audits that refer to it and links
    each to its admin page; read-only billing records link to their record (it answered 500 before)."""
    admin = UserFactory(mobile="13900000509", is_superuser=True, is_staff=True)
    client.force_login(admin)
    response = client.get(reverse("wagtailadmin_home") + f"estates/estate/usage/{world['y'].pk}/")
    assert response.status_code == 200
    # The page lists the referring records (in pages of its own order, which differs by database).
    assert response.content.decode().count("<tr") > 1


def test_staff_filter_bills_by_a_charge_kind_another_app_registered(client, world):
    """The charge filter lists every registered kind (billing.charges), not only billing's own."""
    unit = world["units_x"][0]
    parking = invoice_create_for_source(
        source=unit,
        estate=world["x"],
        unit=unit,
        charge_kind="parking_permit",
        period=THIS_MONTH,
        payer_name="车主",
        lines=[("月卡", Decimal("1"), Decimal("150.00"))],
        due_on=THIS_MONTH + datetime.timedelta(days=20),
    )
    client.force_login(world["staff_x"])
    page = client.get(reverse("billing_invoice:index")).content.decode()
    assert 'value="parking_permit"' in page
    listed = client.get(reverse("billing_invoice:index") + "?charge_kind=parking_permit").content.decode()
    assert parking.number in listed
    own_bill = Invoice.objects.filter(estate=world["x"]).exclude(pk=parking.pk).first()
    assert own_bill.number not in listed
