"""TextStats against plain-Python reference computations on real texts."""
from __future__ import annotations

from collections import Counter

import pytest

from transforms.heuristics.text_stats import TextStats, duplicates, han_char_tokens, han_chars, jieba_tokens


def reference_ngram_fractions(words, n, text_len):
    """The definitions written the slow, obvious way."""
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    counts = Counter(grams)
    top = 0.0
    if counts and max(counts.values()) > 1:
        best = max(counts.values())
        top = best * max(len(" ".join(g)) for g, c in counts.items() if c == best) / text_len
    seen, covered = set(), set()
    for i, g in enumerate(grams):
        if g in seen:
            covered.update(range(i, i + n))
        seen.add(g)
    return top, sum(len(words[i]) for i in covered) / text_len


def test_ngram_fractions_match_reference_on_real_documents(dclm_rows):
    for row in dclm_rows[:40]:
        stats = TextStats(row["text"])
        got = stats.ngram_char_fractions([2, 3, 4], [5, 6, 7, 8, 9, 10])
        for n in range(2, 11):
            words = stats.real_words
            top, dup = reference_ngram_fractions(words, n, len(row["text"]))
            if n <= 4:
                assert got[("top", n)] == pytest.approx(top), (row["text"][:80], n)
            else:
                assert got[("dup", n)] == pytest.approx(dup), (row["text"][:80], n)


def test_repeated_paragraph_covers_its_words(fomc_sentences):
    # Two real sentences with no 5-gram repeated between or within them ...
    a, b = next((a, b) for a, b in zip(fomc_sentences, fomc_sentences[1:])
                if TextStats(f"{a} {b}").ngram_char_fractions([], [5])[("dup", 5)] == 0)
    # ... so repeating the first one makes exactly its second copy a repeat.
    text = f"{a} {b} {a}"
    frac = TextStats(text).ngram_char_fractions([], [5])[("dup", 5)]
    assert frac == pytest.approx(sum(len(w) for w in a.split()) / len(text))  # the second copy


def test_chinese_ngrams_skip_punctuation_tokens(zh_law_paragraphs):
    text = zh_law_paragraphs[0]
    stats = TextStats(text, jieba_tokens)
    assert "，" in stats.words  # kept for the alpha-word ratio ...
    words = stats.real_words
    assert "，" not in words and len(words) < len(stats.words)
    top, dup = reference_ngram_fractions(words, 5, len(text))  # ... but n-grams are over words
    assert stats.ngram_char_fractions([], [5])[("dup", 5)] == pytest.approx(dup)


def test_char_ngram_dup_ratio_matches_chinesewebtext_definition(cwt):
    for text in cwt["clean"] + cwt["dirty"]:
        compact = "".join(text.lower().split())
        grams = [compact[i:i + 13] for i in range(len(compact) - 12)]
        counts = Counter(grams)
        expected = sum(c for c in counts.values() if c > 1) / len(grams)
        assert TextStats(text).char_ngram_dup_ratio(13) == pytest.approx(expected)


def test_lines_paragraphs_and_duplicates(fomc_sentences):
    s1, s2, s3 = fomc_sentences[:3]
    stats = TextStats(f"  {s1}\n{s2}\n\n{s1}\n \n{s3}\n")
    assert stats.lines == [s1, s2, s1, s3]
    assert stats.paragraphs == [f"{s1}\n{s2}", s1, s3]
    assert stats.line_duplicates == (1, len(s1))
    assert duplicates(["a", "b", "a", "a"]) == (2, 2)


def test_han_counting_and_char_tokens():
    assert han_chars("第一条 为了促进本市, ok") == 9
    assert han_char_tokens("第一条 GDP增长3.5%。") == ["第", "一", "条", "GDP", "增", "长", "3.5%。"]


def test_rjieba_cuts_like_jieba(cwt, zh_law_paragraphs):
    import logging

    import jieba
    import rjieba

    jieba.setLogLevel(logging.WARNING)
    for text in cwt["clean"] + cwt["dirty"] + zh_law_paragraphs[:20]:
        assert rjieba.cut(text, hmm=False) == jieba.lcut(text, HMM=False)
