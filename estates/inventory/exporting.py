"""``inventory_export``: the inventory as an import-shaped workbook.

Why the back office gets masked numbers
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
"""

from __future__ import annotations

import openpyxl
from openpyxl.cell import WriteOnlyCell

from .. import crypto
from ..models import Building, Estate, OwnerKind, Ownership, Unit
from ..spreadsheets import append_header, in_chinese, xlsx_row
from .layout import BUILDINGS, ESTATES, OWNERS, SHEETS, UNITS, Col, SheetSpec


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
