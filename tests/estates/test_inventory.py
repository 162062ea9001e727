"""Inventory import/export (摸清底数): all or nothing, every error reported, idempotent, round trip."""

import datetime
import io
import time
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.urls import reverse

from accounts.models import Role
from estates import inventory
from estates.inventory import ImportReport, InventoryError, inventory_export, inventory_import
from estates.models import Building, Community, District, Estate, Owner, OwnerKind, Ownership, Subdistrict, Unit
from estates.services import role_grant

from .factories import UserFactory, make_resident_id

pytestmark = pytest.mark.django_db

ID_ZHANG = make_resident_id(1)
ID_LI = make_resident_id(2)
ID_WANG = make_resident_id(3)
USCC = "91350100M000100Y43"
INVENTORY_MODELS = [District, Subdistrict, Community, Estate, Building, Unit, Owner, Ownership]

ESTATE_HEAD = ["code", "name", "district", "subdistrict", "community", "address", "built_year"]
BUILDING_HEAD = ["estate_code", "number", "floors", "built_year", "lift_added_year"]
UNIT_HEAD = ["estate_code", "building", "entrance", "floor", "number", "exclusive_area", "use", "built_year"]
OWNER_HEAD = ["estate_code", "building", "entrance", "unit", "name", "kind", "id_number", "phone", "share", "since"]


def xlsx(sheets: dict[str, list[list]]) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def good_sheets() -> dict[str, list[list]]:
    return {
        "小区": [ESTATE_HEAD, ["CQ-001", "民生小区", "渝中区", "解放碑街道", "民生路社区", "民生路1号", 1995]],
        "楼栋": [BUILDING_HEAD, ["CQ-001", "1", 6, 1995, None], ["CQ-001", "2", 7, 1996, 2021]],
        "房屋": [
            UNIT_HEAD,
            ["CQ-001", "1", 1, 3, "301", 89.37, "住宅", 1995],
            ["CQ-001", "1", 1, 3, "302", "75.5", "residential", None],
            ["CQ-001", "2", 2, 1, "101", 120.05, "商铺", None],
        ],
        "业主": [
            OWNER_HEAD,
            ["CQ-001", "1", 1, "301", "张三", "个人", ID_ZHANG, "13812345678", 0.5, datetime.date(2020, 1, 1)],
            ["CQ-001", "1", 1, "301", "李四", "个人", ID_LI, None, 0.5, "2020-01-01"],
            ["CQ-001", "1", 1, "302", "张三", None, ID_ZHANG, "13812345678", None, datetime.date(2021, 3, 1)],
            ["CQ-001", "2", 2, "101", "山城商贸有限公司", "单位", USCC, None, 1, datetime.date(2019, 5, 1)],
        ],
    }


def run(data: bytes, user=None) -> ImportReport:
    return inventory_import(file=io.BytesIO(data), user=user)


def snapshot() -> dict[str, list[dict]]:
    """Every field of every inventory row: equal snapshots mean nothing changed at all."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in INVENTORY_MODELS}


def where(report: ImportReport) -> list[tuple]:
    return [(e.sheet, e.row, e.column, e.field) for e in report.errors]


@pytest.fixture
def imported():
    report = run(xlsx(good_sheets()))
    assert report.ok, [str(e) for e in report.errors]
    return report


@pytest.fixture
def groups():
    from django.contrib.auth.models import Group

    from estates.roles import sync_role_groups

    if not Group.objects.filter(name=Role.ESTATE_STAFF).exists():
        sync_role_groups()


# --- a good file --------------------------------------------------------------------------


def test_import_creates_the_inventory(imported):
    assert imported.created == {"estates": 1, "buildings": 2, "units": 3, "owners": 3, "ownerships": 4}
    assert imported.total_updated == 0
    estate = Estate.objects.get(code="CQ-001")
    assert (estate.name, estate.address, estate.built_year) == ("民生小区", "民生路1号", 1995)
    assert estate.community.name == "民生路社区"
    assert estate.community.subdistrict.name == "解放碑街道"
    assert estate.community.subdistrict.district.name == "渝中区"

    unit = Unit.objects.get(building__estate=estate, building__number="1", number="301")
    assert unit.exclusive_area == Decimal("89.37") and str(unit.exclusive_area) == "89.37"
    assert Unit.objects.get(number="302").exclusive_area == Decimal("75.50")
    shop = Unit.objects.get(number="101")
    assert (shop.use, shop.entrance, shop.floor, shop.exclusive_area) == ("shop", 2, 1, Decimal("120.05"))
    assert Building.objects.get(number="2").lift_added_year == 2021

    zhang = Owner.objects.get(name="张三")
    assert ID_ZHANG not in zhang.id_number_encrypted
    assert zhang.get_id_number() == ID_ZHANG
    assert zhang.id_number_masked == ID_ZHANG[:4] + "*" * 10 + ID_ZHANG[-4:]
    assert zhang.get_phone() == "13812345678" and zhang.phone_masked == "138****5678"
    assert sorted(zhang.ownerships.values_list("unit__number", "share")) == [("301", Decimal("0.5")), ("302", Decimal("1"))]
    company = Owner.objects.get(kind=OwnerKind.ORGANISATION)
    assert company.credit_code == USCC and company.id_number_digest == ""
    assert Ownership.objects.get(unit=unit, owner__name="李四").since == datetime.date(2020, 1, 1)


def test_english_sheet_and_column_names_and_chinese_headers_are_accepted():
    sheets = good_sheets()
    data = xlsx(
        {
            "estates": sheets["小区"],
            "Buildings": sheets["楼栋"],
            "房屋": [["小区编码", "楼栋号", "单元", "楼层", "房号", "专有面积（㎡）", "用途", "建成年份"], *sheets["房屋"][1:]],
            "owners": [
                [
                    "estate_code",
                    "building",
                    "entrance",
                    "unit number",
                    "owner name",
                    "kind",
                    "证件号码",
                    "phone",
                    "share",
                    "since",
                ],
                *sheets["业主"][1:],
            ],
        }
    )
    report = run(data)
    assert report.ok, [str(e) for e in report.errors]
    assert report.created["units"] == 3 and report.created["ownerships"] == 4


def test_reimporting_the_same_file_changes_nothing(imported):
    before = snapshot()
    second = run(xlsx(good_sheets()))
    assert second.ok
    assert second.total_created == 0 and second.total_updated == 0
    assert snapshot() == before


def test_an_existing_unit_is_updated_not_duplicated(imported):
    sheets = good_sheets()
    sheets["房屋"][1][5] = 90.12
    sheets["业主"][1][8] = 0.4
    report = run(xlsx(sheets))
    assert report.ok
    assert report.updated["units"] == 1 and report.created["units"] == 0
    assert report.updated["ownerships"] == 1
    assert Unit.objects.count() == 3
    assert Unit.objects.get(number="301").exclusive_area == Decimal("90.12")


def test_masked_values_match_only_the_registered_owner(imported):
    zhang = Owner.objects.get(name="张三")
    sheets = good_sheets()
    sheets["业主"][1][6] = zhang.id_number_masked
    sheets["业主"][1][7] = zhang.phone_masked
    sheets["业主"][3][6] = zhang.id_number_masked
    sheets["业主"][3][7] = zhang.phone_masked
    before = snapshot()
    report = run(xlsx(sheets))
    assert report.ok and report.total_created == 0 and report.total_updated == 0
    assert snapshot() == before

    wrong = good_sheets()
    wrong["业主"][1][6] = "9999**********1234"  # no such owner: a mask can never create one
    wrong["业主"][3][7] = "139****0000"  # not the registered phone
    report = run(xlsx(wrong))
    assert where(report) == [("业主", 2, "G", "id_number"), ("业主", 4, "H", "phone")]
    assert snapshot() == before


# --- bad files: every error reported, nothing written -------------------------------------


def assert_refused(data: bytes, before: dict) -> ImportReport:
    report = run(data)
    assert report.errors, "the file should have been refused"
    assert report.total_created == 0 and report.total_updated == 0
    assert snapshot() == before
    return report


def test_missing_column(imported):
    before = snapshot()
    sheets = good_sheets()
    sheets["房屋"] = [[c for c in row[:5]] + row[6:] for row in sheets["房屋"]]  # no exclusive_area
    report = assert_refused(xlsx(sheets), before)
    assert where(report) == [("房屋", 1, None, "exclusive_area")]
    assert "缺少必填列 exclusive_area" in str(report.errors[0])
    assert "the required column exclusive_area (专有面积) is missing" in str(report.errors[0])


def test_unknown_estate_code(imported):
    before = snapshot()
    sheets = good_sheets()
    sheets["房屋"].append(["NOPE", "1", 1, 2, "201", 60, None, None])
    report = assert_refused(xlsx(sheets), before)
    assert where(report) == [("房屋", 5, "A", "estate_code")]
    assert "未知的小区编码 NOPE" in str(report.errors[0]) and "unknown estate code NOPE" in str(report.errors[0])


def test_duplicate_unit_in_the_file(imported):
    before = snapshot()
    sheets = good_sheets()
    sheets["房屋"].append(["CQ-001", "1", 1, 3, "301", 70, None, None])
    report = assert_refused(xlsx(sheets), before)
    assert where(report) == [("房屋", 5, "E", "number")]
    assert "与第2行相同" in report.errors[0].message_zh and "already on row 2" in report.errors[0].message_en


@pytest.mark.parametrize(
    ("area", "zh", "en"),
    [
        ("八十", "面积必须是数字", "the area must be a number"),
        ("12,5m", "面积必须是数字", "the area must be a number"),
        (0, "面积必须大于0", "the area must be greater than 0"),
        (-12.5, "面积必须大于0", "the area must be greater than 0"),
        (80.125, "面积最多保留两位小数", "the area may have at most two decimal places"),
    ],
)
def test_bad_area(imported, area, zh, en):
    before = snapshot()
    sheets = good_sheets()
    sheets["房屋"][2][5] = area
    report = assert_refused(xlsx(sheets), before)
    assert where(report) == [("房屋", 3, "F", "exclusive_area")]
    assert str(report.errors[0]) == f"[房屋] 第3行 F列 exclusive_area: {zh} / Row 3, column F (exclusive_area): {en}"


def test_bad_id_number_check_character(imported):
    before = snapshot()
    sheets = good_sheets()
    bad = ID_LI[:-1] + ("0" if ID_LI[-1] != "0" else "1")
    sheets["业主"][2][6] = bad
    report = assert_refused(xlsx(sheets), before)
    assert where(report) == [("业主", 3, "G", "id_number")]
    assert "校验位错误" in report.errors[0].message_zh and "check character" in report.errors[0].message_en


def test_id_number_typed_as_a_number_is_refused(imported):
    before = snapshot()
    sheets = good_sheets()
    sheets["业主"].append(["CQ-001", "1", 1, "302", "王五", "个人", 500103196302040031, None, None, "2022-01-01"])
    report = assert_refused(xlsx(sheets), before)
    assert where(report) == [("业主", 6, "G", "id_number")]
    assert "as text" in report.errors[0].message_en


def test_shares_above_one(imported):
    before = snapshot()
    sheets = good_sheets()
    # 301 already has 张三 0.5 and 李四 0.5 on the sheet; a third owner takes it past 1.
    sheets["业主"].append(["CQ-001", "1", 1, "301", "王五", "个人", ID_WANG, None, 0.25, "2022-01-01"])
    report = assert_refused(xlsx(sheets), before)
    assert where(report) == [("业主", 6, "I", "share")]
    assert "1.25" in report.errors[0].message_zh and "more than 1" in report.errors[0].message_en


def test_shares_above_one_counting_ownerships_already_registered(imported):
    before = snapshot()
    data = xlsx({"业主": [OWNER_HEAD, ["CQ-001", "1", 1, "301", "王五", "个人", ID_WANG, None, 0.5, "2022-01-01"]]})
    report = assert_refused(data, before)
    assert where(report) == [("业主", 2, "I", "share")]


@pytest.mark.parametrize(
    ("content", "zh"),
    [
        (b"", "文件是空的"),
        (b"code,name\nCQ-001,x\n", "文件不是 Excel 工作簿"),
        ("小区编码\t小区名称\n".encode(), "文件不是 Excel 工作簿"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "旧版 .xls"),
    ],
    ids=["zero-bytes", "csv", "text", "old-xls"],
)
def test_not_an_xlsx_file(imported, tmp_path, content, zh):
    before = snapshot()
    path = tmp_path / "inventory.xlsx"
    path.write_bytes(content)
    report = inventory_import(file=path)
    assert [e.message_zh for e in report.errors if zh in e.message_zh], report.errors
    assert len(report.errors) == 1 and report.errors[0].sheet == "" and report.errors[0].row is None
    assert snapshot() == before


def test_a_zip_that_is_not_a_workbook(imported):
    before = snapshot()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    report = assert_refused(buffer.getvalue(), before)
    assert "not a valid Excel workbook" in report.errors[0].message_en


def test_a_workbook_without_data_rows(imported):
    before = snapshot()
    report = assert_refused(xlsx({"小区": [ESTATE_HEAD], "房屋": [UNIT_HEAD]}), before)
    assert [e.message_en for e in report.errors] == ["the file contains no data rows"]
    report = assert_refused(xlsx({"Sheet1": [["a", "b"], [1, 2]]}), before)
    assert "none of the sheets" in report.errors[0].message_en


def test_more_rows_than_the_limit(imported, monkeypatch):
    monkeypatch.setattr(inventory.workbook, "MAX_ROWS_PER_SHEET", 4)
    before = snapshot()
    sheets = good_sheets()
    sheets["房屋"].append(["CQ-001", "1", 1, 4, "401", 60, None, None])
    sheets["房屋"].append(["CQ-001", "1", 1, 4, "402", 60, None, None])
    report = assert_refused(xlsx(sheets), before)
    assert where(report) == [("房屋", None, None, "")]
    assert "上限" in report.errors[0].message_zh and "more than the limit of 4" in report.errors[0].message_en


def test_every_error_is_reported_with_sheet_row_and_column(imported):
    before = snapshot()
    sheets = good_sheets()
    sheets["小区"].append(["CQ-002", "", "渝中区", "解放碑街道", "民生路社区", None, 1800])
    sheets["楼栋"].append(["CQ-001", "3", "six", None, None])
    sheets["房屋"][2][5] = "abc"
    sheets["房屋"].append(["CQ-009", "1", 1, 2, "201", 60, "garage", None])
    sheets["业主"][2][6] = ID_LI[:-1] + ("0" if ID_LI[-1] != "0" else "1")
    sheets["业主"][3][9] = "last spring"
    report = assert_refused(xlsx(sheets), before)
    assert where(report) == [
        ("小区", 3, "B", "name"),
        ("小区", 3, "G", "built_year"),
        ("楼栋", 4, "C", "floors"),
        ("房屋", 3, "F", "exclusive_area"),
        ("房屋", 5, "A", "estate_code"),
        ("房屋", 5, "G", "use"),
        ("业主", 3, "G", "id_number"),
        ("业主", 4, "J", "since"),
    ]


# --- export and the round trip ------------------------------------------------------------


def test_export_then_import_changes_nothing(imported, tmp_path):
    before = snapshot()
    path = tmp_path / "export.xlsx"
    inventory_export(file=path)
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames[:4] == ["小区", "楼栋", "房屋", "业主"]
    owners = list(wb["业主"].iter_rows(values_only=True))
    assert owners[0] == tuple(inventory.OWNERS.column(key).zh for key in OWNER_HEAD)  # Chinese headers
    assert ID_ZHANG in {row[6] for row in owners}  # the operator's export has full numbers
    wb.close()

    report = inventory_import(file=path)
    assert report.ok and report.total_created == 0 and report.total_updated == 0
    assert snapshot() == before


def test_masked_export_holds_no_full_number_and_round_trips(imported):
    before = snapshot()
    buffer = io.BytesIO()
    inventory_export(file=buffer, mask_personal_data=True)
    wb = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()), read_only=True)
    cells = {str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None}
    assert not {ID_ZHANG, ID_LI, "13812345678"} & cells
    assert Owner.objects.get(name="张三").id_number_masked in cells
    assert USCC in cells  # an organisation's credit code is public
    report = run(buffer.getvalue())
    assert report.ok and report.total_created == 0 and report.total_updated == 0
    assert snapshot() == before


def test_export_of_one_estate_imports_into_an_empty_database(imported):
    buffer = io.BytesIO()
    inventory_export(file=buffer, estates_qs=Estate.objects.filter(code="CQ-001"))
    before = snapshot()
    Ownership.objects.all().delete()
    Owner.objects.all().delete()
    Unit.objects.all().delete()
    Building.objects.all().delete()
    Estate.objects.all().delete()
    report = run(buffer.getvalue())
    assert report.ok
    assert report.created == {"estates": 1, "buildings": 2, "units": 3, "owners": 3, "ownerships": 4}
    after = snapshot()
    for model in ("Unit", "Ownership", "Building"):
        strip = lambda rows: [{k: v for k, v in r.items() if not k.endswith("id")} for r in rows]  # noqa: E731
        assert strip(after[model]) == strip(before[model])


# --- the commands -------------------------------------------------------------------------


def test_import_command_prints_counts(tmp_path):
    path = tmp_path / "inventory.xlsx"
    path.write_bytes(xlsx(good_sheets()))
    out = io.StringIO()
    call_command("import_inventory", str(path), stdout=out)
    assert "units: 3 created, 0 updated" in out.getvalue()
    out = io.StringIO()
    call_command("import_inventory", str(path), stdout=out)
    assert "units: 0 created, 0 updated" in out.getvalue()
    assert "total: 0 created, 0 updated" in out.getvalue()
    assert Unit.objects.count() == 3


def test_import_command_fails_with_every_error(imported, tmp_path, monkeypatch, capsys):
    before = snapshot()
    sheets = good_sheets()
    sheets["房屋"][2][5] = "abc"
    sheets["房屋"][3][5] = -1
    path = tmp_path / "bad.xlsx"
    path.write_bytes(xlsx(sheets))
    with pytest.raises(CommandError) as excinfo:
        call_command("import_inventory", str(path), stderr=io.StringIO())
    assert "第3行 F列 exclusive_area: 面积必须是数字 / Row 3, column F (exclusive_area): the area must be a number" in str(
        excinfo.value
    )
    assert "第4行 F列 exclusive_area: 面积必须大于0" in str(excinfo.value)

    # From the shell: exit status 1, every error on stderr.
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "import_inventory", str(path)]).execute()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "Row 3, column F (exclusive_area): the area must be a number" in err
    assert "Row 4, column F (exclusive_area): the area must be greater than 0" in err
    assert snapshot() == before


def test_import_command_missing_file(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_inventory", str(tmp_path / "nope.xlsx"))


def test_export_command(imported, tmp_path):
    path = tmp_path / "out.xlsx"
    out = io.StringIO()
    call_command("export_inventory", path, "--estate", "CQ-001", stdout=out)
    assert "3 units" in out.getvalue()
    wb = openpyxl.load_workbook(path, read_only=True)
    assert len(list(wb["房屋"].iter_rows(values_only=True))) == 4
    wb.close()
    with pytest.raises(CommandError, match="NOPE"):
        call_command("export_inventory", str(path), "--estate", "NOPE")


# --- the back office ----------------------------------------------------------------------


@pytest.fixture
def two_estates(imported, groups):
    other = run(
        xlsx(
            {
                "小区": [ESTATE_HEAD, ["CQ-002", "和平小区", "渝中区", "解放碑街道", "民生路社区", None, None]],
                "楼栋": [BUILDING_HEAD, ["CQ-002", "1", 5, None, None]],
                "房屋": [UNIT_HEAD, ["CQ-002", "1", 1, 1, "101", 50, None, None]],
            }
        )
    )
    assert other.ok
    return Estate.objects.get(code="CQ-001"), Estate.objects.get(code="CQ-002")


def staff_of(estate, mobile="13900000011"):
    user = UserFactory(mobile=mobile)
    role_grant(user=user, role=Role.ESTATE_STAFF, estate=estate)
    return user


def upload(client, data: bytes, name="inventory.xlsx"):
    return client.post(reverse("inventory_import"), {"file": _named(data, name)})


def _named(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def assert_view_refused(response):
    """The back office refuses with 403, or (Wagtail's way) a redirect to the dashboard or login."""
    assert response.status_code == 403 or (
        response.status_code == 302 and response["Location"].split("?")[0] in ("/admin/", "/admin/login/")
    ), response


def test_anonymous_is_sent_to_the_back_office_login(client):
    # Mounted by the Wagtail hook, the pages sit behind the back office's own login.
    for name in ("inventory_import", "inventory_export"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/?next=")


def test_people_without_the_permission_are_refused(client, two_estates):
    committee = UserFactory(mobile="13900000012")
    role_grant(user=committee, role=Role.COMMITTEE_MEMBER, estate=two_estates[0])
    client.force_login(committee)
    assert_view_refused(client.get(reverse("inventory_import")))
    assert client.get(reverse("inventory_export")).status_code == 200  # may view, so may download
    nobody = UserFactory(mobile="13900000013", is_staff=True)
    client.force_login(nobody)
    assert_view_refused(client.get(reverse("inventory_export")))
    assert_view_refused(client.post(reverse("inventory_import"), {"file": _named(xlsx(good_sheets()), "x.xlsx")}))


def test_staff_import_their_own_estate(client, two_estates):
    client.force_login(staff_of(two_estates[0]))
    response = client.get(reverse("inventory_import"))
    assert response.status_code == 200 and reverse("inventory_export") in response.content.decode()
    sheets = {"房屋": [UNIT_HEAD, ["CQ-001", "1", 1, 3, "301", 88.8, "住宅", 1995]]}
    response = upload(client, xlsx(sheets))
    assert response.status_code == 200
    assert response.context["report"].updated["units"] == 1
    assert Unit.objects.get(building__estate__code="CQ-001", number="301").exclusive_area == Decimal("88.80")


def test_staff_of_another_estate_are_refused(client, two_estates):
    client.force_login(staff_of(two_estates[1]))
    before = snapshot()
    response = upload(client, xlsx(good_sheets()))  # every row is about CQ-001
    assert response.status_code == 200
    report = response.context["report"]
    assert report.errors and all("CQ-001" in e.message_en for e in report.errors)
    assert {e.sheet for e in report.errors} == {"小区", "楼栋", "房屋", "业主"}
    assert "无权导入该小区 CQ-001" in response.content.decode()
    assert snapshot() == before


def test_only_someone_who_sees_everything_creates_an_estate(client, two_estates):
    sheets = {"小区": [ESTATE_HEAD, ["CQ-003", "新小区", "渝中区", "解放碑街道", "民生路社区", None, None]]}
    client.force_login(staff_of(two_estates[0]))
    before = snapshot()
    report = upload(client, xlsx(sheets)).context["report"]
    assert where(report) == [("小区", 2, "A", "code")]
    assert snapshot() == before

    admin = UserFactory(mobile="13900000014")
    role_grant(user=admin, role=Role.PLATFORM_ADMIN)
    client.force_login(admin)
    report = upload(client, xlsx(sheets)).context["report"]
    assert report.ok and report.created["estates"] == 1


def test_upload_must_be_an_xlsx(client, two_estates):
    client.force_login(staff_of(two_estates[0]))
    before = snapshot()
    response = upload(client, b"code,name\n", name="inventory.csv")
    assert response.status_code == 200 and response.context["report"] is None
    assert response.context["form"].errors["file"]
    response = upload(client, b"code,name\n", name="renamed.xlsx")
    assert "not an Excel workbook" in response.context["report"].errors[0].message_en
    assert snapshot() == before


def test_back_office_download_is_scoped_masked_and_round_trips(client, two_estates):
    client.force_login(staff_of(two_estates[0]))
    response = client.get(reverse("inventory_export"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = b"".join(response.streaming_content) if response.streaming else response.content
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    codes = {row[0] for row in wb["小区"].iter_rows(min_row=2, values_only=True)}
    cells = {str(v) for row in wb["业主"].iter_rows(values_only=True) for v in row if v is not None}
    wb.close()
    assert codes == {"CQ-001"}
    assert ID_ZHANG not in cells and Owner.objects.get(name="张三").id_number_masked in cells
    assert client.get(reverse("inventory_export") + "?estate=CQ-002").status_code == 404

    before = snapshot()
    report = upload(client, data).context["report"]
    assert report.ok and report.total_created == 0 and report.total_updated == 0
    assert snapshot() == before


# --- size -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_100k_row_units_sheet_imports():
    wb = openpyxl.Workbook(write_only=True)  # write-only: building the test file stays cheap too
    estates, buildings, units = wb.create_sheet("小区"), wb.create_sheet("楼栋"), wb.create_sheet("房屋")
    estates.append(ESTATE_HEAD)
    estates.append(["BIG", "大社区", "渝北区", "龙溪街道", "龙湖社区", None, None])
    buildings.append(BUILDING_HEAD)
    units.append(UNIT_HEAD)
    for b in range(1, 101):
        buildings.append(["BIG", str(b), 20, None, None])
        for entrance in range(1, 6):
            for floor in range(1, 21):
                for door in range(1, 11):
                    units.append(["BIG", str(b), entrance, floor, f"{floor}{door:02d}", 50 + door + 0.25, None, None])
    buffer = io.BytesIO()
    wb.save(buffer)
    data = buffer.getvalue()
    started, cpu = time.perf_counter(), time.process_time()
    report = run(data)
    took, took_cpu = time.perf_counter() - started, time.process_time() - cpu
    assert report.ok, [str(e) for e in report.errors[:5]]
    assert report.created["units"] == 100_000 and Unit.objects.count() == 100_000
    assert Unit.objects.get(building__number="7", entrance=3, number="1205").exclusive_area == Decimal("55.25")
    started, cpu = time.perf_counter(), time.process_time()
    again = run(data)
    took_again, took_again_cpu = time.perf_counter() - started, time.process_time() - cpu
    assert again.ok and again.total_created == 0 and again.total_updated == 0
    print(f"100k units: import {took:.1f} s ({took_cpu:.1f} s CPU), re-import {took_again:.1f} s ({took_again_cpu:.1f} s CPU)")
    assert took_cpu < 120  # CPU time: wall time depends on what else the machine is doing


def test_error_lines_read_in_both_languages():
    error = InventoryError("房屋", 3, "C", "面积必须是数字", "the area must be a number", "exclusive_area")
    assert (
        str(error)
        == "[房屋] 第3行 C列 exclusive_area: 面积必须是数字 / Row 3, column C (exclusive_area): the area must be a number"
    )
    assert str(InventoryError("", None, None, "文件是空的", "the file is empty")) == "文件是空的 / The file is empty"
