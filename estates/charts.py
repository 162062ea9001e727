"""Small charts drawn on the server as inline SVG: horizontal bars with their labels and values.

No JavaScript and no charting library: the page (and a printout of it) shows the chart as it is sent,
screen readers read its title and each bar's label and value (``<title>`` elements), and every text
is escaped. Used by the officers' area dashboards (property_services.area_dashboard).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

ROW_HEIGHT = 22
LABEL_WIDTH = 150
BAR_WIDTH = 260
VALUE_WIDTH = 70


def _short(label: str, limit: int = 12) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(
    bars: Sequence[tuple[str, Decimal | int | float | None]],
    *,
    title: str,
    maximum: Decimal | int = 100,
    suffix: str = "%",
    testid: str = "",
) -> SafeString:
    """An ``<svg>`` of one horizontal bar per (label, value); a value of None is drawn as "—" with no bar.

    ``maximum`` is the value of a full bar (100 for percentages, 5 for a 1–5 rating). Labels longer than
    twelve characters are shortened on the bar (the full label stays in the bar's title)."""
    height = ROW_HEIGHT * max(len(bars), 1) + 8
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    rows = []
    for position, (label, value) in enumerate(bars):
        y = 4 + position * ROW_HEIGHT
        shown = "—" if value is None else f"{value}{suffix}"
        length = 0 if value is None or not maximum else max(0.0, min(1.0, float(value) / float(maximum))) * BAR_WIDTH
        rows.append(
            format_html(
                '<g data-label="{label}" data-value="{raw}"><title>{label}: {shown}</title>'
                '<text x="{lx}" y="{ty}" text-anchor="end" font-size="12">{short}</text>'
                '<rect x="{bx}" y="{ry}" width="{bw}" height="{bh}" fill="#bfd4e6"></rect>'
                '<rect x="{bx}" y="{ry}" width="{length}" height="{bh}" fill="#1f6fb2"></rect>'
                '<text x="{vx}" y="{ty}" font-size="12">{shown}</text></g>',
                label=label,
                raw="" if value is None else str(value),
                shown=shown,
                short=_short(str(label)),
                lx=LABEL_WIDTH - 6,
                ty=y + 15,
                bx=LABEL_WIDTH,
                ry=y + 3,
                bw=BAR_WIDTH,
                bh=ROW_HEIGHT - 6,
                length=f"{length:.1f}",
                vx=LABEL_WIDTH + BAR_WIDTH + 6,
            )
        )
    body = format_html_join("", "{}", ((row,) for row in rows))
    return mark_safe(  # noqa: S308 - every text above went through format_html (escaped)
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="bar-chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{escape(title)}" data-testid="{escape(testid)}">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


__all__ = ["bar_chart"]
