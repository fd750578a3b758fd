"""Word lists for density rules, and an exact matcher for text without spaces.

List files hold one entry per line; a line with tabs (``category<TAB>word``, the ChineseWebText
sensitive-word format) contributes its last field. Matching is by substring, as ChineseWebText's
``preprocess.py`` does for Chinese, so it suits text without word boundaries; each distinct list
word found counts once.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable


def read_word_list(path: str) -> list[str]:
    """Entries of one list file; a missing file is an error (a typo must not switch a rule off)."""
    words = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            word = line.rstrip("\n").split("\t")[-1].strip()
            if word:
                words.append(word)
    return words


class SubstringMatcher:
    """Finds which list words occur in a text: one pass over the text, looking up only the word
    lengths that start with each character."""

    def __init__(self, words: Iterable[str], min_chars: int = 1):
        self.words = frozenset(w.lower() for w in words if len(w) >= min_chars)
        lengths: dict[str, set[int]] = defaultdict(set)
        for w in self.words:
            lengths[w[0]].add(len(w))
        self._lengths = {c: sorted(ls) for c, ls in lengths.items()}

    @classmethod
    def from_files(cls, paths: Iterable[str], min_chars: int = 1) -> "SubstringMatcher":
        words: list[str] = []
        for path in paths:
            words.extend(read_word_list(path))
        return cls(words, min_chars)

    def __len__(self) -> int:
        return len(self.words)

    def found(self, text: str) -> set[str]:
        """The distinct list words occurring in ``text`` (case-insensitive)."""
        text = text.lower()
        lengths, words = self._lengths, self.words
        hits = set()
        for i, ch in enumerate(text):
            for n in lengths.get(ch, ()):
                piece = text[i:i + n]
                if piece in words:
                    hits.add(piece)
        return hits
