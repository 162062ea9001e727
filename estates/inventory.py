"""Inventory import and export (摸清底数): estates, buildings, units and owners in one Excel workbook.

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

Export, and why the back office gets masked numbers
    ``inventory_export`` writes the same four sheets (Chinese sheet names; as headers the Chinese
    column names above in Chinese mode, the keys in words — ``Estate code`` — in English mode; the
    header row frozen; plus a ``说明`` sheet explaining them), so export → import is a round trip
    that changes nothing. The ``export_inventory`` command runs on the server by an operator who
    could read the database and its key anyway, so it writes full ID numbers and phones. The
    back-office download writes the masked copies instead (``mask_personal_data=True``): a
    spreadsheet is copied and mailed around, and the safest full number is one never put in it.
    Logging a PersonalDataAccess row per owner would record the leak, not prevent it. To keep the
    round trip working, the importer accepts a masked value (one containing ``*``) only where it
    equals the stored mask of an owner already registered in that estate (for the ID number: the
    owner whose mask it is — if several owners share a mask, the one holding that unit, or with that
    name); a masked phone must equal the stored masked phone. Anything else masked is an error, so a
    masked value can never create an owner or overwrite a real number.

Error messages are bilingual by design (an import report is read by staff and by whoever made the
spreadsheet), so they are written here in both languages rather than through gettext.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import openpyxl
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from . import crypto
from .models import (
    Building,
    Community,
    District,
    Estate,
    Owner,
    OwnerKind,
    Ownership,
    Subdistrict,
    Unit,
    UnitUse,
)
from .selectors import estates_visible_to, user_sees_everything
from .spreadsheets import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    LimitProblem,
    append_header,
    in_chinese,
    looks_like_formula,
    workbook_limit_problem,
    xlsx_row,
)
from .validators import (
    is_valid_resident_id,
    is_valid_uscc,
    mask_phone,
    normalise_resident_id,
    normalise_uscc,
    validate_resident_id,
    validate_uscc,
)

MAX_ROWS_PER_SHEET = 200_000
MAX_READ_SECONDS = 120  # reading and checking the rows; the limits below usually refuse a file much sooner
COUNTED = ("estates", "buildings", "units", "owners", "ownerships")
_BATCH = 2000


# --- the report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class InventoryError:
    """One thing wrong with an import file. ``row`` is the Excel row number, ``column`` its letter."""

    sheet: str
    row: int | None
    column: str | None
    message_zh: str
    message_en: str
    field: str = ""

    @property
    def text_zh(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"第{self.row}行")
        if self.column:
            where.append(f"{self.column}列")
        if self.field:
            where.append(self.field)
        prefix = " ".join(where)
        return f"{prefix}: {self.message_zh}" if prefix else self.message_zh

    @property
    def text_en(self) -> str:
        parts = []
        if self.row is not None:
            parts.append(f"Row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        where = ", ".join(parts)
        if self.field:
            where = f"{where} ({self.field})" if where else f"({self.field})"
        message = self.message_en
        if where:
            return f"{where}: {message}"
        return message[:1].upper() + message[1:]

    def __str__(self) -> str:
        sheet = f"[{self.sheet}] " if self.sheet else ""
        return f"{sheet}{self.text_zh} / {self.text_en}"


@dataclass
class ImportReport:
    """What an import did (created/updated per kind of record) or, if anything was wrong, why not."""

    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED, 0))
    errors: list[InventoryError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total_created(self) -> int:
        return sum(self.created.values())

    @property
    def total_updated(self) -> int:
        return sum(self.updated.values())

    def summary(self) -> str:
        if self.errors:
            return f"导入失败，共 {len(self.errors)} 个错误，未写入任何数据 / Import failed with {len(self.errors)} error(s); nothing was written."
        parts = [f"{kind}: {self.created[kind]} created, {self.updated[kind]} updated" for kind in COUNTED]
        return "; ".join(parts)

    def rows(self) -> list[tuple[str, int, int]]:
        return [(kind, self.created[kind], self.updated[kind]) for kind in COUNTED]


# --- sheet layout ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Col:
    key: str
    zh: str
    aliases: tuple[str, ...] = ()
    required: bool = True
    note: str = ""


@dataclass(frozen=True)
class SheetSpec:
    key: str
    zh: str
    aliases: tuple[str, ...]
    columns: tuple[Col, ...]

    def column(self, key: str) -> Col:
        return next(c for c in self.columns if c.key == key)


_BUILT_YEAR = Col("built_year", "建成年份", ("建成年代", "建成时间", "year_built"), required=False, note="1900–2100")
_ESTATE_CODE = Col("estate_code", "小区编码", ("小区代码", "estate"))
_BUILDING = Col("building", "楼栋号", ("楼栋", "楼号", "栋号", "building_number"))
_ENTRANCE = Col("entrance", "单元", ("单元号",), required=False, note="blank = 1")

ESTATES = SheetSpec(
    "estates",
    "小区",
    ("estate", "小区信息"),
    (
        Col("code", "小区编码", ("小区代码", "编码", "estate_code")),
        Col("name", "小区名称", ("名称", "estate_name")),
        Col("district", "区县", ("区", "区县名称")),
        Col("subdistrict", "街道", ("街道乡镇", "乡镇", "街道(乡镇)", "sub_district")),
        Col("community", "社区", ("社区名称",)),
        Col("address", "地址", ("小区地址",), required=False),
        _BUILT_YEAR,
    ),
)
BUILDINGS = SheetSpec(
    "buildings",
    "楼栋",
    ("building", "楼栋信息"),
    (
        _ESTATE_CODE,
        Col("number", "楼栋号", ("楼号", "栋号", "building", "building_number")),
        Col("floors", "地上层数", ("层数", "楼层数", "floors_above_ground")),
        _BUILT_YEAR,
        Col("lift_added_year", "加装电梯年份", ("加梯年份",), required=False, note="1990–2100"),
    ),
)
UNITS = SheetSpec(
    "units",
    "房屋",
    ("unit", "房屋信息", "户"),
    (
        _ESTATE_CODE,
        _BUILDING,
        _ENTRANCE,
        Col("floor", "楼层", ("所在楼层",)),
        Col("number", "房号", ("户号", "门牌号", "unit", "unit_number")),
        Col("exclusive_area", "专有面积", ("专有部分面积", "area"), note="m², > 0, 2 decimals"),
        Col("use", "用途", ("房屋用途",), required=False, note="residential/shop/other, 住宅/商铺/其他"),
        _BUILT_YEAR,
    ),
)
OWNERS = SheetSpec(
    "owners",
    "业主",
    ("owner", "业主信息", "业主名册"),
    (
        _ESTATE_CODE,
        _BUILDING,
        _ENTRANCE,
        Col("unit", "房号", ("户号", "门牌号", "unit_number", "number")),
        Col("name", "业主姓名", ("姓名", "业主名称", "名称", "owner_name", "owner")),
        Col("kind", "业主类型", ("类型", "owner_kind"), required=False, note="person/organisation, 个人/单位"),
        Col(
            "id_number",
            "证件号码",
            ("身份证号", "身份证号码", "证件号", "统一社会信用代码", "id", "id_no"),
            note="resident ID, or credit code for an organisation",
        ),
        Col("phone", "联系电话", ("电话", "手机", "手机号", "手机号码", "mobile"), required=False),
        Col("share", "份额", ("产权份额", "持有份额"), required=False, note="0 < share ≤ 1, blank = 1"),
        Col("since", "取得日期", ("登记日期", "起始日期", "产权取得日期"), note="YYYY-MM-DD"),
    ),
)
SHEETS = (ESTATES, BUILDINGS, UNITS, OWNERS)

_BRACKETED = re.compile(r"[（(\[【].*?[)）\]】]")


def _normalise_header(value: Any) -> str:
    text = _BRACKETED.sub("", str(value)).strip().strip("*＊").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def _names(spec_key: str, zh: str, aliases: tuple[str, ...]) -> set[str]:
    return {_normalise_header(n) for n in (spec_key, zh, *aliases)}


# --- reading cells --------------------------------------------------------------------------

USE_VALUES = {
    "residential": UnitUse.RESIDENTIAL,
    "住宅": UnitUse.RESIDENTIAL,
    "shop": UnitUse.SHOP,
    "商铺": UnitUse.SHOP,
    "商业": UnitUse.SHOP,
    "other": UnitUse.OTHER,
    "其他": UnitUse.OTHER,
    "其它": UnitUse.OTHER,
}
KIND_VALUES = {
    "person": OwnerKind.PERSON,
    "个人": OwnerKind.PERSON,
    "自然人": OwnerKind.PERSON,
    "organisation": OwnerKind.ORGANISATION,
    "organization": OwnerKind.ORGANISATION,
    "单位": OwnerKind.ORGANISATION,
    "企业": OwnerKind.ORGANISATION,
    "机构": OwnerKind.ORGANISATION,
    "公司": OwnerKind.ORGANISATION,
    "company": OwnerKind.ORGANISATION,
}

_ID_MESSAGES = {
    "id_length": ("身份证号码必须是18位", "a resident ID number has exactly 18 characters"),
    "id_format": ("身份证号码应为17位数字加1位数字或X", "a resident ID number is 17 digits followed by a digit or X"),
    "id_region": ("身份证号码的地区码无效", "the resident ID number does not start with a valid region code"),
    "id_birthdate": ("身份证号码中的出生日期无效", "the resident ID number does not contain a valid birth date"),
    "id_checksum": (
        "身份证号码校验位错误，请检查是否输错",
        "the check character of the resident ID number is wrong; please check for typing errors",
    ),
    "uscc_length": ("统一社会信用代码必须是18位", "a unified social credit code has exactly 18 characters"),
    "uscc_charset": (
        "统一社会信用代码只能包含数字和除 I、O、S、V、Z 外的大写字母",
        "a unified social credit code contains only digits and capital letters other than I, O, S, V and Z",
    ),
    "uscc_checksum": (
        "统一社会信用代码校验位错误，请检查是否输错",
        "the check character of the unified social credit code is wrong; please check for typing errors",
    ),
}

_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


class _RowReader:
    """Converts the cells of one data row, collecting every problem rather than stopping at the first."""

    def __init__(self, sheet: _Sheet, row: int, values: tuple, errors: list[InventoryError]):
        self.sheet = sheet
        self.row = row
        self.values = values
        self.errors = errors
        self.ok = True

    def raw(self, key: str) -> Any:
        index = self.sheet.index.get(key)
        if index is None or index >= len(self.values):
            return None
        value = self.values[index]
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                return None
        return value

    def error(self, key: str, zh: str, en: str) -> None:
        self.ok = False
        self.errors.append(self.sheet.error(self.row, key, zh, en))

    def text(self, key: str, *, max_length: int, required: bool = True) -> str:
        value = self.raw(key)
        if value is None:
            if required:
                self.error(key, "不能为空", "this cell must not be empty")
            return ""
        if isinstance(value, bool) or isinstance(value, datetime.date):
            self.error(key, "应为文字", "this cell must contain text")
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value)
        if len(text) > max_length:
            self.error(key, f"不能超过{max_length}个字符", f"at most {max_length} characters are allowed")
            return ""
        if looks_like_formula(text):
            # It would be written back out by the exports, and a spreadsheet program could run it.
            self.error(
                key,
                "不能以 =、+、-、@ 开头（电子表格会把它当作公式执行）",
                "must not begin with =, +, - or @: a spreadsheet program would run it as a formula",
            )
            return ""
        return text

    def integer(self, key: str, *, low: int, high: int, required: bool, what: tuple[str, str]) -> int | None:
        value = self.raw(key)
        if value is None:
            if required:
                self.error(key, "不能为空", "this cell must not be empty")
            return None
        number: int | None = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value):
            number = int(value)
        if number is None:
            self.error(key, f"{what[0]}必须是整数", f"the {what[1]} must be a whole number")
            return None
        if not low <= number <= high:
            self.error(key, f"{what[0]}必须在{low}到{high}之间", f"the {what[1]} must be between {low} and {high}")
            return None
        return number

    def decimal(self, key: str) -> Decimal | None:
        """A cell as an exact Decimal; None if blank, ``_NAN`` if not a number."""
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, bool) or isinstance(value, datetime.date):
            return _NAN
        if isinstance(value, float):
            # repr gives the shortest string that reads back as the same float: 89.37, not 89.3699…
            number = Decimal(repr(value))
        else:
            try:
                number = Decimal(str(value).replace(",", ""))
            except InvalidOperation:
                return _NAN
        if not number.is_finite():
            return _NAN
        return number

    def date(self, key: str, *, required: bool = True) -> datetime.date | None:
        value = self.raw(key)
        if value is None:
            if required:
                self.error(key, "不能为空", "this cell must not be empty")
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, str):
            for fmt in _DATE_FORMATS:
                try:
                    return datetime.datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a calendar date, no time
                except ValueError:
                    continue
        self.error(key, "日期格式应为 YYYY-MM-DD", "the date must be a date cell or written as YYYY-MM-DD")
        return None


_NAN = Decimal("NaN")


def _places_ok(number: Decimal, places: int, is_float_cell: bool) -> Decimal | None:
    """The number with at most ``places`` decimals, or None. A float cell may carry binary noise
    (a formula's 89.36999999999999); that is rounded away, a real third decimal is not."""
    quantum = Decimal(1).scaleb(-places)
    rounded = number.quantize(quantum)
    if rounded == number:
        return rounded
    if is_float_cell and abs(rounded - number) < Decimal("1e-9"):
        return rounded
    return None


# --- rows as read from each sheet -----------------------------------------------------------


@dataclass(slots=True)
class EstateRow:
    row: int
    code: str
    name: str
    district: str
    subdistrict: str
    community: str
    address: str
    built_year: int | None
    valid: bool = True


@dataclass(slots=True)
class BuildingRow:
    row: int
    estate_code: str
    number: str
    floors: int | None
    built_year: int | None
    lift_added_year: int | None
    valid: bool = True


@dataclass(slots=True)
class UnitRow:
    row: int
    estate_code: str
    building: str
    entrance: int
    floor: int | None
    number: str
    exclusive_area: Decimal | None
    use: str
    built_year: int | None
    valid: bool = True


@dataclass(slots=True)
class OwnerRow:
    row: int
    estate_code: str
    building: str
    entrance: int
    unit: str
    name: str
    kind: str
    id_number: str
    phone: str
    share: Decimal | None
    since: datetime.date | None
    valid: bool = True


def _read_estate(r: _RowReader) -> EstateRow:
    return EstateRow(
        row=r.row,
        code=r.text("code", max_length=40),
        name=r.text("name", max_length=100),
        district=r.text("district", max_length=50),
        subdistrict=r.text("subdistrict", max_length=50),
        community=r.text("community", max_length=50),
        address=r.text("address", max_length=200, required=False),
        built_year=r.integer("built_year", low=1900, high=2100, required=False, what=("建成年份", "year built")),
    )


def _read_building(r: _RowReader) -> BuildingRow:
    return BuildingRow(
        row=r.row,
        estate_code=r.text("estate_code", max_length=40),
        number=r.text("number", max_length=20),
        floors=r.integer("floors", low=1, high=300, required=True, what=("层数", "number of floors")),
        built_year=r.integer("built_year", low=1900, high=2100, required=False, what=("建成年份", "year built")),
        lift_added_year=r.integer(
            "lift_added_year", low=1990, high=2100, required=False, what=("加装电梯年份", "year a lift was added")
        ),
    )


def _read_entrance(r: _RowReader) -> int:
    entrance = r.integer("entrance", low=1, high=999, required=False, what=("单元号", "entrance"))
    return entrance or 1


def _read_unit(r: _RowReader) -> UnitRow:
    area = r.decimal("exclusive_area")
    raw_area = r.raw("exclusive_area")
    if area is None:
        r.error("exclusive_area", "面积不能为空", "the area must not be empty")
    elif area.is_nan():
        r.error("exclusive_area", "面积必须是数字", "the area must be a number")
        area = None
    elif area <= 0:
        r.error("exclusive_area", "面积必须大于0", "the area must be greater than 0")
        area = None
    elif area >= Decimal("100000000"):
        r.error("exclusive_area", "面积过大", "the area is too large")
        area = None
    else:
        area = _places_ok(area, 2, isinstance(raw_area, float))
        if area is None:
            r.error("exclusive_area", "面积最多保留两位小数", "the area may have at most two decimal places")
    use_raw = r.raw("use")
    use = UnitUse.RESIDENTIAL.value
    if use_raw is not None:
        use = USE_VALUES.get(str(use_raw).strip().lower(), "")
        if not use:
            r.error("use", "用途必须是 住宅、商铺 或 其他", "the use must be residential, shop or other")
    return UnitRow(
        row=r.row,
        estate_code=r.text("estate_code", max_length=40),
        building=r.text("building", max_length=20),
        entrance=_read_entrance(r),
        floor=r.integer("floor", low=-20, high=300, required=True, what=("楼层", "floor")),
        number=r.text("number", max_length=20),
        exclusive_area=area,
        use=str(use),
        built_year=r.integer("built_year", low=1900, high=2100, required=False, what=("建成年份", "year built")),
    )


def _read_owner(r: _RowReader) -> OwnerRow:
    kind_raw = r.raw("kind")
    id_raw = r.raw("id_number")
    kind = ""
    if kind_raw is not None:
        kind = KIND_VALUES.get(str(kind_raw).strip().lower(), "")
        if not kind:
            r.error("kind", "业主类型必须是 个人 或 单位", "the kind must be person or organisation")
    id_number = ""
    if id_raw is None:
        r.error("id_number", "证件号码不能为空", "the ID number must not be empty")
    elif not isinstance(id_raw, str):
        r.error(
            "id_number",
            "证件号码须以文本格式填写（数字格式会被 Excel 截断）",
            "enter the ID number as text: Excel rounds long numbers",
        )
    else:
        id_number = normalise_resident_id(id_raw)
        if not kind:
            kind = (
                OwnerKind.ORGANISATION if is_valid_uscc(id_number) and not is_valid_resident_id(id_number) else OwnerKind.PERSON
            )
        if "*" in id_number:
            if kind == OwnerKind.ORGANISATION:
                r.error("id_number", "统一社会信用代码不能带*号", "a unified social credit code cannot be masked with *")
        else:
            try:
                if kind == OwnerKind.ORGANISATION:
                    id_number = normalise_uscc(id_number)
                    validate_uscc(id_number)
                else:
                    validate_resident_id(id_number)
            except ValidationError as exc:
                zh, en = _ID_MESSAGES.get(exc.code or "", ("证件号码无效", "the ID number is not valid"))
                r.error("id_number", zh, en)
    share = r.decimal("share")
    raw_share = r.raw("share")
    if share is not None:
        if share.is_nan():
            r.error("share", "份额必须是数字", "the share must be a number")
            share = None
        elif not Decimal(0) < share <= 1:
            r.error("share", "份额必须大于0且不超过1", "the share must be greater than 0 and at most 1")
            share = None
        else:
            exact = _places_ok(share, 4, isinstance(raw_share, float))
            if exact is None:
                r.error("share", "份额最多保留四位小数", "the share may have at most four decimal places")
            share = exact
    phone_raw = r.raw("phone")
    phone = ""
    if phone_raw is not None:
        phone = str(int(phone_raw)) if isinstance(phone_raw, int | float) and not isinstance(phone_raw, bool) else str(phone_raw)
        if not re.fullmatch(r"[0-9*+\-() ]{3,20}", phone):
            r.error("phone", "电话号码只能包含数字，最多20位", "the phone number may contain only digits, at most 20")
            phone = ""
    return OwnerRow(
        row=r.row,
        estate_code=r.text("estate_code", max_length=40),
        building=r.text("building", max_length=20),
        entrance=_read_entrance(r),
        unit=r.text("unit", max_length=20),
        name=r.text("name", max_length=100),
        kind=str(kind or OwnerKind.PERSON),
        id_number=id_number,
        phone=phone,
        share=share,
        since=r.date("since"),
    )


_READERS = {"estates": _read_estate, "buildings": _read_building, "units": _read_unit, "owners": _read_owner}


# --- reading the workbook -------------------------------------------------------------------


@dataclass
class _Sheet:
    spec: SheetSpec
    title: str
    index: dict[str, int] = field(default_factory=dict)
    rows: list = field(default_factory=list)
    sound: bool = True  # header and size fine; row errors are counted separately

    def has(self, key: str) -> bool:
        return key in self.index

    def letter(self, key: str) -> str | None:
        index = self.index.get(key)
        return get_column_letter(index + 1) if index is not None else None

    def error(self, row: int | None, key: str, zh: str, en: str) -> InventoryError:
        return InventoryError(self.title, row, self.letter(key), zh, en, key)


def _file_error(zh: str, en: str) -> InventoryError:
    return InventoryError("", None, None, zh, en)


def _open(file) -> tuple[Any, bool]:
    if isinstance(file, bytes | bytearray):
        return io.BytesIO(file), True
    if isinstance(file, str | Path):
        return Path(file).open("rb"), True
    return file, False


def _read_workbook(file, errors: list[InventoryError]) -> dict[str, _Sheet] | None:
    try:
        handle, close = _open(file)
    except OSError:
        errors.append(_file_error("无法打开文件", "the file cannot be opened"))
        return None
    try:
        if hasattr(handle, "seek"):
            handle.seek(0)
        head = handle.read(8)
        handle.seek(0)
        if not head:
            errors.append(_file_error("文件是空的", "the file is empty"))
            return None
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            errors.append(
                _file_error(
                    "这是旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后再导入",
                    "this is an old .xls file; save it as .xlsx in Excel and import that",
                )
            )
            return None
        if not head.startswith(b"PK\x03\x04"):
            errors.append(
                _file_error(
                    "文件不是 Excel 工作簿（.xlsx），例如 CSV 或文本文件改了扩展名",
                    "the file is not an Excel workbook (.xlsx); a CSV or text file renamed .xlsx will not do",
                )
            )
            return None
        problem = workbook_limit_problem(handle, wanted=_is_inventory_sheet)
        handle.seek(0)
        if problem is not None:
            errors.append(_limit_error(problem))
            return None
        try:
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds on a damaged or foreign zip
            errors.append(
                _file_error(
                    "文件不是有效的 Excel 工作簿（.xlsx），可能已损坏",
                    "the file is not a valid Excel workbook (.xlsx); it may be damaged",
                )
            )
            return None
        try:
            return _read_sheets(workbook, errors)
        except Exception:  # damaged XML inside the zip surfaces only while reading rows
            errors.append(
                _file_error("读取工作簿时出错，文件可能已损坏", "the workbook could not be read; the file may be damaged")
            )
            return None
        finally:
            workbook.close()
    finally:
        if close:
            handle.close()


def _sheets_by_name() -> dict[str, SheetSpec]:
    return {name: spec for spec in SHEETS for name in _names(spec.key, spec.zh, spec.aliases)}


def _is_inventory_sheet(title: str) -> bool:
    return _normalise_header(title) in _sheets_by_name()


def _limit_error(problem: LimitProblem) -> InventoryError:
    match = re.fullmatch(r"([A-Z]+)([0-9]+)", problem.cell)
    row, column = (int(match.group(2)), match.group(1)) if match else (None, None)
    return InventoryError(problem.sheet, row, column, problem.message_zh, problem.message_en)


def _read_sheets(workbook, errors: list[InventoryError]) -> dict[str, _Sheet] | None:
    by_name = _sheets_by_name()
    sheets: dict[str, _Sheet] = {}
    for worksheet in workbook.worksheets:
        spec = by_name.get(_normalise_header(worksheet.title))
        if spec is None:
            continue
        if spec.key in sheets:
            errors.append(
                InventoryError(
                    worksheet.title,
                    None,
                    None,
                    f"与工作表「{sheets[spec.key].title}」重复，都是{spec.zh}表",
                    f"this sheet duplicates sheet '{sheets[spec.key].title}': both are the {spec.key} sheet",
                )
            )
            continue
        sheet = _Sheet(spec, worksheet.title)
        sheets[spec.key] = sheet
        _read_rows(worksheet, sheet, errors)
    if not sheets:
        errors.append(
            _file_error(
                "工作簿中没有 小区、楼栋、房屋 或 业主 工作表",
                "the workbook has none of the sheets estates, buildings, units or owners",
            )
        )
        return None
    return sheets


def _read_rows(worksheet, sheet: _Sheet, errors: list[InventoryError]) -> None:
    if hasattr(worksheet, "reset_dimensions"):
        worksheet.reset_dimensions()  # a wrong <dimension> tag would otherwise cut rows short
    reader = _READERS[sheet.spec.key]
    header_seen = False
    count = 0
    started = time.monotonic()
    for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
        problem = _row_limit_problem(values)
        if problem is None and number % 1000 == 0 and time.monotonic() - started > MAX_READ_SECONDS:
            problem = (
                None,
                f"读取超过 {MAX_READ_SECONDS} 秒的时间上限，请拆分成多个文件",
                f"reading took longer than the limit of {MAX_READ_SECONDS} seconds; split the file",
            )
        if problem is not None:
            column, zh, en = problem
            sheet.sound = False
            sheet.rows = []
            errors.append(InventoryError(sheet.title, number, column, zh, en))
            return
        if not any(v is not None and not (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if not header_seen:
            header_seen = True
            if not _read_header(sheet, number, values, errors):
                sheet.sound = False
                return
            continue
        count += 1
        if count > MAX_ROWS_PER_SHEET:
            sheet.sound = False
            sheet.rows = []
            errors.append(
                InventoryError(
                    sheet.title,
                    None,
                    None,
                    f"数据超过 {MAX_ROWS_PER_SHEET} 行的上限，请拆分成多个文件",
                    f"more than the limit of {MAX_ROWS_PER_SHEET} data rows; split the file",
                )
            )
            return
        # A row with errors is kept too: its readable keys still take part in the cross-checks
        # (duplicates, references), so that one run reports everything.
        row_reader = _RowReader(sheet, number, values, errors)
        row = reader(row_reader)
        row.valid = row_reader.ok
        sheet.rows.append(row)


def _row_limit_problem(values: tuple) -> tuple[str | None, str, str] | None:
    """Column and text-length limits of one row, checked again as openpyxl reads it (the check before
    parsing sees the XML; this sees the values, e.g. a text split over several runs)."""
    if len(values) > MAX_COLUMNS and any(v is not None for v in values[MAX_COLUMNS:]):
        return (
            get_column_letter(MAX_COLUMNS + 1),
            f"超过 {MAX_COLUMNS} 列的上限",
            f"more than the limit of {MAX_COLUMNS} columns",
        )
    for position, value in enumerate(values):
        if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
            return (
                get_column_letter(position + 1),
                f"单元格内容超过 {MAX_CELL_CHARS} 个字符的上限",
                f"a cell holds more than the limit of {MAX_CELL_CHARS} characters",
            )
    return None


def _read_header(sheet: _Sheet, number: int, values: tuple, errors: list[InventoryError]) -> bool:
    wanted = {name: col.key for col in sheet.spec.columns for name in _names(col.key, col.zh, col.aliases)}
    ok = True
    for position, value in enumerate(values):
        if value is None:
            continue
        key = wanted.get(_normalise_header(value))
        if key is None:
            continue
        if key in sheet.index:
            errors.append(
                InventoryError(
                    sheet.title,
                    number,
                    get_column_letter(position + 1),
                    f"与 {get_column_letter(sheet.index[key] + 1)} 列重复",
                    f"the same column as column {get_column_letter(sheet.index[key] + 1)}",
                    key,
                )
            )
            ok = False
            continue
        sheet.index[key] = position
    for col in sheet.spec.columns:
        if col.required and col.key not in sheet.index:
            errors.append(
                InventoryError(
                    sheet.title,
                    number,
                    None,
                    f"缺少必填列 {col.key}（{col.zh}）",
                    f"the required column {col.key} ({col.zh}) is missing",
                    col.key,
                )
            )
            ok = False
    return ok


# --- checking against the database and planning the writes ----------------------------------

CommunityKey = tuple[str, str, str]  # district, sub-district, community names
BuildingKey = tuple[str, str]  # estate code, building number
UnitKey = tuple[str, str, int, str]  # estate code, building, entrance, unit number
OwnerKey = tuple  # ("pk", id) for a registered owner; (estate code, kind, digest or credit code) for a new one


@dataclass
class _Plan:
    communities: set[CommunityKey] = field(default_factory=set)
    estate_new: list[tuple[Estate, CommunityKey]] = field(default_factory=list)
    estate_update: list[tuple[Estate, CommunityKey | None]] = field(default_factory=list)
    estate_fields: set[str] = field(default_factory=set)
    building_new: list[tuple[str, BuildingRow]] = field(default_factory=list)
    building_update: list[Building] = field(default_factory=list)
    building_fields: set[str] = field(default_factory=set)
    unit_new: list[tuple[int | BuildingKey, UnitKey, UnitRow]] = field(default_factory=list)
    unit_update: list[Unit] = field(default_factory=list)
    unit_fields: set[str] = field(default_factory=set)
    owner_new: dict[OwnerKey, tuple[str, OwnerRow]] = field(default_factory=dict)
    owner_update: list[Owner] = field(default_factory=list)
    owner_fields: set[str] = field(default_factory=set)
    ownership_new: list[tuple[int | UnitKey, OwnerKey, Decimal, datetime.date]] = field(default_factory=list)
    ownership_lower: list[Ownership] = field(default_factory=list)
    ownership_other: list[Ownership] = field(default_factory=list)


class _Planner:
    """Checks every row against the database and the rest of the file; plans the writes."""

    def __init__(self, sheets: dict[str, _Sheet], user, errors: list[InventoryError]):
        self.sheets = sheets
        self.errors = errors
        self.plan = _Plan()
        self.full_access = user is None or user_sees_everything(user)
        self.visible: set[int] | None = None
        if not self.full_access:
            self.visible = set(estates_visible_to(user=user).values_list("pk", flat=True))
        codes = {r.estate_code for key in ("buildings", "units", "owners") for r in self._rows(key) if r.estate_code}
        codes |= {r.code for r in self._rows("estates") if r.code}
        ordered = sorted(codes)
        self.estates = {
            e.code: e
            for start in range(0, len(ordered), 5000)
            for e in Estate.objects.filter(code__in=ordered[start : start + 5000]).select_related("community")
        }
        self.file_estates: dict[str, int] = {}
        self.file_buildings: dict[BuildingKey, int] = {}
        self.file_units: dict[UnitKey, int] = {}

    def _rows(self, key: str) -> list:
        sheet = self.sheets.get(key)
        return sheet.rows if sheet else []

    def _broken(self, key: str) -> bool:
        sheet = self.sheets.get(key)
        return sheet is not None and not sheet.sound

    def _err(self, sheet_key: str, row: int, col: str, zh: str, en: str) -> None:
        self.errors.append(self.sheets[sheet_key].error(row, col, zh, en))

    def run(self) -> _Plan:
        self._plan_estates()
        self._plan_buildings()
        self._plan_units()
        self._plan_owners()
        return self.plan

    # estates ---------------------------------------------------------------------------------

    def _estate_allowed(self, sheet_key: str, row: int, col: str, code: str) -> bool:
        """Whether the user may touch this existing estate; records the error if not."""
        estate = self.estates[code]
        if self.visible is not None and estate.pk not in self.visible:
            self._err(sheet_key, row, col, f"无权导入该小区 {code}", f"you may not import estate {code}")
            return False
        return True

    def _estate_ref(self, sheet_key: str, row: int, code: str) -> tuple[bool, Estate | None]:
        """(usable, estate in the database or None for one created by this file)."""
        if not code:
            return False, None
        if code in self.estates:
            return self._estate_allowed(sheet_key, row, "estate_code", code), self.estates[code]
        if code in self.file_estates:
            return True, None
        if not self._broken("estates"):
            self._err(sheet_key, row, "estate_code", f"未知的小区编码 {code}", f"unknown estate code {code}")
        return False, None

    def _plan_estates(self) -> None:
        rows = self._rows("estates")
        if not rows:
            return
        sheet = self.sheets["estates"]
        districts = {d.name: d for d in District.objects.all()}
        subdistricts = {(s.district_id, s.name): s for s in Subdistrict.objects.all()}
        communities = {(c.subdistrict_id, c.name): c for c in Community.objects.all()}

        def existing_community(key: CommunityKey) -> Community | None:
            district = districts.get(key[0])
            subdistrict = subdistricts.get((district.pk, key[1])) if district else None
            return communities.get((subdistrict.pk, key[2])) if subdistrict else None

        for r in rows:
            if not r.code:
                continue
            if r.code in self.file_estates:
                self._err(
                    "estates",
                    r.row,
                    "code",
                    f"小区编码重复，与第{self.file_estates[r.code]}行相同",
                    f"duplicate estate code, already on row {self.file_estates[r.code]}",
                )
                continue
            self.file_estates[r.code] = r.row
            estate = self.estates.get(r.code)
            if estate is None and not self.full_access:
                self._err("estates", r.row, "code", f"无权新建小区 {r.code}", f"you may not create estate {r.code}")
                continue
            if estate is not None and not self._estate_allowed("estates", r.row, "code", r.code):
                continue
            if not (r.district and r.subdistrict and r.community):
                continue
            key = (r.district, r.subdistrict, r.community)
            community = existing_community(key)
            if estate is None:
                self.plan.communities.add(key)
                new = Estate(code=r.code, name=r.name, address=r.address, built_year=r.built_year)
                self.plan.estate_new.append((new, key))
                continue
            changed: set[str] = set()
            moved = community is None or community.pk != estate.community_id
            if moved:
                if not self.full_access:
                    self._err(
                        "estates",
                        r.row,
                        "community",
                        "无权变更小区所属的区县、街道或社区（或该社区不存在）",
                        f"you may not move estate {r.code} to another district, sub-district or community (or that community does not exist)",
                    )
                    continue
                self.plan.communities.add(key)
                changed.add("community")
            if r.name and estate.name != r.name:
                estate.name = r.name
                changed.add("name")
            if sheet.has("address") and estate.address != r.address:
                estate.address = r.address
                changed.add("address")
            if sheet.has("built_year") and estate.built_year != r.built_year:
                estate.built_year = r.built_year
                changed.add("built_year")
            if changed:
                self.plan.estate_update.append((estate, key if moved else None))
                self.plan.estate_fields |= changed

    # buildings -------------------------------------------------------------------------------

    def _existing_buildings(self) -> dict[tuple[int, str], Building]:
        if not hasattr(self, "_buildings"):
            ids = [e.pk for e in self.estates.values()]
            self._buildings = {(b.estate_id, b.number): b for b in Building.objects.filter(estate_id__in=ids)}
        return self._buildings

    def _plan_buildings(self) -> None:
        sheet = self.sheets.get("buildings")
        existing = self._existing_buildings()
        for r in self._rows("buildings"):
            usable, estate = self._estate_ref("buildings", r.row, r.estate_code)
            if not r.number:
                continue
            key = (r.estate_code, r.number)
            if key in self.file_buildings:
                self._err(
                    "buildings",
                    r.row,
                    "number",
                    f"楼栋重复，与第{self.file_buildings[key]}行相同",
                    f"duplicate building, already on row {self.file_buildings[key]}",
                )
                continue
            self.file_buildings[key] = r.row
            if not usable:
                continue
            building = existing.get((estate.pk, r.number)) if estate else None
            if building is None:
                self.plan.building_new.append((r.estate_code, r))
                continue
            changed = set()
            if r.floors is not None and building.floors != r.floors:
                building.floors = r.floors
                changed.add("floors")
            for name in ("built_year", "lift_added_year"):
                if sheet.has(name) and getattr(building, name) != getattr(r, name):
                    setattr(building, name, getattr(r, name))
                    changed.add(name)
            if changed:
                self.plan.building_update.append(building)
                self.plan.building_fields |= changed

    # units -----------------------------------------------------------------------------------

    def _building_ref(self, sheet_key: str, row: int, estate: Estate | None, code: str, number: str) -> int | BuildingKey | None:
        if estate is not None:
            building = self._existing_buildings().get((estate.pk, number))
            if building is not None:
                return building.pk
        if (code, number) in self.file_buildings:
            return (code, number)
        if not self._broken("buildings"):
            self._err(
                sheet_key,
                row,
                "building",
                f"小区 {code} 没有楼栋 {number}（数据库和楼栋表中都没有）",
                f"estate {code} has no building {number} (neither in the database nor on the buildings sheet)",
            )
        return None

    def _existing_units(self) -> dict[tuple[int, int, str], tuple]:
        if not hasattr(self, "_units"):
            ids = [e.pk for e in self.estates.values()]
            fields = ("id", "building_id", "entrance", "number", "floor", "exclusive_area", "use", "built_year")
            self._units = {
                (u[1], u[2], u[3]): u
                for u in Unit.objects.filter(building__estate_id__in=ids).values_list(*fields).iterator(5000)
            }
        return self._units

    def _plan_units(self) -> None:
        sheet = self.sheets.get("units")
        rows = self._rows("units")
        if not rows:
            return
        existing = self._existing_units()
        for r in rows:
            usable, estate = self._estate_ref("units", r.row, r.estate_code)
            if not (r.building and r.number):
                continue
            key = (r.estate_code, r.building, r.entrance, r.number)
            if key in self.file_units:
                self._err(
                    "units",
                    r.row,
                    "number",
                    f"房屋重复：{r.building}-{r.entrance}-{r.number} 与第{self.file_units[key]}行相同",
                    f"duplicate unit {r.building}-{r.entrance}-{r.number}, already on row {self.file_units[key]}",
                )
                continue
            self.file_units[key] = r.row
            if not usable:
                continue
            building = self._building_ref("units", r.row, estate, r.estate_code, r.building)
            if building is None or r.floor is None or r.exclusive_area is None:
                continue
            current = existing.get((building, r.entrance, r.number)) if isinstance(building, int) else None
            if current is None:
                self.plan.unit_new.append((building, key, r))
                continue
            pk, building_id, entrance, number, floor, area, use, built_year = current
            changed = set()
            if floor != r.floor:
                changed.add("floor")
            if area != r.exclusive_area:
                changed.add("exclusive_area")
            if sheet.has("use") and use != r.use:
                changed.add("use")
            if sheet.has("built_year") and built_year != r.built_year:
                changed.add("built_year")
            if changed:
                self.plan.unit_update.append(
                    Unit(
                        pk=pk,
                        building_id=building_id,
                        entrance=entrance,
                        number=number,
                        floor=r.floor,
                        exclusive_area=r.exclusive_area,
                        use=r.use if sheet.has("use") else use,
                        built_year=r.built_year if sheet.has("built_year") else built_year,
                    )
                )
                self.plan.unit_fields |= changed

    # owners and ownerships -------------------------------------------------------------------

    def _unit_ref(self, row: OwnerRow, estate: Estate | None) -> int | UnitKey | None:
        key = (row.estate_code, row.building, row.entrance, row.unit)
        if estate is not None:
            building = self._existing_buildings().get((estate.pk, row.building))
            if building is not None:
                current = self._existing_units().get((building.pk, row.entrance, row.unit))
                if current is not None:
                    return current[0]
        if key in self.file_units:
            return key
        if not (self._broken("units") or self._broken("buildings")):
            self._err(
                "owners",
                row.row,
                "unit",
                f"小区 {row.estate_code} 没有房屋 {row.building}-{row.entrance}-{row.unit}",
                f"estate {row.estate_code} has no unit {row.building}-{row.entrance}-{row.unit}",
            )
        return None

    def _plan_owners(self) -> None:
        rows = self._rows("owners")
        if not rows:
            return
        sheet = self.sheets["owners"]
        ids = [e.pk for e in self.estates.values()]
        owners = list(Owner.objects.filter(estate_id__in=ids))
        by_digest = {(o.estate_id, o.id_number_digest): o for o in owners if o.id_number_digest}
        by_credit = {(o.estate_id, o.credit_code): o for o in owners if o.credit_code}
        by_mask: dict[tuple[int, str], list[Owner]] = defaultdict(list)
        for o in owners:
            if o.id_number_masked:
                by_mask[(o.estate_id, o.id_number_masked)].append(o)
        current: dict[tuple[int, int], Ownership] = {}
        held: dict[int, list[Ownership]] = defaultdict(list)
        for o in Ownership.objects.filter(unit__building__estate_id__in=ids, until__isnull=True).only(
            "id", "unit_id", "owner_id", "share", "since", "until"
        ):
            current[(o.unit_id, o.owner_id)] = o
            held[o.unit_id].append(o)

        seen_owner: dict[OwnerKey, OwnerRow] = {}
        seen_pair: dict[tuple, int] = {}
        updated_owners: dict[int, Owner] = {}
        shares: dict[int | UnitKey, list[tuple[int | None, Decimal, int]]] = defaultdict(list)  # unit → (owner pk, share, row)

        for r in rows:
            usable, estate = self._estate_ref("owners", r.row, r.estate_code)
            if not usable or not (r.building and r.unit and r.id_number):
                continue
            unit = self._unit_ref(r, estate)
            owner = self._match_owner(r, estate, unit, by_digest, by_credit, by_mask, current)
            if unit is None or owner is None or not r.valid:
                continue
            okey: OwnerKey = ("pk", owner.pk) if isinstance(owner, Owner) else owner
            first = seen_owner.get(okey)
            if first is not None:
                if first.name != r.name:
                    self._err(
                        "owners",
                        r.row,
                        "name",
                        f"同一证件号码在第{first.row}行的姓名是「{first.name}」",
                        f"the same ID number has the name '{first.name}' on row {first.row}",
                    )
                    continue
                if sheet.has("phone") and first.phone != r.phone:
                    self._err(
                        "owners",
                        r.row,
                        "phone",
                        f"同一业主在第{first.row}行的电话不同",
                        f"the same owner has another phone number on row {first.row}",
                    )
                    continue
            else:
                seen_owner[okey] = r
                if isinstance(owner, Owner):
                    self._plan_owner_update(r, owner, sheet, updated_owners)
                else:
                    if "*" in r.phone:
                        self._err(
                            "owners",
                            r.row,
                            "phone",
                            "新业主的电话不能带*号，请填写完整号码",
                            "a new owner needs the full phone number, not a masked one",
                        )
                        continue
                    self.plan.owner_new[okey] = (r.estate_code, r)
            pair = (unit, okey)
            if pair in seen_pair:
                self._err(
                    "owners",
                    r.row,
                    "id_number",
                    f"同一业主对同一房屋重复登记，与第{seen_pair[pair]}行相同",
                    f"the same owner of the same unit is already on row {seen_pair[pair]}",
                )
                continue
            seen_pair[pair] = r.row
            existing = current.get((unit, owner.pk)) if isinstance(unit, int) and isinstance(owner, Owner) else None
            if existing is None:
                share = r.share if r.share is not None else Decimal(1)
                self.plan.ownership_new.append((unit, okey, share, r.since))
                shares[unit].append((None, share, r.row))
                continue
            share = (r.share if r.share is not None else Decimal(1)) if sheet.has("share") else existing.share
            shares[unit].append((existing.owner_id, share, r.row))
            if share != existing.share or r.since != existing.since:
                lower = share < existing.share
                existing.share, existing.since = share, r.since
                (self.plan.ownership_lower if lower else self.plan.ownership_other).append(existing)

        for unit, on_sheet in shares.items():
            listed = {owner_pk for owner_pk, _share, _row in on_sheet if owner_pk is not None}
            others = (
                sum((o.share for o in held.get(unit, []) if o.owner_id not in listed), Decimal(0)) if isinstance(unit, int) else 0
            )
            total = others + sum(share for _pk, share, _row in on_sheet)
            if total > 1:
                last_row = max(row for _pk, _share, row in on_sheet)
                self._err(
                    "owners",
                    last_row,
                    "share",
                    f"该房屋现有产权份额合计为 {total.normalize()}，超过 1",
                    f"the current shares of this unit would add up to {total.normalize()}, more than 1",
                )
        self.plan.owner_update = list(updated_owners.values())

    def _match_owner(self, r: OwnerRow, estate, unit, by_digest, by_credit, by_mask, current) -> Owner | OwnerKey | None:
        if r.kind == OwnerKind.ORGANISATION:
            found = by_credit.get((estate.pk, r.id_number)) if estate else None
            return found or (r.estate_code, OwnerKind.ORGANISATION, r.id_number)
        if "*" not in r.id_number:
            digest = crypto.digest(r.id_number)
            found = by_digest.get((estate.pk, digest)) if estate else None
            return found or (r.estate_code, OwnerKind.PERSON, digest)
        candidates = by_mask.get((estate.pk, r.id_number), []) if estate else []
        if len(candidates) > 1:
            holding = [o for o in candidates if isinstance(unit, int) and (unit, o.pk) in current]
            candidates = holding if len(holding) == 1 else [o for o in (holding or candidates) if o.name == r.name]
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            self._err(
                "owners",
                r.row,
                "id_number",
                "带*号的证件号码与本小区已登记业主的号码不符；新业主或新号码请填写完整号码",
                "a masked ID number (with *) must match an owner already registered in this estate; give the full number",
            )
        else:
            self._err(
                "owners",
                r.row,
                "id_number",
                "带*号的证件号码对应多名业主，请填写完整号码",
                "the masked ID number matches several owners; give the full number",
            )
        return None

    def _plan_owner_update(self, r: OwnerRow, owner: Owner, sheet: _Sheet, updated: dict[int, Owner]) -> None:
        changed = set()
        if r.name and owner.name != r.name:
            owner.name = r.name
            changed.add("name")
        if sheet.has("phone"):
            phone_changed = False
            if not r.phone:
                phone_changed = bool(owner.phone_masked or owner.phone_encrypted)
            elif "*" in r.phone:
                if r.phone != owner.phone_masked:
                    self._err(
                        "owners",
                        r.row,
                        "phone",
                        "带*号的电话与已登记的电话不符，请填写完整号码",
                        "the masked phone number does not match the registered one; give the full number",
                    )
                    return
            else:
                phone_changed = mask_phone(r.phone) != owner.phone_masked or owner.get_phone() != r.phone
            if phone_changed:
                owner.set_phone(r.phone)
                changed |= {"phone_encrypted", "phone_masked"}
        if changed:
            updated[owner.pk] = owner
            self.plan.owner_fields |= changed


# --- writing --------------------------------------------------------------------------------


def _community_code(prefix: str, name: str, taken: set[str], max_length: int) -> str:
    base = f"{prefix}{hashlib.sha256(name.encode()).hexdigest()[:8].upper()}"[:max_length]
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base[: max_length - len(str(n)) - 1]}-{n}"
    taken.add(code)
    return code


def _ensure_communities(keys: set[CommunityKey]) -> dict[CommunityKey, int]:
    """Find or create the district → sub-district → community chain for each name triple."""
    found: dict[CommunityKey, int] = {}
    taken = {
        District: set(District.objects.values_list("code", flat=True)),
        Subdistrict: set(Subdistrict.objects.values_list("code", flat=True)),
        Community: set(Community.objects.values_list("code", flat=True)),
    }
    for district_name, subdistrict_name, community_name in sorted(keys):
        district = District.objects.filter(name=district_name).first()
        if district is None:
            district = District.objects.create(name=district_name, code=_community_code("D", district_name, taken[District], 20))
        subdistrict = Subdistrict.objects.filter(district=district, name=subdistrict_name).first()
        if subdistrict is None:
            subdistrict = Subdistrict.objects.create(
                district=district,
                name=subdistrict_name,
                code=_community_code(f"{district.code}-", subdistrict_name, taken[Subdistrict], 30),
            )
        community = Community.objects.filter(subdistrict=subdistrict, name=community_name).first()
        if community is None:
            community = Community.objects.create(
                subdistrict=subdistrict,
                name=community_name,
                code=_community_code(f"{subdistrict.code}-", community_name, taken[Community], 40),
            )
        found[(district_name, subdistrict_name, community_name)] = community.pk
    return found


def _chunks(items: list, size: int = _BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


@transaction.atomic
def _write(plan: _Plan) -> None:
    community_ids = _ensure_communities(plan.communities)

    # Estates.
    for estate, key in plan.estate_new:
        estate.community_id = community_ids[key]
    Estate.objects.bulk_create([e for e, _key in plan.estate_new], batch_size=_BATCH)
    for estate, key in plan.estate_update:
        if key is not None:
            estate.community_id = community_ids[key]
    if plan.estate_update:
        Estate.objects.bulk_update([e for e, _key in plan.estate_update], sorted(plan.estate_fields), batch_size=_BATCH)
    codes = {code for code, _r in plan.building_new} | {code for code, _r in plan.owner_new.values()}
    estate_ids = dict(Estate.objects.filter(code__in=codes).values_list("code", "pk"))

    # Buildings.
    new_buildings = {
        (code, r.number): Building(
            estate_id=estate_ids[code],
            number=r.number,
            floors=r.floors,
            built_year=r.built_year,
            lift_added_year=r.lift_added_year,
        )
        for code, r in plan.building_new
    }
    Building.objects.bulk_create(list(new_buildings.values()), batch_size=_BATCH)
    if plan.building_update:
        Building.objects.bulk_update(plan.building_update, sorted(plan.building_fields), batch_size=_BATCH)

    # Units, in chunks so that a 100k-row sheet never holds 100k model instances at once.
    new_unit_ids: dict[UnitKey, int] = {}
    wanted = {ref for ref, *_rest in plan.ownership_new if not isinstance(ref, int)}
    for chunk in _chunks(plan.unit_new):
        objs = []
        for building, _key, r in chunk:
            building_id = building if isinstance(building, int) else new_buildings[building].pk
            objs.append(
                Unit(
                    building_id=building_id,
                    entrance=r.entrance,
                    floor=r.floor,
                    number=r.number,
                    exclusive_area=r.exclusive_area,
                    use=r.use,
                    built_year=r.built_year,
                )
            )
        Unit.objects.bulk_create(objs, batch_size=_BATCH)
        for (_building, key, _r), obj in zip(chunk, objs, strict=True):
            if key in wanted:
                new_unit_ids[key] = obj.pk
    for chunk in _chunks(plan.unit_update):
        Unit.objects.bulk_update(chunk, sorted(plan.unit_fields), batch_size=_BATCH)

    # Owners.
    new_owner_ids: dict[OwnerKey, int] = {}
    owner_items = list(plan.owner_new.items())
    for chunk in _chunks(owner_items):
        objs = []
        for _okey, (code, r) in chunk:
            owner = Owner(estate_id=estate_ids[code], kind=r.kind, name=r.name)
            if r.kind == OwnerKind.ORGANISATION:
                owner.credit_code = r.id_number
            else:
                owner.set_id_number(r.id_number)
            if r.phone:
                owner.set_phone(r.phone)
            objs.append(owner)
        Owner.objects.bulk_create(objs, batch_size=_BATCH)
        for (okey, _value), obj in zip(chunk, objs, strict=True):
            new_owner_ids[okey] = obj.pk
    if plan.owner_update:
        Owner.objects.bulk_update(plan.owner_update, sorted(plan.owner_fields), batch_size=_BATCH)

    # Ownerships: lowered shares first, so that no unit passes 1 on the way (a trigger checks).
    if plan.ownership_lower:
        Ownership.objects.bulk_update(plan.ownership_lower, ["share", "since"], batch_size=_BATCH)
    if plan.ownership_other:
        Ownership.objects.bulk_update(plan.ownership_other, ["share", "since"], batch_size=_BATCH)
    for chunk in _chunks(plan.ownership_new):
        Ownership.objects.bulk_create(
            [
                Ownership(
                    unit_id=unit if isinstance(unit, int) else new_unit_ids[unit],
                    owner_id=okey[1] if okey[0] == "pk" else new_owner_ids[okey],
                    share=share,
                    since=since,
                )
                for unit, okey, share, since in chunk
            ],
            batch_size=_BATCH,
        )


def inventory_import(*, file, user=None) -> ImportReport:
    """Import a workbook (path, bytes or binary file object): all of it, or, if anything is wrong, nothing.

    ``user`` is the back-office user whose scope limits what may be touched; ``None`` (the
    management command) has full access. See the module docstring for the layout and the rules.
    """
    report = ImportReport()
    sheets = _read_workbook(file, report.errors)
    if sheets is None:
        return report
    if not report.errors and not any(sheet.rows for sheet in sheets.values()):
        report.errors.append(_file_error("文件中没有数据行", "the file contains no data rows"))
        return report
    plan = _Planner(sheets, user, report.errors).run()
    if report.errors:
        order = {sheet.title: position for position, sheet in enumerate(sheets.values(), start=1)}
        report.errors.sort(key=lambda e: (order.get(e.sheet, 0), e.row or 0, len(e.column or ""), e.column or ""))
        return report
    try:
        _write(plan)
    except (IntegrityError, DatabaseError):
        # Validation passed, so another import or edit changed the same rows meanwhile.
        report.errors.append(
            _file_error(
                "数据库在导入期间被修改（例如同时有另一次导入），未写入任何数据，请重试",
                "the database changed during the import (another import at the same time?); nothing was written, please try again",
            )
        )
        return report
    report.created.update(
        estates=len(plan.estate_new),
        buildings=len(plan.building_new),
        units=len(plan.unit_new),
        owners=len(plan.owner_new),
        ownerships=len(plan.ownership_new),
    )
    report.updated.update(
        estates=len(plan.estate_update),
        buildings=len(plan.building_update),
        units=len(plan.unit_update),
        owners=len(plan.owner_update),
        ownerships=len(plan.ownership_lower) + len(plan.ownership_other),
    )
    return report


# --- export ---------------------------------------------------------------------------------


def _header(col: Col) -> str:
    """The column's header in the reader's language: its Chinese name (``小区编码``), or in English mode
    its key in words (``Estate code``). Both are names the import recognises, so the round trip holds."""
    return col.zh if in_chinese() else col.key.replace("_", " ").capitalize()


def _headers(spec: SheetSpec) -> list[str]:
    return [_header(col) for col in spec.columns]


def _text_cell(ws, value: str | None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value or None)
    cell.number_format = "@"
    return cell


def inventory_export(*, file, estates_qs=None, mask_personal_data: bool = False) -> None:
    """Write the inventory of ``estates_qs`` (default: every estate) as an import-shaped workbook.

    ``file`` is a path or a binary file object. With ``mask_personal_data`` ID numbers and phones
    are written masked (the back-office download); without, in full (the operator's command).
    Owners are written one row per current ownership.
    """
    estates = (estates_qs if estates_qs is not None else Estate.objects.all()).order_by("code")
    estate_ids = estates.values("pk")
    wb = openpyxl.Workbook(write_only=True)

    ws = wb.create_sheet(ESTATES.zh)
    append_header(ws, _headers(ESTATES))
    for row in estates.values_list(
        "code",
        "name",
        "community__subdistrict__district__name",
        "community__subdistrict__name",
        "community__name",
        "address",
        "built_year",
    ):
        ws.append(xlsx_row(ws, [row[0], row[1], row[2], row[3], row[4], row[5] or None, row[6]]))

    ws = wb.create_sheet(BUILDINGS.zh)
    append_header(ws, _headers(BUILDINGS))
    for row in (
        Building.objects.filter(estate__in=estate_ids)
        .order_by("estate__code", "number")
        .values_list("estate__code", "number", "floors", "built_year", "lift_added_year")
        .iterator(5000)
    ):
        ws.append(xlsx_row(ws, row))

    ws = wb.create_sheet(UNITS.zh)
    append_header(ws, _headers(UNITS))
    for code, building, entrance, floor, number, area, use, built_year in (
        Unit.objects.filter(building__estate__in=estate_ids)
        .order_by("building__estate__code", "building__number", "entrance", "number")
        .values_list(
            "building__estate__code", "building__number", "entrance", "floor", "number", "exclusive_area", "use", "built_year"
        )
        .iterator(5000)
    ):
        area_cell = WriteOnlyCell(ws, value=area)
        area_cell.number_format = "0.00"
        ws.append(xlsx_row(ws, [code, building, entrance, floor, number, area_cell, use, built_year]))

    ws = wb.create_sheet(OWNERS.zh)
    append_header(ws, _headers(OWNERS))
    plain: dict[int, tuple[str, str]] = {}
    for (
        code,
        building,
        entrance,
        unit,
        owner_id,
        name,
        kind,
        id_encrypted,
        id_masked,
        credit_code,
        phone_encrypted,
        phone_masked,
        share,
        since,
    ) in (
        Ownership.objects.filter(unit__building__estate__in=estate_ids, until__isnull=True)
        .order_by("unit__building__estate__code", "unit__building__number", "unit__entrance", "unit__number", "owner_id")
        .values_list(
            "unit__building__estate__code",
            "unit__building__number",
            "unit__entrance",
            "unit__number",
            "owner_id",
            "owner__name",
            "owner__kind",
            "owner__id_number_encrypted",
            "owner__id_number_masked",
            "owner__credit_code",
            "owner__phone_encrypted",
            "owner__phone_masked",
            "share",
            "since",
        )
        .iterator(5000)
    ):
        if mask_personal_data:
            personal_id, phone = id_masked, phone_masked
        else:
            if owner_id not in plain:
                plain[owner_id] = (crypto.decrypt(id_encrypted), crypto.decrypt(phone_encrypted))
            personal_id, phone = plain[owner_id]
        # An organisation's credit code is public register data, never masked.
        identifier = credit_code if kind == OwnerKind.ORGANISATION else personal_id
        ws.append(
            xlsx_row(
                ws,
                [
                    code,
                    building,
                    entrance,
                    unit,
                    name,
                    kind,
                    _text_cell(ws, identifier),
                    _text_cell(ws, phone),
                    share,
                    since,
                ],
            )
        )

    ws = wb.create_sheet("说明")
    append_header(ws, ["sheet 工作表", "column 列", "说明", "required 必填", "note"])
    for spec in SHEETS:
        for col in spec.columns:
            ws.append(xlsx_row(ws, [f"{spec.zh} / {spec.key}", col.key, col.zh, "*" if col.required else "", col.note]))
    wb.save(file)
