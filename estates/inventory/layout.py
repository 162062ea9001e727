"""The workbook's layout: the four sheets, their columns and the names (Chinese, English, aliases) each goes by."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


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


def normalise_header(value: Any) -> str:
    text = _BRACKETED.sub("", str(value)).strip().strip("*＊").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def header_names(spec_key: str, zh: str, aliases: tuple[str, ...]) -> set[str]:
    return {normalise_header(n) for n in (spec_key, zh, *aliases)}
