"""Opening the workbook safely (type, size and zip-bomb limits) and reading its sheets, headers and rows."""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

from ..spreadsheets import MAX_CELL_CHARS, MAX_COLUMNS, LimitProblem, workbook_limit_problem
from .cells import RowReader
from .layout import SHEETS, SheetSpec, header_names, normalise_header
from .report import InventoryError, file_error
from .rows import READERS

MAX_ROWS_PER_SHEET = 200_000
MAX_READ_SECONDS = 120  # reading and checking the rows; the limits below usually refuse a file much sooner


@dataclass
class Sheet:
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


def _open(file) -> tuple[Any, bool]:
    if isinstance(file, bytes | bytearray):
        return io.BytesIO(file), True
    if isinstance(file, str | Path):
        return Path(file).open("rb"), True
    return file, False


def read_workbook(file, errors: list[InventoryError]) -> dict[str, Sheet] | None:
    try:
        handle, close = _open(file)
    except OSError:
        errors.append(file_error("无法打开文件", "the file cannot be opened"))
        return None
    try:
        handle.seek(0)
        head = handle.read(8)
        handle.seek(0)
        if not head:
            errors.append(file_error("文件是空的", "the file is empty"))
            return None
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            errors.append(
                file_error(
                    "这是旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后再导入",
                    "this is an old .xls file; save it as .xlsx in Excel and import that",
                )
            )
            return None
        if not head.startswith(b"PK\x03\x04"):
            errors.append(
                file_error(
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
                file_error(
                    "文件不是有效的 Excel 工作簿（.xlsx），可能已损坏",
                    "the file is not a valid Excel workbook (.xlsx); it may be damaged",
                )
            )
            return None
        try:
            return _read_sheets(workbook, errors)
        except Exception:  # damaged XML inside the zip surfaces only while reading rows
            errors.append(
                file_error("读取工作簿时出错，文件可能已损坏", "the workbook could not be read; the file may be damaged")
            )
            return None
        finally:
            workbook.close()
    finally:
        if close:
            handle.close()


def _sheets_by_name() -> dict[str, SheetSpec]:
    return {name: spec for spec in SHEETS for name in header_names(spec.key, spec.zh, spec.aliases)}


def _is_inventory_sheet(title: str) -> bool:
    return normalise_header(title) in _sheets_by_name()


def _limit_error(problem: LimitProblem) -> InventoryError:
    match = re.fullmatch(r"([A-Z]+)([0-9]+)", problem.cell)
    row, column = (int(match.group(2)), match.group(1)) if match else (None, None)
    return InventoryError(problem.sheet, row, column, problem.message_zh, problem.message_en)


def _read_sheets(workbook, errors: list[InventoryError]) -> dict[str, Sheet] | None:
    by_name = _sheets_by_name()
    sheets: dict[str, Sheet] = {}
    for worksheet in workbook.worksheets:
        spec = by_name.get(normalise_header(worksheet.title))
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
        sheet = Sheet(spec, worksheet.title)
        sheets[spec.key] = sheet
        _read_rows(worksheet, sheet, errors)
    if not sheets:
        errors.append(
            file_error(
                "工作簿中没有 小区、楼栋、房屋 或 业主 工作表",
                "the workbook has none of the sheets estates, buildings, units or owners",
            )
        )
        return None
    return sheets


def _read_rows(worksheet, sheet: Sheet, errors: list[InventoryError]) -> None:
    if hasattr(worksheet, "reset_dimensions"):
        worksheet.reset_dimensions()  # a wrong <dimension> tag would otherwise cut rows short
    reader = READERS[sheet.spec.key]
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
        row_reader = RowReader(sheet, number, values, errors)
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


def _read_header(sheet: Sheet, number: int, values: tuple, errors: list[InventoryError]) -> bool:
    wanted = {name: col.key for col in sheet.spec.columns for name in header_names(col.key, col.zh, col.aliases)}
    ok = True
    for position, value in enumerate(values):
        if value is None:
            continue
        key = wanted.get(normalise_header(value))
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
