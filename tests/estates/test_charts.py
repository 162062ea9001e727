"""The server-rendered bar charts of the dashboards (estates.charts): SVG only, every text escaped."""

import re
from decimal import Decimal

from estates.charts import BAR_WIDTH, bar_chart


def widths(svg: str) -> list[float]:
    """The width of each value bar (the second rect of each bar)."""
    return [float(w) for w in re.findall(r'width="([\d.]+)" height="\d+" fill="#1f6fb2"', svg)]


def test_bars_are_as_long_as_their_share_of_the_maximum():
    svg = str(bar_chart([("甲", Decimal("50.0")), ("乙", 100), ("丙", 150)], title="收缴率"))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert widths(svg) == [BAR_WIDTH / 2, BAR_WIDTH, BAR_WIDTH]  # a value over the maximum stops at the end
    assert "<title>甲: 50.0%</title>" in svg and "<title>收缴率</title>" in svg


def test_a_missing_value_has_no_bar_and_a_dash():
    svg = str(bar_chart([("甲", None)], title="评分", maximum=5, suffix=""))
    assert widths(svg) == [0.0] and "<title>甲: —</title>" in svg and 'data-value=""' in svg


def test_labels_and_titles_are_escaped():
    svg = str(bar_chart([('<script>alert(1)</script>"', 1)], title="<b>x</b>", testid='a"b'))
    assert "<script>" not in svg and "<b>" not in svg and 'a"b' not in svg
    assert "&lt;script&gt;" in svg and "&lt;b&gt;x&lt;/b&gt;" in svg
