"""What an import did, or every reason it did not: errors by sheet, row and column, in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass, field

COUNTED = ("estates", "buildings", "units", "owners", "ownerships")


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


def file_error(zh: str, en: str) -> InventoryError:
    """A problem with the file as a whole (no sheet, row or column)."""
    return InventoryError("", None, None, zh, en)
