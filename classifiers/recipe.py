"""A quality training set built the DCLM / GPT-3 way: reference text as positives, web text as negatives.

GPT-3 (Brown et al. 2020, appendix A) trained its quality classifier with WebText, Wikipedia and
books as positives against unfiltered Common Crawl; DCLM (Li et al. 2024, sec. 4.4) used
OpenHermes-2.5 and ELI5 answers as positives against RefinedWeb and labelled them
``__label__hq`` / ``__label__cc``. Here positives come from reference files (JSONL, Parquet or
plain text) and negatives are sampled from curated web shards (``skypile curate`` output).
Sampling is deterministic and order-free: a document is kept when its seeded hash is among the
``n`` smallest, so the same inputs and seed give the same set on any machine.
"""
from __future__ import annotations

import glob
import gzip
import hashlib
import heapq
import json
import os
from typing import Iterator, Sequence

POSITIVE, NEGATIVE = "hq", "cc"  # DCLM's label names


def _hash(seed: int, text: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{seed}\x1f{text}".encode(), digest_size=8).digest(), "big")


def expand(patterns: Sequence[str]) -> list[str]:
    """Files matching the globs, sorted; a glob matching nothing is an error."""
    files = []
    for pattern in patterns:
        hits = sorted(p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p))
        if not hits:
            raise FileNotFoundError(f"{pattern}: matches no files")
        files.extend(hits)
    return sorted(dict.fromkeys(files))


def iter_texts(path: str, text_field: str = "text") -> Iterator[str]:
    """Texts of one file: JSONL(.gz) records' ``text_field``, a Parquet ``text_field`` column, or a
    plain-text file as one document."""
    if path.endswith((".jsonl", ".jsonl.gz", ".json")):
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    text = json.loads(line).get(text_field)
                    if text:
                        yield str(text)
    elif path.endswith(".parquet"):
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        for batch in pf.iter_batches(columns=[text_field], batch_size=1024):
            yield from (t for t in batch.column(0).to_pylist() if t)
    else:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        if text.strip():
            yield text


def sample(paths: Sequence[str], n: int, seed: int, text_field: str, min_chars: int,
           exclude: set[int] = frozenset()) -> dict[int, str]:
    """The ``n`` distinct texts (>= ``min_chars``) with the smallest seeded hashes: ``{hash: text}``."""
    heap: list[tuple[int, int, str]] = []  # (-hash, hash, text): a max-heap of the n smallest
    seen: set[int] = set()
    for path in paths:
        for text in iter_texts(path, text_field):
            if len(text.strip()) < min_chars:
                continue
            h = _hash(seed, text)
            if h in seen or h in exclude:
                continue
            seen.add(h)
            if len(heap) < n:
                heapq.heappush(heap, (-h, h, text))
            elif h < heap[0][1]:
                heapq.heapreplace(heap, (-h, h, text))
    return {h: t for _, h, t in heap}


def build_quality_set(reference: Sequence[str], web: Sequence[str], out: str, *, max_per_class: int = 100_000,
                      valid_out: str | None = None, valid_fraction: float = 0.1, seed: int = 0,
                      text_field: str = "text", min_chars: int = 200) -> dict[str, int]:
    """Write a balanced JSONL set ``{"text", "label": "hq"|"cc"}`` (and a validation split);
    returns the counts. Web texts identical to a reference text are left out of the negatives."""
    ref_files, web_files = expand(reference), expand(web)
    positives = sample(ref_files, max_per_class, seed, text_field, min_chars)
    negatives = sample(web_files, max_per_class, seed, text_field, min_chars, exclude=set(positives))
    n = min(len(positives), len(negatives))  # balanced, as DCLM's classifier set
    if n == 0:
        raise ValueError(f"no examples: {len(positives)} reference and {len(negatives)} web texts of "
                         f">= {min_chars} characters")
    rows = [(h, t, POSITIVE) for h, t in sorted(positives.items())[:n]]
    rows += [(h, t, NEGATIVE) for h, t in sorted(negatives.items())[:n]]
    rows.sort(key=lambda r: _hash(seed + 1, r[1]))  # interleave the classes, deterministically
    counts = {"train": 0, "valid": 0, POSITIVE: n, NEGATIVE: n}
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as ftrain:
        fvalid = open(valid_out, "w", encoding="utf-8") if valid_out else None
        try:
            for h, text, label in rows:
                is_valid = fvalid is not None and _hash(seed + 2, text) / 2**64 < valid_fraction
                (fvalid if is_valid else ftrain).write(json.dumps({"text": text, "label": label},
                                                                  ensure_ascii=False) + "\n")
                counts["valid" if is_valid else "train"] += 1
        finally:
            if fvalid:
                fvalid.close()
    return counts
