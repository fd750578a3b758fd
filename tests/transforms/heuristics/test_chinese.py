"""Chinese rules on real Chinese text: reasons and values."""
from __future__ import annotations

import re

import pytest

from tests.conftest import require_full_data
from tests.transforms.heuristics.filters_from_defaults import published
from transforms.heuristics.text_stats import TextStats
from transforms.heuristics.wordlists import SubstringMatcher, read_word_list


def verdict(text, **cfg):
    f = published("chinese", **cfg)
    f.load()
    values = f.score(TextStats(text))
    return f.decide(values), values


@pytest.fixture(scope="module")
def zh_lists(shared_data):
    # Read in place: the ChineseWebText list has no data license and is never copied.
    require_full_data("lists/zh_sensitive_words_chinesewebtext.tsv")
    return [str(shared_data / "lists/ldnoobw/zh.txt"), str(shared_data / "lists/zh_sensitive_words_chinesewebtext.tsv")]


def test_real_regulation_passes(zh_law_paragraphs, zh_lists):
    reason, v = verdict("\n".join(zh_law_paragraphs[:8]), sensitive_word_lists=zh_lists)
    assert reason is None
    assert v["sentence_line_chars_ratio"] == 1.0 and v["han_ratio"] > 0.8


def test_short_doc(zh_law_paragraphs):
    text = "".join(zh_law_paragraphs)[:150]
    reason, v = verdict(text)
    assert (reason, v["chars"]) == ("short_doc", 150)


def test_low_han_ratio(cwt):
    text = cwt["dirty"][4]  # a ChinaXiv subject listing, in English
    reason, v = verdict(text)
    expected = len(re.findall("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]", text)) / len(text)
    assert (reason, v["han_ratio"]) == ("low_han_ratio", pytest.approx(expected))
    assert expected < 0.3


def test_short_lines(zh_law_paragraphs):
    para = "".join(zh_law_paragraphs[:3]).replace(" ", "")
    lines = [para[i:i + 6] for i in range(0, len(para), 6)]
    reason, v = verdict("\n".join(lines))
    assert (reason, v["mean_line_length"]) == ("short_lines", pytest.approx(len(para) / len(lines)))


def test_sentence_line_chars_ratio(zh_law_paragraphs):
    lines = [p.replace("。", "").replace("；", "") for p in zh_law_paragraphs[:10]]
    reason, v = verdict("\n".join(lines))
    assert (reason, v["sentence_line_chars_ratio"]) == ("few_sentence_lines", 0.0)
    # A sentence end anywhere in the line counts ("...。详情点击>>"), weighted by the line's length.
    lines[0] += "。详情点击>>"
    lines[1] = f"| {lines[1]}！ |"  # a table row, as extractors write one
    lines[2] += " 10.5"  # the full stop inside a number is no sentence end
    expected = (len(lines[0]) + len(lines[1])) / sum(map(len, lines))
    assert verdict("\n".join(lines))[1]["sentence_line_chars_ratio"] == pytest.approx(expected)


def test_headlines_weigh_by_their_characters(zh_law_paragraphs):
    # Short headings without punctuation between paragraphs: only half of the lines end in
    # punctuation, yet nearly all characters sit in lines holding a sentence.
    paras = zh_law_paragraphs[:4]
    lines = ["第一章 总则", paras[0], "第二章 管理", paras[1], "第三章 监督", paras[2], "第四章 附则", paras[3]]
    reason, v = verdict("\n".join(lines))
    assert reason is None
    assert v["sentence_line_chars_ratio"] > 0.8


def test_repetition(zh_law_paragraphs):
    text = "\n".join(zh_law_paragraphs[:2] * 3)
    reason, v = verdict(text)
    assert reason == "repetition"
    assert v["char_ngram_dup_ratio"] > 0.9


def test_sensitive_words_per_line(cwt, zh_lists):
    words = {w for path in zh_lists for w in read_word_list(path) if len(w) >= 2}
    doc_lines = cwt["dirty"][1].split("\n")  # an article on corrupt officials fleeing abroad
    # The first line holding each list word the article uses: a dense real excerpt.
    lines = list(dict.fromkeys(next(line for line in doc_lines if w in line)
                               for w in sorted(words) if any(w in line for line in doc_lines)))
    text = "\n".join(lines)
    found = {w for w in words if w in text}
    reason, v = verdict(text, sensitive_word_lists=zh_lists, min_mean_line_length=0, min_sentence_line_chars_ratio=0)
    assert v["sensitive_per_line"] == pytest.approx(len(found) / len(lines))
    assert len(found) / len(lines) > 0.5 and reason == "sensitive_words"
    # The whole article stays under ChineseWebText's 0.5 words per line.
    reason, v = verdict(cwt["dirty"][1], sensitive_word_lists=zh_lists)
    assert reason is None and 0 < v["sensitive_per_line"] <= 0.5
    # Without lists the rule is off.
    assert verdict(text, min_mean_line_length=0, min_sentence_line_chars_ratio=0)[1]["sensitive_per_line"] == 0.0


def test_single_character_entries_skipped():
    matcher = SubstringMatcher(["性", "性交", "牛奶"], min_chars=2)
    assert matcher.found("可能性很大,牛奶很好") == {"牛奶"}


def test_missing_list_file_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        published("chinese", sensitive_word_lists=[str(tmp_path / "nope.txt")])


def test_too_much_punctuation(zh_law_paragraphs):
    # SEO cloaking seen in Common Crawl: every character of a real text wrapped in 【】.
    text = "\n".join(zh_law_paragraphs[:4])
    wrapped = "\n".join("".join(f"【{ch}】" for ch in line) for line in zh_law_paragraphs[:4])
    reason, v = verdict(wrapped, max_punct_char_ratio=0.35, min_han_ratio=0)  # a third of it is Han
    assert reason == "too_much_punctuation" and v["punct_char_ratio"] > 0.66
    reason, v = verdict(text, max_punct_char_ratio=0.35)
    assert reason is None and v["punct_char_ratio"] < 0.15
