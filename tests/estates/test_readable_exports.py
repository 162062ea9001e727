"""Exports people can read (issue 10 item 12): Chinese column headers in Chinese mode (English in
English mode), the header row frozen, and an inventory export that the import reads back unchanged."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from accounts.models import Role
from estates import inventory
from estates.inventory import inventory_export, inventory_import
from estates.services import role_grant
from tests.billing.factories import bill, billed_estate

from .factories import UserFactory
from .test_inventory import ESTATE_HEAD, OWNER_HEAD, UNIT_HEAD, good_sheets, run, snapshot, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported():
    report = run(xlsx(good_sheets()))  # the old English column keys are still read
    assert report.ok, [str(e) for e in report.errors]


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def book(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))  # not read-only: the sheet views are wanted


def headers(ws) -> list:
    return [cell.value for cell in next(ws.iter_rows(max_row=1))]


def values(data: bytes) -> dict[str, list[tuple]]:
    """Every cell of every sheet, by sheet: equal values mean the same export."""
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}
    finally:
        wb.close()


def export(**kwargs) -> bytes:
    buffer = io.BytesIO()
    inventory_export(file=buffer, **kwargs)
    return buffer.getvalue()


def test_inventory_export_has_chinese_headers_and_a_frozen_first_row(imported):
    wb = book(export())
    assert headers(wb["小区"]) == ["小区编码", "小区名称", "区县", "街道", "社区", "地址", "建成年份"]
    assert headers(wb["房屋"])[5] == "专有面积"
    assert headers(wb["业主"]) == [
        "小区编码",
        "楼栋号",
        "单元",
        "房号",
        "业主姓名",
        "业主类型",
        "证件号码",
        "联系电话",
        "份额",
        "取得日期",
    ]
    assert {ws.title: ws.freeze_panes for ws in wb.worksheets} == dict.fromkeys(["小区", "楼栋", "房屋", "业主", "说明"], "A2")
    assert wb["业主"]["A1"].font.b  # the header is bold


def test_inventory_export_in_english_mode_has_english_headers(imported):
    with translation.override("en"):
        wb = book(export())
    assert headers(wb["小区"]) == ["Code", "Name", "District", "Subdistrict", "Community", "Address", "Built year"]
    assert headers(wb["业主"])[:2] == ["Estate code", "Building"]
    assert wb["业主"].freeze_panes == "A2"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_export_import_export_is_unchanged(imported, language):
    """The import accepts what the export writes, in either language: nothing changes, and exporting
    again writes the same workbook."""
    before = snapshot()
    with translation.override(language):
        first = export()
    report = inventory_import(file=io.BytesIO(first))
    assert report.ok and report.total_created == 0 and report.total_updated == 0, [str(e) for e in report.errors]
    assert snapshot() == before
    with translation.override(language):
        second = export()
    assert values(second) == values(first)


def test_a_chinese_header_export_imports_into_an_empty_database_like_the_old_english_file(imported):
    """Chinese headers and the old English keys give the same inventory."""
    exported = export()
    english = snapshot()
    from estates.models import Building, Estate, Owner, Ownership, Unit

    for model in (Ownership, Owner, Unit, Building, Estate):
        model.objects.all().delete()
    report = inventory_import(file=io.BytesIO(exported))
    assert report.ok and report.created["ownerships"] == 4
    strip = lambda rows: [{k: v for k, v in r.items() if k != "id" and not k.endswith("_id")} for r in rows]  # noqa: E731
    after = snapshot()
    for model in ("Unit", "Building", "Estate", "Ownership"):
        assert strip(after[model]) == strip(english[model])


def test_export_inventory_command_writes_chinese_headers_or_english_on_request(imported, tmp_path):
    path = tmp_path / "out.xlsx"
    call_command("export_inventory", str(path), stdout=io.StringIO())
    wb = openpyxl.load_workbook(path)
    assert headers(wb["房屋"])[:2] == ["小区编码", "楼栋号"] and wb["房屋"].freeze_panes == "A2"
    call_command("export_inventory", str(path), "--language", "en", stdout=io.StringIO())
    assert headers(openpyxl.load_workbook(path)["房屋"])[:2] == ["Estate code", "Building"]


@pytest.fixture
def staff(imported, sync_groups):
    from estates.models import Estate

    user = UserFactory(mobile="13900000411")
    role_grant(user=user, role=Role.ESTATE_STAFF, estate=Estate.objects.get(code="CQ-001"))
    return user


def test_back_office_inventory_download_has_chinese_frozen_headers_and_round_trips(client, staff):
    client.force_login(staff)
    data = body(client.get(reverse("inventory_export")))
    wb = book(data)
    assert headers(wb["楼栋"]) == ["小区编码", "楼栋号", "地上层数", "建成年份", "加装电梯年份"]
    assert all(ws.freeze_panes == "A2" for ws in wb.worksheets)
    before = snapshot()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(reverse("inventory_import"), {"file": SimpleUploadedFile("inventory.xlsx", data)})
    report = response.context["report"]
    assert report.ok and report.total_created == 0 and report.total_updated == 0
    assert snapshot() == before


def test_back_office_list_exports_have_chinese_frozen_headers(client, staff):
    client.force_login(staff)
    wb = book(body(client.get(reverse("estates_unit:index") + "?export=xlsx")))
    ws = wb.worksheets[0]
    assert headers(ws) == ["楼栋", "单元", "楼层", "房号", "专有面积（㎡）", "用途", "建成年份"]
    assert ws.freeze_panes == "A2"
    owners = book(body(client.get(reverse("estates_owner:index") + "?export=xlsx"))).worksheets[0]
    assert headers(owners)[:3] == ["小区", "业主类型", "业主姓名"] and owners.freeze_panes == "A2"
    rows = list(csv.reader(io.StringIO(body(client.get(reverse("estates_estate:index") + "?export=csv")).decode())))
    assert rows[0] == ["小区编码", "小区名称", "社区", "地址", "建成年份"]


def test_back_office_list_export_in_english_mode(client, staff):
    client.force_login(staff)
    client.cookies["django_language"] = "en"
    ws = book(body(client.get(reverse("estates_estate:index") + "?export=xlsx", HTTP_ACCEPT_LANGUAGE="en"))).worksheets[0]
    assert headers(ws)[:2] == ["Estate code", "Estate name"]


def test_arrears_export_has_chinese_frozen_headers(client, sync_groups):
    estate, units = billed_estate(units=2, code="AR")
    bill(units[0], Decimal("12.50"))
    user = UserFactory(mobile="13900000412")
    role_grant(user=user, role=Role.ESTATE_STAFF, estate=estate)
    client.force_login(user)
    wb = book(client.get(reverse("billing_arrears:export")).content)
    summary, bills = wb["按楼栋 By building"], wb["账单 Bills"]
    assert headers(summary)[:3] == ["小区编号", "小区", "楼栋"]
    assert headers(bills)[0] == "账单编号" and headers(bills)[-1] == "状态"
    assert summary.freeze_panes == "A2" and bills.freeze_panes == "A2"


def test_invoice_list_export_has_chinese_frozen_headers(client, sync_groups):
    estate, units = billed_estate(units=1, code="AS")
    bill(units[0], Decimal("12.50"))
    user = UserFactory(mobile="13900000413")
    role_grant(user=user, role=Role.ESTATE_STAFF, estate=estate)
    client.force_login(user)
    ws = book(body(client.get(reverse("billing_invoice:index") + "?export=xlsx"))).worksheets[0]
    assert headers(ws)[:3] == ["账单编号", "小区", "房屋"] and ws.freeze_panes == "A2"


def test_header_constants_still_name_every_column():
    """The old English keys the tests import with are the sheets' keys (the import reads both)."""
    assert ESTATE_HEAD == [c.key for c in inventory.ESTATES.columns]
    assert UNIT_HEAD == [c.key for c in inventory.UNITS.columns]
    assert OWNER_HEAD == [c.key for c in inventory.OWNERS.columns]


def test_every_back_office_list_export_names_its_columns_in_chinese():
    """A list export added later gets readable headers too: each exported field has a Heading."""
    from wagtail.admin.viewsets import viewsets

    from estates.spreadsheets import Heading

    reverse("estates_owner:index")  # the registry fills when the admin URLs load
    exporting = [vs for vs in viewsets.viewsets if isinstance(getattr(vs, "list_export", None), list | tuple) and vs.list_export]
    assert {"estates_estate", "estates_building", "estates_unit", "estates_owner", "billing_invoice"} <= {
        vs.name for vs in exporting
    }
    missing = {
        vs.name: [f for f in vs.list_export if not isinstance((vs.export_headings or {}).get(f), Heading)] for vs in exporting
    }
    assert {name: fields for name, fields in missing.items() if fields} == {}
