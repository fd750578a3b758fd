"""Gopher quality and repetition filters (Rae et al. 2021, "Scaling Language Models", App. A).

Defaults are the MassiveText values of Table A1 and section A.1.1; the Chinese values in
``defaults.yaml`` come from FineWeb-2's ``cmn_Hani`` configuration. Words are
:attr:`TextStats.words` (whitespace tokens, or segmenter words for Chinese).
"""
from __future__ import annotations

import dataclasses
import re
from operator import methodcaller
from typing import Mapping
import pyarrow as pa

from transforms.heuristics.base import Filter
from transforms.heuristics.text_stats import PUNCTUATION, TextStats

_STRIP = "".join(sorted(PUNCTUATION))
# A letter, Han included: str.isalpha() but for rare numeric forms (², ¼); one C-level search per token.
_LETTER_RE = re.compile(r"[^\W\d_]")
BULLETS = ("•", "●", "○", "■", "□", "▪", "▫", "◦", "‣", "►", "▶", "➤", "✓", "✔", "-", "*")
ELLIPSES = ("...", "…")
ALPHA_TOKENS = ("words", "no_punctuation", "split_punctuation")
# Words with inner hyphens, apostrophes and dots kept whole (well-known, don't, 3.5), every other
# non-space character a token of its own: close to spaCy's English tokens.
_SPLIT_PUNCT_RE = re.compile(r"\w+(?:[-'’.]\w+)*|[^\w\s]")


@dataclasses.dataclass(frozen=True, kw_only=True)
class GopherQuality(Filter):
    """Gopher quality rules: document length, word length, symbols, bullets, stop words."""

    prefix = "gopher"
    values = {"word_count": pa.int32(), "mean_word_length": pa.float32(), "hash_word_ratio": pa.float32(),
              "ellipsis_word_ratio": pa.float32(), "bullet_lines_ratio": pa.float32(),
              "ellipsis_lines_ratio": pa.float32(), "alpha_words_ratio": pa.float32(), "stop_words": pa.int32()}

    checks = (("short_doc", "word_count", "min", "min_doc_words"),
              ("long_doc", "word_count", "max", "max_doc_words"),
              ("short_mean_word_length", "mean_word_length", "min", "min_mean_word_length"),
              ("long_mean_word_length", "mean_word_length", "max", "max_mean_word_length"),
              ("too_many_hashes", "hash_word_ratio", "max", "max_symbol_word_ratio"),
              ("too_many_ellipsis", "ellipsis_word_ratio", "max", "max_symbol_word_ratio"),
              ("too_many_bullets", "bullet_lines_ratio", "max", "max_bullet_lines_ratio"),
              ("too_many_end_ellipsis", "ellipsis_lines_ratio", "max", "max_ellipsis_lines_ratio"),
              ("below_alpha_threshold", "alpha_words_ratio", "min", "min_alpha_words_ratio"),
              ("few_stop_words", "stop_words", "min", "min_stop_words"))

    min_doc_words: int
    max_doc_words: int
    min_mean_word_length: float
    max_mean_word_length: float
    max_symbol_word_ratio: float
    max_bullet_lines_ratio: float
    max_ellipsis_lines_ratio: float
    min_alpha_words_ratio: float
    min_stop_words: int
    stop_words: tuple[str, ...]
    # Tokens of the alpha-words share: ``words`` as the tokenizer gives them (whitespace words
    # hold their punctuation, as in Gopher; a segmenter's punctuation tokens count);
    # ``no_punctuation``: without punctuation-only tokens (jieba makes every ，。 a token, so in
    # Chinese the share would fall with how well the text is punctuated); ``split_punctuation``:
    # punctuation split off the words first, as the spaCy tokens FineWeb's filters count
    # (symbols and numbers then weigh on the share). Measured per language: bench/README.md.
    alpha_tokens: str
    # Score the text as cleaned but before the C4 line rules (datatrove runs Gopher before C4).
    before_c4_line_rules: bool = False

    def __post_init__(self):
        object.__setattr__(self, "stop_words", frozenset(self.stop_words))
        if self.alpha_tokens not in ALPHA_TOKENS:
            raise ValueError(f"gopher_quality.alpha_tokens must be one of {ALPHA_TOKENS}, not {self.alpha_tokens!r}")

    def score(self, stats: TextStats) -> dict[str, float]:
        tokens, words = stats.words, stats.real_words
        n_tokens = max(len(tokens), 1)
        text = stats.text
        # map() keeps the per-token loops in C: this runs on every word of every document.
        normalized = map(str.lower, map(methodcaller("strip", _STRIP), words))
        return {
            "word_count": len(words),
            "mean_word_length": sum(map(len, words)) / len(words) if words else 0.0,
            "hash_word_ratio": text.count("#") / n_tokens,
            "ellipsis_word_ratio": (text.count("...") + text.count("…")) / n_tokens,
            "bullet_lines_ratio": stats.line_start_ratio(BULLETS),
            "ellipsis_lines_ratio": stats.line_end_ratio(ELLIPSES),
            "alpha_words_ratio": self._alpha_ratio(self._alpha_tokens(tokens, words, text)),
            "stop_words": sum(map(self.stop_words.__contains__, normalized)),
        }

    def _alpha_tokens(self, tokens: list[str], words: list[str], text: str) -> list[str]:
        if self.alpha_tokens == "no_punctuation":
            return words
        if self.alpha_tokens == "split_punctuation":
            return _SPLIT_PUNCT_RE.findall(text)
        return tokens

    @staticmethod
    def _alpha_ratio(tokens: list[str]) -> float:
        return sum(map(bool, map(_LETTER_RE.search, tokens))) / max(len(tokens), 1)


@dataclasses.dataclass(frozen=True, kw_only=True)
class GopherRepetition(Filter):
    """Gopher repetition rules: duplicate lines/paragraphs and repeated word n-grams."""

    prefix = "gopher"

    max_dup_line_frac: float
    max_dup_para_frac: float
    max_dup_line_char_frac: float
    max_dup_para_char_frac: float
    # n -> maximum share of word characters in the most frequent n-gram.
    max_top_ngram_char_frac: Mapping[int, float]
    # n -> maximum share of word characters covered by n-grams that occur more than once.
    max_dup_ngram_char_frac: Mapping[int, float]
    # Score the text as cleaned but before the C4 line rules (datatrove runs Gopher before C4).
    before_c4_line_rules: bool = False

    def __post_init__(self):
        for name in ("max_top_ngram_char_frac", "max_dup_ngram_char_frac"):
            table = {int(n): float(v) for n, v in getattr(self, name).items()}
            if any(n < 1 for n in table):
                raise ValueError(f"{name}: n-gram sizes must be >= 1, got {sorted(table)}")
            object.__setattr__(self, name, table)

    @property
    def values(self) -> dict[str, pa.DataType]:
        names = ["dup_line_frac", "dup_para_frac", "dup_line_char_frac", "dup_para_char_frac"]
        names += [f"top_{n}gram_char_frac" for n in sorted(self.max_top_ngram_char_frac)]
        names += [f"dup_{n}gram_char_frac" for n in sorted(self.max_dup_ngram_char_frac)]
        return {name: pa.float32() for name in names}

    def score(self, stats: TextStats) -> dict[str, float]:
        dup_lines, dup_line_chars = stats.line_duplicates
        dup_paras, dup_para_chars = stats.paragraph_duplicates
        n_lines, n_paras = len(stats.lines), len(stats.paragraphs)
        out = {
            "dup_line_frac": dup_lines / n_lines if n_lines else 0.0,
            "dup_para_frac": dup_paras / n_paras if n_paras else 0.0,
            "dup_line_char_frac": dup_line_chars / stats.line_chars if stats.line_chars else 0.0,
            "dup_para_char_frac": dup_para_chars / stats.paragraph_chars if stats.paragraph_chars else 0.0,
        }
        grams = stats.ngram_char_fractions(sorted(self.max_top_ngram_char_frac),
                                           sorted(self.max_dup_ngram_char_frac))
        for (kind, n), frac in grams.items():
            out[f"{kind}_{n}gram_char_frac"] = frac
        return out

    def limits(self):
        for name in ("dup_line_frac", "dup_para_frac", "dup_line_char_frac", "dup_para_char_frac"):
            yield name, name, "max", getattr(self, f"max_{name}")
        for n, limit in sorted(self.max_top_ngram_char_frac.items()):
            yield f"top_{n}gram", f"top_{n}gram_char_frac", "max", limit
        for n, limit in sorted(self.max_dup_ngram_char_frac.items()):
            yield f"dup_{n}gram", f"dup_{n}gram_char_frac", "max", limit
