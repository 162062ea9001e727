"""Writing a benchmark's results into its own section of docs/benchmarks.md (between ``<!-- key:start -->`` and
``<!-- key:end -->``), replacing what an earlier run wrote there, or appending the section the first time."""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def section_write(key: str, lines: list[str], *, docs: Path = DOCS) -> None:
    start, end = f"<!-- {key}:start -->", f"<!-- {key}:end -->"
    text = docs.read_text() if docs.exists() else ""
    block = "\n".join([start, *lines, end])
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    docs.write_text(text)
