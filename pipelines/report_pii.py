"""The report's personal-data section: what the ``pii`` step replaced, per kind.

Read from the step's counters (``(pii, redacted:<kind>)`` and ``(pii, documents_redacted)``),
however the run gathered them. Every kind the run had switched on is listed, 0 included, so a
report says "none found" rather than leaving the reader to guess whether the step ran.
"""
from __future__ import annotations

from typing import Any

from transforms.pii import PII, PLACEHOLDERS


def redaction_report(counters: dict[tuple[str, str], int], config: dict[str, Any]) -> dict[str, Any]:
    """``{"redacted": {kind: n}, "redacted_documents": n}``, or ``{}`` when the step was off."""
    section = config.get(PII.name) or {}
    if not section.get("enabled", False):
        return {}
    kinds = [k for k in PLACEHOLDERS if section.get(k, True)]
    return {"redacted": {k: counters.get((PII.name, f"redacted:{k}"), 0) for k in kinds},
            "redacted_documents": counters.get((PII.name, "documents_redacted"), 0)}
