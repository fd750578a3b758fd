"""Labelled data for binary classifiers: JSONL, CSV/TSV (plain or .gz) and fastText ``.txt``.

Labels are mapped to 1 (``positive`` values) and 0 (``negative`` values). When ``negative`` is
not given, every other value is negative, and the mapping is reported so nothing is guessed
silently; when it is given, rows whose label is outside ``positive + negative`` (or missing) are
skipped and counted in :attr:`Labelled.skipped`, never assigned a class.
"""
from __future__ import annotations

import collections
import csv
import dataclasses
import gzip
import io
import json
import sys
from typing import Iterator, Sequence


class DataError(ValueError):
    """A labelled file that cannot be used (missing field, unknown format, no examples)."""


@dataclasses.dataclass
class Labelled:
    texts: list[str]
    labels: list[int]
    # label value -> rows, for rows outside the declared labels (or with no label)
    skipped: dict[str, int]
    # label value -> rows, for each value taken as positive / negative
    positive_values: dict[str, int]
    negative_values: dict[str, int]

    def __len__(self) -> int:
        return len(self.texts)

    def summary(self, path: str) -> str:
        pos, neg = sum(self.labels), len(self.labels) - sum(self.labels)
        line = (f"{path}: {len(self)} examples, {pos} positive {dict(self.positive_values)}, "
                f"{neg} negative {dict(self.negative_values)}")
        if self.skipped:
            line += f"; skipped {sum(self.skipped.values())} rows with labels outside the declared set {self.skipped}"
        return line


def _open_text(path: str):
    if path.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def iter_rows(path: str, text_field: str, label_field: str) -> Iterator[tuple[str, str | None]]:
    """``(text, label)`` pairs from one file; the format follows the extension."""
    name = path[:-3] if path.endswith(".gz") else path
    with _open_text(path) as f:
        if name.endswith((".jsonl", ".json")):
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(f"{path}:{lineno}: not JSON ({exc.msg})") from exc
                if text_field not in row:
                    raise DataError(f"{path}:{lineno}: no field {text_field!r} (fields: {sorted(row)})")
                label = row.get(label_field)
                yield str(row[text_field] or ""), None if label is None else str(label)
        elif name.endswith((".csv", ".tsv")):
            csv.field_size_limit(sys.maxsize)
            reader = csv.DictReader(f, delimiter="\t" if name.endswith(".tsv") else ",")
            for field in (text_field, label_field):
                if field not in (reader.fieldnames or []):
                    raise DataError(f"{path}: no column {field!r} (columns: {reader.fieldnames})")
            for row in reader:
                label = row.get(label_field)
                yield row.get(text_field) or "", None if label in (None, "") else label
        elif name.endswith(".txt"):
            # fastText format: `__label__X text...` (the first token is the label).
            for line in f:
                head, _, text = line.rstrip("\n").partition(" ")
                if head.startswith("__label__"):
                    yield text, head[len("__label__"):]
                elif line.strip():
                    yield line.rstrip("\n"), None
        else:
            raise DataError(f"{path}: unknown format (use .jsonl, .csv, .tsv or fastText .txt, optionally .gz)")


def load_labelled(paths: str | Sequence[str], positive: Sequence[str], negative: Sequence[str] = (),
                  text_field: str = "text", label_field: str = "label") -> Labelled:
    """Load one or more files into texts and 0/1 labels (see the module docstring)."""
    paths = [paths] if isinstance(paths, str) else list(paths)
    if not positive:
        raise DataError("declare the positive label value(s) (--positive)")
    pos, neg = {str(v) for v in positive}, {str(v) for v in negative}
    if pos & neg:
        raise DataError(f"labels both positive and negative: {sorted(pos & neg)}")
    texts, labels = [], []
    skipped: collections.Counter = collections.Counter()
    pos_seen: collections.Counter = collections.Counter()
    neg_seen: collections.Counter = collections.Counter()
    for path in paths:
        for text, label in iter_rows(path, text_field, label_field):
            if label is None:
                skipped["<missing>"] += 1
            elif label in pos:
                pos_seen[label] += 1
                texts.append(text)
                labels.append(1)
            elif not neg or label in neg:
                neg_seen[label] += 1
                texts.append(text)
                labels.append(0)
            else:
                skipped[label] += 1
    data = Labelled(texts, labels, dict(skipped), dict(pos_seen), dict(neg_seen))
    if not texts:
        raise DataError(f"{', '.join(paths)}: no examples with a declared label ({data.summary('data')})")
    return data


def split(data: Labelled, valid_fraction: float, seed: int = 0) -> tuple[Labelled, Labelled]:
    """A deterministic train/valid split by a seeded hash of each text (stable under reordering,
    and duplicates of one text always land on the same side, so they cannot leak)."""
    import hashlib

    train, valid = ([], []), ([], [])
    for text, label in zip(data.texts, data.labels):
        h = int.from_bytes(hashlib.blake2b(f"{seed}\x1f{text}".encode(), digest_size=8).digest(), "big")
        side = valid if h / 2**64 < valid_fraction else train
        side[0].append(text)
        side[1].append(label)
    # Per-value counts are not tracked per side; the 0/1 labels are.
    return Labelled(*train, {}, {}, {}), Labelled(*valid, {}, {}, {})
