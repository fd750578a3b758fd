"""Fresh validation sets from curated output, provably free of overlap with the training data.

Beyond Skywork (who collected post-cutoff articles by hand): take documents of a curated corpus
whose WARC date is *after* the training data's cutoff, group them per language (or any other
column), and remove every document that shares an n-gram (13 units: words, or characters for
Chinese; see :mod:`transforms.ngrams`) with the training shards or with benchmark test sets.
Each set is written as ``OUT/<set>.jsonl`` (``text`` plus provenance fields), which
``skypile eval loss --domains OUT`` reads directly; ``OUT/report.json`` says how many documents each
reason removed and ``OUT/removed.jsonl`` lists them.

Reasons: ``no_date`` (no WARC date), ``before_cutoff`` (dated on or before the cutoff day, UTC),
``overlap:train`` and ``overlap:<benchmark>``. The training shards are streamed against the
candidates' n-grams (8-byte hashes, sorted), so memory follows the candidate documents, which are
few, and never the training data, which may be the whole corpus.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import glob
import json
import os
from collections import Counter, defaultdict
from typing import Iterable, Iterator, Mapping, Sequence

import numpy as np

from transforms.jsonl import read_jsonl_texts
from transforms.ngrams import DEFAULT_N, count_overlap, ngram_array, ngram_hashes

READ_COLUMNS = ("id", "url", "domain", "text", "lang", "warc_date")


@dataclasses.dataclass
class Benchmark:
    """A benchmark test set: JSONL file and the fields joined into one sample text."""

    name: str
    path: str
    fields: tuple[str, ...] = ("text",)

    @classmethod
    def parse(cls, spec: str) -> "Benchmark":
        """``NAME=PATH`` or ``NAME=PATH:field1,field2`` (e.g. ``gsm8k=test.jsonl:question,answer``)."""
        name, sep, rest = spec.partition("=")
        if not sep or not name or not rest:
            raise ValueError(f"benchmark {spec!r}: expected NAME=PATH[:field,field]")
        path, _, fields = rest.partition(":") if not os.path.exists(rest) else (rest, "", "")
        return cls(name, path, tuple(f for f in fields.split(",") if f) or ("text",))


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"--after {value!r}: expected a date YYYY-MM-DD") from exc


def parquet_files(pattern_or_dir: str) -> list[str]:
    """Parquet files of a curated output dir (``DIR/data/**``, else ``DIR/**``) or a glob."""
    if os.path.isdir(pattern_or_dir):
        files = glob.glob(os.path.join(pattern_or_dir, "data", "**", "*.parquet"), recursive=True) or \
            glob.glob(os.path.join(pattern_or_dir, "**", "*.parquet"), recursive=True)
    else:
        files = glob.glob(pattern_or_dir, recursive=True)
    if not files:
        raise FileNotFoundError(f"{pattern_or_dir}: no Parquet files")
    return sorted(files)


def iter_rows(files: Sequence[str], columns: Sequence[str] = READ_COLUMNS) -> Iterator[dict]:
    """Rows of the Parquet files, only the columns present and asked for, batch by batch."""
    import pyarrow.parquet as pq

    for path in files:
        pf = pq.ParquetFile(path)
        cols = [c for c in columns if c in pf.schema_arrow.names]
        for batch in pf.iter_batches(columns=cols, batch_size=1024):
            yield from batch.to_pylist()


def training_overlaps(train_files: Sequence[str], texts: Sequence[str], n: int = DEFAULT_N) -> tuple[set[int], int]:
    """Indices of ``texts`` that share an n-gram with the training shards, and how many training
    n-grams were scanned. The shards stream past the texts' n-grams; nothing of them is kept."""
    grams = [np.unique(ngram_array(t, n)) for t in texts]
    if not any(len(g) for g in grams):
        return set(), 0
    keys = np.unique(np.concatenate(grams))
    hit = np.zeros(len(keys), dtype=bool)  # the one thing that lasts: a flag per candidate n-gram
    scanned = 0
    for row in iter_rows(train_files, ("text",)):
        train = ngram_array(row.get("text") or "", n)
        scanned += len(train)
        if len(train):  # binary search in the sorted keys: no sort of either side per document
            pos = np.minimum(np.searchsorted(keys, train), len(keys) - 1)
            hit[pos[keys[pos] == train]] = True
    hits = keys[hit]
    return {i for i, g in enumerate(grams) if len(g) and np.isin(g, hits, assume_unique=True).any()}, scanned


def _day(value) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return (value.astimezone(dt.timezone.utc) if value.tzinfo else value).date()
    return value if isinstance(value, dt.date) else None


def date_verdict(row: Mapping, after: dt.date) -> str | None:
    """``no_date`` or ``before_cutoff`` (dated on or before the cutoff day, UTC), else ``None``."""
    day = _day(row.get("warc_date"))
    if day is None:
        return "no_date"
    if day <= after:
        return "before_cutoff"
    return None


def select(rows: Iterable[dict], after: dt.date, references: Mapping[str, set[int]], n: int = DEFAULT_N,
           group_by: Sequence[str] = ("lang",), train_files: Sequence[str] = ()
           ) -> tuple[dict[str, list[dict]], list[dict], int]:
    """Split rows into ``{set name: kept rows}`` and removed rows (each with its ``reason``; the
    date first, then the training shards, then ``references`` in order); also returns the training
    n-grams scanned."""
    removed, candidates = [], []
    for row in rows:
        reason = date_verdict(row, after)
        if reason:
            removed.append({**row, "reason": reason})
        else:
            candidates.append(row)
    in_train, scanned = training_overlaps(train_files, [r.get("text") or "" for r in candidates], n)
    sets: dict[str, list[dict]] = defaultdict(list)
    for i, row in enumerate(candidates):
        reason = "overlap:train" if i in in_train else next(
            (f"overlap:{name}" for name, grams in references.items()
             if count_overlap(row.get("text") or "", grams, n, stop_at=1)), None)
        if reason:
            removed.append({**row, "reason": reason})
        else:
            sets["_".join(str(row.get(col) or "und") for col in group_by)].append(row)
    return dict(sets), removed, scanned


def _jsonable(row: Mapping) -> dict:
    return {k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v) for k, v in row.items()}


def build_sets(corpus: str, after: str, train_shards: str, out_dir: str,
               benchmarks: Sequence[Benchmark] = (), n: int = DEFAULT_N,
               group_by: Sequence[str] = ("lang",)) -> dict:
    """Writes ``OUT/<set>.jsonl``, ``OUT/removed.jsonl`` and ``OUT/report.json``; returns the report."""
    cutoff = parse_date(after)
    corpus_files = parquet_files(corpus)
    train_files = parquet_files(train_shards)
    references = {}
    for bench in benchmarks:
        if not os.path.isfile(bench.path):
            raise FileNotFoundError(f"benchmark {bench.name}: file not found: {bench.path}")
        grams: set[int] = set()
        for text in read_jsonl_texts(bench.path, bench.fields):
            grams |= ngram_hashes(text, n)
        references[bench.name] = grams
    columns = tuple(dict.fromkeys([*READ_COLUMNS, *group_by]))
    sets, removed, scanned = select(iter_rows(corpus_files, columns), cutoff, references, n, group_by, train_files)
    os.makedirs(out_dir, exist_ok=True)
    for name, rows in sets.items():
        with open(os.path.join(out_dir, f"{name}.jsonl"), "w", encoding="utf-8") as f:
            for row in sorted(rows, key=lambda r: r["id"]):
                f.write(json.dumps(_jsonable(row), ensure_ascii=False) + "\n")
    with open(os.path.join(out_dir, "removed.jsonl"), "w", encoding="utf-8") as f:
        for row in sorted(removed, key=lambda r: r["id"]):
            f.write(json.dumps({k: v for k, v in _jsonable(row).items() if k != "text"}, ensure_ascii=False) + "\n")
    report = {
        "after": cutoff.isoformat(), "n": n, "group_by": list(group_by),
        "corpus_files": corpus_files, "train_files": train_files,
        "train_ngrams_scanned": scanned,
        "reference_ngrams": {k: len(v) for k, v in references.items()},
        "docs_in": sum(len(r) for r in sets.values()) + len(removed),
        "kept": {name: len(rows) for name, rows in sorted(sets.items())},
        "removed": dict(sorted(Counter(r["reason"] for r in removed).items())),
    }
    with open(os.path.join(out_dir, "report.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return report
