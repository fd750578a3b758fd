"""The ``heuristics`` step: clean the text, then run the language's filters on shared statistics.

Per document: pick the rule set of ``doc.lang`` (documents in other or unknown languages get the
Chinese rules when at least 30% of their non-space characters are Han, the English ones
otherwise; ``other_languages: keep`` passes other labelled languages through), optionally convert
traditional to simplified Chinese, normalise and remove boilerplate lines, apply the C4 line rules
when the language has C4 on, then score and decide with each filter in config order on one
:class:`TextStats` (filters with ``before_c4_line_rules``, FineWeb's by default, on the text
before the C4 line rules). The first failing filter drops the document with ``<prefix>_<reason>``.
Removed lines are counted as ``lines_removed:<rule>`` in the ``heuristics`` namespace
(``pipelines/report.py`` sums them into report.json).
"""
from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any, Callable, Mapping

from transforms.document import Document
from transforms.heuristics.base import Filter, columns_of
from transforms.heuristics.c4 import C4Quality
from transforms.heuristics.chinese import ChineseQuality
from transforms.heuristics.clean import Cleaner
from transforms.heuristics.fineweb import FineWebQuality
from transforms.heuristics.gopher import GopherQuality, GopherRepetition
from transforms.heuristics.text_stats import TextStats, han_char_tokens, han_chars, jieba_tokens
from transforms.keep_or_drop import Drop, Step, Verdict

FAMILIES: dict[str, type[Filter]] = {
    "c4": C4Quality,
    "gopher_repetition": GopherRepetition,
    "gopher_quality": GopherQuality,
    "fineweb": FineWebQuality,
    "chinese": ChineseQuality,
}
ZH_TOKENIZERS = {"jieba": jieba_tokens, "chars": han_char_tokens}
# Share of Han among non-space characters above which an unlabelled document gets Chinese rules.
MIN_HAN_SHARE_FOR_ZH = 0.3


@dataclasses.dataclass(frozen=True)
class LanguageRules:
    """The filters of one language, in run order; ``c4`` also edits lines before scoring."""

    filters: tuple[Filter, ...]
    c4: C4Quality | None

    @classmethod
    def from_config(cls, lang: str, cfg: Mapping[str, Any]) -> "LanguageRules":
        filters = []
        for family, section in cfg.items():
            if family not in FAMILIES:
                raise ValueError(f"heuristics.languages.{lang}: unknown filter {family!r}; known: {sorted(FAMILIES)}")
            section = dict(section or {})
            if section.pop("enabled", True):
                filters.append(FAMILIES[family].from_config(section))
        c4 = next((f for f in filters if isinstance(f, C4Quality)), None)
        return cls(tuple(filters), c4)


class Heuristics(Step):
    """Rule-based quality filtering (Gopher, C4, FineWeb, Chinese) with counted line cleaning."""

    name = "heuristics"

    def __init__(self, languages: Mapping[str, Mapping[str, Any]], clean: Mapping[str, Any] | None = None,
                 write_stats: bool = False, zh_words: str = "jieba", zh_to_simplified: bool = False,
                 other_languages: str = "script", counter_inc_fn: Callable[[str, int], None] | None = None):
        if not languages:
            raise ValueError("heuristics.languages: give the rules of at least one language")
        if zh_words not in ZH_TOKENIZERS:
            raise ValueError(f"heuristics.zh_words must be one of {sorted(ZH_TOKENIZERS)}, got {zh_words!r}")
        self.cleaner = Cleaner(**(clean or {}))
        self.rules = {lang: LanguageRules.from_config(lang, cfg) for lang, cfg in languages.items()}
        if other_languages not in ("script", "keep"):
            raise ValueError(f"heuristics.other_languages must be 'script' or 'keep', got {other_languages!r}")
        self.other_languages = other_languages
        self.fallback_zh = "zh" if "zh" in self.rules else next(iter(self.rules))
        self.fallback_other = "en" if "en" in self.rules else next(iter(self.rules))
        self.write_stats = write_stats
        self.zh_words = zh_words
        self.zh_to_simplified = zh_to_simplified
        if counter_inc_fn is not None:  # tests and benches count into a dict; runners bind their own
            self.bind_counter(counter_inc_fn)
        self._t2s = None
        all_filters = [f for rules in self.rules.values() for f in rules.filters]
        self.columns = columns_of(all_filters) if write_stats else {}

    def setup(self) -> None:
        for rules in self.rules.values():
            for f in rules.filters:
                f.load()
        if self.zh_words == "jieba" and "zh" in self.rules:
            jieba_tokens("预热")  # load the dictionary now, not inside the first document
        if self.zh_to_simplified:
            from opencc import OpenCC

            self._t2s = OpenCC("t2s")

    def language_of(self, doc: Document) -> str | None:
        """The rule set for ``doc``; None = pass unfiltered (``other_languages: keep``)."""
        if doc.lang in self.rules:
            return doc.lang
        if doc.lang and self.other_languages == "keep":
            return None
        non_space = len("".join(doc.text.split()))
        is_zh = non_space and han_chars(doc.text) / non_space >= MIN_HAN_SHARE_FOR_ZH
        return self.fallback_zh if is_zh else self.fallback_other

    def clean_stages(self, text: str, lang: str) -> tuple[str, str]:
        """(text after cleaning, the same after the C4 line rules), with removed lines counted."""
        if lang == "zh" and self._t2s is not None:
            text = self._t2s.convert(text)
        text, removed = self.cleaner.clean(text)
        cut = text
        c4 = self.rules[lang].c4
        if c4 is not None:
            cut, c4_removed = c4.clean(text)
            removed.update(c4_removed)
        for rule, n in sorted(removed.items()):
            self.count(f"lines_removed:{rule}", n)
        return text, cut

    def clean(self, text: str, lang: str) -> str:
        """The text the filters see (and the kept document gets), with removed lines counted."""
        return self.clean_stages(text, lang)[1]

    def process(self, doc: Document) -> Verdict:
        lang = self.language_of(doc)
        if lang is None:
            return doc
        uncut, text = self.clean_stages(doc.text, lang)
        if not text:
            return Drop("clean_empty")
        tokenizer = ZH_TOKENIZERS[self.zh_words] if lang == "zh" else None
        stats = TextStats(text, tokenizer)
        # Filters with ``before_c4_line_rules`` (FineWeb's line rules) judge the page's lines as
        # extracted: after C4 has removed every line without terminal punctuation, the share of
        # punctuated lines is 1 by construction.
        uncut_stats = stats if uncut == text else TextStats(uncut, tokenizer)
        values: dict[str, Any] = {}
        reason = None
        for f in self.rules[lang].filters:
            scored = f.score(uncut_stats if f.before_c4_line_rules else stats)
            if self.write_stats:
                values.update({f"hs_{f.prefix}_{k}": v for k, v in scored.items()})
            why = f.decide(scored)
            if why and reason is None:
                reason = f"{f.prefix}_{why}"
                if not self.write_stats:
                    break  # nothing else would be written: skip the remaining filters
        if reason:
            if self.write_stats:
                # The rejects table shows the statistics of the dropped document too.
                return Drop(reason, dataclasses.replace(doc, extra={**doc.extra, **values}))
            return Drop(reason)
        return dataclasses.replace(doc, text=text, extra={**doc.extra, **values})


def count_into(counts: Counter) -> Callable[[str, int], None]:
    """A counter function over a plain Counter, for direct (non-Beam) use and tests."""

    def inc(name: str, n: int = 1) -> None:
        counts[name] += n

    return inc
