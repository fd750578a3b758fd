"""Word-list toxicity scoring: LDNOOBW (28 languages incl. zh) and ChineseWebText's sensitive-word list.

A cheap first pass: C4 (Raffel et al. 2020, sec. 2.2) drops any page containing a word of the
LDNOOBW list; the score here is ``min(1, hits / saturation_hits)``, so ``saturation_hits=1`` is
C4's rule and larger values grade the score by how often listed words occur. Latin-script
entries match whole words (case-insensitive); entries with CJK characters match as substrings,
since Chinese has no spaces. The word lists are compiled into one trie-shaped regex per kind,
so matching costs one pass over the text whatever the list length.

Substring matching makes short CJK entries fire inside ordinary words: LDNOOBW zh lists 性, 奶 and
卵, found in 个性化, 牛奶 and 卵石, so with them the score is 1.0 on 36 of the 52 Chinese pages of
the zh content-extraction set (bench/README.md, "Lexicon"). CJK entries shorter than
``min_cjk_word_chars`` (2 by default, as the heuristics' ``min_sensitive_word_chars``) are
skipped, and so are entries of digits and punctuation only (LDNOOBW zh ``13.``), which match
page and section numbers in any language.
"""
from __future__ import annotations

import os
import re
from typing import Iterable, Sequence

import numpy as np

from classifiers.base import Classifier, ModelFileError

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0003134f]")
_NUMERIC = re.compile(r"[0-9.,:;!?'\"-]+")


def read_lexicon(path: str, categories: Sequence[str] = ()) -> list[str]:
    """Entries of one list file: ``.txt`` one entry per line (LDNOOBW); ``.tsv`` lines of
    ``category<TAB>word`` (ChineseWebText), filtered to ``categories`` when given."""
    if not os.path.isfile(path):
        raise ModelFileError(f"word list not found: {path}")
    wanted = set(categories)
    words = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if path.endswith(".tsv"):
                cat, _, word = line.partition("\t")
                if wanted and cat not in wanted:
                    continue
                line = word.strip()
            if line:
                words.append(line)
    return words


def trie_regex(words: Iterable[str]) -> str:
    """A regex matching any of ``words``, shaped as a trie (shared prefixes factored out)."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = True

    def emit(node: dict) -> str:
        end = "" in node
        alts = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch != ""]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if end:  # the prefix itself is a word: the rest is optional
            return "(?:" + body + ")?"
        return body

    return emit(trie)


class LexiconClassifier(Classifier):
    """Scores texts by listed-word hits. ``path`` is one list file or several (a list, or a
    comma-separated string); ``tsv_categories`` selects categories of ``.tsv`` lists;
    ``min_cjk_word_chars`` skips shorter CJK entries (1 keeps every entry)."""

    kind = "lexicon"

    def __init__(self, path: str | Sequence[str], max_chars: int = 100_000, saturation_hits: int = 1,
                 tsv_categories: Sequence[str] = (), min_cjk_word_chars: int = 2):
        paths = [p for p in path.split(",") if p] if isinstance(path, str) else list(path)
        super().__init__(",".join(paths), max_chars)
        self.paths = paths
        if saturation_hits < 1:
            raise ValueError("saturation_hits must be >= 1")
        self.saturation_hits = saturation_hits
        self.tsv_categories = list(tsv_categories)
        if min_cjk_word_chars < 1:
            raise ValueError("min_cjk_word_chars must be >= 1")
        self.min_cjk_word_chars = min_cjk_word_chars
        self._latin = self._cjk = None

    def load(self) -> "LexiconClassifier":
        if not self.paths:
            raise ModelFileError("lexicon: no word list given")
        words = sorted({w.lower() for p in self.paths for w in read_lexicon(p, self.tsv_categories)
                        if not _NUMERIC.fullmatch(w)})
        latin = [w for w in words if not _CJK.search(w)]
        cjk = [w for w in words if _CJK.search(w) and len(w) >= self.min_cjk_word_chars]
        # \w boundaries keep "ass" from matching inside "class"; CJK entries have no boundaries.
        self._latin = re.compile(r"(?<!\w)" + trie_regex(latin) + r"(?!\w)") if latin else None
        self._cjk = re.compile(trie_regex(cjk)) if cjk else None
        return self

    def hits(self, text: str) -> list[str]:
        """The listed words found in ``text`` (each occurrence)."""
        low = text.lower()
        found = []
        for rx in (self._latin, self._cjk):
            if rx is not None:
                found.extend(m.group(0) for m in rx.finditer(low) if m.group(0))
        return found

    def _predict(self, texts: list[str]) -> np.ndarray:
        return np.array([min(1.0, len(self.hits(t)) / self.saturation_hits) for t in texts], dtype=np.float32)
