"""C4 rules (Raffel et al. 2020, "Exploring the Limits of Transfer Learning", sec. 2.2).

Line rules edit the text: keep only lines ending in terminal punctuation (not an ellipsis), with
at least 3 words, without a word over 1000 characters, without "javascript" and without
privacy/cookie policy phrases; citation markers (``[1]``, ``[edit]``) are cut as in TFDS
``c4_utils``. Document rules then drop pages containing "lorem ipsum" or a curly bracket, or with
fewer than 5 sentences. FineWeb (Penedo et al. 2024) runs C4 without the terminal punctuation line
rule; ``require_terminal_punct`` switches it.
"""
from __future__ import annotations

import dataclasses
import re
from collections import Counter
from operator import methodcaller
import pyarrow as pa

from transforms.heuristics.base import Filter
from transforms.heuristics.text_stats import TextStats

_CITATION_RE = re.compile(r"\[\d*\]|\[edit\]|\[citation needed\]", re.IGNORECASE)
# A sentence ends at terminal punctuation (optionally closed by quotes/brackets) before a space
# or the end of the line; an unpunctuated line end closes one too. Approximates TFDS's punkt.
_SENTENCE_END_RE = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s|$)", re.MULTILINE)
POLICY_PHRASES = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies",
                  "use cookies")


def count_sentences(lines: list[str]) -> int:
    text = "\n".join(lines)
    unclosed = len(lines) - sum(map(methodcaller("endswith", (".", "!", "?")),
                                    map(methodcaller("rstrip", "\"'”’)]"), lines)))
    return len(_SENTENCE_END_RE.findall(text)) + unclosed


@dataclasses.dataclass(frozen=True, kw_only=True)
class C4Quality(Filter):
    prefix = "c4"
    values = {"sentences": pa.int32(), "lorem_ipsum": pa.bool_(), "curly_bracket": pa.bool_()}

    # Line rules.
    require_terminal_punct: bool
    terminal_punct: tuple[str, ...] = (".", "?", "!", '"')
    min_words_per_line: int
    max_word_length: int
    remove_javascript_lines: bool
    remove_policy_lines: bool
    remove_citations: bool
    # Document rules.
    min_sentences: int
    filter_lorem_ipsum: bool
    filter_curly_bracket: bool

    def __post_init__(self):
        object.__setattr__(self, "terminal_punct", tuple(self.terminal_punct))

    def line_rule(self, line: str) -> str | None:
        """The C4 rule that removes ``line`` (a stripped, non-empty line), or None to keep it."""
        lower = line.lower()
        if self.remove_javascript_lines and "javascript" in lower:
            return "c4_javascript"
        if self.remove_policy_lines and any(p in lower for p in POLICY_PHRASES):
            return "c4_policy"
        words = line.split()
        if len(words) < self.min_words_per_line:
            return "c4_too_few_words"
        if max(map(len, words)) > self.max_word_length:
            return "c4_long_word"
        if self.require_terminal_punct and (not line.endswith(self.terminal_punct) or line.endswith("...")):
            return "c4_no_terminal_punct"
        return None

    def clean(self, text: str) -> tuple[str, Counter]:
        """``text`` with the C4 line rules applied, and the lines removed per rule."""
        removed: Counter = Counter()
        kept = []
        if self.remove_citations:
            text = _CITATION_RE.sub("", text)
        for line in text.split("\n"):
            line = line.strip()
            if not line:
                continue
            rule = self.line_rule(line)
            if rule:
                removed[rule] += 1
            else:
                kept.append(line)
        return "\n".join(kept), removed

    def score(self, stats: TextStats) -> dict[str, float]:
        lower = stats.text.lower()
        return {"sentences": count_sentences(stats.lines), "lorem_ipsum": "lorem ipsum" in lower,
                "curly_bracket": "{" in stats.text}

    def limits(self):
        # A flag that is off turns its presence check into a limit no document exceeds.
        yield "lorem_ipsum", "lorem_ipsum", "max", 0 if self.filter_lorem_ipsum else 1
        yield "curly_bracket", "curly_bracket", "max", 0 if self.filter_curly_bracket else 1
        yield "too_few_sentences", "sentences", "min", self.min_sentences
