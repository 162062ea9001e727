"""Import limits: bomb-like workbooks are refused within seconds, saying which limit and where, writing nothing.

The workbooks are written here by hand as minimal .xlsx zips whose XML compresses extremely well:
a few hundred kilobytes that expand to millions of cells or to one enormous cell.
"""

import io
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from accounts.models import Role
from estates import spreadsheets
from estates.services import role_grant

from .factories import UserFactory
from .test_inventory import snapshot

pytestmark = pytest.mark.django_db

SECONDS = 10  # loose: the refusals take well under a second on an idle machine

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    b"</Types>"
)
ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    b"</Relationships>"
)
WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    b"</Relationships>"
)
MAIN = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
UNIT_HEADER = b"".join(
    b'<c r="%s1" t="inlineStr"><is><t>%s</t></is></c>' % (col, name)
    for col, name in zip(
        [bytes([c]) for c in b"ABCDEFGH"],
        [b"estate_code", b"building", b"entrance", b"floor", b"number", b"exclusive_area", b"use", b"built_year"],
        strict=True,
    )
)


def workbook(sheet_title: str, sheet_xml_parts, shared_parts=(b"",), shared_count: int = 0) -> bytes:
    """A minimal .xlsx whose one sheet and shared-string table are streamed from the given byte pieces."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr(
            "xl/workbook.xml",
            b'<?xml version="1.0" encoding="UTF-8"?><workbook %s '
            b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            b'<sheets><sheet name="%s" sheetId="1" r:id="rId1"/></sheets></workbook>' % (MAIN, sheet_title.encode()),
        )
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet %s><sheetData>' % MAIN)
            for part in sheet_xml_parts:
                sheet.write(part)
            sheet.write(b"</sheetData></worksheet>")
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as shared:
            shared.write(
                b'<?xml version="1.0" encoding="UTF-8"?><sst %s count="%d" uniqueCount="%d">' % (MAIN, shared_count, shared_count)
            )
            for part in shared_parts:
                shared.write(part)
            shared.write(b"</sst>")
    return buffer.getvalue()


def two_million_cells() -> bytes:
    """250,000 unit rows of 8 cells each, after a real header: 2 million cells from well under a megabyte."""
    row = b"<row>" + b'<c t="n"><v>1</v></c>' * 8 + b"</row>"
    header = b'<row r="1">' + UNIT_HEADER + b"</row>"
    return workbook("房屋", [header, *(row * 10_000 for _ in range(25))])


def one_huge_cell() -> bytes:
    """A units sheet whose E2 (the unit number) refers to a 100 MB shared text."""
    row = b'<row r="2"><c r="A2" t="inlineStr"><is><t>CQ-001</t></is></c><c r="E2" t="s"><v>0</v></c></row>'
    header = b'<row r="1">' + UNIT_HEADER + b"</row>"
    chunk = b"9" * (1024 * 1024)
    return workbook("房屋", [header, row], [b"<si><t>", *(chunk for _ in range(100)), b"</t></si>"], shared_count=1)


def one_huge_inline_cell() -> bytes:
    row_start = b'<row r="2"><c r="A2" t="inlineStr"><is><t>CQ-001</t></is></c><c r="B2" t="inlineStr"><is><t>'
    chunk = b"\xe6\xa5\xbc" * (350 * 1024)  # 楼, about a megabyte
    return workbook(
        "房屋", [b'<row r="1">' + UNIT_HEADER + b"</row>", row_start, *(chunk for _ in range(20)), b"</t></is></c></row>"]
    )


def very_wide() -> bytes:
    header = b'<row r="1">' + UNIT_HEADER + b"</row>"
    row = b'<row r="2"><c r="A2" t="n"><v>1</v></c><c r="XFD2" t="n"><v>1</v></c></row>'
    return workbook("房屋", [header, row])


@pytest.fixture
def platform_admin(client, sync_groups):
    admin = UserFactory(mobile="13900000401")
    role_grant(user=admin, role=Role.PLATFORM_ADMIN)
    client.force_login(admin)
    return admin


def command_refuses(tmp_path, data: bytes) -> tuple[str, float]:
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(data)
    before = snapshot()
    started = time.perf_counter()
    with pytest.raises(CommandError) as failure:
        call_command("import_inventory", str(path))
    took = time.perf_counter() - started
    assert snapshot() == before
    return str(failure.value), took


def upload_refuses(client, data: bytes) -> tuple[list, str, float]:
    before = snapshot()
    started = time.perf_counter()
    response = client.post(reverse("inventory_import"), {"file": SimpleUploadedFile("bomb.xlsx", data)})
    took = time.perf_counter() - started
    assert response.status_code == 200
    assert snapshot() == before
    report = response.context["report"]
    return [(e.sheet, e.row, e.column) for e in report.errors], response.content.decode(), took


def test_two_million_cells_are_refused_by_the_command(tmp_path):
    data = two_million_cells()
    assert len(data) < 1024 * 1024
    message, took = command_refuses(tmp_path, data)
    assert "[房屋] 工作表超过 1000000 个单元格的上限" in message
    assert "The sheet has more than the limit of 1000000 cells" in message
    assert took < SECONDS


def test_two_million_cells_are_refused_by_the_upload(client, platform_admin):
    where, html, took = upload_refuses(client, two_million_cells())
    assert where == [("房屋", None, None)]
    assert "超过 1000000 个单元格的上限" in html
    assert took < SECONDS


def test_a_100_mb_cell_is_refused_with_its_place(tmp_path, client, platform_admin):
    data = one_huge_cell()
    assert len(data) < 300 * 1024
    message, took = command_refuses(tmp_path, data)
    assert "[房屋] 第2行 E列: 单元格内容超过 1000 个字符的上限" in message
    assert "Row 2, column E: a cell holds more than the limit of 1000 characters" in message
    assert took < SECONDS
    where, html, took = upload_refuses(client, data)
    assert where == [("房屋", 2, "E")] and took < SECONDS
    assert "单元格内容超过 1000 个字符的上限" in html


def test_a_huge_inline_text_is_refused_with_its_place(tmp_path):
    message, took = command_refuses(tmp_path, one_huge_inline_cell())
    assert "[房屋] 第2行 B列: 单元格内容超过 1000 个字符的上限" in message and took < SECONDS


def test_a_cell_in_column_xfd_is_refused(tmp_path, client, platform_admin):
    message, took = command_refuses(tmp_path, very_wide())
    assert "[房屋] 第2行 XFD列: 超过 100 列的上限" in message
    assert "more than the limit of 100 columns" in message and took < SECONDS
    where, _html, _took = upload_refuses(client, very_wide())
    assert where == [("房屋", 2, "XFD")]


def test_the_uncompressed_size_is_bounded_by_the_declared_sizes(tmp_path, monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_UNCOMPRESSED_BYTES", 20 * 1024 * 1024)
    padding = b"<row/>" * (1024 * 1024)  # 6 MB per piece, 30 MB in all
    message, took = command_refuses(tmp_path, workbook("房屋", [padding] * 5))
    assert "工作簿解压后为 30 MB，超过 20 MB 的上限（最大部分：xl/worksheets/sheet1.xml）" in message
    assert "The workbook expands to 30 MB, more than the limit of 20 MB" in message
    assert took < SECONDS


def test_a_long_text_split_over_rich_text_runs_is_caught_while_reading(tmp_path):
    """Each run is short, so the XML check passes it; the value check refuses the whole text."""
    runs = b"".join(b"<r><t>%s</t></r>" % (b"x" * 900) for _ in range(3))
    row = b'<row r="2"><c r="A2" t="inlineStr"><is><t>CQ-001</t></is></c><c r="B2" t="inlineStr"><is>' + runs + b"</is></c></row>"
    message, _took = command_refuses(tmp_path, workbook("房屋", [b'<row r="1">' + UNIT_HEADER + b"</row>", row]))
    assert "[房屋] 第2行 B列: 单元格内容超过 1000 个字符的上限" in message


def test_reading_stops_at_the_time_limit(tmp_path, monkeypatch):
    from estates.inventory import workbook as reading

    monkeypatch.setattr(reading, "MAX_READ_SECONDS", 0)
    rows = b"".join(b'<row r="%d"><c r="A%d" t="n"><v>1</v></c></row>' % (n, n) for n in range(2, 3003))
    message, _took = command_refuses(tmp_path, workbook("房屋", [b'<row r="1">' + UNIT_HEADER + b"</row>", rows]))
    assert "[房屋] 第1000行: 读取超过 0 秒的时间上限" in message
    assert "reading took longer than the limit of 0 seconds" in message


def test_a_shared_text_table_of_millions_of_entries_is_refused(tmp_path, monkeypatch):
    """openpyxl keeps the whole table in memory: tiny entries by the million are a memory bomb."""
    monkeypatch.setattr(spreadsheets, "MAX_SHARED_TEXTS", 100_000)
    entries = [b"<si><t>a</t></si>" * 50_000] * 3
    message, took = command_refuses(tmp_path, workbook("房屋", [b'<row r="1">' + UNIT_HEADER + b"</row>"], entries, 150_000))
    assert "工作簿的共享文本超过 100000 条的上限" in message and took < SECONDS
