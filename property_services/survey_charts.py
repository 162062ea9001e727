"""Server-rendered SVG bar charts of survey results: no JavaScript, readable on a phone, embeddable in a PDF."""

from __future__ import annotations

from decimal import Decimal

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from .selectors.surveys import SurveyResults

WIDTH = 600
LABEL_WIDTH = 220
BAR_AREA = WIDTH - LABEL_WIDTH - 90
ROW = 34
BAR_HEIGHT = 20


def _clip(text: str, limit: int = 14) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def svg_bar_chart(*, bars: list[tuple[str, Decimal | int, str]], maximum: Decimal | int, title: str) -> SafeString:
    """Horizontal bars, one per (label, value, figure shown at the bar's end), scaled to ``maximum``.

    Each bar is a ``<rect class="bar">`` with its value in ``data-value``; the label's full text is the row's
    ``<title>`` (a tooltip), the visible label is shortened to fit.
    """
    height = ROW * len(bars) + 10
    rows = []
    for i, (label, value, figure) in enumerate(bars):
        y = 5 + i * ROW
        ratio = Decimal(value) / Decimal(maximum) if maximum else Decimal(0)
        width = (Decimal(BAR_AREA) * min(ratio, Decimal(1))).quantize(Decimal("0.1"))
        rows.append(
            format_html(
                "<g><title>{label}</title>"
                '<text x="{lx}" y="{ty}" text-anchor="end" font-size="14">{short}</text>'
                '<rect class="bar" x="{bx}" y="{y}" width="{w}" height="{h}" fill="#2f6f4f" data-value="{value}"></rect>'
                '<text x="{fx}" y="{ty}" font-size="14">{figure}</text></g>',
                label=label,
                short=_clip(label),
                lx=LABEL_WIDTH - 8,
                ty=y + 15,
                bx=LABEL_WIDTH,
                y=y,
                w=width,
                h=BAR_HEIGHT,
                value=value,
                fx=LABEL_WIDTH + width + 6,
                figure=figure,
            )
        )
    return mark_safe(  # noqa: S308 - every piece above is escaped by format_html
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" aria-label="{escape(title)}" class="survey-chart">'
        f"<title>{escape(title)}</title>{''.join(rows)}</svg>"
    )


def survey_chart(results: SurveyResults, *, title: str) -> SafeString:
    """The survey's chart: households per item (of those that answered), or each question's average out of 5."""
    if results.survey.is_choice:
        bars = [(r.item.title, r.count, f"{r.count} ({r.percent}%)") for r in results.items]
        return svg_bar_chart(bars=bars, maximum=max(results.answered, 1), title=title)
    bars = [(r.question.text, r.average or 0, f"{r.average:.2f}" if r.average is not None else "—") for r in results.questions]
    return svg_bar_chart(bars=bars, maximum=5, title=title)
