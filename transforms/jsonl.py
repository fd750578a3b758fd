"""Samples of JSONL files: one text per record, from one field or several joined (benchmark test
sets for ``decontaminate`` and the evaluator); imports neither Beam nor torch."""
from __future__ import annotations

import json
from typing import Sequence


def record_text(record: dict, fields: Sequence[str] | None = None) -> str:
    """The text of one JSONL record: the given fields joined by a space (GSM8K: question + " " +
    answer); without fields, ``text``. A missing field is an error, not an empty string."""
    fields = list(fields) if fields else ["text"]
    missing = [f for f in fields if f not in record]
    if missing:
        raise KeyError(f"record has no field(s) {missing} (fields: {sorted(record)})")
    return " ".join(str(record[f]) for f in fields)


def read_jsonl_texts(path: str, fields: Sequence[str] | None = None) -> list[str]:
    """Texts of every record of a JSONL file (see :func:`record_text`)."""
    texts = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                texts.append(record_text(json.loads(line), fields))
            except (ValueError, KeyError) as exc:
                raise ValueError(f"{path}:{lineno}: {exc}") from exc
    return texts
