"""Gopher quality and repetition rules: the reason and the value, on real English and Chinese text."""
from __future__ import annotations

import re

import pytest

from tests.transforms.heuristics.filters_from_defaults import published
from transforms.heuristics.text_stats import TextStats, jieba_tokens


def verdict(f, text, tokenizer=None):
    values = f.score(TextStats(text, tokenizer))
    return f.decide(values), values


def test_real_minutes_pass_both(fomc_sentences):
    text = "\n".join(fomc_sentences[:40])
    assert verdict(published("gopher_quality"), text)[0] is None
    assert verdict(published("gopher_repetition"), text)[0] is None


def test_short_doc(fomc_sentences):
    text = " ".join(" ".join(fomc_sentences).split()[:30])
    reason, v = verdict(published("gopher_quality"), text)
    assert (reason, v["word_count"]) == ("short_doc", 30)


def test_mean_word_length_bounds(fomc_sentences):
    words = " ".join(fomc_sentences[:20]).split()
    squashed = " ".join("".join(words[i:i + 4]) for i in range(0, len(words), 4))
    reason, v = verdict(published("gopher_quality"), squashed)
    assert reason == "long_mean_word_length"
    assert v["mean_word_length"] == pytest.approx(sum(map(len, squashed.split())) / len(squashed.split()))
    assert verdict(published("gopher_quality", min_mean_word_length=30, max_mean_word_length=99), squashed)[0] == "short_mean_word_length"


def test_hashes_and_ellipsis(fomc_sentences):
    words = " ".join(fomc_sentences[:10]).split()
    tagged = " ".join(f"#{w}" if i % 5 == 0 else w for i, w in enumerate(words))
    reason, v = verdict(published("gopher_quality"), tagged)
    assert reason == "too_many_hashes"
    assert v["hash_word_ratio"] == pytest.approx(tagged.count("#") / len(words))
    trailing = " ".join(f"{w}..." if i % 5 == 0 else w for i, w in enumerate(words))
    assert verdict(published("gopher_quality"), trailing)[0] == "too_many_ellipsis"


def test_bullets_and_end_ellipsis_lines(fomc_sentences):
    bullets = "\n".join(f"• {s}" for s in fomc_sentences[:20])
    reason, v = verdict(published("gopher_quality"), bullets)
    assert (reason, v["bullet_lines_ratio"]) == ("too_many_bullets", 1.0)
    cut = "\n".join(s[:-1] + "…" if i % 2 else s for i, s in enumerate(fomc_sentences[:20]))
    reason, v = verdict(published("gopher_quality"), cut)
    assert (reason, v["ellipsis_lines_ratio"]) == ("too_many_end_ellipsis", 0.5)


def test_alpha_words_and_stop_words(fomc_sentences):
    words = " ".join(fomc_sentences[:10]).split()
    numbered = " ".join(f"{w} {i} {i * 7}" for i, w in enumerate(words))
    reason, v = verdict(published("gopher_quality"), numbered)
    assert reason == "below_alpha_threshold"
    with_letter = sum(1 for w in words if any(c.isalpha() for c in w))
    assert v["alpha_words_ratio"] == pytest.approx(with_letter / (3 * len(words)))
    stop = {"the", "be", "to", "of", "and", "that", "have", "with"}
    no_stop = " ".join(w for w in words if w.lower().strip(".,") not in stop)
    reason, v = verdict(published("gopher_quality"), no_stop)
    assert (reason, v["stop_words"]) == ("few_stop_words", 0)


def test_chinese_stop_words_count_jieba_words(zh_law_paragraphs):
    text = "\n".join(zh_law_paragraphs[:5])
    zh = published("gopher_quality", min_mean_word_length=1, max_mean_word_length=5, min_alpha_words_ratio=0.735,
                   stop_words=("的", "是", "和", "在", "为"))
    reason, v = verdict(zh, text, jieba_tokens)
    assert reason is None
    assert v["stop_words"] == sum(1 for w in jieba_tokens(text) if w in {"的", "是", "和", "在", "为"})
    # English thresholds would drop the same regulation: why Chinese gets its own values.
    reason, v = verdict(published("gopher_quality"), text, jieba_tokens)
    assert (reason, v["stop_words"]) == ("short_mean_word_length", 0)


def test_duplicate_lines_and_paragraphs(fomc_sentences):
    lines = fomc_sentences[:6]
    reason, v = verdict(published("gopher_repetition"), "\n".join(lines + lines[:3]))
    assert (reason, v["dup_line_frac"]) == ("dup_line_frac", pytest.approx(3 / 9))
    paras = ["\n".join(fomc_sentences[i:i + 2]) for i in range(0, 12, 2)]
    reason, v = verdict(published("gopher_repetition", max_dup_line_frac=1), "\n\n".join(paras + paras[:3]))
    assert (reason, v["dup_para_frac"]) == ("dup_para_frac", pytest.approx(3 / 9))


def test_duplicate_line_characters(fomc_sentences):
    lines = sorted(fomc_sentences[:10], key=len)
    text = "\n".join(lines + [lines[-1], lines[-2]])  # 2 of 12 lines, the two longest
    reason, v = verdict(published("gopher_repetition"), text)
    expected = (len(lines[-1]) + len(lines[-2])) / sum(map(len, lines + [lines[-1], lines[-2]]))
    assert v["dup_line_char_frac"] == pytest.approx(expected)
    assert reason == ("dup_line_char_frac" if expected > 0.2 else None)


def test_top_and_duplicate_ngrams(fomc_sentences):
    spam = " ".join(["Federal Reserve"] * 40 + fomc_sentences[0].split())
    reason, v = verdict(published("gopher_repetition"), spam)
    assert reason == "top_2gram"
    assert v["top_2gram_char_frac"] == pytest.approx(40 * len("Federal Reserve") / len(spam))
    sentence = fomc_sentences[1]
    repeated = " ".join([sentence] * 3 + fomc_sentences[2:4])
    reason, v = verdict(published("gopher_repetition", max_top_ngram_char_frac={}), repeated)
    assert reason == "dup_5gram" and v["dup_5gram_char_frac"] > 0.15


def test_alpha_words_without_punctuation_tokens(zh_law_paragraphs):
    # jieba makes each ，。 a token: counted as words they lower the share of words with a letter.
    text = "\n".join(zh_law_paragraphs[:5])
    tokens = jieba_tokens(text)
    punct = sum(1 for t in tokens if not any(c.isalnum() for c in t))
    with_punct = verdict(published("gopher_quality"), text, jieba_tokens)[1]["alpha_words_ratio"]
    without = verdict(published("gopher_quality", alpha_tokens="no_punctuation"), text, jieba_tokens)[1]["alpha_words_ratio"]
    assert punct > 0
    assert with_punct == pytest.approx((len(tokens) - punct) / len(tokens), abs=0.01)
    assert without > with_punct and without == pytest.approx(1.0, abs=0.01)


def test_alpha_words_with_punctuation_split_off(fomc_sentences):
    # FineWeb counts spaCy tokens: "$4,999." is four tokens, none with a letter; whitespace words
    # would count it as one word.
    text = " ".join(fomc_sentences[:5])
    tokens = re.findall(r"\w+(?:[-'’.]\w+)*|[^\w\s]", text)
    with_letter = sum(1 for t in tokens if re.search(r"[^\W\d_]", t))
    v = verdict(published("gopher_quality", alpha_tokens="split_punctuation"), text)[1]
    assert v["alpha_words_ratio"] == pytest.approx(with_letter / len(tokens))
    assert v["alpha_words_ratio"] < verdict(published("gopher_quality"), text)[1]["alpha_words_ratio"]
    with pytest.raises(ValueError, match="alpha_tokens"):
        published("gopher_quality", alpha_tokens="spacy")
