"""Inventory import and export (摸清底数): estates, buildings, units and owners in one Excel workbook.

Modules: ``layout`` (sheets and columns), ``workbook`` (opening and reading, with the limits), ``cells`` and
``rows`` (reading one row), ``planning`` (checks against the database), ``writing``, ``importing``
(``inventory_import``), ``exporting`` (``inventory_export``), ``report`` (``ImportReport``, ``InventoryError``).

The workbook (.xlsx only) has up to four sheets. Sheet names and column headers may be written in
Chinese or English; case, surrounding spaces, a leading ``*`` and a bracketed note such as
``专有面积（㎡）`` are ignored. The first non-empty row of a sheet is its header; other sheets (a
``说明`` sheet, say) are ignored. Column order does not matter. ``*`` marks a required column.

小区 / estates
    code* 小区编码 · name* 小区名称 · district* 区县 · subdistrict* 街道 · community* 社区 ·
    address 地址 · built_year 建成年份
    District, sub-district and community are given by name. Ones that do not exist yet are created
    (only by a user who sees every estate; see "Who may import what").
楼栋 / buildings
    estate_code* 小区编码 · number* 楼栋号 · floors* 地上层数 · built_year 建成年份 ·
    lift_added_year 加装电梯年份
房屋 / units
    estate_code* 小区编码 · building* 楼栋号 · entrance 单元 (blank = 1) · floor* 楼层 ·
    number* 房号 · exclusive_area* 专有面积 (m², > 0, at most two decimals) ·
    use 用途 (residential/shop/other or 住宅/商铺/其他; blank = residential) · built_year 建成年份
    The building must exist already or be on the buildings sheet.
业主 / owners — one row per owner and unit (joint owners take one row each)
    estate_code* 小区编码 · building* 楼栋号 · entrance 单元 · unit* 房号 · name* 业主姓名 ·
    kind 业主类型 (person/organisation or 个人/单位; blank = person, or organisation when the
    number is a valid unified social credit code) ·
    id_number* 证件号码 (resident ID number; the unified social credit code for an organisation) ·
    phone 联系电话 · share 份额 (0 < share ≤ 1, blank = 1) · since* 取得日期 (a date)
    The unit must exist already or be on the units sheet. An owner of several units appears on
    several rows, with the same name and phone each time.

Rules
    * All or nothing: the whole file is read and checked first; if any row is wrong nothing is
      written and the report lists every error with its sheet, row, column and reason in Chinese
      and English. Then everything is written in one transaction with bulk inserts and updates.
    * At most ``MAX_ROWS_PER_SHEET`` data rows per sheet; the file is read with openpyxl's
      read-only mode, so memory stays proportional to the rows, not to the XML.
    * Limits against "zip bombs" (a few hundred kilobytes expanding to millions of cells or to one
      enormous cell), checked on the zip and its XML before openpyxl parses anything
      (``estates.spreadsheets.workbook_limit_problem``): 256 MB uncompressed in all (the declared
      sizes, which Python's zipfile enforces), 1,000,000 cells per sheet, 100 columns, 1,000
      characters per cell, 2,000,000 shared texts; columns and cell length are checked again on the values as they are
      read, and reading stops after ``MAX_READ_SECONDS``. A file over a limit is refused within
      seconds, naming the limit and the sheet and cell where it was passed.
    * Matching (so that importing the same file again changes nothing): estates by code,
      buildings by (estate, number), units by (building, entrance, number), owners by (estate,
      keyed digest of the ID number) or (estate, credit code), ownerships by (unit, owner) among
      current ones (``until`` empty). A matched row is an update, and only when a value differs; a
      unit already in the database is therefore not a duplicate, but the same unit twice in the
      file is. The report counts what was created and updated.
    * An optional column left out of a sheet leaves that field as it is; a blank cell in it clears
      the field (or sets the default given above).
    * The import adds and updates; it never deletes or ends anything. Current shares of a unit
      (those in the database not on the sheet plus those on the sheet) may not add up to more than
      1: record a sale by ending the old ownership in the back office first.
    * ID numbers are stored encrypted (``Owner.set_id_number``), with a digest for matching and a
      masked copy for display.

Who may import what (``user``; ``None`` is the operator's command with full access)
    Every estate code a row touches must be one the user sees (``estates_visible_to``), otherwise
    the row is an error ("无权导入该小区"). Only a user who sees everything
    (``user_sees_everything``) may create a new estate, district, sub-district or community, or
    move an estate to another community.

Export
    ``inventory_export`` writes the same four sheets, so export → import is a round trip that changes
    nothing; why the back office gets masked numbers is in ``exporting``.

Error messages are bilingual by design (an import report is read by staff and by whoever made the
spreadsheet), so they are written here in both languages rather than through gettext.
"""

from .exporting import inventory_export
from .importing import inventory_import
from .layout import BUILDINGS, ESTATES, OWNERS, SHEETS, UNITS, Col, SheetSpec
from .report import COUNTED, ImportReport, InventoryError
from .workbook import MAX_READ_SECONDS, MAX_ROWS_PER_SHEET

__all__ = [
    "BUILDINGS",
    "COUNTED",
    "ESTATES",
    "MAX_READ_SECONDS",
    "MAX_ROWS_PER_SHEET",
    "OWNERS",
    "SHEETS",
    "UNITS",
    "Col",
    "ImportReport",
    "InventoryError",
    "SheetSpec",
    "inventory_export",
    "inventory_import",
]
