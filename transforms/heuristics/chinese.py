"""Chinese rules: what word-based English rules cannot see in text without spaces.

Defaults follow ChineseWebText's EvalWeb preprocessing (Chen et al. 2023, sec. 3.2, and
``preprocess.py`` in CASIA-LM/ChineseWebText): more than 200 characters, mean line length of at
least 10 characters, at least 30% Han characters, at most 0.5 sensitive words per line, and at
most 50% of character 13-grams repeated. The share of lines ending in Chinese terminal
punctuation uses FineWeb-2's ``cmn_Hani`` ``line_punct_thr`` (0.106).
"""
from __future__ import annotations

import dataclasses
import os
import pyarrow as pa

from transforms.heuristics.base import Filter
from transforms.heuristics.text_stats import TextStats
from transforms.heuristics.wordlists import SubstringMatcher

# Chinese sentence ends, with the ASCII forms NFKC gives for full-width ！？ and …
ZH_TERMINAL_PUNCT = ("。", "！", "？", "…", "」", "』", "”", "!", "?", "...", ".", "\"", "》", "）", ")")


@dataclasses.dataclass(frozen=True)
class ChineseQuality(Filter):
    prefix = "zh"
    values = {"chars": pa.int32(), "han_ratio": pa.float32(), "mean_line_length": pa.float32(),
              "line_punct_ratio": pa.float32(), "char_ngram_dup_ratio": pa.float32(),
              "sensitive_per_line": pa.float32()}

    checks = (("short_doc", "chars", "min", "min_chars"),
              ("low_han_ratio", "han_ratio", "min", "min_han_ratio"),
              ("short_lines", "mean_line_length", "min", "min_mean_line_length"),
              ("line_punct_ratio", "line_punct_ratio", "min", "min_line_punct_ratio"),
              ("repetition", "char_ngram_dup_ratio", "max", "max_char_ngram_dup_ratio"),
              ("sensitive_words", "sensitive_per_line", "max", "max_sensitive_per_line"))

    min_chars: int = 200
    min_han_ratio: float = 0.3
    min_mean_line_length: float = 10.0
    min_line_punct_ratio: float = 0.106
    terminal_punct: tuple[str, ...] = ZH_TERMINAL_PUNCT
    char_ngram: int = 13
    max_char_ngram_dup_ratio: float = 0.5
    # Word list files (LDNOOBW zh, ChineseWebText's sensitive words); empty = rule off.
    sensitive_word_lists: tuple[str, ...] = ()
    max_sensitive_per_line: float = 0.5
    # Shorter list entries are skipped: a single character (LDNOOBW zh has 性, 奶) matches inside
    # ordinary words (可能性, 牛奶) when text has no word boundaries.
    min_sensitive_word_chars: int = 2

    def __post_init__(self):
        object.__setattr__(self, "terminal_punct", tuple(self.terminal_punct))
        object.__setattr__(self, "sensitive_word_lists", tuple(self.sensitive_word_lists))
        missing = [p for p in self.sensitive_word_lists if not os.path.exists(p)]
        if missing:  # a typo must not switch the rule off
            raise FileNotFoundError(f"sensitive word list(s) not found: {missing}")
        object.__setattr__(self, "_matcher", None)

    def load(self) -> None:
        """Read the word lists (once per worker, from ``Step.setup``)."""
        if self.sensitive_word_lists and self._matcher is None:
            object.__setattr__(self, "_matcher", SubstringMatcher.from_files(
                self.sensitive_word_lists, self.min_sensitive_word_chars))

    def score(self, stats: TextStats) -> dict[str, float]:
        chars = len(stats.text)
        n_lines = len(stats.lines)
        sensitive = 0.0
        if self.sensitive_word_lists:
            if self._matcher is None:
                raise RuntimeError("ChineseQuality.load() must run before scoring with word lists")
            sensitive = len(self._matcher.found(stats.text)) / max(n_lines, 1)
        return {
            "chars": chars,
            "han_ratio": stats.han_count / chars if chars else 0.0,
            "mean_line_length": stats.line_chars / n_lines if n_lines else 0.0,
            "line_punct_ratio": stats.line_end_ratio(self.terminal_punct),
            "char_ngram_dup_ratio": stats.char_ngram_dup_ratio(self.char_ngram),
            "sensitive_per_line": sensitive,
        }
