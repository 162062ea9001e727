"""Server-side SVG charts: geometry computed here, markup in cms/includes/funding_chart.html.

No JavaScript and nothing fetched from elsewhere: the chart is part of the page's HTML, scales
with the viewport through its viewBox, and carries a text alternative (the table beside it).
"""

from decimal import Decimal

from billing.money import quantize

WIDTH = 400  # narrow enough to stay legible on a phone; it scales up to the container on a desktop
ROW_HEIGHT = 46
BAR_HEIGHT = 16
LABEL_BASELINE = 16  # label and amount on one line, the bar below them
TOP = 4
# Shades of the brand green and other dark colours: each bar stands out from the white page.
PALETTE = ["#0b5d3b", "#1f7a52", "#2f6f8f", "#6b4f9e", "#8a5a00", "#8a1c1c", "#3d5a80", "#5c6b2f", "#7a3e65"]


def funding_bar_chart(rows, *, total: Decimal, title: str) -> dict:
    """Horizontal bars, one per funding source, longest for the largest amount."""
    largest = max((r.amount for r in rows), default=Decimal("0"))
    bars = []
    for i, row in enumerate(rows):
        width = int(WIDTH * row.amount / largest) if largest else 0
        y = TOP + i * ROW_HEIGHT
        bars.append(
            {
                "label": row.label,
                "source": row.source,
                "amount": quantize(row.amount),
                "share": row.share,
                "text_y": y + LABEL_BASELINE,
                "bar_y": y + LABEL_BASELINE + 6,
                "width": max(width, 2 if row.amount else 0),
                "colour": PALETTE[i % len(PALETTE)],
            }
        )
    return {
        "title": title,
        "bars": bars,
        "total": quantize(total),
        "width": WIDTH,
        "height": TOP * 2 + max(len(bars), 1) * ROW_HEIGHT,
        "bar_height": BAR_HEIGHT,
    }
