"""The funnel chart: one horizontal bar per step, kept and dropped records, as a PNG.

Drawn from a report.json dict (``pipelines/report.py``) with matplotlib's object API on the Agg
canvas (no pyplot: no global figure state, no display needed on a worker or in CI).
"""
from __future__ import annotations

import io
from typing import Any

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


def funnel_png(report: dict[str, Any], title: str = "skypile curation funnel") -> bytes:
    """PNG bytes of the funnel in ``report``: steps top to bottom, bars scaled to records in."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    funnel = report.get("funnel") or []
    if not funnel:
        raise ValueError("report has no funnel to draw")
    steps = [entry["step"] for entry in funnel]
    kept = [entry["kept"] for entry in funnel]
    dropped = [sum(entry["dropped"].values()) for entry in funnel]
    fig = Figure(figsize=(9, 1.2 + 0.55 * len(steps)), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    rows = list(range(len(steps)))[::-1]  # first step at the top
    ax.barh(rows, kept, color=KEPT_COLOR, label="kept")
    ax.barh(rows, dropped, left=kept, color=DROPPED_COLOR, label="dropped")
    width = max(k + d for k, d in zip(kept, dropped)) or 1
    for row, entry, k, d in zip(rows, funnel, kept, dropped):
        note = f"{k:,} kept" + (f" / {d:,} dropped: {_top_reasons(entry['dropped'])}" if d else "")
        ax.text(k + d + width * 0.01, row, note, va="center", fontsize=8)
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
