"""Reading one data row's cells: text, whole numbers, exact decimals and dates, collecting every problem."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from ..models import OwnerKind, UnitUse
from ..spreadsheets import looks_like_formula
from .report import InventoryError

if TYPE_CHECKING:
    from .workbook import Sheet


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

ID_MESSAGES = {
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


class RowReader:
    """Converts the cells of one data row, collecting every problem rather than stopping at the first."""

    def __init__(self, sheet: Sheet, row: int, values: tuple, errors: list[InventoryError]):
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
        if isinstance(value, bool | datetime.date):
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
        if isinstance(value, int) and not isinstance(value, bool):
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
        """A cell as an exact Decimal; None if blank, ``NAN`` if not a number."""
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, bool | datetime.date):
            return NAN
        if isinstance(value, float):
            # repr gives the shortest string that reads back as the same float: 89.37, not 89.3699…
            number = Decimal(repr(value))
        else:
            try:
                number = Decimal(str(value).replace(",", ""))
            except InvalidOperation:
                return NAN
        if not number.is_finite():
            return NAN
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


NAN = Decimal("NaN")


def places_ok(number: Decimal, places: int, is_float_cell: bool) -> Decimal | None:
    """The number with at most ``places`` decimals, or None. A float cell may carry binary noise
    (a formula's 89.36999999999999); that is rounded away, a real third decimal is not."""
    quantum = Decimal(1).scaleb(-places)
    rounded = number.quantize(quantum)
    if rounded == number:
        return rounded
    if is_float_cell and abs(rounded - number) < Decimal("1e-9"):
        return rounded
    return None
