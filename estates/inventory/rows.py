"""The rows as read from each sheet, before anything is compared with the database."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError

from ..models import OwnerKind, UnitUse
from ..validators import (
    is_valid_resident_id,
    is_valid_uscc,
    normalise_resident_id,
    normalise_uscc,
    validate_resident_id,
    validate_uscc,
)
from .cells import ID_MESSAGES, KIND_VALUES, USE_VALUES, RowReader, places_ok


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


def _read_estate(r: RowReader) -> EstateRow:
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


def _read_building(r: RowReader) -> BuildingRow:
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


def _read_entrance(r: RowReader) -> int:
    entrance = r.integer("entrance", low=1, high=999, required=False, what=("单元号", "entrance"))
    return entrance or 1


def _read_unit(r: RowReader) -> UnitRow:
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
        area = places_ok(area, 2, isinstance(raw_area, float))
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


def _read_owner(r: RowReader) -> OwnerRow:
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
                zh, en = ID_MESSAGES.get(exc.code or "", ("证件号码无效", "the ID number is not valid"))
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
            exact = places_ok(share, 4, isinstance(raw_share, float))
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


READERS = {"estates": _read_estate, "buildings": _read_building, "units": _read_unit, "owners": _read_owner}
