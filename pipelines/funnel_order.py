"""The one order of drop reasons in every funnel view: the console table (``pipelines/report.py``),
report.md (``pipelines/report_markdown.py``) and the chart (``pipelines/funnel_chart.py``).

A module of its own so that the chart and the Markdown, which draws the chart, both import it
without importing each other.
"""
from __future__ import annotations


def reasons_by_count(dropped: dict[str, int]) -> list[tuple[str, int]]:
    """Drop reasons largest first, ties by name: the one order of every funnel table and chart."""
    return sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0]))
