"""Word / character n-grams for overlap detection, shared by evaluation-set building
(:mod:`train.evaluate`) and the ``decontaminate`` curation step; imports neither Beam nor torch.

Text is split into *units*: each CJK character is one unit (Chinese has no spaces, so character
n-grams stand in for word n-grams), every other run of letters or digits is one lower-cased word.
Punctuation and whitespace are dropped, so formatting differences do not hide an overlap. A
document overlaps a reference set when it shares a window of ``n`` consecutive units with it.

``n = 13`` follows GPT-3's benchmark decontamination (Brown et al. 2020, appendix C: 13-gram
overlap). One unit sequence for both scripts keeps code-switched text (Chinese with English
terms) in one window instead of two half-empty ones.

N-grams are stored as 64-bit hashes (a polynomial over per-unit BLAKE2b hashes): deterministic
across processes (unlike ``hash()``) and 8 bytes each, so a benchmark's or a training shard's
n-gram set stays small in memory.
"""
from __future__ import annotations

import functools
import hashlib
import re
from typing import Iterable

import numpy as np

DEFAULT_N = 13

# CJK unified ideographs (+ extension A, compatibility ideographs): one unit per character.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_UNIT_RE = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")


def units(text: str) -> list[str]:
    """The unit sequence of ``text``: CJK characters one by one, other words lower-cased."""
    return [u.lower() for u in _UNIT_RE.findall(text)]


# Polynomial rolling hash over per-unit hashes, mod 2^64 (odd multiplier: the 64-bit FNV prime).
_BASE = np.uint64(0x100000001B3)


@functools.lru_cache(maxsize=1 << 20)
def _unit_hash(unit: str) -> int:
    return int.from_bytes(hashlib.blake2b(unit.encode("utf-8"), digest_size=8).digest(), "little")


def ngram_array(text: str, n: int = DEFAULT_N) -> np.ndarray:
    """Hashes of every window of ``n`` units in text order, repeats included, as uint64 (a text
    shorter than ``n`` units has none). Each unit is hashed once (BLAKE2b, cached) and the windows
    are folded in NumPy, so a text costs n vector operations rather than one hash per window."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    seq = units(text)
    windows = len(seq) - n + 1
    if windows <= 0:
        return np.zeros(0, dtype=np.uint64)
    h = np.fromiter((_unit_hash(u) for u in seq), dtype=np.uint64, count=len(seq))
    acc = np.zeros(windows, dtype=np.uint64)
    for k in range(n):
        acc = acc * _BASE + h[k:k + windows]  # wraps mod 2^64 by design
    return acc


def iter_ngram_hashes(text: str, n: int = DEFAULT_N) -> list[int]:
    """:func:`ngram_array` as Python ints."""
    return ngram_array(text, n).tolist()


def ngram_hashes(text: str, n: int = DEFAULT_N) -> set[int]:
    return set(iter_ngram_hashes(text, n))


def count_overlap(text: str, reference: set[int], n: int = DEFAULT_N, stop_at: int | None = None) -> int:
    """How many distinct n-grams of ``text`` are in ``reference`` (stops counting at ``stop_at``)."""
    seen: set[int] = set()
    for h in iter_ngram_hashes(text, n):
        if h in reference and h not in seen:
            seen.add(h)
            if stop_at is not None and len(seen) >= stop_at:
                break
    return len(seen)


def ngram_set(texts: Iterable[str], n: int = DEFAULT_N) -> set[int]:
    """Union of the n-gram hashes of ``texts``."""
    out: set[int] = set()
    for text in texts:
        out |= ngram_hashes(text, n)
    return out
