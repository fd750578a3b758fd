"""Per-document text statistics, computed once and shared by every heuristic filter.

datatrove's filters each re-split the text (and re-run a spaCy tokenizer unless a 5-entry cache
hits); here one :class:`TextStats` per document splits lines, paragraphs and words once, lazily,
and every filter reads the same lists. Repetition n-grams are hashed as integer arrays with numpy
(one pass over n = 2..10), not as Python tuples in a Counter.

Words: whitespace tokens for space-separated languages, as in Gopher (Rae et al. 2021, App. A);
for Chinese, words from a segmenter (jieba, as FineWeb-2 does through spaCy) or single Han
characters (``zh_words: chars``, the faster choice), with runs of non-Han characters kept whole.
"""
from __future__ import annotations

import re
import string
from functools import cached_property
from itertools import filterfalse
from operator import methodcaller
from typing import Callable, Iterable, Sequence

import numpy as np

# CJK Unified Ideographs, Extension A and compatibility ideographs.
HAN_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RUN_RE = re.compile(f"[{HAN_CLASS}]+")
_PARAGRAPH_RE = re.compile(r"\n\s*\n")
_HAN_OR_RUN_RE = re.compile(f"[{HAN_CLASS}]|[^\\s{HAN_CLASS}]+")
# Tokens made only of these are symbols, not words (datatrove's PUNCTUATION set, plus CJK marks).
PUNCTUATION = frozenset(string.punctuation + "¡¿«»‹›‘’‚“”„–—―…·•、。，！？；：「」『』（）《》〈〉【】〔〕")
# Odd 64-bit multiplier for the polynomial n-gram hash (arithmetic wraps modulo 2**64).
_HASH_MUL = np.uint64(0x9E3779B97F4A7C15)

Tokenizer = Callable[[str], Sequence[str]]


def han_chars(text: str) -> int:
    """Number of Han characters in ``text``."""
    return sum(map(len, _HAN_RUN_RE.findall(text)))  # runs, not characters: fewer objects


_NOT_WORD_CHARS = PUNCTUATION | frozenset(" \t\n\r\f\v\u3000")


def han_char_tokens(text: str) -> list[str]:
    """Chinese tokens as single Han characters; runs of other non-space characters stay whole."""
    return _HAN_OR_RUN_RE.findall(text)


def jieba_tokens(text: str) -> list[str]:
    """Chinese tokens from jieba's precise mode without HMM (deterministic), without space tokens;
    punctuation tokens stay, as in the spaCy tokens FineWeb-2 counted. jieba-rs (``rjieba``) cuts
    with the same dictionary and gives the same tokens about 10x faster; pure-Python jieba is the
    fallback."""
    try:
        import rjieba
    except ImportError:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        return [w for w in jieba.lcut(text, HMM=False) if not w.isspace()]
    return [w for w in rjieba.cut(text, hmm=False) if not w.isspace()]


def duplicates(items: Iterable[str]) -> tuple[int, int]:
    """(occurrences that repeat an earlier item, characters in them), as Gopher counts them."""
    seen: set[str] = set()
    dup = dup_chars = 0
    for item in items:
        if item in seen:
            dup += 1
            dup_chars += len(item)
        else:
            seen.add(item)
    return dup, dup_chars


class TextStats:
    """Lazily computed views of one document's text. Each property is computed at most once."""

    def __init__(self, text: str, tokenizer: Tokenizer | None = None):
        self.text = text
        self._tokenizer = tokenizer

    @cached_property
    def lines(self) -> list[str]:
        """Non-empty lines, stripped."""
        return [s for s in (line.strip() for line in self.text.split("\n")) if s]

    @cached_property
    def paragraphs(self) -> list[str]:
        """Blocks separated by blank lines, stripped, non-empty."""
        return [s for s in (p.strip() for p in _PARAGRAPH_RE.split(self.text)) if s]

    @cached_property
    def words(self) -> list[str]:
        return list(self._tokenizer(self.text)) if self._tokenizer else self.text.split()

    @cached_property
    def real_words(self) -> list[str]:
        """``words`` without punctuation-only tokens: what the Gopher rules count as words."""
        return list(filterfalse(_NOT_WORD_CHARS.issuperset, self.words))

    @cached_property
    def line_chars(self) -> int:
        return sum(map(len, self.lines))

    @cached_property
    def paragraph_chars(self) -> int:
        return sum(map(len, self.paragraphs))

    @cached_property
    def line_duplicates(self) -> tuple[int, int]:
        return duplicates(self.lines)

    @cached_property
    def paragraph_duplicates(self) -> tuple[int, int]:
        return duplicates(self.paragraphs)

    @cached_property
    def han_count(self) -> int:
        return han_chars(self.text)

    def char_ngram_dup_ratio(self, n: int) -> float:
        """Share of character n-gram occurrences whose n-gram occurs more than once, over the text
        without whitespace, lowercased (ChineseWebText's internal repetition, Chen et al. 2023)."""
        cache = self.__dict__.setdefault("_char_ngram_cache", {})
        if n not in cache:
            compact = "".join(self.text.lower().split())
            codes = np.frombuffer(compact.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
            if len(codes) < n:
                cache[n] = 0.0
            else:
                hashes = codes[: len(codes) - n + 1].copy()
                with np.errstate(over="ignore"):
                    for k in range(1, n):
                        hashes = hashes * _HASH_MUL + codes[k: len(codes) - n + 1 + k]
                _, counts = np.unique(hashes, return_counts=True)
                cache[n] = float(counts[counts > 1].sum()) / len(hashes)
        return cache[n]

    def line_end_ratio(self, endings: tuple[str, ...]) -> float:
        """Share of lines ending with one of ``endings`` (0 for a text without lines). A table row
        as extractors write it (``| cell。 |``) ends where its last cell does."""
        lines = self.lines
        if not lines:
            return 0.0
        return sum(map(methodcaller("endswith", endings), map(methodcaller("rstrip", "| "), lines))) / len(lines)

    def line_start_ratio(self, starts: tuple[str, ...]) -> float:
        lines = self.lines
        return sum(1 for line in lines if line.startswith(starts)) / len(lines) if lines else 0.0

    @cached_property
    def _word_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Word ids and lengths for the n-gram rules. Ids are the strings' hashes: equal words get
        equal ids within the process, and a 64-bit collision between different words of one
        document is negligible (this avoids a Python-level vocabulary loop)."""
        words = self.real_words
        ids = np.fromiter(map(hash, words), dtype=np.int64, count=len(words)).view(np.uint64)
        lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        return ids, lengths

    def ngram_char_fractions(self, top_ns: Iterable[int], dup_ns: Iterable[int]) -> dict[tuple[str, int], float]:
        """Gopher repetition (Rae et al. 2021, App. A, Table A1), as datatrove measures it (the
        FineWeb and FineWeb-2 thresholds were tuned on datatrove's numbers): shares of ``len(text)``.

        ``("top", n)``: characters of the most frequent word n-gram (words joined by a space)
        times its count, 0 when no n-gram repeats. ``("dup", n)``: characters of the words inside n-gram occurrences that
        repeat an earlier occurrence, each word counted once.
        """
        key = (tuple(top_ns), tuple(dup_ns))
        cache = self.__dict__.setdefault("_ngram_cache", {})
        if key not in cache:
            cache[key] = self._ngram_fractions(set(key[0]), set(key[1]))
        return cache[key]

    def _ngram_fractions(self, top_ns: set[int], dup_ns: set[int]) -> dict[tuple[str, int], float]:
        out = {("top", n): 0.0 for n in top_ns}
        out.update({("dup", n): 0.0 for n in dup_ns})
        ids, lengths = self._word_arrays
        total = len(self.text)
        wanted = top_ns | dup_ns
        if not wanted or total == 0:
            return out
        cum = np.concatenate(([0], np.cumsum(lengths)))
        hashes = ids.copy()
        with np.errstate(over="ignore"):
            for n in range(1, max(wanted) + 1):
                if n > 1:
                    hashes = hashes[:-1] * _HASH_MUL + ids[n - 1:]
                if n not in wanted or len(hashes) == 0:
                    continue
                # One sort groups equal n-grams; a group's smallest position is its first occurrence.
                order = np.argsort(hashes)
                ordered = hashes[order]
                starts_group = np.empty(len(ordered), dtype=bool)
                starts_group[0] = True
                np.not_equal(ordered[1:], ordered[:-1], out=starts_group[1:])
                bounds = np.flatnonzero(starts_group)
                if len(bounds) == len(order):
                    # No n-gram repeats, so no longer one does (its first n words would): every
                    # remaining fraction stays 0.
                    break
                if n in top_ns:
                    counts = np.diff(bounds, append=len(ordered))
                    best = int(counts.max())
                    if best > 1:  # an n-gram seen once is no repetition (datatrove counts it)
                        at = order[bounds[counts == best]]  # a position of each top n-gram
                        gram_chars = cum[at + n] - cum[at] + (n - 1)  # words joined by spaces
                        out[("top", n)] = best * int(gram_chars.max()) / total
                if n in dup_ns and len(bounds) < len(order):
                    is_first = np.zeros(len(order), dtype=bool)
                    is_first[np.minimum.reduceat(order, bounds)] = True
                    repeats = np.flatnonzero(~is_first)  # occurrences after the first
                    if len(repeats):
                        # +1 where a repeat starts, -1 where it ends: words under one are covered.
                        edges = np.bincount(repeats, minlength=len(ids) + 1)
                        edges -= np.bincount(repeats + n, minlength=len(ids) + 1)
                        covered = np.cumsum(edges[:-1]) > 0
                        out[("dup", n)] = int(lengths[covered].sum()) / total
        return out
