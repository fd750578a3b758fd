"""The funnel chart: one horizontal bar per step, kept and dropped records.

Two renderings of one report.json dict (``pipelines/report.py``):

- :func:`funnel_svg`, beside every run's report.md: a few rectangles and labels written as SVG
  text. Every ``skypile curate`` pays for it, so it stays off matplotlib, whose import alone costs
  0.54 CPU s (more than a tenth of a one-file run's start-up).
- :func:`funnel_png` for the dataset card of ``skypile release``: matplotlib's object API on the
  Agg canvas (no pyplot: no global figure state, no display needed), since a PNG shows on every
  card renderer.
"""
from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from pipelines.funnel_order import reasons_by_count

KEPT_COLOR = "#3a7d44"
DROPPED_COLOR = "#c0392b"
# The PNG's metadata normally carries the matplotlib version and nothing else varies, so the same
# report always gives the same bytes; leaving "Software" out keeps it so across matplotlib versions.
PNG_METADATA = {"Software": None}


def _top_reasons(dropped: dict[str, int], limit: int = 2) -> str:
    reasons = reasons_by_count(dropped)
    text = ", ".join(f"{reason} {count:,}" for reason, count in reasons[:limit])
    return text + (" ..." if len(reasons) > limit else "")


def _bars(report: dict[str, Any]):
    funnel = report.get("funnel") or []
    if not funnel:
        raise ValueError("report has no funnel to draw")
    kept = [entry["kept"] for entry in funnel]
    dropped = [sum(entry["dropped"].values()) for entry in funnel]
    return funnel, kept, dropped


def _note(entry: dict[str, Any], kept: int, dropped: int) -> str:
    return f"{kept:,} kept" + (f" / {dropped:,} dropped: {_top_reasons(entry['dropped'])}" if dropped else "")


# SVG layout, in pixels: the step names' column, the bars' full width, one row per step.
SVG_WIDTH, SVG_LABELS, SVG_BARS, SVG_ROW, SVG_TOP = 1000, 120, 330, 26, 44


def funnel_svg(report: dict[str, Any], title: str = "skypile curation funnel") -> bytes:
    """SVG bytes of the funnel in ``report``: steps top to bottom, bars scaled to the widest step
    (kept, then dropped), each with its counts and top drop reasons. The same report always gives
    the same bytes."""
    funnel, kept, dropped = _bars(report)
    width = max(k + d for k, d in zip(kept, dropped)) or 1
    height = SVG_TOP + SVG_ROW * len(funnel) + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{SVG_WIDTH}" height="{height}" '
           f'viewBox="0 0 {SVG_WIDTH} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{SVG_WIDTH}" height="{height}" fill="#ffffff"/>',
           f'<text x="{SVG_WIDTH // 2}" y="22" text-anchor="middle" font-size="14">'
           f'{escape(title)}: {report["records_in"]:,} in, {report["kept"]:,} kept</text>']
    for row, (entry, k, d) in enumerate(zip(funnel, kept, dropped)):
        y = SVG_TOP + row * SVG_ROW
        wk, wd = SVG_BARS * k / width, SVG_BARS * d / width
        out += [f'<text x="{SVG_LABELS - 8}" y="{y + 15}" text-anchor="end">{escape(entry["step"])}</text>',
                f'<rect class="kept" x="{SVG_LABELS}" y="{y + 3}" width="{wk:.2f}" height="{SVG_ROW - 6}" '
                f'fill="{KEPT_COLOR}"><title>{k:,} kept</title></rect>',
                f'<rect class="dropped" x="{SVG_LABELS + wk:.2f}" y="{y + 3}" width="{wd:.2f}" '
                f'height="{SVG_ROW - 6}" fill="{DROPPED_COLOR}"><title>{d:,} dropped</title></rect>',
                f'<text x="{SVG_LABELS + wk + wd + 6:.2f}" y="{y + 15}" font-size="11">'
                f'{escape(_note(entry, k, d))}</text>']
    y = SVG_TOP + SVG_ROW * len(funnel) + 12
    out += [f'<rect x="{SVG_LABELS}" y="{y}" width="12" height="12" fill="{KEPT_COLOR}"/>',
            f'<text x="{SVG_LABELS + 18}" y="{y + 11}">kept</text>',
            f'<rect x="{SVG_LABELS + 70}" y="{y}" width="12" height="12" fill="{DROPPED_COLOR}"/>',
            f'<text x="{SVG_LABELS + 88}" y="{y + 11}">dropped (records)</text>', "</svg>", ""]
    return "\n".join(out).encode("utf-8")


def funnel_png(report: dict[str, Any], title: str = "skypile curation funnel") -> bytes:
    """PNG bytes of the funnel in ``report``: steps top to bottom, bars scaled to records in."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    funnel, kept, dropped = _bars(report)
    steps = [entry["step"] for entry in funnel]
    fig = Figure(figsize=(9, 1.2 + 0.55 * len(steps)), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    rows = list(range(len(steps)))[::-1]  # first step at the top
    ax.barh(rows, kept, color=KEPT_COLOR, label="kept")
    ax.barh(rows, dropped, left=kept, color=DROPPED_COLOR, label="dropped")
    width = max(k + d for k, d in zip(kept, dropped)) or 1
    for row, entry, k, d in zip(rows, funnel, kept, dropped):
        ax.text(k + d + width * 0.01, row, _note(entry, k, d), va="center", fontsize=8)
    ax.set_yticks(rows, steps)
    ax.set_xlim(0, width * 2.1)  # room for the notes right of the longest bar
    ax.set_xlabel("records")
    ax.set_title(f"{title}: {report['records_in']:,} in, {report['kept']:,} kept")
    ax.legend(loc="lower right", fontsize=8, frameon=False)  # the last bars are the shortest
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata=PNG_METADATA)
    return buffer.getvalue()
