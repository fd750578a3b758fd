"""Filters built from ``pipelines/defaults.yaml``'s ``heuristics.languages`` sections, the one
source of their thresholds (the filter classes have no defaults)."""
from __future__ import annotations

from pipelines.config import load_defaults
from transforms.heuristics.base import Filter
from transforms.heuristics.heuristics_step import FAMILIES

# Where defaults.yaml departs from the rule as published, the published value (the filter
# classes' defaults these unit tests were written against): C4 (Raffel et al. 2020), Gopher
# (Rae et al. 2021), FineWeb (Penedo et al. 2024); ChineseWebText has no punctuation-share rule.
AS_PUBLISHED = {
    "c4": {"require_terminal_punct": True, "min_sentences": 5, "filter_curly_bracket": True},
    "gopher_quality": {"min_alpha_words_ratio": 0.8, "alpha_tokens": "words"},
    "fineweb": {"max_short_line_ratio": 0.67},
    "chinese": {"max_punct_char_ratio": 1.0},
}


def from_defaults(family: str, lang: str, **overrides) -> Filter:
    """``family``'s filter with defaults.yaml's ``lang`` section, ``overrides`` applied."""
    section = dict(load_defaults()["heuristics"]["languages"][lang][family])
    section.pop("enabled", None)
    return FAMILIES[family].from_config({**section, **overrides})


def published(family: str, **overrides) -> Filter:
    """``family``'s filter as published: defaults.yaml's en section (zh for ``chinese``) with
    :data:`AS_PUBLISHED` and then ``overrides`` applied."""
    lang = "zh" if family == "chinese" else "en"
    return from_defaults(family, lang, **{**AS_PUBLISHED.get(family, {}), **overrides})
