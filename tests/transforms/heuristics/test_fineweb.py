"""FineWeb quality rules on real text."""
from __future__ import annotations

import pytest

from tests.transforms.heuristics.filters_from_defaults import published
from transforms.heuristics.text_stats import TextStats


def verdict(text, **cfg):
    f = published("fineweb", **cfg)
    values = f.score(TextStats(text))
    return f.decide(values), values


def test_real_minutes_pass(fomc_sentences):
    assert verdict("\n".join(fomc_sentences[:30]))[0] is None


def test_line_punct_ratio(fomc_sentences):
    lines = [s.rstrip(".") for s in fomc_sentences[:20]]
    lines[0] += "."  # 1 of 20 lines ends in punctuation
    reason, v = verdict("\n".join(lines))
    assert (reason, v["line_punct_ratio"]) == ("line_punct_ratio", pytest.approx(0.05))


def test_short_line_ratio(fomc_sentences):
    heads = [" ".join(s.split()[:3]) + "." for s in fomc_sentences[:16]]
    lines = heads[:12] + fomc_sentences[:4]
    reason, v = verdict("\n".join(lines))
    short = sum(1 for line in lines if len(line) <= 30)
    assert (reason, v["short_line_ratio"]) == ("short_line_ratio", pytest.approx(short / 16))
    assert short / 16 > 0.67


def test_char_dup_ratio(fomc_sentences):
    lines = fomc_sentences[:30] + [fomc_sentences[0]]
    reason, v = verdict("\n".join(lines))
    assert (reason, v["char_dup_ratio"]) == ("char_dup_ratio", pytest.approx(len(lines[0]) / sum(map(len, lines))))


def test_list_ratio(fomc_sentences):
    words = " ".join(fomc_sentences[:5]).split()
    listed = "\n".join(" ".join(words[i:i + 3]) + "." for i in range(0, len(words), 3))
    reason, v = verdict(listed, max_short_line_ratio=1.0, max_char_dup_ratio=1.0)
    assert reason == "list_ratio"
    assert v["newline_word_ratio"] == pytest.approx(listed.count("\n") / len(words))


def test_chinese_list_ratio_counts_jieba_words(zh_law_paragraphs):
    from transforms.heuristics.text_stats import jieba_tokens

    # A real regulation cut into three words per line: a list, by FineWeb-2's cmn_Hani limit.
    words = jieba_tokens("".join(zh_law_paragraphs[:4]))
    phrases = ["".join(words[i:i + 3]) for i in range(0, len(words), 3)]
    text = "\n".join(phrases)
    f = published("fineweb", min_line_punct_ratio=0, max_short_line_ratio=1, max_newline_word_ratio=0.178)
    values = f.score(TextStats(text, jieba_tokens))
    assert f.decide(values) == "list_ratio"
    assert values["newline_word_ratio"] == pytest.approx((len(phrases) - 1) / len(jieba_tokens(text)))
    # The same regulation as paragraphs passes.
    paragraphs = "\n".join(zh_law_paragraphs[:4])
    assert f.decide(f.score(TextStats(paragraphs, jieba_tokens))) is None
