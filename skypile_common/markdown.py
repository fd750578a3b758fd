"""The one Markdown table helper (report.md, dataset cards, evaluation results): no Beam, no torch."""
from __future__ import annotations

from typing import Any


def markdown_table(header: tuple[str, ...], rows: list[tuple[Any, ...]], numeric: tuple[int, ...] = ()) -> str:
    """A Markdown table; ints get thousands separators, ``numeric`` columns align right."""
    align = ["---:" if i in numeric else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    for row in rows:
        cells = [f"{c:,}" if isinstance(c, int) else str(c) for c in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
