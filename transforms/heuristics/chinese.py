"""Chinese rules: what word-based English rules cannot see in text without spaces.

Defaults follow ChineseWebText's EvalWeb preprocessing (Chen et al. 2023, sec. 3.2, and
``preprocess.py`` in CASIA-LM/ChineseWebText): more than 200 characters, mean line length of at
least 10 characters, at least 30% Han characters, at most 0.5 sensitive words per line, and at
most 50% of character 13-grams repeated.

Punctuation is measured as the share of line *characters* in lines that hold a sentence end
(``sentence_line_chars_ratio``), not as FineWeb-2's share of lines that *end* in punctuation
(``cmn_Hani`` ``line_punct_thr`` 0.106). Extracted Chinese news is full of lines that end
without one and are still text: headlines, captions, datelines, "详情点击>>" after a sentence.
Counted per line they drop good articles (14 of 178 Skywork ``zh_general`` articles); weighted
by characters they count for what they hold. Menus, link lists and keyword lines hold no
sentence end at all, so they still score near 0.
"""
from __future__ import annotations

import dataclasses
import os
import re
import unicodedata

import pyarrow as pa

from transforms.heuristics.base import Filter
from transforms.heuristics.text_stats import TextStats
from transforms.heuristics.wordlists import SubstringMatcher

# Chinese sentence ends (full-width and the ASCII forms NFKC gives ！？；), and a full stop
# before a space or the line end (not the one inside 10.5).
ZH_SENTENCE_END = r"[。！？；…!?;]|\.(?=\s|$)"


def punct_char_ratio(text: str) -> float:
    """Share of non-space characters whose Unicode category is punctuation (P*)."""
    compact = "".join(text.split())
    if not compact:
        return 0.0
    return sum(1 for ch in compact if unicodedata.category(ch)[0] == "P") / len(compact)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ChineseQuality(Filter):
    prefix = "zh"
    values = {"chars": pa.int32(), "han_ratio": pa.float32(), "mean_line_length": pa.float32(),
              "sentence_line_chars_ratio": pa.float32(), "char_ngram_dup_ratio": pa.float32(),
              "sensitive_per_line": pa.float32(), "punct_char_ratio": pa.float32()}

    checks = (("short_doc", "chars", "min", "min_chars"),
              ("low_han_ratio", "han_ratio", "min", "min_han_ratio"),
              ("short_lines", "mean_line_length", "min", "min_mean_line_length"),
              ("few_sentence_lines", "sentence_line_chars_ratio", "min", "min_sentence_line_chars_ratio"),
              ("repetition", "char_ngram_dup_ratio", "max", "max_char_ngram_dup_ratio"),
              ("sensitive_words", "sensitive_per_line", "max", "max_sensitive_per_line"),
              ("too_much_punctuation", "punct_char_ratio", "max", "max_punct_char_ratio"))

    min_chars: int
    min_han_ratio: float
    min_mean_line_length: float
    min_sentence_line_chars_ratio: float
    # A regular expression for a sentence end.
    sentence_end: str = ZH_SENTENCE_END
    char_ngram: int
    max_char_ngram_dup_ratio: float
    # Word list files (LDNOOBW zh, ChineseWebText's sensitive words); empty = rule off.
    sensitive_word_lists: tuple[str, ...]
    max_sensitive_per_line: float
    # Shorter list entries are skipped: a single character (LDNOOBW zh has 性, 奶) matches inside
    # ordinary words (可能性, 牛奶) when text has no word boundaries.
    min_sensitive_word_chars: int
    # Share of non-space characters that are punctuation. SEO pages that wrap every character in
    # brackets (【新】【闻】) are two-thirds punctuation; with punctuation tokens left out of Gopher's
    # alpha-words share (``alpha_tokens: no_punctuation``) nothing else sees them.
    max_punct_char_ratio: float

    def __post_init__(self):
        object.__setattr__(self, "_sentence_end", re.compile(self.sentence_end))
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

    def sentence_line_chars_ratio(self, stats: TextStats) -> float:
        """Share of line characters in lines holding at least one sentence end."""
        search = self._sentence_end.search
        with_end = sum(len(line) for line in stats.lines if search(line))
        return with_end / stats.line_chars if stats.line_chars else 0.0

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
            "sentence_line_chars_ratio": self.sentence_line_chars_ratio(stats),
            "char_ngram_dup_ratio": stats.char_ngram_dup_ratio(self.char_ngram),
            "sensitive_per_line": sensitive,
            "punct_char_ratio": punct_char_ratio(stats.text),
        }
