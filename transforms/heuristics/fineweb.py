"""FineWeb quality filter (Penedo et al. 2024, "The FineWeb Datasets", sec. 3.3.3 and App.).

Thresholds are FineWeb's: at least 12% of lines end in punctuation, at most 67% of lines are
short (<= 30 characters), at most 1% of characters are in duplicated lines, and at most 0.3
newlines per word (list-like pages). FineWeb-2's ``cmn_Hani`` configuration changes the last to
0.178 for Chinese; ``defaults.yaml`` says which values each language uses.
"""
from __future__ import annotations

import dataclasses
import pyarrow as pa

from transforms.heuristics.base import Filter
from transforms.heuristics.text_stats import TextStats


@dataclasses.dataclass(frozen=True, kw_only=True)
class FineWebQuality(Filter):
    prefix = "fineweb"
    values = {"line_punct_ratio": pa.float32(), "short_line_ratio": pa.float32(),
              "char_dup_ratio": pa.float32(), "newline_word_ratio": pa.float32()}

    checks = (("line_punct_ratio", "line_punct_ratio", "min", "min_line_punct_ratio"),
              ("short_line_ratio", "short_line_ratio", "max", "max_short_line_ratio"),
              ("char_dup_ratio", "char_dup_ratio", "max", "max_char_dup_ratio"),
              ("list_ratio", "newline_word_ratio", "max", "max_newline_word_ratio"))

    min_line_punct_ratio: float
    # Lines ending with one of these count as punctuated (FineWeb's stop characters).
    stop_chars: tuple[str, ...]
    max_short_line_ratio: float
    short_line_length: int
    max_char_dup_ratio: float
    max_newline_word_ratio: float
    # Score the lines as extracted, not after C4 removed the unpunctuated ones (datatrove runs C4
    # without that line rule before FineWeb, so FineWeb's line rules see them there too).
    before_c4_line_rules: bool = True

    def __post_init__(self):
        object.__setattr__(self, "stop_chars", tuple(self.stop_chars))

    def score(self, stats: TextStats) -> dict[str, float]:
        lines = stats.lines
        short = sum(1 for line in lines if len(line) <= self.short_line_length)
        n_words = len(stats.words)
        return {
            "line_punct_ratio": stats.line_end_ratio(self.stop_chars),
            "short_line_ratio": short / len(lines) if lines else 0.0,
            "char_dup_ratio": stats.line_duplicates[1] / stats.line_chars if stats.line_chars else 0.0,
            "newline_word_ratio": stats.text.count("\n") / n_words if n_words else 0.0,
        }
