"""The one JSONL file reader of the project (benchmark test sets for ``decontaminate`` and the
evaluator, training metrics logs): records, or one text per record from one field or several
joined; imports neither Beam nor torch. (Curation inputs stream through :mod:`transforms.read`,
which counts bad lines as drops instead of failing.)"""
from __future__ import annotations

import json
from typing import Iterator, Sequence


def record_text(record: dict, fields: Sequence[str] | None = None) -> str:
    """The text of one JSONL record: the given fields joined by a space (GSM8K: question + " " +
    answer); without fields, ``text``. A missing field is an error, not an empty string."""
    fields = list(fields) if fields else ["text"]
    missing = [f for f in fields if f not in record]
    if missing:
        raise KeyError(f"record has no field(s) {missing} (fields: {sorted(record)})")
    return " ".join(str(record[f]) for f in fields)


def _numbered_records(path: str) -> Iterator[tuple[int, dict]]:
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{path}:{lineno}: {exc}") from exc


def read_jsonl(path: str) -> list[dict]:
    """Every record of a JSONL file (blank lines skipped); a bad line is an error naming path:line."""
    return [record for _, record in _numbered_records(path)]


def read_jsonl_texts(path: str, fields: Sequence[str] | None = None) -> list[str]:
    """Texts of every record of a JSONL file (see :func:`record_text`)."""
    texts = []
    for lineno, record in _numbered_records(path):
        try:
            texts.append(record_text(record, fields))
        except KeyError as exc:
            raise ValueError(f"{path}:{lineno}: {exc}") from exc
    return texts
